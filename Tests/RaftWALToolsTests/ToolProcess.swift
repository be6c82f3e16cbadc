import Foundation

/// Runs the built command-line tools from tests.
enum ToolProcess {
    /// A tool built next to the running test bundle (`swift test` builds every
    /// executable into the same directory), or the path in `environment`.
    static func locate(_ name: String, environment: String) -> String? {
        if let path = ProcessInfo.processInfo.environment[environment] { return path }
        var dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                      ?? CommandLine.arguments[0])
        for _ in 0..<4 {
            dir.deleteLastPathComponent()
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a finished tool printed, and its exit status.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable args` to its end; `environment` entries are added to
    /// this process's environment.
    static func run(_ executable: String, _ args: [String], in directory: String? = nil,
                    environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read stderr on another thread while stdout is read here, so neither
        // pipe can fill and block the child.
        nonisolated(unsafe) var e = Data()
        let errRead = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            e = err.fileHandleForReading.readDataToEndOfFile()
            errRead.signal()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        errRead.wait()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
