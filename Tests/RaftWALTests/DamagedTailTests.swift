import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// T5 (`docs/RECOVERY.md`): a last record written whole and damaged
/// afterwards is cut like a torn write but reported as a cut that may hold
/// acknowledged entries; every shape a crash leaves stays T1.
@Suite("Damaged tail (T5)")
struct DamagedTailTests {
    /// A copy of `healthy` and its last segment's last record.
    static func healthyCopy(_ label: String) throws -> (TempDir, String, RecordInfo) {
        let tmp = TempDir(label)
        try Damage.copyDirectory(RecoveryTableTests.fixture("healthy"), to: tmp.path)
        let tail = try #require(try DirectoryListing(directory: tmp.path).segments.last).name
        let last = try #require(try Damage.records(directory: tmp.path, segment: tail).last)
        return (tmp, tail, last)
    }

    static func checkedEnd(_ r: RecordInfo) -> UInt64 { r.offset + 32 + UInt64(r.metaBytes + r.storedBytes) }

    @Test func aBitFlippedInTheLastRecordIsCutAndReportedAsMayHoldAcknowledgedEntries() throws {
        let (tmp, tail, last) = try Self.healthyCopy("t5-flip")
        try Damage.flipBit(tmp.file(tail), offset: last.offset + 40, bit: 3)
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.damagedTail])
        let cut = try #require(log.recoveryReport.tornTail)
        #expect(cut.mayHoldAcknowledged)
        #expect(cut.offset == last.offset)
        #expect(cut.claimedIndexes == 219...220)
        #expect(log.lastIndex == 218)
    }

    @Test func aWritableOpenCutsTheDamagedTailAndTheNextOpenIsClean() throws {
        let (tmp, tail, last) = try Self.healthyCopy("t5-writable")
        try Damage.flipBit(tmp.file(tail), offset: Self.checkedEnd(last) - 1, bit: 0)
        var options = Fixtures.options()
        options.sync = .durable
        let log = try RaftLog.open(directory: tmp.path, options: options)
        #expect(log.recoveryReport.labels.contains(.damagedTail))
        #expect(log.recoveryReport.modifiedDirectory)
        log.close()
        let again = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { again.close() }
        #expect(again.recoveryReport.labels == [.clean])
        #expect(again.lastIndex == 218)
    }

    /// Every way a crash can tear the last record: each subset of its
    /// 512-byte pieces missing (zeros), and each byte prefix. None is T5.
    @Test func everySectorTearAndBytePrefixOfTheLastRecordStaysATornTail() throws {
        let (tmp, tail, last) = try Self.healthyCopy("t5-tears")
        let path = tmp.file(tail)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = last.offset, end = Self.checkedEnd(last)
        var pieces: [Range<UInt64>] = []
        var p = start
        while p < end {
            let next = min(end, (p / 512 + 1) * 512)
            pieces.append(p..<next)
            p = next
        }
        var tears: [[Range<UInt64>]] = []
        for mask in 1..<(1 << pieces.count) {  // a non-empty set of missing pieces
            tears.append(pieces.indices.filter { mask & (1 << $0) != 0 }.map { pieces[$0] })
        }
        for k in start..<end { tears.append([k..<end]) }  // the write stopped at byte k
        for missing in tears {
            try original.write(to: URL(fileURLWithPath: path))
            for r in missing { try Damage.zero(path, range: r) }
            let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
            let labels = log.recoveryReport.labels
            log.close()
            #expect(!labels.contains(.damagedTail), "missing \(missing): \(labels)")
            #expect(labels == [.tornTail] || labels == [.clean], "missing \(missing): \(labels)")
        }
    }

    @Test func aBitFlippedInTheHeaderFirstIndexIsNotTakenForWrittenWhole() throws {
        // A first index outside segment-first...next: stale bytes of another
        // segment would look the same, so the rule does not claim T5.
        let (tmp, tail, last) = try Self.healthyCopy("t5-header")
        try Damage.flipBit(tmp.file(tail), offset: last.offset + 16 + 7, bit: 6)
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.tornTail])
        #expect(log.recoveryReport.tornTail?.mayHoldAcknowledged == false)
    }
}
