import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// The shipped `Fixtures/survivor-*` directories are what `SurvivorFixtures`
/// builds. `RAFTWAL_WRITE_FIXTURES=1 swift test --filter RecoverFixtureTests`
/// rewrites them (the lead's `make-fixtures` does the same; the heal fixtures
/// likewise with `--filter shippedHealFixtures`).
@Suite(.serialized) struct RecoverFixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    @Test func shippedSurvivorFixturesAreReproducibleByteForByte() throws {
        try RecoverTestSupport.expectShippedFixturesReproducible(names: SurvivorFixtures.specs.map(\.name),
                                                                 build: SurvivorFixtures.buildAll(into:))
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
