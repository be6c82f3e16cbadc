import Foundation
import RaftInterop
import RaftWAL
import RaftWALTools
import Testing

#if canImport(Glibc)
import Glibc
#endif

private typealias W = SwarmRecoverSupport

/// raft-recover force-new-cluster and repair on real Docker Swarm 20.10
/// manager directories (`Fixtures/interop`), read back with the project's
/// own reader of those files.
@Suite struct RecoverSwarmTests {
    static let walRel = "raft/wal-v3-encrypted"

    func forceNewCluster(_ dir: String, _ target: OutputTarget, dryRun: Bool = false, unlockKey: String? = nil,
                         kind: SourceKind? = nil) throws(RecoverError) -> RecoverReport {
        try ForeignRecover(source: dir, command: .forceNewCluster, options: W.options(target, dryRun: dryRun),
                           kind: kind, unlockKey: unlockKey).run()
    }

    // MARK: force-new-cluster on the quorum-lost survivor

    @Test func forceNewClusterLeavesTheSurvivorAsTheOnlyVoterAndListsTheRemovedManagers() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.read(dir)
        let me = try #require(before.identity.raftID)
        let others = before.membership(at: before.hardState!.commit).members.map(\.raftID).filter { $0 != me }
        #expect(others.count == 2)

        let report = try forceNewCluster(dir, .directory(root + "/new"))
        #expect(report.outcome == .done)
        let after = try W.read(root + "/new")
        #expect(after.damage.isEmpty)
        let hs = try #require(after.hardState)
        let view = after.membership(at: hs.commit)
        #expect(view.members.map(\.raftID) == [me])
        #expect(Set(view.removed) == Set(others))
        #expect(hs.vote == me)
        #expect(hs.commit == after.lastIndex)
        #expect(hs.term == before.hardState!.term + 1)
        #expect(report.added.count == 2)
        #expect(Set(report.membershipBefore.map(\.raftID)) == Set(others + [me]))
        #expect(report.membershipAfter.map(\.raftID) == [me])
        // Identity unchanged: metadata, node ID, cluster ID.
        #expect(after.identity.raftID == me)
        #expect(after.identity.nodeID == before.identity.nodeID)
        #expect(after.identity.clusterID == before.identity.clusterID)
    }

    @Test func forceNewClusterKeepsEveryCommittedEntryByteForByteAndDropsTheUncommittedOne() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.read(dir)
        let commit = before.hardState!.commit
        let snap = before.newestValidSnapshot!.index
        let report = try forceNewCluster(dir, .directory(root + "/new"))
        let after = try W.read(root + "/new")

        for i in (snap + 1)...commit {
            let a = try #require(before.entry(at: i)), b = try #require(after.entry(at: i))
            #expect(a.plaintext != nil && a.plaintext == b.plaintext, "entry \(i)")
            #expect(a.term == b.term && a.kind == b.kind, "entry \(i)")
        }
        // The stored entry records (ciphertext and nonce included) are the source's, not re-encrypted.
        var srcRecords = WALRecordBytes(directory: dir), newRecords = WALRecordBytes(directory: root + "/new")
        for i in (snap + 1)...commit {
            let a = before.entry(at: i)!, b = after.entry(at: i)!
            let x = try srcRecords.recordData(file: a.file, offset: a.offset)
            let y = try newRecords.recordData(file: b.file, offset: b.offset)
            #expect(x != nil && x == y, "entry \(i)")
        }
        #expect(report.kept == .init(first: snap + 1, last: commit))
        let uncommitted = before.entries.filter { $0.index > commit }.map(\.index)
        #expect(!uncommitted.isEmpty)
        #expect(report.dropped.map(\.index) == uncommitted)
        #expect(report.dropped.allSatisfy { !$0.committed })
        #expect(!report.droppedIncludesCommitted)
        // The new conf changes follow the commit and open with the node's DEK to RemoveNode, no context.
        for (k, added) in report.added.enumerated() {
            let e = try #require(after.entry(at: commit + 1 + UInt64(k)))
            #expect(e.kind == .confChange && e.term == added.term)
            let c = try #require(after.confChanges(e)?.first)
            #expect(c.type == .remove && c.noContext && c.id == 0)
        }
    }

    @Test func forceNewClusterCopiesCertificatesKeysAndStateFilesByteForByte() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        _ = try forceNewCluster(dir, .directory(root + "/new"))
        let src = try W.tree(dir), out = try W.tree(root + "/new")
        for (rel, bytes) in src where !rel.hasPrefix("raft/wal-v3-encrypted/") {
            #expect(out[rel] == bytes, "\(rel)")
        }
        #expect(out.keys.filter { $0.hasPrefix(Self.walRel + "/") } == [Self.walRel + "/0000000000000000-0000000000000032.wal"])
        #expect(out["raft-recover-report.json"] != nil)
    }

    @Test func forceNewClusterDryRunWritesNothing() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.tree(root)
        let report = try forceNewCluster(dir, .directory(root + "/new"), dryRun: true)
        #expect(report.outcome == .planned)
        #expect(report.added.count == 2 && report.dropped.count == 1)
        #expect(try W.tree(root) == before)
        #expect(!FileManager.default.fileExists(atPath: root + "/new"))
        let inPlace = try forceNewCluster(dir, .inPlace, dryRun: true)
        #expect(inPlace.outcome == .planned)
        #expect(try W.tree(root) == before)
    }

    @Test func forceNewClusterWithOutputLeavesTheSourceUnchangedAndARerunIsAlreadyDone() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.tree(dir)
        _ = try forceNewCluster(dir, .directory(root + "/new"))
        #expect(try W.tree(dir) == before)
        let result = try W.tree(root + "/new")
        let again = try forceNewCluster(dir, .directory(root + "/new"))
        #expect(again.outcome == .alreadyDone)
        #expect(try W.tree(root + "/new") == result)
    }

    @Test func forceNewClusterInPlaceKeepsTheWholeOriginalAsBackup() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.tree(dir)
        let report = try forceNewCluster(dir, .inPlace)
        #expect(report.backup == dir + ".raft-recover-backup")
        #expect(try W.tree(dir + ".raft-recover-backup") == before)
        #expect(try W.read(dir).membership(at: report.resultHardState!.commit).members.count == 1)
        let again = try forceNewCluster(dir, .inPlace)
        #expect(again.outcome == .alreadyDone)
        #expect(!FileManager.default.fileExists(atPath: dir + ".raft-recover-backup-2"))
        _ = root
    }

    @Test func forceNewClusterAcceptsTheDockerDataRootAboveTheSwarmDirectory() throws {
        let (root, _) = try W.copy("swarm-quorum-lost/" + W.survivor(), as: "docker/swarm")
        let report = try forceNewCluster(root + "/docker", .directory(root + "/new-swarm"))
        #expect(report.source == root + "/docker/swarm")
        #expect(try W.read(root + "/new-swarm").membership(at: report.resultHardState!.commit).members.count == 1)
    }

    /// dockerd (etcd's WAL) holds an OFD write lock on every WAL file it has open.
    @Test func forceNewClusterRefusesWhileAProcessHoldsTheWALLock() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let wal = dir + "/" + Self.walRel + "/0000000000000000-0000000000000000.wal"
        let fd = open(wal, O_RDWR)
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        #expect(fcntl(fd, 37 /* F_OFD_SETLK */, &lock) == 0)
        let before = try W.tree(root)
        let error = W.failure { () throws(RecoverError) in try forceNewCluster(dir, .directory(root + "/new")) }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("systemctl stop docker") == true)
        #expect(error?.description.contains("0000000000000000-0000000000000000.wal") == true)
        #expect(try W.tree(root) == before)
        // Released: the same command runs.
        lock.l_type = Int16(F_UNLCK)
        _ = fcntl(fd, 37, &lock)
        #expect(try forceNewCluster(dir, .directory(root + "/new")).outcome == .done)
    }

    @Test func forceNewClusterRefusesAnExistingOutput() throws {
        let (root, dir) = try W.copy("swarm-single")
        try FileManager.default.createDirectory(atPath: root + "/taken", withIntermediateDirectories: true)
        let error = W.failure { () throws(RecoverError) in try forceNewCluster(dir, .directory(root + "/taken")) }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("already exists") == true)
    }

    @Test func forceNewClusterOnASingleManagerWritesNoConfChangeButANewTerm() throws {
        let (root, dir) = try W.copy("swarm-single")
        let before = try W.read(dir)
        let report = try forceNewCluster(dir, .directory(root + "/new"))
        #expect(report.added.isEmpty)
        let after = try W.read(root + "/new")
        #expect(after.hardState?.term == before.hardState!.term + 1)
        #expect(after.membership(at: after.lastIndex).members.map(\.raftID) == [before.identity.raftID!])
        #expect(after.lastIndex == before.hardState!.commit)
    }

    // MARK: autolock

    @Test func forceNewClusterOnAnAutolockedSwarmNeedsTheRightUnlockKey() throws {
        let (root, dir) = try W.copy("swarm-autolock")
        let key = try String(contentsOfFile: dir + "/unlock-key.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let old = try String(contentsOfFile: dir + "/unlock-key-before-rotation.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let none = W.failure { () throws(RecoverError) in try forceNewCluster(dir, .directory(root + "/new")) }
        #expect(none?.exitCode == 2)
        #expect(none?.description.contains("--unlock-key") == true)
        let wrong = W.failure { () throws(RecoverError) in try forceNewCluster(dir, .directory(root + "/new"), unlockKey: old) }
        #expect(wrong?.exitCode == 2)
        #expect(wrong?.description.contains("wrong unlock key") == true)
        let report = try forceNewCluster(dir, .directory(root + "/new"), unlockKey: key)
        #expect(report.outcome == .done)
        let after = try W.read(root + "/new", unlockKey: key)
        #expect(after.damage.isEmpty)
        #expect(after.entries.allSatisfy { $0.plaintext != nil })
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/new/certificates/swarm-node.key"))
                == Data(contentsOf: URL(fileURLWithPath: dir + "/certificates/swarm-node.key")))
    }

    // MARK: etcd

    @Test func forceNewClusterOnAnEtcdMemberIsRefusedNamingEtcdsOwnProcedure() throws {
        let (root, dir) = try W.copy("etcd-quorum-lost/member-1", as: "etcd")
        let before = try W.tree(root)
        let error = W.failure { () throws(RecoverError) in try forceNewCluster(dir, .directory(root + "/new")) }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("etcdutl snapshot restore") == true)
        #expect(error?.description.contains("etcd --force-new-cluster") == true)
        #expect(try W.tree(root) == before)
    }
}

