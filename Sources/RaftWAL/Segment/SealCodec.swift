/// One row of a segment's batch table: where a batch (or reset) record is.
///
/// Format (`docs/FORMAT.md` §7), 32 bytes: `offset u64 | firstIndex u64 | entryCount u32 |
/// recordBytes u32 | type u8 | reserved 7B`.
package struct BatchRef: Equatable, Sendable {
    package var offset: UInt64
    package var firstIndex: UInt64
    package var entryCount: Int
    package var recordBytes: Int
    package var type: RecordType

    package var lastIndex: UInt64 { firstIndex + UInt64(entryCount) - 1 }
}

/// The meta of a seal record: a segment's summary, read at open instead of
/// scanning the segment.
///
/// Format (`docs/FORMAT.md` §7): `lastIndex u64 | rewriteFrom u64 (0 = none) | batchTableOffset u64 |
///  batchCount u32 | termRunCount u32 | confChangeCount u32 | hasHardState u8 | hasReset u8 | reserved 2B |
///  hardState (term, vote, commit) u64×3 | reset (index, term) u64×2 | runs (firstIndex, term) u64×2 each |
///  conf-change indexes u64 each`
struct SealMeta: Equatable {
    var shape: LogShape
    var batchTableOffset: UInt64
    var batchCount: Int

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u64(shape.lastIndex)
        w.u64(shape.rewriteFrom ?? 0)
        w.u64(batchTableOffset)
        w.u32(UInt32(batchCount))
        w.u32(UInt32(shape.termRuns.count))
        w.u32(UInt32(shape.confChangeIndexes.count))
        w.u8(shape.hardState == nil ? 0 : 1)
        w.u8(shape.reset == nil ? 0 : 1)
        w.zeros(2)
        let hs = shape.hardState ?? .empty
        w.u64(hs.term); w.u64(hs.vote); w.u64(hs.commit)
        w.u64(shape.reset?.index ?? 0); w.u64(shape.reset?.term ?? 0)
        for run in shape.termRuns { w.u64(run.firstIndex); w.u64(run.term) }
        for i in shape.confChangeIndexes { w.u64(i) }
        return w.bytes
    }

    static func decode(_ meta: UnsafeRawBufferPointer, startingAfter before: UInt64) throws(DecodeFailure) -> SealMeta {
        var r = ByteReader(meta)
        let last = try r.u64("lastIndex")
        let from = try r.u64("rewriteFrom")
        let tableOffset = try r.u64("batchTableOffset")
        let batchCount = Int(try r.u32("batchCount"))
        let runCount = Int(try r.u32("termRunCount"))
        let confCount = Int(try r.u32("confChangeCount"))
        let hasHS = try r.u8(), hasReset = try r.u8()
        try r.skip(2)
        let hs = HardState(term: try r.u64(), vote: try r.u64(), commit: try r.u64())
        let resetIndex = try r.u64(), resetTerm = try r.u64()
        guard hasHS <= 1, hasReset <= 1 else { throw DecodeFailure(offset: 36, reason: "bad flags") }
        // Every index read from disk is bounded (Layout.maxIndex), so the
        // arithmetic below and at open (`last + 1`) cannot overflow.
        for (value, offset, name) in [(last, 0, "lastIndex"), (from, 8, "rewriteFrom"), (resetIndex, 64, "reset index")]
        where value > Layout.maxIndex {
            throw DecodeFailure(offset: offset, reason: "\(name) \(value) exceeds \(Layout.maxIndex)")
        }
        guard runCount * 16 + confCount * 8 == r.remaining else {
            throw DecodeFailure(offset: 28, reason: "\(runCount) runs and \(confCount) conf changes do not fill the meta")
        }
        var shape = LogShape(continuingAfter: before)
        shape.lastIndex = last
        shape.rewriteFrom = from == 0 ? nil : from
        shape.hardState = hasHS == 1 ? hs : nil
        shape.reset = hasReset == 1 ? LogShape.ResetPoint(index: resetIndex, term: resetTerm) : nil
        for _ in 0..<runCount {
            let run = TermRun(firstIndex: try r.u64(), term: try r.u64())
            guard run.firstIndex <= Layout.maxIndex else {
                throw DecodeFailure(offset: r.offset - 16, reason: "term run at index \(run.firstIndex) exceeds \(Layout.maxIndex)")
            }
            shape.termRuns.append(run)
        }
        for _ in 0..<confCount {
            let index = try r.u64()
            guard index <= Layout.maxIndex else {
                throw DecodeFailure(offset: r.offset - 8, reason: "conf-change index \(index) exceeds \(Layout.maxIndex)")
            }
            shape.confChangeIndexes.append(index)
        }
        if let f = shape.rewriteFrom {
            guard f <= last + 1, shape.termRuns.first?.firstIndex == f || last < f else {
                throw DecodeFailure(offset: 8, reason: "term runs do not start at rewriteFrom \(f)")
            }
        }
        return SealMeta(shape: shape, batchTableOffset: tableOffset, batchCount: batchCount)
    }
}

