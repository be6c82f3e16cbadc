/// A run of consecutive indexes sharing a term: `firstIndex` is where the run starts.
package struct TermRun: Equatable, Sendable {
    package var firstIndex: UInt64
    package var term: UInt64
    package init(firstIndex: UInt64, term: UInt64) {
        self.firstIndex = firstIndex
        self.term = term
    }
}

/// The uncompressed meta of a batch record: what opening the log needs
/// without decompressing the body.
///
/// Format (`docs/FORMAT.md` §4): `termRunCount u32 | confChangeCount u32 | hasHardState u8 | reserved 7B |
///  hardState term u64, vote u64, commit u64 | termRunCount × (firstIndex u64, term u64) |
///  confChangeCount × index u64`
package struct BatchMeta: Equatable, Sendable {
    package var hardState: HardState?
    package var termRuns: [TermRun]
    package var confChangeIndexes: [UInt64]

    static let fixedBytes = 40

    /// Bytes of the meta of a batch with these counts (the record header's
    /// `metaLength` is a u16, so a batch must stay at or below 65535).
    static func encodedBytes(termRuns: Int, confChanges: Int) -> Int {
        fixedBytes + termRuns * 16 + confChanges * 8
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.fixedBytes + termRuns.count * 16 + confChangeIndexes.count * 8)
        w.u32(UInt32(termRuns.count))
        w.u32(UInt32(confChangeIndexes.count))
        w.u8(hardState == nil ? 0 : 1)
        w.zeros(7)
        let hs = hardState ?? .empty
        w.u64(hs.term); w.u64(hs.vote); w.u64(hs.commit)
        for run in termRuns { w.u64(run.firstIndex); w.u64(run.term) }
        for i in confChangeIndexes { w.u64(i) }
        return w.bytes
    }

    /// Decodes and checks the meta against the record header: runs start at
    /// the batch's first index, increase in index and term, and stay inside
    /// the batch; conf-change indexes are inside the batch and increasing.
    static func decode(_ meta: UnsafeRawBufferPointer, firstIndex: UInt64, entryCount: Int) throws(DecodeFailure) -> BatchMeta {
        var r = ByteReader(meta)
        let runCount = Int(try r.u32("term run count"))
        let confCount = Int(try r.u32("conf change count"))
        let has = try r.u8("hasHardState")
        guard has <= 1 else { throw DecodeFailure(offset: 8, reason: "hasHardState is \(has)") }
        try r.skip(7)
        let hs = HardState(term: try r.u64(), vote: try r.u64(), commit: try r.u64())
        guard runCount <= max(entryCount, 0), confCount <= entryCount else {
            throw DecodeFailure(offset: 0, reason: "\(runCount) term runs / \(confCount) conf changes for \(entryCount) entries")
        }
        guard (entryCount == 0) == (runCount == 0) else {
            throw DecodeFailure(offset: 0, reason: "\(runCount) term runs for \(entryCount) entries")
        }
        let end = firstIndex &+ UInt64(entryCount)
        var runs: [TermRun] = []
        // Counts come from disk: reserve no more than the bytes left can hold.
        runs.reserveCapacity(min(runCount, r.remaining / 16))
        for k in 0..<runCount {
            let run = TermRun(firstIndex: try r.u64("run index"), term: try r.u64("run term"))
            if k == 0 {
                guard run.firstIndex == firstIndex else { throw DecodeFailure(offset: r.offset - 16, reason: "first term run starts at \(run.firstIndex), batch at \(firstIndex)") }
            } else {
                let prev = runs[k - 1]
                guard run.firstIndex > prev.firstIndex, run.firstIndex < end, run.term > prev.term else {
                    throw DecodeFailure(offset: r.offset - 16, reason: "term runs are not increasing inside the batch")
                }
            }
            runs.append(run)
        }
        var confs: [UInt64] = []
        confs.reserveCapacity(min(confCount, r.remaining / 8))
        for _ in 0..<confCount {
            let i = try r.u64("conf change index")
            guard i >= firstIndex, i < end, confs.last.map({ i > $0 }) ?? true else {
                throw DecodeFailure(offset: r.offset - 8, reason: "conf change index \(i) outside the batch or not increasing")
            }
            confs.append(i)
        }
        try r.expectEnd("batch meta")
        return BatchMeta(hardState: has == 1 ? hs : nil, termRuns: runs, confChangeIndexes: confs)
    }
}

