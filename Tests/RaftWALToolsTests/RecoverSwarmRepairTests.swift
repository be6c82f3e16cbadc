import Foundation
import RaftInterop
import RaftWAL
import RaftWALTools
import Testing

private typealias W = SwarmRecoverSupport

/// raft-recover repair on the damaged copies of real Swarm and etcd
/// directories (`Fixtures/interop/damaged`, offsets in each `DAMAGE.json`).
@Suite struct RecoverSwarmRepairTests {
    func repair(_ dir: String, _ target: OutputTarget, acceptDataLoss: Bool = false, dryRun: Bool = false) throws(RecoverError) -> RecoverReport {
        try ForeignRecover(source: dir, command: .repair, options: W.options(target, dryRun: dryRun, acceptDataLoss: acceptDataLoss)).run()
    }

    static func damage(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: W.base + "/damaged/" + name + "/DAMAGE.json"))) as! [String: Any]
    }

    /// Plaintext of every live entry above `from`, by index.
    func plaintexts(_ s: LogSource, above from: UInt64) -> [UInt64: Data] {
        var out: [UInt64: Data] = [:]
        for e in s.entries where e.index > from { out[e.index] = e.plaintext }
        return out
    }

    /// Docker 20.10 gives up on this one ("irreparable WAL error: walpb: crc mismatch"); nothing committed is lost.
    @Test func aCRCErrorInAnEntryTheSnapshotCoversIsRepairedWithoutDataLoss() throws {
        let (root, dir) = try W.copy("damaged/swarm-crc-covered")
        let before = try W.read(dir)
        #expect(!before.damage.isEmpty)
        let walFile = try Self.damage("swarm-crc-covered")["file"] as! String
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + walFile))
        let report = try repair(dir, .directory(root + "/out"))
        #expect(report.outcome == .done)
        #expect(!report.droppedIncludesCommitted && report.dropped.isEmpty)
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty)
        #expect(after.hardState?.commit == before.hardState?.commit)
        let snap = after.newestValidSnapshot!.index
        #expect(plaintexts(after, above: snap) == plaintexts(before, above: snap))
        #expect(after.lastIndex == before.lastIndex)
        // Every byte of the old WAL is kept beside the new one, as etcd's repair does.
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/out/" + walFile + ".broken")) == original)
    }

    @Test func damageInCommittedEntriesNoSnapshotCoversIsRefusedWithEveryDroppedIndexListed() throws {
        let (root, dir) = try W.copy("damaged/swarm-crc-uncovered")
        let index = try (Self.damage("swarm-crc-uncovered")["index"] as! NSNumber).uint64Value
        let before = try W.tree(root)
        let refused = try repair(dir, .directory(root + "/out"))
        #expect(refused.outcome == .refused)
        #expect(refused.exitStatus == 1)
        #expect(refused.droppedIncludesCommitted)
        #expect(refused.droppedRanges == [.init(first: index, last: index)])
        #expect(refused.dropped.map(\.index) == Array((index + 1)...55))
        #expect(refused.dropped.allSatisfy { $0.committed })
        #expect(refused.refusal?.contains("--accept-data-loss") == true)
        #expect(try W.tree(root) == before)

        let cut = try repair(dir, .directory(root + "/out"), acceptDataLoss: true)
        #expect(cut.outcome == .done)
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty)
        #expect(after.lastIndex == index - 1)
        #expect(after.hardState?.commit == index - 1)
    }

    @Test func aTornLastRecordIsCutAsDockerWouldAndNothingCommittedIsLost() throws {
        let (root, dir) = try W.copy("damaged/swarm-torn-tail")
        let before = try W.read(dir)
        let report = try repair(dir, .directory(root + "/out"))
        #expect(report.outcome == .done)
        #expect(!report.droppedIncludesCommitted)
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty && after.notices.isEmpty)
        #expect(after.lastIndex == before.entries.last!.index)
        #expect(after.hardState?.commit == before.hardState?.commit)
    }

    @Test func aLengthWordPastTheEndOfTheFileIsSkippedAndTheFramesAfterItKept() throws {
        let (root, dir) = try W.copy("damaged/swarm-length-beyond-eof")
        let before = try W.read(dir)
        let report = try repair(dir, .directory(root + "/out"))
        #expect(report.outcome == .done && !report.droppedIncludesCommitted)
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty)
        let snap = after.newestValidSnapshot!.index
        #expect(plaintexts(after, above: snap) == plaintexts(before, above: snap))
    }

    @Test func aDamagedNewestSnapshotIsKeptAsBrokenAndTheLogRestartsAtTheOlderOne() throws {
        let (root, dir) = try W.copy("damaged/swarm-damaged-snap")
        let file = try Self.damage("swarm-damaged-snap")["file"] as! String
        let report = try repair(dir, .directory(root + "/out"))
        #expect(report.outcome == .done && !report.droppedIncludesCommitted)
        #expect(report.snapshot?.index == 20)
        #expect(FileManager.default.fileExists(atPath: root + "/out/" + file + ".broken"))
        #expect(!FileManager.default.fileExists(atPath: root + "/out/" + file))
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty)
        #expect(after.lastIndex == 55)
    }

    @Test func aHealthyManagerHasNothingToRepairAndNothingIsWritten() throws {
        let (root, dir) = try W.copy("swarm-single")
        let before = try W.tree(root)
        let report = try repair(dir, .inPlace)
        #expect(report.outcome == .nothingToDo)
        #expect(try W.tree(root) == before)
    }

    @Test func repairInPlaceKeepsTheWholeOriginalAsBackup() throws {
        let (_, dir) = try W.copy("damaged/swarm-crc-covered")
        let before = try W.tree(dir)
        let report = try repair(dir, .inPlace)
        #expect(report.outcome == .done)
        #expect(try W.tree(dir + ".raft-recover-backup") == before)
        #expect(try W.read(dir).damage.isEmpty)
    }

    @Test func repairDryRunWritesNothing() throws {
        let (root, dir) = try W.copy("damaged/swarm-crc-covered")
        let before = try W.tree(root)
        let report = try repair(dir, .inPlace, dryRun: true)
        #expect(report.outcome == .planned)
        #expect(try W.tree(root) == before)
    }

    @Test func aSwarmWithNoWALFileIsRefusedAsDamage() throws {
        let (root, dir) = try W.copy("damaged/swarm-missing-wal")
        let error = W.failure { () throws(RecoverError) in try repair(dir, .directory(root + "/out")) }
        #expect(error?.exitCode == 1)
        #expect(error?.description.contains("metadata") == true)
    }

    @Test(arguments: ["etcd-crc-mismatch", "etcd-torn-tail", "etcd-damaged-snap"])
    func anEtcdMembersWALIsRepairedWithItsDatabaseCopied(_ name: String) throws {
        let (root, dir) = try W.copy("damaged/" + name, as: "etcd")
        let before = try W.read(dir)
        let report = try repair(dir, .directory(root + "/out"))
        #expect(report.outcome == .done && !report.droppedIncludesCommitted)
        let after = try W.read(root + "/out")
        #expect(after.damage.isEmpty)
        #expect(after.identity.raftID == before.identity.raftID && after.identity.clusterID == before.identity.clusterID)
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/out/member/snap/db")) == Data(contentsOf: URL(fileURLWithPath: dir + "/member/snap/db")))
        let snap = after.newestValidSnapshot!.index
        #expect(plaintexts(after, above: snap) == plaintexts(before, above: snap).filter { $0.key <= after.lastIndex })
    }
}