enum BatchTableCodec {
    static let rowBytes = 32

    static func encode(_ rows: [BatchRef]) -> [UInt8] {
        var w = ByteWriter(capacity: rows.count * rowBytes)
        for b in rows {
            w.u64(b.offset); w.u64(b.firstIndex); w.u32(UInt32(b.entryCount)); w.u32(UInt32(b.recordBytes))
            w.u8(b.type.rawValue); w.zeros(7)
        }
        return w.bytes
    }

    static func decode(_ body: UnsafeRawBufferPointer, count: Int) throws(DecodeFailure) -> [BatchRef] {
        guard body.count == count * rowBytes else {
            throw DecodeFailure(offset: 0, reason: "batch table of \(body.count) bytes for \(count) rows")
        }
        var r = ByteReader(body)
        var rows: [BatchRef] = []
        rows.reserveCapacity(count)
        for _ in 0..<count {
            let offset = try r.u64(), first = try r.u64(), n = Int(try r.u32()), bytes = Int(try r.u32())
            let t = try r.u8()
            try r.skip(7)
            guard let type = RecordType(rawValue: t), type == .batch || type == .reset else {
                throw DecodeFailure(offset: r.offset - 8, reason: "batch table row of type \(t)")
            }
            // The same bounds the record frame enforces, so `lastIndex` and
            // `offset + recordBytes` cannot overflow.
            guard first <= Layout.maxIndex - UInt64(n), n <= Layout.maxEntriesPerBatch, offset <= Layout.maxIndex else {
                throw DecodeFailure(offset: r.offset - rowBytes, reason: "batch table row: first index \(first), \(n) entries, offset \(offset) out of range")
            }
            rows.append(BatchRef(offset: offset, firstIndex: first, entryCount: n, recordBytes: bytes, type: type))
        }
        return rows
    }
}

/// Normalizes a segment's batch table into disjoint index ranges, newest
/// write winning: the lookup structure for reads.
struct SegmentIndex: Sendable {
    struct Span: Sendable {
        var first: UInt64
        var last: UInt64
        var batch: BatchRef
    }
    private(set) var spans: [Span] = []

    init(_ rows: [BatchRef]) {
        for row in rows { add(row) }
    }

    mutating func add(_ row: BatchRef) {
        if row.type == .reset { spans.removeAll(); return }
        // Entries from `first` on replace what was there; a batch without
        // entries below the end is a truncation record (it only cuts), and a
        // hard state at the end cuts nothing.
        let first = row.firstIndex
        while let last = spans.last, last.first >= first { spans.removeLast() }
        if let last = spans.last, last.last >= first { spans[spans.count - 1].last = first - 1 }
        guard row.entryCount > 0 else { return }
        spans.append(Span(first: first, last: row.lastIndex, batch: row))
    }

    /// The span holding `index`.
    func span(containing index: UInt64) -> Span? {
        var lo = 0, hi = spans.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let s = spans[mid]
            if index < s.first { hi = mid - 1 } else if index > s.last { lo = mid + 1 } else { return s }
        }
        return nil
    }
}