/// force-new-cluster's commit index and damage rules on Swarm managers.
@Suite struct RecoverSwarmCommitTests {
    func forceNewCluster(_ dir: String, _ out: String, applied: UInt64? = nil, acceptDataLoss: Bool = false) throws(RecoverError) -> RecoverReport {
        try ForeignRecover(source: dir, command: .forceNewCluster, options: W.options(.directory(out), acceptDataLoss: acceptDataLoss),
                           appliedIndex: applied).run()
    }

    @Test func appliedIndexAboveThePersistedCommitKeepsThoseEntries() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let before = try W.read(dir)
        let last = before.entries.last!.index
        #expect(last == before.hardState!.commit + 1)
        let report = try forceNewCluster(dir, root + "/new", applied: last)
        #expect(report.commitIndex == last)
        #expect(report.dropped.isEmpty)
        #expect(report.added.first?.index == last + 1)
        let after = try W.read(root + "/new")
        #expect(after.entry(at: last)?.plaintext == before.entry(at: last)?.plaintext)
        #expect(after.hardState?.commit == last + 2)
    }

    @Test func appliedIndexBeyondTheLogIsAUsageError() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let error = W.failure { () throws(RecoverError) in try forceNewCluster(dir, root + "/new", applied: 1000) }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("--applied-index 1000") == true)
    }

    /// dockerd refuses this WAL; force-new-cluster carries it in one go (the damage is covered by the snapshot).
    @Test func forceNewClusterOnAWALDamagedBelowTheSnapshotLosesNothing() throws {
        let (root, dir) = try W.copy("damaged/swarm-crc-covered")
        let report = try forceNewCluster(dir, root + "/new")
        #expect(report.outcome == .done && !report.droppedIncludesCommitted)
        #expect(try W.read(root + "/new").damage.isEmpty)
    }

    @Test func forceNewClusterOnCommittedDamageIsRefusedWithExit1UnlessDataLossIsAccepted() throws {
        let (root, dir) = try W.copy("damaged/swarm-crc-uncovered")
        let refused = try forceNewCluster(dir, root + "/new")
        #expect(refused.outcome == .refused && refused.exitStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: root + "/new"))
        let done = try forceNewCluster(dir, root + "/new", acceptDataLoss: true)
        #expect(done.outcome == .done)
        let after = try W.read(root + "/new")
        #expect(after.damage.isEmpty)
        #expect(after.hardState?.commit == after.lastIndex)
    }
}

