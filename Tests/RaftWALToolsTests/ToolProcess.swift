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
}
