import Foundation
import Testing
@testable import RaftWAL
import RaftWALTesting

/// `RaftLog.truncate(after:)`: the uncommitted tail removed without an
/// append, durably (a truncation record, `docs/FORMAT.md` §5.2).
@Suite("Truncate after an index")
struct TruncateTests {
    static func bytes(_ dir: TempDir) -> [String: Data] {
        var out: [String: Data] = [:]
        for name in dir.names() where name != "LOCK" { out[name] = FileManager.default.contents(atPath: dir.file(name)) }
        return out
    }

    @Test func truncateRemovesTheTailAndTheRemovedEntriesNeverComeBack() throws {
        let dir = TempDir("truncate")
        var log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 3))
        try log.truncate(after: 6)
        #expect(log.lastIndex == 6)
        #expect(try log.entries(1, 7) == makeEntries(1...6, term: 1))
        #expect(throws: WALError.unavailable(requested: 7, lastIndex: 6)) { try log.entries(1, 8) }
        #expect(throws: WALError.unavailable(requested: 7, lastIndex: 6)) { try log.term(7) }
        log.close()

        log = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.lastIndex == 6)
        #expect(log.hardState == HardState(term: 1, vote: 1, commit: 3))
        // The next append follows the kept prefix; its entries replace the removed ones for good.
        try log.append(makeEntries(7...8, term: 2))
        log.close()
        log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        #expect(log.lastIndex == 8)
        #expect(try log.entries(1, 9) == makeEntries(1...6, term: 1) + makeEntries(7...8, term: 2))
    }

    @Test func truncateBelowTheCommitIndexIsRefusedAndWritesNothing() throws {
        let dir = TempDir("truncate-commit")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        try log.append(makeEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 5))
        let before = Self.bytes(dir)
        #expect(throws: WALError.truncationBelowCommit(after: 4, commit: 5)) { try log.truncate(after: 4) }
        #expect(throws: WALError.truncationBelowCommit(after: 0, commit: 5)) { try log.truncate(after: 0) }
        #expect(Self.bytes(dir) == before, "a refused truncation writes nothing")
        #expect(log.lastIndex == 10)
        // Keeping the committed entry itself is allowed: only 6...10 go.
        try log.truncate(after: 5)
        #expect(log.lastIndex == 5)
    }

    @Test func truncateAtOrBeyondTheLastIndexWritesNothing() throws {
        let dir = TempDir("truncate-noop")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        try log.append(makeEntries(1...10, term: 1))
        let before = Self.bytes(dir)
        let records = log.statistics.records
        try log.truncate(after: 10)
        try log.truncate(after: 99)
        #expect(log.statistics.records == records)
        #expect(Self.bytes(dir) == before)
        #expect(log.lastIndex == 10)
    }

    @Test func truncateIntoTheSnapshotIsRefused() throws {
        let dir = TempDir("truncate-snapshot")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        try log.append(makeEntries(1...10, term: 1))
        // Installed from a leader beyond the log: the log restarts after 20.
        try log.saveSnapshot(Snapshot(index: 20, term: 3, membership: Membership(), data: [1]))
        try log.append(makeEntries(21...25, term: 3))
        expectError(.invalidArgument(containing: "snapshot at 20")) { try log.truncate(after: 19) }
        try log.truncate(after: 20)
        #expect(log.lastIndex == 20)
        #expect(log.firstIndex == 21)
        #expect(try log.term(20) == 3)
    }

    @Test func readOnlyAndClosedLogsRefuseToTruncate() throws {
        let dir = TempDir("truncate-ro")
        do {
            let log = try RaftLog.open(directory: dir.path, options: testOptions())
            try log.append(makeEntries(1...4, term: 1))
            log.close()
            #expect(throws: WALError.closed) { try log.truncate(after: 2) }
        }
        let reader = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { reader.close() }
        #expect(throws: WALError.readOnly) { try reader.truncate(after: 2) }
    }

    /// A truncation into an older segment, then enough appends to roll over
    /// twice: the segment holding the truncation record is sealed, and the
    /// seal's summary (rewriteFrom = lastIndex + 1 when nothing re-filled it)
    /// replays the cut on open. The Python reader reads the same log.
    @Test(arguments: [false, true])
    func truncationAcrossSegmentsSurvivesSealingAndReopen(refill: Bool) throws {
        let dir = TempDir("truncate-seal")
        var options = testOptions(segmentSize: 8 << 10)
        options.compression = false  // two batches per segment: index 12 sits three segments before the tail
        var log = try RaftLog.open(directory: dir.path, options: options)
        for chunk in stride(from: UInt64(1), through: 100, by: 10) {
            try log.append(makeEntries(chunk...(chunk + 9), term: 1, size: 200), hardState: HardState(term: 1, vote: 1, commit: 2))
        }
        func segmentCount() throws -> Int { try DirectoryListing(directory: dir.path).segments.count }
        let segmentsBefore = try segmentCount()
        #expect(segmentsBefore > 2)
        try log.truncate(after: 12)
        #expect(log.lastIndex == 12)
        var expected = makeEntries(1...12, term: 1, size: 200)
        if refill {
            try log.append(makeEntries(13...30, term: 2, size: 200))
            expected += makeEntries(13...30, term: 2, size: 200)
        }
        // Hard-state records until the truncation's segment is sealed: without
        // a refill its seal says rewriteFrom 13, lastIndex 12.
        var commit: UInt64 = 2
        while try segmentCount() == segmentsBefore {
            commit = min(commit + 1, log.lastIndex)
            try log.append([], hardState: HardState(term: 2, vote: 1, commit: commit))
        }
        let next = Entry(index: log.lastIndex + 1, term: 2, data: [7])
        try log.append([next])
        expected.append(next)
        let last = log.lastIndex
        log.close()

        log = try RaftLog.open(directory: dir.path, options: options)
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.lastIndex == last)
        #expect(try log.entries(1, last + 1) == expected)
        // The segment holding the truncation record was taken from its seal,
        // whose summary carries the cut (rewriteFrom 13; lastIndex 12 without a refill).
        let fromSeal = log.stateLock.withLock {
            log.state.segments.contains { $0.isSealed && $0.shape.rewriteFrom == 13 && (refill || $0.shape.lastIndex == 12) }
        }
        #expect(fromSeal)
        log.close()

        guard FormatSpecTests.pythonAvailable else { return }
        let (status, report) = try FormatSpecTests.runReader(path: dir.path)
        #expect(status == 0)
        #expect(report.labels == [RecoveryLabel.clean.rawValue])
        let reader = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { reader.close() }
        try FormatSpecTests.expectSameLog(report, reader)
    }

    /// The process dies at every operation of a truncation: the log comes
    /// back whole or truncated, never a mixture; an acknowledged truncation
    /// stays; opening never fails; and a later append follows what survived.
    @Test func aTruncationIsAtomicAtEveryKillPoint() throws {
        let base = SimFileSystem(seed: 11)
        let full = makeEntries(1...40, term: 1, size: 300)
        do {
            let log = try RaftLog.open(directory: "/data", options: CrashTests.options(base))
            for chunk in stride(from: 0, to: 40, by: 5) {
                try log.append(Array(full[chunk..<(chunk + 5)]), hardState: HardState(term: 1, vote: 1, commit: UInt64(min(chunk + 5, 10))))
            }
            log.close()
        }
        var outcomes: Set<UInt64> = []
        var acknowledgedAt: [Int] = []
        for killAt in 0..<10 {
            let fs = base.copy()
            let log = try RaftLog.open(directory: "/data", options: CrashTests.options(fs))
            fs.kill(afterOperations: killAt)
            let acknowledged = (try? log.truncate(after: 15)) != nil
            if acknowledged { acknowledgedAt.append(killAt) }
            fs.crash()
            let reopened = try RaftLog.open(directory: "/data", options: CrashTests.options(fs))
            let got = try reopened.entries(1, reopened.lastIndex + 1)
            if acknowledged { #expect(got == Array(full[0..<15]), "kill at \(killAt): an acknowledged truncation was undone") }
            #expect(got == full || got == Array(full[0..<15]), "kill at \(killAt): a mixture (\(reopened.lastIndex))")
            #expect(reopened.hardState.commit == 10)
            outcomes.insert(reopened.lastIndex)
            // What survived is a log Raft can continue.
            try reopened.append([Entry(index: reopened.lastIndex + 1, term: 2, data: [9])])
            reopened.close()
            let again = try RaftLog.open(directory: "/data", options: CrashTests.options(fs))
            #expect(again.recoveryReport.labels == [.clean], "kill at \(killAt)")
            again.close()
        }
        #expect(outcomes == [15, 40], "both outcomes are reachable")
        #expect(!acknowledgedAt.isEmpty)
    }

    /// A truncation acknowledged, then power loss (the simulator keeps,
    /// drops or tears each unsynced write at random): the truncation stays.
    @Test(arguments: 0..<24 as Range<UInt64>)
    func anAcknowledgedTruncationSurvivesACrash(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        let log = try RaftLog.open(directory: "/data", options: CrashTests.options(fs))
        try log.append(makeEntries(1...30, term: 1, size: 300), hardState: HardState(term: 1, vote: 1, commit: 5))
        try log.truncate(after: 8)
        try log.append(makeEntries(9...12, term: 2, size: 300))
        fs.crash()
        let after = try RaftLog.open(directory: "/data", options: CrashTests.options(fs))
        defer { after.close() }
        #expect(after.lastIndex == 12)
        #expect(try after.entries(1, 13) == makeEntries(1...8, term: 1, size: 300) + makeEntries(9...12, term: 2, size: 300))
    }

    /// The worked example of `docs/FORMAT.md` §11.5, byte for byte: entries
    /// 1–3 (raw, 224 bytes at 4096), then `truncate(after: 1)` writes a
    /// 72-byte truncation record at 4320 whose first index is 2.
    @Test func theTruncationRecordIsTheSpecsWorkedExample() throws {
        let dir = TempDir("truncate-example")
        var options = testOptions()
        options.compression = false
        options.deterministicSalt = { _ in 0xa80b_3e5a_9725_2a59 }
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...3, term: 1))
        try log.truncate(after: 1)
        log.close()
        let segment = try #require(dir.names().first { $0.hasSuffix(".seg") })
        let bytes = try #require(FileManager.default.contents(atPath: dir.file(segment)))
        let record = Array(bytes[4320..<(4320 + 72)])
        let spec = "8b3f13090100280000000000000000000200000000000000" + String(repeating: "00", count: 48)
        #expect(record.map { String(format: "%02x", $0) }.joined() == spec)
        #expect(bytes[(4320 + 72)..<(4320 + 80)].allSatisfy { $0 == 0 }, "nothing after it")
    }
}