/// The `raft-recover` executable on Swarm and etcd directories: the CLI the
/// shell proof (`Tools/swarm-recover-proof`) calls.
@Suite struct RecoverSwarmCLITests {
    func run(_ args: [String]) throws -> ToolProcess.Run {
        try ToolProcess.run(try #require(RecoverCLITests.executable, "raft-recover is not built next to the tests"), args)
    }

    @Test func forceNewClusterOnASwarmDirectoryPrintsTheJSONReportItWrites() throws {
        let (root, dir) = try W.copy("swarm-quorum-lost/" + W.survivor())
        let r = try run(["force-new-cluster", dir, "--output", root + "/new", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: root + "/new/raft-recover-report.json", encoding: .utf8) == r.stdout)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(report["sourceKind"] as? String == "swarm")
        #expect((report["membershipAfter"] as? [Any])?.count == 1)
        #expect((report["added"] as? [Any])?.count == 2)
    }

    @Test func exitStatusesOnSwarmAndEtcdDirectories() throws {
        let (root, _) = try W.copy("damaged/swarm-crc-uncovered")
        let refused = try run(["repair", root + "/swarm", "--output", root + "/out"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("REFUSED") && refused.stdout.contains("COMMITTED"))
        let (eroot, edir) = try W.copy("etcd-single", as: "etcd")
        let etcd = try run(["force-new-cluster", edir, "--output", eroot + "/new"])
        #expect(etcd.status == 2)
        #expect(etcd.stderr.contains("etcdutl snapshot restore"))
        let (aroot, adir) = try W.copy("swarm-autolock")
        let locked = try run(["force-new-cluster", adir, "--output", aroot + "/new", "--dry-run"])
        #expect(locked.status == 2)
        #expect(locked.stderr.contains("--unlock-key"))
        let key = try String(contentsOfFile: adir + "/unlock-key.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let unlocked = try run(["force-new-cluster", adir, "--output", aroot + "/new", "--dry-run", "--unlock-key", key, "--source", "swarm"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: aroot + "/new"))
    }
}

/// A dockerd that runs on the data root is found even before it locks the WAL.
@Suite struct RecoverSwarmDaemonTests {
    @Test func forceNewClusterRefusesWhileADockerdRunsWithThisDataRoot() throws {
        let (root, _) = try W.copy("swarm-quorum-lost/" + W.survivor(), as: "docker/swarm")
        // A stand-in process named dockerd (its comm) whose command line names the data root.
        let fake = root + "/bin/dockerd"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path, toPath: fake)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: fake)
        // `read` waits on a pipe inside the shell itself (no child process); closing the pipe ends it
        // (signals may be blocked in a process the test runner spawns).
        p.arguments = ["-c", "read line; :", "--data-root", root + "/docker"]
        let stdin = Pipe()
        p.standardInput = stdin
        try p.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            p.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let error = W.failure { () throws(RecoverError) in
            try ForeignRecover(source: root + "/docker/swarm", command: .forceNewCluster, options: W.options(.directory(root + "/new"))).run()
        }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("dockerd (pid \(p.processIdentifier))") == true)
        #expect(error?.description.contains("systemctl stop docker") == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/new"))
    }
}
