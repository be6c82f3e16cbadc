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

    /// A log written by the engine whose last batch is one entry of
    /// `noiseBytes` incompressible bytes (xorshift), so its record spans
    /// several 512-byte sectors. Returns the directory, the tail segment, its
    /// last record and the last index before that batch.
    static func multiSectorTail(_ label: String, noiseBytes: Int = 2600) throws -> (TempDir, String, RecordInfo, UInt64) {
        let tmp = TempDir(label)
        let before: UInt64 = 40
        let log = try RaftLog.open(directory: tmp.path, options: Fixtures.options())
        try log.append(Fixtures.bootstrapEntries(), hardState: HardState(term: 1, vote: 1, commit: 3))
        for i in stride(from: UInt64(4), through: before, by: 4) {
            let entries = (i...min(i + 3, before)).map { Entry(index: $0, term: 1, data: Fixtures.payload(index: $0)) }
            try log.append(entries, hardState: HardState(term: 1, vote: 1, commit: entries.last!.index))
        }
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        let noise = (0..<noiseBytes).map { _ -> UInt8 in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
        try log.append([Entry(index: before + 1, term: 1, data: noise)], hardState: HardState(term: 1, vote: 1, commit: before))
        log.close()
        let tail = try #require(try DirectoryListing(directory: tmp.path).segments.last).name
        let last = try #require(try Damage.records(directory: tmp.path, segment: tail).last)
        return (tmp, tail, last, before)
    }

    /// Every way a crash can tear the last record: each non-empty subset of
    /// its 512-byte sectors still old (zeros: the preallocated file) while the
    /// others hold the new bytes, and each byte prefix. None is T5: each drops
    /// exactly the last batch, reported as a T1 cut at the record's offset
    /// naming the bytes left, or, when nothing of the record reached the disk,
    /// a clean log that ends before it.
    @Test func everySectorTearAndBytePrefixOfTheLastRecordStaysATornTail() throws {
        let (tmp, tail, last, before) = try Self.multiSectorTail("t5-tears")
        // A crash leaves no tail hint (nor do the fixture options): every open scans.
        #expect(!FileManager.default.fileExists(atPath: tmp.file(TailHint.fileName)))
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        let path = tmp.file(tail)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = last.offset, end = Self.checkedEnd(last)
        #expect(original[Int(end)...].allSatisfy { $0 == 0 }, "the record is the last bytes written")
        var pieces: [Range<UInt64>] = []
        var p = start
        while p < end {
            let next = min(end, (p / 512 + 1) * 512)
            pieces.append(p..<next)
            p = next
        }
        try #require(pieces.count >= 4, "the last record spans \(pieces.count) sectors")
        var tears: [[Range<UInt64>]] = []
        for mask in 1..<(1 << pieces.count) {  // a non-empty set of sectors still old
            tears.append(pieces.indices.filter { mask & (1 << $0) != 0 }.map { pieces[$0] })
        }
        for k in start..<end { tears.append([k..<end]) }  // the write stopped at byte k
        #expect(tears.count == (1 << pieces.count) - 1 + Int(end - start))
        var nothingReached = 0
        for missing in tears {
            var torn = original
            for r in missing { torn.replaceSubrange(Int(r.lowerBound)..<Int(r.upperBound), with: repeatElement(0, count: r.count)) }
            try torn.write(to: URL(fileURLWithPath: path))
            let lastNonZero = torn[Int(start)..<Int(end)].lastIndex(where: { $0 != 0 }).map(UInt64.init)
            let headerWhole = !missing.contains { $0.overlaps(start..<start + 32) }
            // A writable open: a read-only one would watch the bad bytes for
            // 50 ms (a live writer's?) on each of these thousands of opens.
            let log = try RaftLog.open(directory: tmp.path, options: Fixtures.options())
            let report = log.recoveryReport, lastIndex = log.lastIndex
            log.close()
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == files.sorted())
            let what = "sectors/bytes still old \(missing)"
            #expect(lastIndex == before, "\(what): last index \(lastIndex)")
            guard let lastNonZero else {
                // All zeros where the record was: a log that ends before it.
                nothingReached += 1
                #expect(report.labels == [.clean] && report.tornTail == nil, "\(what): \(report.labels)")
                continue
            }
            #expect(report.labels == [.tornTail], "\(what): \(report.labels)")
            let cut = try #require(report.tornTail, "\(what): no cut reported")
            #expect(cut.segment == tail && cut.offset == start, "\(what): \(cut)")
            // Through the 8-byte word holding the last non-zero byte (the scan reads words).
            #expect(cut.bytes == ((lastNonZero - start) / 8 + 1) * 8, "\(what): \(cut)")
            #expect(!cut.mayHoldAcknowledged, "\(what): \(cut)")
            #expect(!cut.problem.isEmpty)
            if headerWhole { #expect(cut.claimedIndexes == (before + 1)...(before + 1), "\(what): \(cut)") }
        }
        // Only "every sector old" and "stopped at its first byte" leave nothing.
        #expect(nothingReached == 2)
        // The untouched log holds the last batch: the tears above removed it.
        try original.write(to: URL(fileURLWithPath: path))
        let whole = try RaftLog.open(directory: tmp.path, options: .readOnly)
        defer { whole.close() }
        #expect(whole.lastIndex == before + 1)
        #expect(whole.recoveryReport.labels == [.clean])
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
