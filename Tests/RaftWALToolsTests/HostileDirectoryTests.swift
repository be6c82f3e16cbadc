import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import RaftWAL
import RaftWALTesting

private typealias S = RecoverTestSupport

/// Issue 14: every subcommand of both tools, run as a process on each
/// hostile directory, ends (no hang: a timeout), never traps (no exit ≥ 128),
/// exits 0, 1 or 2 only, and stays under a fixed memory bound.
@Suite struct HostileDirectoryTests {
    static let memoryBoundKB = 256 * 1024
    static let healthy = InspectSupport.root + "/Fixtures/healthy"
    static let lastSegment = "0000000000000005-00000000000000cc.seg"

    enum Shape: String, CaseIterable, Sendable {
        case foreignFirstSegment, fifoSegment, socketSegment, directorySegment, symlinkSegmentOutside,
             fifoSnapshot, directorySnapshot, truncatedSegment, emptySegment, hugeBatch,
             hugeBatchCommitted, hugeBatchOf59ByteEntries

        /// Checksum-valid batches of 2^24 entries (the format's limit): every
        /// reader and rebuild must stream them.
        var isHugeBatch: Bool { self == .hugeBatch || self == .hugeBatchCommitted || self == .hugeBatchOf59ByteEntries }
    }

    /// Builds the hostile directory `dir` (and whatever lies outside it under `root`).
    static func make(_ shape: Shape, root: String, dir: String) throws {
        let fm = FileManager.default
        switch shape {
        case .hugeBatch: return try HostileDirectories.hugeBatch(at: dir)
        // 2^24 empty entries (80 MiB raw) with a committed membership after
        // them: force-new-cluster copies them all, truncate drops them all.
        case .hugeBatchCommitted: return try HostileDirectories.hugeBatch(at: dir, committedMembership: true)
        // 2^24 entries of 59 bytes: a 1 GiB raw body (`Layout.maxBodyBytes`) in a 4.2 MB record.
        case .hugeBatchOf59ByteEntries: return try HostileDirectories.hugeBatch(at: dir, entryBytes: 59, committedMembership: true)
        default: break
        }
        if shape == .foreignFirstSegment {
            return try fm.copyItem(atPath: InspectSupport.root + "/Fixtures/foreign-first-segment", toPath: dir)
        }
        try fm.copyItem(atPath: healthy, toPath: dir)
        let seg = dir + "/" + lastSegment
        let snap = dir + "/snap-00000000000000c8-0000000000000002.snap"
        switch shape {
        case .fifoSegment:
            try fm.removeItem(atPath: seg)
            #expect(mkfifo(seg, 0o644) == 0)
        case .socketSegment:
            try fm.removeItem(atPath: seg)
            try bindSocket(seg)
        case .directorySegment:
            try fm.removeItem(atPath: seg)
            try fm.createDirectory(atPath: seg, withIntermediateDirectories: false)
        case .symlinkSegmentOutside:
            try fm.moveItem(atPath: seg, toPath: root + "/outside.seg")
            try fm.createSymbolicLink(atPath: seg, withDestinationPath: root + "/outside.seg")
        case .fifoSnapshot:
            #expect(mkfifo(snap, 0o644) == 0)
        case .directorySnapshot:
            try fm.createDirectory(atPath: snap, withIntermediateDirectories: false)
        case .truncatedSegment:
            try Damage.cut(seg, to: 100)
        case .emptySegment:
            try Damage.cut(seg, to: 0)
        case .foreignFirstSegment, .hugeBatch, .hugeBatchCommitted, .hugeBatchOf59ByteEntries:
            break
        }
    }

