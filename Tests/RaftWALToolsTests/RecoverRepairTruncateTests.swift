import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// `raft-recover repair` and `raft-recover truncate`.
@Suite struct RecoverRepairTruncateTests {
    /// Flips a bit in a committed record of the last segment that valid records follow.
    func corruptCommittedRecord(_ dir: String) throws -> ClosedRange<UInt64> {
        let tail = try DirectoryListing(directory: dir).segments.last!.name
        let batches = try Damage.records(directory: dir, segment: tail).filter { $0.type == .batch }
        let victim = try #require(batches.last { $0.indexes!.upperBound <= SurvivorFixtures.commitIndex && $0.offset < batches.last!.offset })
        try Damage.flipBit(dir + "/" + tail, offset: victim.offset + UInt64(victim.recordBytes) - 9, bit: 5)
        return victim.indexes!
    }

    @Test func repairCutsATornTailKeepingEveryRemovedByte() throws {
        let (root, source) = try S.survivor("survivor-torn-tail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let original = try S.files(source)
        let report = try Repair(source: source, options: S.options(.inPlace)).run()
        #expect(report.outcome == .done)
        #expect(report.droppedRanges == [.init(first: 196, last: 200)])
        #expect(!report.droppedIncludesCommitted)
        let backup = try #require(report.backup)
        #expect(try S.files(backup) == original, "the whole original is kept")
        let repaired = try S.open(source)
        #expect(repaired.recoveryReport.labels == [.clean])
        #expect(repaired.lastIndex == 195)
        let tornName = try #require(report.backupFiles.first { $0.contains(".torn-") })
        #expect(FileManager.default.fileExists(atPath: source + "/" + tornName))
        let again = try Repair(source: source, options: S.options(.inPlace)).run()
        #expect(again.outcome == .nothingToDo)
    }

    @Test func repairRefusesToDropCommittedEntriesUnlessAccepted() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let damaged = try corruptCommittedRecord(source)
        let before = try S.files(source)
        let refused = try Repair(source: source, options: S.options(.directory(root + "/out"))).run()
        #expect(refused.outcome == .refused)
        #expect(refused.exitStatus == 1)
        #expect(refused.droppedIncludesCommitted)
        #expect(refused.droppedRanges.first?.first == damaged.lowerBound)
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))

        let done = try Repair(source: source, options: S.options(.directory(root + "/out"), acceptDataLoss: true)).run()
        #expect(done.outcome == .done)
        #expect(try S.files(source) == before, "--output leaves the source as it was")
        #expect(done.backupFiles.contains { $0.hasSuffix(".broken") })
        let repaired = try S.open(root + "/out")
        #expect(repaired.lastIndex == damaged.lowerBound - 1)
    }

    @Test func repairOfAHealthyLogDoesNothing() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try Repair(source: source, options: S.options(.inPlace)).run()
        #expect(report.outcome == .nothingToDo)
        #expect(report.backup == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["survivor-voters"])
    }

    @Test func truncateDropsTheUncommittedTailAndKeepsTheRestByteForByte() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try S.digest(source)
        let report = try Truncate(source: source, after: 195, options: S.options(.inPlace)).run()
        #expect(report.outcome == .done)
        #expect(report.dropped.map(\.index) == Array(196...200))
        #expect(!report.droppedIncludesCommitted)
        let after = try S.digest(source)
        #expect(after.identity == before.identity)
        #expect(after.hardState == before.hardState)
        #expect(after.lastIndex == 195)
        #expect(after.snapshot == before.snapshot)
        #expect(after.entries == before.entries.filter { $0.index >= after.firstIndex && $0.index <= 195 })
    }

    /// `heal-member` has a record damaged inside a sealed segment (indexes
    /// 116...120), which the engine's open trusts: truncate and
    /// force-new-cluster meet it only when they copy it. That is damage in the
    /// source (exit 1, with what to do), not a failed write that a re-run
    /// would fix (exit 2, "re-run the command", as it was); nothing is
    /// presented and the source is untouched.
    @Test(arguments: ["truncate", "force-new-cluster"])
    func anEntryToCopyThatDoesNotReadIsDamageNotAWriteToRetry(_ command: String) throws {
        let root = try S.scratch("unreadable")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/heal-member", output = root + "/out"
        try HealFixtures.build("heal-member", into: source)
        let before = try S.files(source)
        let failure = S.failure { () throws(RecoverError) in
            command == "truncate"
                ? try Truncate(source: source, after: 195, options: S.options(.directory(output))).run()
                : try ForceNewCluster(source: source, options: S.options(.directory(output))).run()
        }
        guard case .damage(.corrupted(let file, let offset, let indexes, _, _), let advice)? = failure else {
            Issue.record("expected damage naming the unreadable record, got \(String(describing: failure))")
            return
        }
        #expect(failure?.exitCode == 1)
        #expect(file.hasSuffix("0000000000000002-000000000000005b.seg"))
        #expect(offset == 5168)
        #expect(indexes == 116...120)
        #expect(advice.contains("raft-recover repair") && advice.contains("heal"))
        #expect(!FileManager.default.fileExists(atPath: output), "nothing is presented")
        #expect(try S.files(source) == before)
    }

    @Test func truncateBelowTheCommitIsRefusedUnlessAcceptedAndNeverBelowTheSnapshot() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let refused = try Truncate(source: source, after: 185, options: S.options(.inPlace)).run()
        #expect(refused.outcome == .refused)
        #expect(refused.exitStatus == 2)
        #expect(refused.dropped.filter(\.committed).map(\.index) == Array(186...190))
        #expect(try S.open(source).lastIndex == 200, "nothing changed")

        let done = try Truncate(source: source, after: 185, options: S.options(.inPlace, acceptDataLoss: true)).run()
        #expect(done.outcome == .done)
        #expect(try S.open(source).hardState.commit == 185)

        let below = S.failure { () throws(RecoverError) in
            try Truncate(source: source, after: SurvivorFixtures.snapshotIndex - 1, options: S.options(.inPlace, acceptDataLoss: true)).run()
        }
        #expect(below?.exitCode == 2)
    }
}

