import Foundation
import Testing
import RaftWAL
import RaftWALTools

private typealias S = RecoverTestSupport
private typealias W = SwarmRecoverSupport

/// Issue 14, item 3: every path `raft-recover` and `raft-inspect` write,
/// empty or rename, tried with a symlink planted under its name. Each is
/// refused (exit 2) or skipped, and the symlink's target is left as it was.
///
/// The paths and where each is tried (this file, or the test named):
///
/// | path | RaftWAL directory | Swarm / etcd directory |
/// |---|---|---|
/// | `--output` dangling symlink | `SpecialFileTests` (repair), here (truncate, force-new-cluster) | here |
/// | `--output` symlink to a directory | `SpecialFileTests` (repair), here (truncate, force-new-cluster) | here |
/// | `OUT.raft-recover-staging` symlink | `SpecialFileTests` (all three) | here |
/// | a symlink inside a leftover staging (the report's `.tmp` name, a `.broken` copy's) | here | here (a symlinked subdirectory too) |
/// | `DIR.raft-recover-backup` symlink (`--in-place`) | `SpecialFileTests` (repair), here (truncate, force-new-cluster) | shares ``Staging``'s `backupPath()` |
/// | `--in-place` on a DIR that is a symlink | here | here |
/// | `.broken` copies the engine writes in the data directory | `SpecialFileTests.brokenCopiesInsideTheDataDirectoryAreNeverWrittenThroughASymlink` | — |
/// | a symlinked directory inside the source tree (read, never followed) | — | here |
/// | `snapshots --extract --output` | `SpecialFileTests` (dangling), here (a link to an existing file) | `InteropExtractTests` |
@Suite struct SymlinkWritePathTests {

    func recover(_ args: [String]) throws -> ToolProcess.Run {
        try ToolProcess.run(try #require(RecoverCLITests.executable), args)
    }

    /// A RaftWAL source in a scratch root, and the arguments of `command` on it.
    func raftwal(_ command: String, _ label: String) throws -> (root: String, source: String, args: [String]) {
        let root = try S.scratch("\(label)-\(command)")
        let source = root + "/log"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/" + (command == "repair" ? "torn-tail" : "healthy"),
                                         toPath: source)
        return (root, source, command == "truncate" ? ["--after", "218"] : [])
    }

    // MARK: RaftWAL directories

