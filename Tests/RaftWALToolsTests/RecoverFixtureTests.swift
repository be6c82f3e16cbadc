import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// The shipped `Fixtures/survivor-*` directories are what `SurvivorFixtures`
/// builds. `RAFTWAL_WRITE_FIXTURES=1 swift test --filter RecoverFixtureTests`
/// rewrites them (the lead's `make-fixtures` does the same).
@Suite(.serialized) struct RecoverFixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    @Test func shippedSurvivorFixturesAreReproducibleByteForByte() throws {
        if ProcessInfo.processInfo.environment["RAFTWAL_WRITE_FIXTURES"] == "1" {
            try SurvivorFixtures.buildAll(into: Self.root)
        }
        let rebuilt = try RecoverTestSupport.scratch("survivors")
        defer { try? FileManager.default.removeItem(atPath: rebuilt) }
        try SurvivorFixtures.buildAll(into: rebuilt)
        for spec in SurvivorFixtures.specs {
            let shipped = try RecoverTestSupport.files(Self.root + "/" + spec.name)
            #expect(!shipped.isEmpty, "\(spec.name) is missing under Fixtures/")
            #expect(shipped == (try RecoverTestSupport.files(rebuilt + "/" + spec.name)), "\(spec.name) differs from a fresh build")
        }
    }

    @Test func survivorFixturesHoldTheClusterTheyDescribe() throws {
        let voters = try RaftLog.open(directory: Self.root + "/survivor-voters", options: .readOnly)
        #expect(voters.identity.memberID == SurvivorFixtures.survivor)
        #expect(voters.hardState.commit == SurvivorFixtures.commitIndex)
        #expect(voters.lastIndex == SurvivorFixtures.lastIndex)
        #expect(voters.firstIndex > 1)
        #expect(try voters.committedMembership().voters.map(\.raftID) == [1, 2, 3])
        #expect(try voters.membership().voters.map(\.raftID) == [1, 2, 3, 4], "the uncommitted conf change at 195 adds voter 4")
        #expect(try voters.latestSnapshot()?.metadata.membership.voters.count == 3)

        let learners = try RaftLog.open(directory: Self.root + "/survivor-learners", options: .readOnly)
        #expect(try learners.committedMembership().learners.map(\.raftID) == [4, 5])
        #expect(try learners.latestSnapshot()?.metadata.membership.learners.map(\.raftID) == [4])

        let ahead = try RaftLog.open(directory: Self.root + "/survivor-snapshot-ahead", options: .readOnly)
        #expect(ahead.recoveryReport.labels == [.snapshotAheadOfLog])

        let torn = try RaftLog.open(directory: Self.root + "/survivor-torn-tail", options: .readOnly)
        #expect(torn.recoveryReport.tornTail?.claimedIndexes == 196...200)
    }
}
