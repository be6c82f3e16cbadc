import Foundation
import RaftWAL
import RaftWALTools
import Testing

/// The conventions every tool shares (`docs/TOOLS.md`, "Conventions"), each
/// proved on all four executables: they share one entry point
/// (`Sources/ToolMain`), so they must behave the same.
@Suite struct ToolConventionTests {
    static let tools = ["raft-inspect", "raft-recover", "raft-bench", "raft-torture"]

    func run(_ tool: String, _ args: [String], in directory: String? = nil) throws -> ToolProcess.Run {
        let env = "RAFT_" + tool.dropFirst(5).uppercased()
        let exe = try #require(ToolProcess.locate(tool, environment: env), "\(tool) is not built next to the tests")
        return try ToolProcess.run(exe, args, in: directory, environment: ["NO_COLOR": "1"])
    }

    @Test(arguments: tools)
    func noArgumentsPrintsTheHelpOnStderrAndExitsTwo(_ tool: String) throws {
        let r = try run(tool, [])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("OVERVIEW: "))
        #expect(r.stderr.contains("USAGE: \(tool) "))
    }

    @Test(arguments: tools)
    func helpAndVersionGoToStdoutAndExitZero(_ tool: String) throws {
        let help = try run(tool, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: "))
        #expect(help.stderr.isEmpty)
        let version = try run(tool, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == Self.changelogVersion() + "\n")
        #expect(version.stderr.isEmpty)
    }

    @Test(arguments: tools)
    func anArgumentErrorIsPrefixedWithTheToolsNameAndExitsTwo(_ tool: String) throws {
        let r = try run(tool, ["--no-such-option"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("\(tool): Unknown option '--no-such-option'"), "\(r.stderr)")
    }

    /// An environment error of each tool's own making (not argument-parser's).
    @Test(arguments: [
        ("raft-inspect", ["verify", "/nonexistent/raftwal"]),
        ("raft-recover", ["repair", "/nonexistent/raftwal"]),
        ("raft-bench", ["replay", "--dir", "/nonexistent/raftwal"]),
        ("raft-torture", ["sim", "--iterations", "0"]),
    ])
    func anEnvironmentErrorIsPrefixedWithTheToolsNameAndExitsTwo(_ tool: String, _ args: [String]) throws {
        let r = try run(tool, args)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(tool): "), "\(r.stderr)")
        #expect(!r.stderr.hasPrefix("\(tool): error:"), "the prefix is the tool's name alone")
    }

    @Test(arguments: [
        ("raft-inspect", ["verify", "FILE"]),
        ("raft-inspect", ["snapshots", "FILE"]),
        ("raft-recover", ["repair", "FILE", "--dry-run"]),
        ("raft-bench", ["replay", "--dir", "FILE"]),
        ("raft-torture", ["check", "--dir", "FILE", "--acked", "0"]),
    ])
    func aRegularFileGivenAsTheDirectoryIsNotADirectoryExitTwo(_ tool: String, _ args: [String]) throws {
        let file = NSTemporaryDirectory() + "raftwal-regular-\(UUID().uuidString)"
        try Data("not a log".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try run(tool, args.map { $0 == "FILE" ? file : $0 })
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(tool): \(file) is not a"), "\(r.stderr)")
        #expect(r.stderr.contains("is not a directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("no such directory"))
    }

    @Test func extractWithOutputDashWritesTheSnapshotToStdoutAndNoFile() throws {
        let cwd = NSTemporaryDirectory() + "raftwal-dash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        let fixture = InspectSupport.root + "/Fixtures/healthy"
        let name = try #require(try DirectoryListing(directory: fixture).snapshots.first)
        let snapshot = try SnapshotInspector.read(directory: fixture, name: name)
        let r = try run("raft-inspect", ["snapshots", fixture, "--extract", String(snapshot.metadata.index), "--output", "-"], in: cwd)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Array(r.stdout.utf8) == snapshot.data)
        #expect(r.stderr.contains("to stdout"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd).isEmpty, "a file named - was written")
    }

    /// stdout and stderr on the same terminal: the bar is erased before a
    /// row is written, so no row shares the bar's line.
    @Test func theProgressBarIsErasedBeforeAnyRowOnASharedTerminal() {
        var screen = ""
        let output = Output(out: { screen += $0 }, err: { screen += $0 }, progressEnabled: true)
        let bar = Progress(output: output, label: "scanning", totalBytes: 100, delayNanos: 0)
        bar.update(50)
        #expect(screen.hasPrefix("\rscanning ["), "the bar was not drawn: \(screen.debugDescription)")
        let drawn = screen
        output.line("ROW 1")
        #expect(screen == drawn + "\r\u{1B}[2K" + "ROW 1\n")
        output.line("ROW 2")
        #expect(screen.hasSuffix("ROW 1\nROW 2\n"), "erased twice or redrawn without an update")
        bar.finish()
        #expect(screen.hasSuffix("ROW 2\n"), "finish erased a bar that was no longer drawn")
    }

    @Test func noProgressOutputWhenStderrIsNotATerminal() throws {
        let r = try run("raft-inspect", ["verify", InspectSupport.root + "/Fixtures/healthy"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
    }

    /// The newest release heading of CHANGELOG.md (`## [X.Y.Z] - date`).
    static func changelogVersion() -> String {
        let text = (try? String(contentsOfFile: InspectSupport.root + "/CHANGELOG.md", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("## [") && !line.hasPrefix("## [Unreleased]") {
            return String(line.dropFirst(4).prefix { $0 != "]" })
        }
        return "no release in CHANGELOG.md"
    }
}