/// Encodes and decodes batch bodies.
///
/// Body format (`docs/FORMAT.md` §4), before compression: for each entry in
/// index order, `kind u8 | dataLength u32 | data`.
enum BatchCodec {
    /// Builds the meta and raw body of a batch. Entries must be consecutive
    /// with non-decreasing terms (checked by the caller).
    static func encode(_ entries: ArraySlice<Entry>, hardState: HardState?, body: inout [UInt8]) -> BatchMeta {
        var runs: [TermRun] = []
        var confs: [UInt64] = []
        body.removeAll(keepingCapacity: true)
        var total = 0
        for e in entries { total += 5 + e.data.count }
        body.reserveCapacity(total)
        for e in entries {
            if runs.last?.term != e.term { runs.append(TermRun(firstIndex: e.index, term: e.term)) }
            if e.kind == .confChange { confs.append(e.index) }
            body.append(e.kind.rawValue)
            withUnsafeBytes(of: UInt32(e.data.count).littleEndian) { body.append(contentsOf: $0) }
            body.append(contentsOf: e.data)
        }
        return BatchMeta(hardState: hardState, termRuns: runs, confChangeIndexes: confs)
    }

    /// Decodes a raw body into entries `firstIndex ..< firstIndex + count`,
    /// taking terms from the runs. Every length is bounded by the body.
    static func decode(_ body: UnsafeRawBufferPointer, firstIndex: UInt64, count: Int, runs: [TermRun]) throws(DecodeFailure) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(min(count, body.count / 5))  // each entry takes at least 5 bytes
        try visit(body, firstIndex: firstIndex, count: count, runs: runs) { entries.append($0); return true }
        return entries
    }

    /// Decodes a raw body one entry at a time, handing each to `visit`
    /// (return false to stop) and keeping none: memory stays that of one
    /// entry whatever the count a header claims. A stopped visit does not
    /// check the rest of the body. Returns the number of entries visited.
    @discardableResult
    static func visit(_ body: UnsafeRawBufferPointer, firstIndex: UInt64, count: Int, runs: [TermRun],
                      _ visit: (consuming Entry) -> Bool) throws(DecodeFailure) -> Int {
        var r = ByteReader(body)
        var runIndex = 0
        for k in 0..<count {
            let index = firstIndex + UInt64(k)
            while runIndex + 1 < runs.count && runs[runIndex + 1].firstIndex <= index { runIndex += 1 }
            let kindRaw = try r.u8("entry kind")
            guard let kind = EntryKind(rawValue: kindRaw) else {
                throw DecodeFailure(offset: r.offset - 1, reason: "entry \(index): unknown kind \(kindRaw)")
            }
            let length = Int(try r.u32("entry length"))
            // The message is built only on failure: an interpolated label
            // per entry cost a fifth of a replay (perf, raft-bench replay).
            guard length <= r.remaining else {
                throw DecodeFailure(offset: r.offset, reason: "entry \(index) data: needs \(length) bytes, \(r.remaining) left")
            }
            let data = try r.raw(length, "entry data")
            if !visit(Entry(index: index, term: runs.isEmpty ? 0 : runs[runIndex].term, kind: kind, data: data)) { return k + 1 }
        }
        try r.expectEnd("batch body")
        return count
    }
}

/// The meta of a reset record: the snapshot position the log restarts after.
/// Format: `snapshotIndex u64 | snapshotTerm u64`.
struct ResetMeta: Equatable {
    var index: UInt64
    var term: UInt64

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u64(index); w.u64(term)
        return w.bytes
    }

    static func decode(_ meta: UnsafeRawBufferPointer) throws(DecodeFailure) -> ResetMeta {
        var r = ByteReader(meta)
        let m = ResetMeta(index: try r.u64("reset index"), term: try r.u64("reset term"))
        guard m.index < Layout.maxIndex else { throw DecodeFailure(offset: 0, reason: "reset index \(m.index) exceeds \(Layout.maxIndex)") }
        try r.expectEnd("reset meta")
        return m
    }
}