/// `repair` on every fixture a strict open refuses (`Fixtures/`, made by `make-fixtures`):
/// each cut that loses committed entries is refused until `--accept-data-loss`, and then
/// the result opens strict and clean. None is presented as a loss-free repair.
@Suite struct RecoverRepairDamagedFixtureTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    @Test(arguments: Fixtures.specs.filter(\.refused).map(\.name))
    func repairRefusesCommittedLossThenCutsToAStrictlyCleanLog(fixture: String) throws {
        let root = try S.scratch("repair-" + fixture)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/" + fixture
        try Damage.copyDirectory(Self.shipped + "/" + fixture, to: source)
        let before = try S.files(source)
        let planned: RecoverReport
        do {
            planned = try Repair(source: source, options: S.options(.directory(root + "/out"))).run()
        } catch {
            #expect(error.exitCode == 1, "\(fixture): \(error)")
            #expect(!FileManager.default.fileExists(atPath: root + "/out"))
            return
        }
        #expect(planned.outcome == .refused, "\(fixture) loses committed entries (the healthy log's commit is 215)")
        #expect(planned.exitStatus == 1)
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))

        let done = try Repair(source: source, options: S.options(.directory(root + "/out"), acceptDataLoss: true)).run()
        #expect(done.outcome == .done)
        #expect(done.droppedIncludesCommitted)
        #expect(try S.files(source) == before)
        let result = try RaftLog.open(directory: root + "/out", options: .readOnly)
        #expect(result.recoveryReport.labels == [.clean], "\(fixture)")
        #expect(result.hardState.commit <= result.lastIndex)
        if let first = done.droppedRanges.first { #expect(first.first == result.lastIndex + 1, "\(fixture): the drop starts right after the kept log") }
    }
}
