import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Confirmed mode (`LogOptions.confirmAppends`, `docs/FORMAT.md` §8.5,
/// row A1 of `docs/RECOVERY.md`): the redundancy that turns the default
/// mode's silent cuts (a lost, misdirected or zeroed last record, a lost
/// segment or snapshot) into a refusal naming the lost indexes, without
/// ever calling a crash's own shapes damage.
@Suite("Confirmed mode (ACKED, row A1)")
struct ConfirmedModeTests {
    static func options(segmentSize: UInt64 = 64 << 10) -> LogOptions {
        var o = testOptions(segmentSize: segmentSize, sync: .durable)
        o.confirmAppends = true
        o.leavesTailHint = false  // what a crash leaves: no clean close
        return o
    }

    static func entries(_ r: ClosedRange<UInt64>, term: UInt64 = 1) -> [Entry] {
        r.map { Entry(index: $0, term: term, data: Array("entry \($0) of term \(term)".utf8)) }
    }

    /// A confirmed log of entries 1...10 in five appends; its tail segment and last batch record.
    static func tenEntries(_ label: String) throws -> (TempDir, String, RecordInfo) {
        let tmp = TempDir(label)
        let log = try RaftLog.open(directory: tmp.path, options: options())
        for first in stride(from: UInt64(1), through: 9, by: 2) {
            try log.append(entries(first...(first + 1)), hardState: HardState(term: 1, vote: 1, commit: first))
        }
        log.close()
        let tail = try #require(try DirectoryListing(directory: tmp.path).segments.last).name
        let last = try #require(try Damage.records(directory: tmp.path, segment: tail).last { $0.type == .batch })
        return (tmp, tail, last)
    }

    static func refusal(_ dir: String, _ o: LogOptions = .readOnly) -> WALError? {
        do {
            try RaftLog.open(directory: dir, options: o).close()
            return nil
        } catch { return error }
    }

    static func indexes(_ error: WALError) -> ClosedRange<UInt64>? {
        if case .corrupted(_, _, let indexes, _, _) = error { return indexes }
        return nil
    }

    @Test func eachAppendLeavesAMarkerNamingWhereItsRecordEnds() throws {
        let (tmp, tail, last) = try Self.tenEntries("confirm-marker")
        let marker = try #require(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker)
        #expect(marker.counter == 6, "one slot at the open, one per append")
        #expect(marker.lastIndex == 10)
        #expect(marker.endOffset == last.offset + UInt64(last.recordBytes))
        #expect(FileNames.parseSegment(tail)?.seq == marker.seq)
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.clean])
    }

    @Test func aLostWriteOfTheLastRecordIsRefusedAsA1AndPassesForACleanEndWithoutTheMarker() throws {
        let (tmp, tail, last) = try Self.tenEntries("confirm-lost-write")
        // The disk never got the last record: zeros where it was, as after a lost write.
        try Damage.zero(tmp.file(tail), range: last.offset..<(last.offset + UInt64(last.recordBytes)))
        let error = try #require(Self.refusal(tmp.path))
        #expect(error.recoveryLabel == .acknowledgedMissing)
        #expect(Self.indexes(error) == 9...10)
        // A writer refuses too, and changes nothing.
        let before = try Damage.read(tmp.file(tail), at: 0, count: 1 << 16)
        #expect(Self.refusal(tmp.path, Self.options())?.recoveryLabel == .acknowledgedMissing)
        #expect(try Damage.read(tmp.file(tail), at: 0, count: 1 << 16) == before)
        // Without ACKED the same bytes are a clean end at 8: the default mode's silent cut.
        try FileManager.default.removeItem(atPath: tmp.file(AckMarker.fileName))
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.lastIndex == 8)
    }

    @Test func aZeroedSectorInTheLastRecordIsA1NotATornTail() throws {
        let (tmp, tail, last) = try Self.tenEntries("confirm-zeroed")
        try Damage.zero(tmp.file(tail), range: (last.offset + 8)..<(last.offset + UInt64(last.recordBytes)))
        #expect(Self.refusal(tmp.path)?.recoveryLabel == .acknowledgedMissing)
    }

    @Test func anOlderOrDamagedNewestSlotIsALowerBoundNeverAFalseAlarm() throws {
        let tmp = TempDir("confirm-older")
        let log = try RaftLog.open(directory: tmp.path, options: Self.options())
        try log.append(Self.entries(1...4))
        let older = try Damage.read(tmp.file(AckMarker.fileName), at: 0, count: AckMarker.fileBytes)
        try log.append(Self.entries(5...9))
        try log.append(Self.entries(10...12))
        log.close()
        let newest = try #require(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker)
        // A crash between the record's sync and the slot's: the newest slot torn.
        try Damage.flipBit(tmp.file(AckMarker.fileName), offset: newest.slotOffset + 20)
        let fallback = try #require(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker)
        #expect(fallback.counter == newest.counter - 1)
        #expect(Self.refusal(tmp.path) == nil)
        // A lost write of the slot: the file as it was two appends ago.
        try Damage.write(older, to: tmp.file(AckMarker.fileName), at: 0)
        let reopened = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { reopened.close() }
        #expect(reopened.recoveryReport.labels == [.clean])
        #expect(reopened.lastIndex == 12)
    }

    @Test func theLossOfTheOnlySegmentIsA1NotANewEmptyLog() throws {
        let (tmp, tail, _) = try Self.tenEntries("confirm-lost-segment")
        try FileManager.default.removeItem(atPath: tmp.file(tail))
        let error = try #require(Self.refusal(tmp.path, Self.options()))
        #expect(error.recoveryLabel == .acknowledgedMissing)
        #expect(Self.indexes(error) == 1...10)
        #expect(try DirectoryListing(directory: tmp.path).segments.isEmpty, "the writer created a new log over the loss")
        #expect(Self.refusal(tmp.path)?.recoveryLabel == .acknowledgedMissing)
    }

    @Test func aLostSnapshotIsA1EvenWhenTheLogStillHoldsItsEntries() throws {
        let tmp = TempDir("confirm-lost-snapshot")
        let log = try RaftLog.open(directory: tmp.path, options: Self.options())
        try log.append(Self.entries(1...20), hardState: HardState(term: 1, vote: 1, commit: 20))
        try log.saveSnapshot(Snapshot(index: 15, term: 1, membership: Membership(), data: Array("state".utf8)))
        log.close()
        #expect(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker?.snapshotIndex == 15)
        let snap = try #require(try DirectoryListing(directory: tmp.path).snapshots.first)
        try FileManager.default.removeItem(atPath: tmp.file(snap))
        let error = try #require(Self.refusal(tmp.path))
        #expect(error.recoveryLabel == .acknowledgedMissing)
        #expect(error.description.contains("snapshot at index 15"))
    }

    @Test func truncateModeKeepsWhatIsThereReportsTheLostIndexesAndRemovesTheMarker() throws {
        let (tmp, tail, last) = try Self.tenEntries("confirm-truncate")
        try Damage.zero(tmp.file(tail), range: last.offset..<(last.offset + UInt64(last.recordBytes)))
        var o = Self.options()
        o.recovery = .truncateAtFirstCorruption
        let repaired = try RaftLog.open(directory: tmp.path, options: o)
        #expect(repaired.recoveryReport.labels.contains(.acknowledgedMissing))
        #expect(repaired.recoveryReport.dropped?.indexes == [9...10])
        #expect(repaired.lastIndex == 8)
        // The marker that named 9...10 is gone; the open confirmed what it kept, from a new counter.
        let fresh = try #require(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker)
        #expect(fresh.counter == 1)
        #expect(fresh.lastIndex == 8)
        #expect(fresh.endOffset == last.offset)
        // The writer confirms again from here on.
        try repaired.append(Self.entries(9...9, term: 2))
        repaired.close()
        let again = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { again.close() }
        #expect(again.recoveryReport.labels == [.clean])
        #expect(again.lastIndex == 9)
        #expect(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker?.lastIndex == 9)
    }

    /// Roll-overs, conflicting appends (truncations), hard states alone,
    /// snapshots with compaction and restarts: every state a confirmed
    /// writer leaves opens clean (no false A1).
    @Test func rollOversTruncationsSnapshotsAndCompactionReopenClean() throws {
        let tmp = TempDir("confirm-workload")
        var o = Self.options(segmentSize: 16 << 10)
        o.compactionKeepEntries = 20
        var last: UInt64 = 0
        var term: UInt64 = 1
        var snapshot: UInt64 = 0
        for session in 0..<6 {
            let log = try RaftLog.open(directory: tmp.path, options: o)
            #expect(!log.recoveryReport.labels.contains(.acknowledgedMissing), "session \(session)")
            #expect(log.lastIndex == last)
            for round in 0..<40 {
                switch round % 10 {
                case 3 where last > snapshot + 5:
                    // A new leader rewrites the last three entries.
                    term += 1
                    let from = last - 2
                    try log.append((from...(from + 1)).map { Entry(index: $0, term: term, data: [UInt8](repeating: UInt8(round), count: 300)) })
                    last = from + 1
                case 7:
                    try log.setHardState(HardState(term: term, vote: 1, commit: last))
                case 9 where last > snapshot + 30:
                    snapshot = last - 10
                    try log.saveSnapshot(Snapshot(index: snapshot, term: try log.term(snapshot), membership: Membership(), data: Array("at \(snapshot)".utf8)))
                default:
                    let n = UInt64(round % 4 + 1)
                    try log.append(((last + 1)...(last + n)).map { Entry(index: $0, term: term, data: [UInt8](repeating: UInt8(round), count: 700)) })
                    last += n
                }
            }
            log.close()
            let check = try RaftLog.open(directory: tmp.path, options: .readOnly)
            #expect(check.recoveryReport.labels == [.clean], "session \(session): \(check.recoveryReport.labels)")
            #expect(check.lastIndex == last)
            check.close()
        }
        #expect(try DirectoryListing(directory: tmp.path).segments.count > 1, "the workload should roll over")
    }

    @Test func aSlotRoundTripsAndOnlyAValidSlotInItsOwnPlaceCounts() throws {
        let m = AckMarker(counter: 7, seq: 3, salt: 0xABCD, endOffset: 8192, lastIndex: 99, snapshotIndex: 50, snapshotTerm: 2)
        let slot = m.encoded()
        #expect(slot.count == AckMarker.slotBytes)
        var file = [UInt8](repeating: 0, count: AckMarker.fileBytes)
        file.replaceSubrange(512..<1024, with: slot)
        #expect(AckMarker.decode(file) == m)
        // The same slot in the other place (counter 7 belongs in slot 1) is not valid.
        var misplaced = [UInt8](repeating: 0, count: AckMarker.fileBytes)
        misplaced.replaceSubrange(0..<512, with: slot)
        #expect(AckMarker.decode(misplaced) == nil)
        // A flipped bit in the checked bytes invalidates it; the other slot then wins.
        var older = m
        older.counter = 6
        file.replaceSubrange(0..<512, with: older.encoded())
        file[512 + 30] ^= 1
        #expect(AckMarker.decode(file) == older)
    }

    /// The worked slot of `docs/FORMAT.md` §8.5, byte for byte.
    @Test func theWorkedSlotOfFormatMdIsWhatTheWriterEncodes() throws {
        let hex = "5257414c41434b44" + "0100000000000000" + "0200000000000000" + "0500000000000000"
            + "ad1a4f944025e920" + "a015000000000000" + "dc00000000000000" + "9600000000000000"
            + "0200000000000000" + "795cd7af00000000"
        var expected: [UInt8] = stride(from: 0, to: hex.count, by: 2).map {
            let i = hex.index(hex.startIndex, offsetBy: $0)
            return UInt8(hex[i..<hex.index(i, offsetBy: 2)], radix: 16)!
        }
        expected += [UInt8](repeating: 0, count: AckMarker.slotBytes - expected.count)
        let m = AckMarker(counter: 2, seq: 5, salt: 0x20e9_2540_944f_1aad, endOffset: 5536, lastIndex: 220, snapshotIndex: 150, snapshotTerm: 2)
        #expect(m.encoded() == expected)
        #expect(m.slotOffset == 0)
    }

    @Test func aFIFONamedACKEDIsNeverOpenedByAReader() throws {
        let (tmp, _, _) = try Self.tenEntries("confirm-fifo")
        try FileManager.default.removeItem(atPath: tmp.file(AckMarker.fileName))
        #expect(mkfifo(tmp.file(AckMarker.fileName), 0o600) == 0)
        #expect(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()) == .absent)
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)  // would block forever opening the FIFO
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.lastIndex == 10)
    }

    @Test func aConfirmedWriterRefusesToOpenWhenSomethingElseIsNamedACKED() throws {
        let tmp = TempDir("confirm-not-regular")
        try FileManager.default.createDirectory(atPath: tmp.path + "/" + AckMarker.fileName, withIntermediateDirectories: true)
        let error = try #require(Self.refusal(tmp.path, Self.options()))
        #expect(error.description.contains("ACKED: not a regular file"))
        // A writer in the default mode does not touch it.
        var plain = Self.options()
        plain.confirmAppends = false
        let log = try RaftLog.open(directory: tmp.path, options: plain)
        defer { log.close() }
        try log.append(Self.entries(1...1))
        #expect(FileManager.default.fileExists(atPath: tmp.file(AckMarker.fileName) + "/."))
    }

    /// Found by `raft-torture sim --confirmed` (seeds 5016, 5017): a record
    /// synced whose slot write failed is not acknowledged, but the next open
    /// recovers it and later sessions build on it. The open confirms what it
    /// hands out, so a later loss of it is A1, not a silent cut.
    @Test func aWritableOpenConfirmsTheRecordsItRecoveredBeyondTheMarker() throws {
        let (tmp, tail, last) = try Self.tenEntries("confirm-at-open")
        // As if the last append's slot write had failed: the marker names the append before it.
        let newest = try #require(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker)
        var older = newest
        older.counter += 1  // the other slot, as the newest
        older.endOffset = last.offset
        older.lastIndex = 8
        try Damage.write(older.encoded(), to: tmp.file(AckMarker.fileName), at: older.slotOffset)
        #expect(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker?.lastIndex == 8)
        let log = try RaftLog.open(directory: tmp.path, options: Self.options())
        #expect(log.lastIndex == 10)
        log.close()
        #expect(AckMarker.read(directory: tmp.path, fs: POSIXFileSystem()).marker?.lastIndex == 10)
        // Now the loss of that record is reported.
        try Damage.zero(tmp.file(tail), range: last.offset..<(last.offset + UInt64(last.recordBytes)))
        #expect(Self.refusal(tmp.path)?.recoveryLabel == .acknowledgedMissing)
    }
}
