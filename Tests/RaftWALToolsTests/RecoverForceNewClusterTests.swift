import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// `raft-recover force-new-cluster` on each surviving member's directory
/// (`SurvivorFixtures`): the checks the issue's "Done when" lists.
@Suite struct RecoverForceNewClusterTests {
    @Test(arguments: SurvivorFixtures.specs.map(\.name))
    func resultHoldsTheSurvivorAloneWithEveryCommittedEntryAndANewEpoch(fixture: String) throws {
        let (root, source) = try S.survivor(fixture)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try S.files(source)
        let output = root + "/new"

        let report = try ForceNewCluster(source: source, options: S.options(.directory(output))).run()
        #expect(report.outcome == .done)
        #expect(try S.files(source) == before, "the source is never changed")

        let old = try S.open(source)
        defer { old.close() }
        let new = try S.open(output)
        defer { new.close() }
        let me = SurvivorFixtures.survivor

        // A new identity: same member, new cluster, next epoch.
        #expect(new.identity.memberID == me)
        #expect(new.identity.epoch == old.identity.epoch + 1)
        #expect(new.identity.clusterID != old.identity.clusterID)

        // One voter, no learner, committed.
        let members = try new.membership()
        #expect(members.voters.map(\.raftID) == [me])
        #expect(members.learners.isEmpty)
        #expect(try new.committedMembership() == members)
        #expect(try new.latestSnapshot()?.metadata.membership.sorted.map(\.raftID) == [me])

        // Every committed entry the source holds above the snapshot, byte for byte with its term.
        let commit = report.commitIndex
        #expect(commit >= old.hardState.commit)
        let snapshotIndex = try old.latestSnapshot()?.metadata.index ?? 0
        let from = max(old.firstIndex, snapshotIndex + 1)
        if from <= commit {
            #expect(new.firstIndex <= from)
            #expect(try new.entries(from, commit + 1) == old.entries(from, commit + 1))
        }
        #expect(try new.latestSnapshot()?.data == old.latestSnapshot()?.data)

        // Uncommitted entries: listed in the report, gone from the result.
        let uncommitted = commit < old.lastIndex ? try old.entries(commit + 1, old.lastIndex + 1) : []
        #expect(report.dropped.map(\.index) == uncommitted.map(\.index))
        #expect(report.dropped.allSatisfy { !$0.committed })
        for e in uncommitted where e.index <= new.lastIndex { #expect(try new.entry(e.index) != e) }

        // The new term's entries and hard state.
        let added = try new.entries(commit + 1, new.lastIndex + 1)
        #expect(added.count == report.added.count)
        #expect(added.allSatisfy { $0.term > old.hardState.term && $0.kind == .confChange })
        #expect(new.hardState.term > old.hardState.term)
        #expect(new.hardState.vote == me)
        #expect(new.hardState.commit == new.lastIndex)

        // The report is also in the result, for the audit trail.
        let written = try Data(contentsOf: URL(fileURLWithPath: output + "/raft-recover-report.json"))
        #expect(RecoverReport.decode(Array(written)) == report)
    }

    @Test func learnersAreRemovedWhetherInTheSnapshotOrAddedAfterIt() throws {
        let (root, source) = try S.survivor("survivor-learners")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new"))).run()
        #expect(report.membershipBefore.filter { $0.role == "learner" }.map(\.raftID) == [4, 5])
        #expect(report.added.map(\.change) == ["remove 1 (manager-1)", "remove 3 (manager-3)", "remove 4 (manager-4)", "remove 5 (manager-5)"])
        #expect(report.kept == .init(first: 1, last: SurvivorFixtures.commitIndex), "nothing was compacted, so entries from 1 are kept")
    }

    @Test func aSurvivingLearnerIsPromotedBeforeAnyoneIsRemoved() throws {
        let (root, source) = try S.survivor("survivor-learners")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new")), member: 4).run()
        #expect(report.added.first?.change == "promote learner 4 (manager-4)")
        let new = try S.open(root + "/new")
        #expect(try new.membership().voters.map(\.raftID) == [4])
        #expect(try new.membership().learners.isEmpty)
    }

    @Test func aSnapshotAheadOfTheLogRaisesTheCommitIndexToIt() throws {
        let (root, source) = try S.survivor("survivor-snapshot-ahead")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new"))).run()
        let ahead = SurvivorFixtures.aheadSnapshot
        #expect(report.commitIndex == ahead.index)
        #expect(report.kept == nil)
        #expect(report.added.map(\.index) == [ahead.index + 1, ahead.index + 2])
        #expect(report.added.allSatisfy { $0.term == ahead.term + 1 })
        #expect(report.sourceLabels.contains(RecoveryLabel.snapshotAheadOfLog.rawValue))
    }

    @Test func aTornTailIsReportedAsDroppedAndNotCarried() throws {
        let (root, source) = try S.survivor("survivor-torn-tail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new"))).run()
        #expect(report.droppedRanges == [.init(first: 196, last: 200)])
        #expect(report.dropped.map(\.index) == Array(191...195))
        #expect(report.sourceLabels == [RecoveryLabel.tornTail.rawValue])
    }

    @Test func raftInspectMembersShowsOneVoter() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = root + "/new"
        _ = try ForceNewCluster(source: source, options: S.options(.directory(output))).run()
        var printed = ""
        let out = Output(out: { printed += $0 + "\n" }, err: { _ in })
        _ = try Inspect.members(directory: output, format: .json, output: out)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any])
        let asOfCommit = try #require(json["asOfCommitIndex"] as? [String: Any])
        let members = try #require(asOfCommit["members"] as? [[String: Any]])
        #expect(members.count == 1)
        #expect(members.first?["role"] as? String == "voter")
        #expect((members.first?["raftID"] as? NSNumber)?.uint64Value == SurvivorFixtures.survivor)
    }

    @Test func filesFromBeforeTheRecoveryAreRefusedByTheNewLog() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = root + "/new"
        _ = try ForceNewCluster(source: source, options: S.options(.directory(output))).run()
        // An operator copies the old member's snapshot over the new one (same name: same index and term).
        let snap = FileNames.snapshot(index: SurvivorFixtures.snapshotIndex, term: 2)
        try FileManager.default.removeItem(atPath: output + "/" + snap)
        try FileManager.default.copyItem(atPath: source + "/" + snap, toPath: output + "/" + snap)
        let error = #expect(throws: WALError.self, "a snapshot of the old cluster is foreign to the new one") {
            try RaftLog.open(directory: output, options: .readOnly)
        }
        // Refused as damage: the log starts after the old snapshot's index, and the
        // only snapshot that could cover the entries before it is another log's.
        guard case let .corrupted(file, _, _, reason, _)? = error else {
            Issue.record("refused with \(String(describing: error)), not as damage naming the snapshot")
            return
        }
        #expect((file.hasSuffix(snap) || reason.contains(snap)) && reason.contains("not this log"), "\(file): \(reason)")
    }

    @Test func droppedConfigurationChangesAreNamedInTheReport() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new"), dryRun: true)).run()
        #expect(report.dropped.first { $0.index == 195 }?.change == "addVoter 4 (manager-4)")
        #expect(report.text().contains("195 term 2 confChange 38 bytes: addVoter 4 (manager-4)"))
    }

    @Test func dryRunPrintsThePlanAndWritesNothing() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new"), dryRun: true)).run()
        #expect(report.outcome == .planned)
        #expect(report.dropped.count == 10)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == before)
    }

    @Test func inPlaceKeepsTheOriginalAsABackupAndARerunChangesNothing() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let original = try S.files(source)
        let report = try ForceNewCluster(source: source, options: S.options(.inPlace)).run()
        let backup = try #require(report.backup)
        #expect(try S.files(backup) == original)
        #expect(try S.open(source).identity.epoch == 2)
        let result = try S.digest(source)
        let again = try ForceNewCluster(source: source, options: S.options(.inPlace)).run()
        #expect(again.outcome == .alreadyDone)
        #expect(try S.digest(source) == result)
    }

    @Test func anOutputMadeFromAnEarlierStateOfTheSourceIsNotReportedAsDone() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = root + "/new"
        _ = try ForceNewCluster(source: source, options: S.options(.directory(output))).run()
        #expect(try ForceNewCluster(source: source, options: S.options(.directory(output))).run().outcome == .alreadyDone)
        let log = try RaftLog.open(directory: source, options: SurvivorFixtures.options(keepEntries: 20))
        try log.append([Entry(index: 201, term: 2, data: [1])])
        log.close()
        let again = S.failure { () throws(RecoverError) in try ForceNewCluster(source: source, options: S.options(.directory(output))).run() }
        #expect(again?.exitCode == 2)
    }

    @Test func memberFlagChoosesWhoSurvivesAndAnUnknownMemberIsAUsageError() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let unknown = S.failure { () throws(RecoverError) in
            try ForceNewCluster(source: source, options: S.options(.directory(root + "/a")), member: 9).run()
        }
        #expect(unknown?.exitCode == 2)
        _ = try ForceNewCluster(source: source, options: S.options(.directory(root + "/b")), member: 3).run()
        let new = try S.open(root + "/b")
        #expect(new.identity.memberID == 3)
        #expect(try new.membership().voters.map(\.raftID) == [3])
    }

    @Test func appliedIndexAboveTheCommitKeepsThoseEntries() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try ForceNewCluster(source: source, options: S.options(.directory(root + "/new")), appliedIndex: 194).run()
        #expect(report.commitIndex == 194)
        #expect(report.dropped.map(\.index) == Array(195...200))
        let old = try S.open(source), new = try S.open(root + "/new")
        #expect(try new.entries(191, 195) == old.entries(191, 195))
        let beyond = S.failure { () throws(RecoverError) in
            try ForceNewCluster(source: source, options: S.options(.directory(root + "/x")), appliedIndex: 999).run()
        }
        #expect(beyond?.exitCode == 2)
    }

    @Test func notALogLockedOrTakenOutputIsExitTwoAndDamageIsExitOne() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        func code(_ src: String, _ target: OutputTarget) -> Int32? {
            S.failure { () throws(RecoverError) in try ForceNewCluster(source: src, options: S.options(target)).run() }?.exitCode
        }
        let empty = root + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(code(empty, .directory(root + "/o1")) == 2)
        #expect(code(root + "/missing", .directory(root + "/o2")) == 2)
        #expect(code(source, .directory(empty)) == 2, "an existing output is never overwritten")
        #expect(code(source, .directory(source + "/new")) == 2, "an output inside the source would change it")
        #expect(code(root + "/.", .inPlace) == 2, "in place needs a directory it can rename")

        let live = root + "/live"
        try Damage.copyDirectory(source, to: live)
        let running = try RaftLog.open(directory: live, options: SurvivorFixtures.options(keepEntries: 20))
        #expect(code(live, .directory(root + "/o3")) == 2, "a directory a process holds is refused")
        running.close()

        let damaged = root + "/damaged"
        try Damage.copyDirectory(source, to: damaged)
        let tail = try DirectoryListing(directory: damaged).segments.last!.name
        let records = try Damage.records(directory: damaged, segment: tail)
        let victim = records.filter { $0.type == .batch }.dropLast(1).last!
        try Damage.flipBit(damaged + "/" + tail, offset: victim.offset + UInt64(victim.recordBytes) - 9, bit: 5)
        #expect(code(damaged, .directory(root + "/o4")) == 1)
        #expect(!FileManager.default.fileExists(atPath: root + "/o4"), "no partial output")
    }
}
