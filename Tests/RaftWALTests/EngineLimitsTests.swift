import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Inputs at and beyond the format's limits: rejected or handled, never a trap.
@Suite("Limits and truncate-mode reports")
struct EngineLimitsTests {
    @Test func aBatchSpanningMoreTermsThanARecordMetaHoldsIsRejectedNotATrap() throws {
        let dir = TempDir("terms")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        let entries = (1...5000).map { Entry(index: UInt64($0), term: UInt64($0), data: []) }
        #expect { try log.append(entries) } throws: { error in
            if case WALError.invalidArgument(let why) = error { return why.contains("split it") }
            return false
        }
        #expect(log.lastIndex == 0)
        try log.append(Array(entries[0..<2000]))  // fits: 2000 runs
        #expect(log.lastIndex == 2000)
    }

    @Test func indexesBeyondWhatTheFormatReadsBackAreRejected() throws {
        let dir = TempDir("maxindex")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        expectError(.invalidArgument(containing: "the largest index the format reads back")) {
            try log.saveSnapshot(Snapshot(index: Layout.maxIndex, term: 1, membership: Membership(), data: []))
        }
        try log.saveSnapshot(Snapshot(index: Layout.maxIndex - 2, term: 1, membership: Membership(), data: []))
        expectError(.invalidArgument(containing: "the largest index the format reads back")) {
            try log.append(makeEntries((Layout.maxIndex - 1)...Layout.maxIndex, term: 1))
        }
        try log.append(makeEntries((Layout.maxIndex - 1)...(Layout.maxIndex - 1), term: 1))
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(again.lastIndex == Layout.maxIndex - 1)
    }

    @Test func aSegmentTooVariedToSealStaysUnsealedAndReopens() throws {
        let dir = TempDir("unsealable")
        var options = testOptions(segmentSize: 1 << 20)
        options.compression = false
        do {
            let log = try RaftLog.open(directory: dir.path, options: options)
            // 5000 single-entry appends in distinct terms: the seal summary would need 5000 term runs.
            for i in 1...5000 as ClosedRange<UInt64> { try log.append([Entry(index: i, term: i, data: [UInt8(i & 0xFF)])]) }
            // Roll over with a large record.
            try log.append([Entry(index: 5001, term: 5000, data: [UInt8](repeating: 7, count: 700_000))])
            log.close()
        }
        let log = try RaftLog.open(directory: dir.path, options: options)
        #expect(!log.recoveryReport.unsealedSegments.isEmpty)
        #expect(log.lastIndex == 5001)
        #expect(try log.term(4999) == 4999)
        #expect(try log.entry(1234).data == [UInt8(1234 & 0xFF)])
    }

    @Test func namesLongerThan64KiBRoundTripInConfChangesAndSnapshots() throws {
        let long = String(repeating: "n", count: 70_000)
        let change = ConfChange(type: .addVoter, raftID: 1, name: long, address: "a")
        #expect(try ConfChange(decoding: change.encoded()) == change)
        let dir = TempDir("longname")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append([Entry(index: 1, term: 1, confChange: change)], hardState: HardState(term: 1, vote: 1, commit: 1))
        #expect(try log.membership().voters.first?.name == long)
        try log.saveSnapshot(Snapshot(index: 1, term: 1, membership: try log.membership(), data: []))
        #expect(try log.latestSnapshot()?.metadata.membership.voters.first?.name == long)
    }

    @Test func commitBeyondTheLogIsLoweredAndReportedByTruncateMode() throws {
        let tmp = TempDir("c7")
        try Damage.copyDirectory(RecoveryTableTests.fixture("commit-beyond-log"), to: tmp.path)
        var options = LogOptions()
        options.sync = .none
        options.recovery = .truncateAtFirstCorruption
        do {
            let log = try RaftLog.open(directory: tmp.path, options: options)
            let dropped = try #require(log.recoveryReport.dropped)
            #expect(dropped.includesCommitted)
            #expect(log.hardState.commit == log.lastIndex)
            #expect(log.recoveryReport.modifiedDirectory)
            log.close()
        }
        options.recovery = .strict
        let log = try RaftLog.open(directory: tmp.path, options: options)
        #expect(log.recoveryReport.labels == [.clean])
    }

    @Test(arguments: ["bad-segment-header", "foreign-segment", "lost-tail-segment"])
    func truncateModeReportsCommittedLossBehindABadOrMissingSegment(_ fixture: String) throws {
        var options = LogOptions.readOnly
        options.recovery = .truncateAtFirstCorruption
        let log = try RaftLog.open(directory: RecoveryTableTests.fixture(fixture), options: options)
        let dropped = try #require(log.recoveryReport.dropped)
        #expect(dropped.includesCommitted, "commit 215 is above what the kept log holds")
        if fixture != "lost-tail-segment" {
            #expect(dropped.indexes.contains { $0.contains(215) }, "\(dropped.indexes)")
        }
    }
}