    @Test(arguments: ["truncate", "force-new-cluster"])
    func outputThatIsADanglingSymlinkIsRefusedAndNothingCreatedAtItsTarget(_ command: String) throws {
        let (root, source, extra) = try raftwal(command, "out-dangling")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: root + "/elsewhere")
        let r = try recover([command, source, "--output", root + "/out"] + extra)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("already exists"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(root + "/elsewhere") == nil)
        #expect(POSIXFileSystem().fileKind(root + "/out") == .symbolicLink)
        #expect(POSIXFileSystem().fileKind(root + "/out.raft-recover-staging") == nil)
    }

    @Test(arguments: ["truncate", "force-new-cluster"])
    func outputThatIsASymlinkToADirectoryIsRefusedAndTheDirectoryUntouched(_ command: String) throws {
        let (root, source, extra) = try raftwal(command, "out-dirlink")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: target)
        let r = try recover([command, source, "--output", root + "/out"] + extra)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        expectSymlinkVictimUntouched(target)
    }

    /// A leftover staging directory of this tool (marker present) with a
    /// symlink inside under a name the run writes: the report's temporary
    /// name, or the `.broken` copy a repair keeps of a torn tail.
    @Test(arguments: ["raft-recover-report.json.tmp", "0000000000000005-00000000000000cc.seg.torn-8192.broken"])
    func leftoverStagingHoldingASymlinkIsRefusedAndTheLinkTargetUntouched(_ linkName: String) throws {
        let (root, source, _) = try raftwal("repair", "staging-inner-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        let staging = root + "/out.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: staging + "/RAFT-RECOVER-STAGING"))
        try FileManager.default.createSymbolicLink(atPath: staging + "/" + linkName, withDestinationPath: target + "/keep.txt")
        let r = try recover(["repair", source, "--output", root + "/out"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("holds \(linkName), which is a symbolic link"), "\(r.stderr)")
        expectSymlinkVictimUntouched(target)
        #expect(POSIXFileSystem().fileKind(staging + "/" + linkName) == .symbolicLink)
        #expect(POSIXFileSystem().fileKind(root + "/out") == nil)
    }

    @Test(arguments: ["truncate", "force-new-cluster"])
    func inPlaceBackupNameTakenByASymlinkIsSkippedNotFollowed(_ command: String) throws {
        let (root, source, extra) = try raftwal(command, "backup-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: source + ".raft-recover-backup", withDestinationPath: target)
        let r = try recover([command, source, "--in-place"] + extra)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        expectSymlinkVictimUntouched(target)
        #expect(POSIXFileSystem().fileKind(source + ".raft-recover-backup") == .symbolicLink)
        #expect(POSIXFileSystem().fileKind(source + ".raft-recover-backup-2") == .directory)
    }

    /// `--in-place` renames DIR to keep the backup: on a symlink that would
    /// rename the link and leave the directory it names unrepaired.
    @Test(arguments: ["repair", "truncate", "force-new-cluster"])
    func inPlaceOnASymlinkedDirectoryIsRefusedAndNothingRenamed(_ command: String) throws {
        let (root, source, extra) = try raftwal(command, "inplace-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try S.files(source)
        let link = root + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        let r = try recover([command, link, "--in-place"] + extra)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("is a symbolic link: name the directory it points to"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(link) == .symbolicLink)
        #expect(try S.files(source) == before)
        #expect(POSIXFileSystem().fileKind(link + ".raft-recover-backup") == nil)
        #expect(POSIXFileSystem().fileKind(link + ".raft-recover-staging") == nil)
    }

    @Test func extractOntoASymlinkToAnExistingFileLeavesTheFileUnchanged() throws {
        let root = try S.scratch("extract-filelink")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/snap.bin", withDestinationPath: target + "/keep.txt")
        let r = try InspectSupport.run(["snapshots", "Fixtures/healthy", "--extract", "150", "--output", root + "/snap.bin"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("exists (a symbolic link)"), "\(r.stderr)")
        expectSymlinkVictimUntouched(target)
    }

    // MARK: Docker Swarm / etcd directories (the tree staging of ForeignRecover)

    /// The surviving Swarm manager of the quorum-loss fixture, and force-new-cluster's arguments.
    func swarm(_ label: String) throws -> (root: String, dir: String) {
        try W.copy("swarm-quorum-lost/" + W.survivor(), as: "swarm")
    }

    @Test func swarmStagingPathThatIsASymlinkIsRefusedAndItsTargetUntouched() throws {
        let (root, dir) = try swarm("swarm-staging-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/new.raft-recover-staging", withDestinationPath: target)
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("raft-recover-staging exists and is a symbolic link"), "\(r.stderr)")
        expectSymlinkVictimUntouched(target)
        #expect(POSIXFileSystem().fileKind(root + "/new") == nil)
    }

    @Test func swarmLeftoverStagingWithoutTheMarkerIsRefusedUntouched() throws {
        let (root, dir) = try swarm("swarm-staging-foreign")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let staging = root + "/new.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: staging + "/keep.txt"))
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("holds no RAFT-RECOVER-STAGING marker"), "\(r.stderr)")
        expectSymlinkVictimUntouched(staging)
    }

    /// A leftover of this tool (marker present) with a symlinked directory
    /// inside where the result's `raft/` tree goes: emptying it would have
    /// recursed through the link.
    @Test func swarmLeftoverStagingHoldingASymlinkedDirectoryIsRefusedAndItsTargetUntouched() throws {
        let (root, dir) = try swarm("swarm-staging-inner-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        let staging = root + "/new.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging + "/certificates", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: staging + "/RAFT-RECOVER-STAGING"))
        try FileManager.default.createSymbolicLink(atPath: staging + "/certificates/raft", withDestinationPath: target)
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("holds certificates/raft, which is a symbolic link"), "\(r.stderr)")
        expectSymlinkVictimUntouched(target)
    }

    @Test func swarmLeftoverStagingOfAnInterruptedRunIsEmptiedAndReused() throws {
        let (root, dir) = try swarm("swarm-staging-own")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let staging = root + "/new.raft-recover-staging"
        try FileManager.default.createDirectory(atPath: staging + "/raft", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: staging + "/RAFT-RECOVER-STAGING"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: staging + "/raft/half-written.tmp"))
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let result = try W.tree(root + "/new")
        #expect(result["raft/half-written.tmp"] == nil && result["RAFT-RECOVER-STAGING"] == nil, "\(result.keys.sorted())")
        #expect(result["raft-recover-report.json"] != nil)
        #expect(POSIXFileSystem().fileKind(staging) == nil)
    }

    @Test func swarmOutputThatIsADanglingSymlinkIsRefusedBeforeAnythingIsBuilt() throws {
        let (root, dir) = try swarm("swarm-out-dangling")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/new", withDestinationPath: root + "/elsewhere")
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("already exists"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(root + "/elsewhere") == nil)
        #expect(POSIXFileSystem().fileKind(root + "/new.raft-recover-staging") == nil, "no staging left behind")
    }

    @Test func swarmOutputThatIsASymlinkToADirectoryIsRefusedAndTheDirectoryUntouched() throws {
        let (root, dir) = try swarm("swarm-out-dirlink")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try symlinkVictim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/new", withDestinationPath: target)
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        expectSymlinkVictimUntouched(target)
    }

    @Test func swarmInPlaceOnASymlinkedDirectoryIsRefusedAndNothingRenamed() throws {
        let (root, dir) = try swarm("swarm-inplace-link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try W.tree(dir)
        let link = root + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir)
        let r = try recover(["force-new-cluster", link, "--in-place"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("is a symbolic link: name the directory it points to"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(link) == .symbolicLink)
        #expect(try W.tree(dir) == before)
        #expect(POSIXFileSystem().fileKind(link + ".raft-recover-backup") == nil)
    }

    /// A symlinked directory inside the source tree (here one pointing at
    /// `..`, which a following walk never leaves) is not carried, not followed.
    @Test func swarmSourceHoldingASymlinkToItsParentIsCopiedWithoutFollowingIt() throws {
        let (root, dir) = try swarm("swarm-source-loop")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/certificates/loop", withDestinationPath: "..")
        let r = try recover(["force-new-cluster", dir, "--output", root + "/new"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("certificates/loop is not a regular file"), "\(r.stdout)")
        #expect(POSIXFileSystem().fileKind(root + "/new/certificates/loop") == nil)
        #expect(POSIXFileSystem().fileKind(root + "/new/certificates") == .directory)
    }
}