    static func bindSocket(_ path: String) throws {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (k, b) in bytes.enumerated() { raw[k] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    /// The commands, as (tool, arguments) with `DIR` and `OUT` placeholders.
    static let commands: [(tool: String, args: [String])] = [
        ("raft-inspect", ["summary", "DIR"]), ("raft-inspect", ["segments", "DIR", "--records"]),
        ("raft-inspect", ["entries", "DIR", "--limit", "20"]), ("raft-inspect", ["hardstate", "DIR"]),
        ("raft-inspect", ["snapshots", "DIR"]), ("raft-inspect", ["members", "DIR"]),
        ("raft-inspect", ["verify", "DIR"]), ("raft-inspect", ["stats", "DIR"]),
        ("raft-recover", ["repair", "DIR", "--dry-run", "--output", "OUT"]), ("raft-recover", ["repair", "DIR", "--output", "OUT"]),
        ("raft-recover", ["truncate", "DIR", "--after", "200", "--dry-run", "--output", "OUT"]),
        ("raft-recover", ["truncate", "DIR", "--after", "200", "--accept-data-loss", "--output", "OUT"]),
        ("raft-recover", ["force-new-cluster", "DIR", "--member", "1", "--dry-run", "--output", "OUT"]),
        ("raft-recover", ["force-new-cluster", "DIR", "--member", "1", "--output", "OUT"]),
    ]

    struct Outcome {
        var status: Int32
        var timedOut: Bool
        var peakKB: Int
    }

    /// Runs the tool with output discarded, polling `/proc/PID/status` for
    /// VmHWM (the peak resident set) until it ends or `timeout` passes.
    static func run(_ executable: String, _ args: [String], timeout: Double) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        var peak = 0
        var timedOut = false
        while p.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peak = max(peak, kb)
            }
            if Date() > deadline {
                timedOut = true
                kill(p.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        p.waitUntilExit()
        // A status ≥ 128 is what a shell shows for a signal: report signals that way.
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return Outcome(status: status, timedOut: timedOut, peakKB: peak)
    }

    /// The two 2^24-entry shapes that make every subcommand read the whole
    /// batch (force-new-cluster copies it all, verify decodes a 1 GiB raw
    /// body): minutes in a debug build, so they run when
    /// `RAFTWAL_HOSTILE_HUGE=1` (`.ci/run` sets it); `hugeBatch` runs always.
    static let slowShapes: [Shape] = [.hugeBatchCommitted, .hugeBatchOf59ByteEntries]
    static let runSlowShapes = ProcessInfo.processInfo.environment["RAFTWAL_HOSTILE_HUGE"] == "1"

    @Test(arguments: Shape.allCases.filter { !slowShapes.contains($0) })
    func everySubcommandEndsWithoutTrapOrHangWithinTheMemoryBound(_ shape: Shape) throws {
        try Self.check(shape)
    }

    @Test(.enabled(if: runSlowShapes, "set RAFTWAL_HOSTILE_HUGE=1 (as .ci/run does) to run"), arguments: slowShapes)
    func everySubcommandReadsA2To24EntryBatchWithinTheMemoryBound(_ shape: Shape) throws {
        try Self.check(shape)
    }

    static func check(_ shape: Shape) throws {
        let inspect = try #require(InspectSupport.executable, "raft-inspect is not built next to the tests")
        let recover = try #require(RecoverCLITests.executable, "raft-recover is not built next to the tests")
        let root = try S.scratch("hostile-\(shape.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/log"
        try make(shape, root: root, dir: dir)
        // Every subcommand on every shape, the huge batches included (a
        // debug build takes tens of seconds per pass over 2^24 entries: the
        // timeout there is a hang detector, not a performance bound).
        for (k, command) in commands.enumerated() {
            let args = command.args.map { $0 == "DIR" ? dir : $0 == "OUT" ? root + "/out-\(k)" : $0 }
            let outcome = try run(command.tool == "raft-inspect" ? inspect : recover, args,
                                       timeout: shape.isHugeBatch ? 900 : 20)
            let what = "\(command.tool) \(command.args.joined(separator: " ")) on \(shape.rawValue)"
            #expect(!outcome.timedOut, "\(what): hung")
            #expect([0, 1, 2].contains(outcome.status), "\(what): exit \(outcome.status)")
            #expect(outcome.peakKB < memoryBoundKB, "\(what): peak RSS \(outcome.peakKB) KB")
            if slowShapes.contains(shape) {
                // A valid log: every command succeeds (the rebuilds verify every
                // copied entry against the source), except truncate without
                // --accept-data-loss, refused for dropping committed entries.
                let refused = command.args[0] == "truncate" && !command.args.contains("--accept-data-loss")
                #expect(outcome.status == (refused ? 2 : 0), "\(what): exit \(outcome.status)")
            }
        }
        if shape == .symlinkSegmentOutside {
            #expect(POSIXFileSystem().fileKind(dir + "/" + lastSegment) == .symbolicLink, "the link itself is left as it was")
        }
    }
}
