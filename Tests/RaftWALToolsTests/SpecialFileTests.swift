import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// Issue 14: what a disk or a person can put in a data directory or next to
/// an output path is met with a finding or a refusal, never a trap, a hang,
/// or a write through a path the tool did not create.
@Suite struct SpecialFileTests {
    static let healthy = InspectSupport.root + "/Fixtures/healthy"
    static let firstSegment = "0000000000000001-0000000000000001.seg"
    static let lastSegment = "0000000000000005-00000000000000cc.seg"

    /// A copy of the healthy fixture in a scratch root.
    func healthyCopy(_ label: String) throws -> (root: String, dir: String) {
        let root = try S.scratch(label)
        let dir = root + "/log"
        try FileManager.default.copyItem(atPath: Self.healthy, toPath: dir)
        return (root, dir)
    }

    func expectCorrupted(_ dir: String, options: LogOptions = .readOnly, file: String, offset: UInt64?, reason: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            _ = try RaftLog.open(directory: dir, options: options)
        } throws: { error in
            guard case let WALError.corrupted(f, o, _, why, _) = error else { return false }
            return f.hasSuffix(file) && o == offset && why.contains(reason)
        }
    }

    // MARK: 1. a foreign first segment

    @Test func foreignFirstSegmentIsRefusedAsC3NamingFileAndOffsetInEveryMode() throws {
        let dir = InspectSupport.root + "/Fixtures/foreign-first-segment"
        expectCorrupted(dir, file: Self.firstSegment, offset: 16, reason: "segment belongs to cluster")
        var truncate = LogOptions.readOnly
        truncate.recovery = .truncateAtFirstCorruption
        expectCorrupted(dir, options: truncate, file: Self.firstSegment, offset: 16, reason: "nothing precedes")
        // The writable open (on a copy: it takes the lock) refuses the same way.
        let root = try S.scratch("foreign-first")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: dir, toPath: root + "/log")
        var writable = Fixtures.options()
        writable.clusterID = nil
        expectCorrupted(root + "/log", options: writable, file: Self.firstSegment, offset: 16, reason: "segment belongs to cluster")
    }

    @Test func foreignFirstSegmentMakesVerifyExitOneWithTheLabel() throws {
        let r = try InspectSupport.run(["verify", "Fixtures/foreign-first-segment"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("DAMAGE [C3-foreign-segment] \(Self.firstSegment) at offset 16"), "\(r.stdout)")
    }

    // MARK: 2. special files named like log files

    /// Each kind of special file, planted under a segment's and a snapshot's name.
    enum Plant: String, CaseIterable, Sendable {
        case fifo, socket, directory, symlinkOutside

        func make(_ path: String, outside: String) throws {
            switch self {
            case .fifo: precondition(mkfifo(path, 0o644) == 0)
            case .socket:
                let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_un()
                addr.sun_family = sa_family_t(AF_UNIX)
                let bytes = Array(path.utf8)
                precondition(bytes.count < MemoryLayout.size(ofValue: addr.sun_path), "socket path too long: \(path)")
                withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                    for (k, b) in bytes.enumerated() { raw[k] = b }
                }
                let rc = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                precondition(rc == 0, "bind \(path): errno \(errno)")
                close(fd)
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            case .symlinkOutside: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: outside)
            }
        }

        var kind: FileKind {
            switch self {
            case .fifo: return .fifo
            case .socket: return .socket
            case .directory: return .directory
            case .symlinkOutside: return .symbolicLink
            }
        }
    }

    @Test(arguments: Plant.allCases)
    func specialFileNamedLikeASegmentIsDamageNeverOpened(_ plant: Plant) throws {
        let (root, dir) = try healthyCopy("special-\(plant.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Outside the log: a real segment, so following the link would "work".
        let outside = root + "/elsewhere.seg"
        try FileManager.default.copyItem(atPath: dir + "/" + Self.lastSegment, toPath: outside)
        try FileManager.default.removeItem(atPath: dir + "/" + Self.lastSegment)
        try plant.make(dir + "/" + Self.lastSegment, outside: outside)
        expectCorrupted(dir, file: Self.lastSegment, offset: nil, reason: "not a regular file but \(plant.kind.rawValue)")
        let r = try InspectSupport.run(["verify", dir])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("not a regular file but \(plant.kind.rawValue)"), "\(r.stdout)")
    }

    @Test(arguments: Plant.allCases)
    func specialFileNamedLikeASnapshotIsADamagedSnapshot(_ plant: Plant) throws {
        let (root, dir) = try healthyCopy("special-snap-\(plant.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let name = "snap-00000000000000c8-0000000000000002.snap"
        try plant.make(dir + "/" + name, outside: dir + "/snap-0000000000000096-0000000000000002.snap")
        let log = try RaftLog.open(directory: dir, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels.contains(.damagedSnapshot))
        #expect(log.recoveryReport.damagedSnapshots.map(\.name) == [name])
        #expect(log.snapshotMetadata?.index == 150)
    }

    @Test func fileKindSeesTheLinkNotItsTarget() throws {
        let root = try S.scratch("kind")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = POSIXFileSystem()
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nowhere")
        #expect(fs.fileKind(root + "/dangling") == .symbolicLink)
        #expect(fs.fileKind(root + "/nowhere") == nil)
        #expect(fs.fileKind(root) == .directory)
        #expect(throws: WALError.notARegularFile(root + "/dangling", .symbolicLink)) {
            _ = try fs.open(root + "/dangling", access: .readWrite, create: true)
        }
        #expect(fs.fileKind(root + "/nowhere") == nil, "the link's target was not created")
    }

    // MARK: 3. write paths never resolve through a planted symlink


    @Test(arguments: ["repair", "truncate", "force-new-cluster"])
    func stagingPathThatIsASymlinkIsRefusedAndItsTargetUntouched(_ command: String) throws {
        let root = try S.scratch("staging-link-\(command)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/log"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/" + (command == "repair" ? "torn-tail" : "healthy"),
                                         toPath: source)
        let target = try symlinkVictim(root)
        let out = root + "/out"
        try FileManager.default.createSymbolicLink(atPath: out + ".raft-recover-staging", withDestinationPath: target)
        var args = [command, source, "--output", out]
        if command == "truncate" { args += ["--after", "218"] }
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), args)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("raft-recover-staging exists and is a symbolic link"), "\(r.stderr)")
        expectSymlinkVictimUntouched(target)
        #expect(FileManager.default.fileExists(atPath: out) == false)
    }

    @Test func leftoverStagingDirectoryWithoutTheMarkerIsRefusedUntouched() throws {
        let root = try S.scratch("staging-foreign")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        // A real directory under the staging name, someone else's.
        let staging = root + "/out.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: staging + "/keep.txt"))
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--output", root + "/out"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("marker"), "\(r.stderr)")
        expectSymlinkVictimUntouched(staging)
    }

    @Test func leftoverStagingOfAnInterruptedRunIsEmptiedAndReused() throws {
        let root = try S.scratch("staging-own")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        let staging = root + "/out.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: staging + "/RAFT-RECOVER-STAGING"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: staging + "/half-written.seg"))
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--output", root + "/out"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/out")
        #expect(!names.contains("half-written.seg") && !names.contains("RAFT-RECOVER-STAGING"), "\(names)")
        #expect(FileManager.default.fileExists(atPath: staging) == false)
    }

    @Test func outputThatIsADanglingSymlinkIsRefusedAndNothingCreatedAtItsTarget() throws {
        let root = try S.scratch("output-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: root + "/elsewhere")
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--output", root + "/out"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("already exists"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(root + "/elsewhere") == nil)
        #expect(POSIXFileSystem().fileKind(root + "/out") == .symbolicLink)
    }

    @Test func outputThatIsASymlinkToADirectoryIsRefusedAndTheDirectoryUntouched() throws {
        let root = try S.scratch("output-dirlink")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: target)
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--output", root + "/out"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        expectSymlinkVictimUntouched(target)
    }

    @Test func inPlaceBackupNameTakenByASymlinkIsSkippedNotFollowed() throws {
        let root = try S.scratch("backup-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: source + ".raft-recover-backup", withDestinationPath: target)
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--in-place"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        expectSymlinkVictimUntouched(target)
        #expect(POSIXFileSystem().fileKind(source + ".raft-recover-backup") == .symbolicLink)
        #expect(POSIXFileSystem().fileKind(source + ".raft-recover-backup-2") == .directory)
    }

    @Test func extractOntoADanglingSymlinkIsRefusedAndItsTargetNotCreated() throws {
        let root = try S.scratch("extract-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/snap.bin", withDestinationPath: root + "/elsewhere.bin")
        let r = try InspectSupport.run(["snapshots", "Fixtures/healthy", "--extract", "150", "--output", root + "/snap.bin"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("a symbolic link"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(root + "/elsewhere.bin") == nil)
    }

    @Test func brokenCopiesInsideTheDataDirectoryAreNeverWrittenThroughASymlink() throws {
        // The engine's truncate mode writes `<segment>.cut-<offset>.broken` copies; a
        // symlink planted under that name fails the write instead of redirecting it.
        let (root, dir) = try healthyCopy("broken-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = POSIXFileSystem()
        try FileManager.default.createSymbolicLink(atPath: dir + "/x.broken", withDestinationPath: root + "/elsewhere")
        #expect(throws: WALError.notARegularFile(dir + "/x.broken", .symbolicLink)) {
            _ = try fs.open(dir + "/x.broken", access: .readWrite, create: true)
        }
        #expect(fs.fileKind(root + "/elsewhere") == nil)
    }
}

extension SpecialFileTests {
    @Test func verifyOnARecoveredDirectoryKnowsTheToolsOwnReport() throws {
        let root = try S.scratch("report-known")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/torn"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/torn-tail", toPath: source)
        let repaired = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", source, "--output", root + "/out"])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        let r = try InspectSupport.run(["verify", root + "/out"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the report of the raft-recover run that made this directory"), "\(r.stdout)")
        #expect(!r.stdout.contains("not a RaftWAL file"), "\(r.stdout)")
    }
}
