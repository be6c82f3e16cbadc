import Foundation
import Testing
@testable import RaftWAL
import RaftWALTesting

/// The append contract: what the log refuses so that no sequence of accepted
/// calls leaves a directory a strict open refuses, or breaks Raft.
@Suite("Append contract")
struct AppendContractTests {
    /// A log holding 1...10 in term 1, committed through 8.
    func committedLog(_ dir: TempDir) throws -> RaftLog {
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 8))
        return log
    }

    func expectInvalid(_ containing: String, _ body: () throws(WALError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected invalidArgument(…\(containing)…), nothing was thrown", sourceLocation: sourceLocation)
        } catch {
            guard case let .invalidArgument(why) = error, why.contains(containing) else {
                Issue.record("expected invalidArgument(…\(containing)…), got \(error)", sourceLocation: sourceLocation)
                return
            }
        }
    }

    @Test func replacingACommittedEntryWithoutAHardStateIsRefusedAndNothingIsWritten() throws {
        let dir = TempDir("contract")
        let log = try committedLog(dir)
        expectInvalid("rewrites committed entries (commit index 8)") { () throws(WALError) in
            try log.append(makeEntries(5...6, term: 2))
        }
        #expect(log.lastIndex == 10)
        log.close()
        // Before the fix this directory failed to open (C7: commit 8 beyond last index 6).
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(reopened.recoveryReport.labels == [.clean])
        #expect(try reopened.entries(1, 11) == makeEntries(1...10, term: 1))
    }

    @Test func replacingACommittedEntryWithAHardStateIsRefusedToo() throws {
        let dir = TempDir("contract")
        let log = try committedLog(dir)
        expectInvalid("rewrites committed entries") { () throws(WALError) in
            try log.append(makeEntries(8...8, term: 2), hardState: HardState(term: 2, vote: 1, commit: 8))
        }
        #expect(log.hardState == HardState(term: 1, vote: 1, commit: 8))
    }

    @Test func theUncommittedSuffixMayBeReplaced() throws {
        let dir = TempDir("contract")
        let log = try committedLog(dir)
        try log.append(makeEntries(9...9, term: 2), hardState: HardState(term: 2, vote: 2, commit: 8))
        #expect(log.lastIndex == 9)
        #expect(try log.term(9) == 2)
    }

    @Test func aCommitThatWouldDecreaseIsRefused() throws {
        let dir = TempDir("contract")
        let log = try committedLog(dir)
        expectInvalid("never decreases") { () throws(WALError) in try log.setHardState(HardState(term: 1, vote: 1, commit: 7)) }
        #expect(log.hardState.commit == 8)
    }

    @Test func aCommitRaisedEarlierInTheSameGroupCommitRoundProtectsItsEntries() throws {
        // Two requests in one round: the first commits 10, the second tries to replace 9.
        let dir = TempDir("contract")
        let log = try committedLog(dir)
        let first = PendingAppend(entries: [], hardState: HardState(term: 1, vote: 1, commit: 10))
        let second = PendingAppend(entries: makeEntries(9...9, term: 2), hardState: nil)
        let state = log.stateLock.withLock { log.state }
        #expect(AppendContract(shape: state.shape, hardState: state.hardState, state: state).violation(first) == nil)
        let why = AppendContract(shape: state.shape, hardState: first.hardState!, state: state).violation(second)
        #expect(why?.contains("rewrites committed entries (commit index 10)") == true, "\(why ?? "accepted")")
    }

    @Test func aConfChangeEntryWhoseBytesAreNotAConfChangeIsRefusedAtAppend() throws {
        let dir = TempDir("contract")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        expectInvalid("conf-change entry 1 is not a ConfChange encoding") { () throws(WALError) in
            try log.append([Entry(index: 1, term: 1, kind: .confChange, data: [9, 9, 9])])
        }
        #expect(log.lastIndex == 0)
        try log.append([Entry(index: 1, term: 1, confChange: ConfChange(type: .addVoter, raftID: 1, name: "m1", address: "a:1"))])
        #expect(try log.membership().voters.map(\.raftID) == [1])
    }

    @Test func membershipPastAForeignConfChangeIsAForeignPayloadErrorNotCorruption() throws {
        // Such an entry can only come from a log written elsewhere: write it below the contract.
        let dir = TempDir("contract")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.writerLock.withLock { () throws(WALError) in
            try log.writeBatch([Entry(index: 1, term: 1, kind: .confChange, data: [1, 7])], hardState: nil)
        }
        do {
            _ = try log.membership()
            Issue.record("membership replayed a conf change that does not decode")
        } catch {
            #expect(!error.isCorruption)
            guard case let .foreignConfChange(index, _) = error else { Issue.record("got \(error)"); return }
            #expect(index == 1)
        }
        log.close()
        #expect(try RaftLog.open(directory: dir.path, options: testOptions()).recoveryReport.labels == [.clean])
    }

    @Test func theTermOfFirstIndexMinusOneIsKeptThroughCompactionAndReopen() throws {
        let dir = TempDir("contract")
        var options = testOptions(segmentSize: 16 << 10)
        options.compression = false
        let log = try RaftLog.open(directory: dir.path, options: options)
        var term: UInt64 = 1
        for start in stride(from: UInt64(1), through: 391, by: 10) {
            if start % 50 == 1 { term += 1 }
            try log.append(makeEntries(start...(start + 9), term: term, size: 300), hardState: HardState(term: term, vote: 1, commit: start + 9))
        }
        try log.saveSnapshot(Snapshot(index: 300, term: try log.term(300), membership: Membership(), data: []))
        let first = log.firstIndex
        #expect(first > 2 && first <= 301)
        let expected = (first - 2) / 50 + 2  // entry i has term (i - 1) / 50 + 2
        #expect(try log.term(first - 1) == expected)
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: options)
        #expect(again.firstIndex == first)
        #expect(try again.term(first - 1) == expected)
    }

    @Test func aSegmentHeaderWithoutThePreviousTermStillDecodes() throws {
        // Segments written before the field existed hold zeros there.
        let header = SegmentHeader(identity: LogIdentity(clusterID: ClusterID(high: 1, low: 2), memberID: 1, epoch: 1), seq: 3,
                                   firstIndex: 100, salt: 9, hardState: HardState(term: 2, vote: 1, commit: 90), createdNanos: 5)
        let old = header.encoded()
        #expect(old[104..<124].allSatisfy { $0 == 0 }, "no previous term: the reserved bytes stay zero, as older builds wrote them")
        #expect(try SegmentHeader(decoding: old, file: "x").previousTerm == nil)
        var withTerm = header
        withTerm.previousTerm = 0
        #expect(try SegmentHeader(decoding: withTerm.encoded(), file: "x").previousTerm == 0)
        withTerm.previousTerm = 7
        #expect(try SegmentHeader(decoding: withTerm.encoded(), file: "x") == withTerm)
    }
}
