extension RaftLog {
    /// Entries in `lo ..< hi`, stopping early once their total size would
    /// exceed `maxBytes` (at least one entry is returned), as etcd's
    /// `Storage.Entries`. A limited read also stops after about `maxBytes`
    /// of records on disk, so compressed entries may come back in more,
    /// smaller pages: like etcd's raft, read fewer entries as "the limit was
    /// reached" and ask again from the next index.
    ///
    /// - Throws: ``WALError/compacted(requested:firstIndex:)`` when `lo` is
    ///   below ``firstIndex``; ``WALError/unavailable(requested:lastIndex:)``
    ///   when `hi` is beyond ``lastIndex`` + 1;
    ///   ``WALError/corrupted(file:offset:indexes:reason:label:)`` when a record
    ///   fails its checksum or decoding (corrupted bytes are never returned).
    public func entries(_ lo: UInt64, _ hi: UInt64, maxBytes: Int = .max) throws(WALError) -> [Entry] {
        // Plan under the state lock (which records hold the range; no I/O but
        // loading a sealed segment's batch table once), then read, verify,
        // decompress and decode without it: a slow follower's catch-up read
        // does not stall appends. The pinned readers stay open even if
        // compaction retires their segments meanwhile; records are never
        // rewritten in place, so the entries are the log as of the plan.
        let plan = try readPlan(lo, hi, maxBytes: maxBytes)
        defer { for step in plan { step.reader.unpin() } }
        var out: [Entry] = []
        out.reserveCapacity(Int(min(hi - lo, 1 << 16, UInt64(maxBytes / 16) + 1)))
        var size = 0
        var full = false
        for step in plan where !full {
            try visitBatch(step) { e in
                if !out.isEmpty && size + e.sizeBytes > maxBytes { full = true; return false }
                size += e.sizeBytes
                out.append(e)
                return true
            }
        }
        return out
    }

    /// Visits the entries in `lo ..< hi` in order, one at a time, keeping
    /// none (return false to stop): the streaming form of
    /// ``entries(_:_:maxBytes:)`` for readers of a whole range (the tools'
    /// rebuilds). Memory stays that of one batch of ordinary size, or of one
    /// entry in a batch too large to hold decoded (``visitBatch(_:_:)``);
    /// the range is planned a few MiB at a time, so a long range costs no
    /// plan of its own size either.
    ///
    /// `visit` runs while the segment's reader is held: it must not read
    /// from this log (appending to another log, as the rebuilds do, is fine).
    ///
    /// - Throws: the errors of ``entries(_:_:maxBytes:)``.
    package func forEachEntry(_ lo: UInt64, _ hi: UInt64, _ visit: (Entry) -> Bool) throws(WALError) {
        var next = lo
        while next < hi {
            let plan = try readPlan(next, hi, maxBytes: 4 << 20)
            defer { for step in plan { step.reader.unpin() } }
            var stopped = false
            for step in plan where !stopped {
                try visitBatch(step) { e in
                    if !visit(e) { stopped = true; return false }
                    return true
                }
            }
            if stopped { return }
            guard let last = plan.last?.last else { return }
            next = last + 1
        }
    }

    /// Entries in `range`, as ``entries(_:_:maxBytes:)``.
    ///
    /// - Throws: the errors of ``entries(_:_:maxBytes:)``.
    public func entries(in range: Range<UInt64>, maxBytes: Int = .max) throws(WALError) -> [Entry] {
        try entries(range.lowerBound, range.upperBound, maxBytes: maxBytes)
    }

    /// One record to read for a range: its segment's reader (pinned), the
    /// batch, and the indexes wanted from it.
    struct ReadStep {
        let segment: String
        let reader: SegmentReader
        let ref: BatchRef
        let first: UInt64
        let last: UInt64
    }

    /// The records holding `lo ..< hi`, in order, each reader pinned; stops
    /// planning once `maxBytes` is certainly reached (every entry counts at
    /// least 16 bytes) or once the planned records hold `maxBytes` on disk:
    /// a limited read plans about what it reads, not the rest of the log (a
    /// page of 128-byte entries planned nine times the entries it returned).
    /// A sealed segment whose batch table is not in memory has it loaded
    /// without the state lock, and the plan is made again.
    private func readPlan(_ lo: UInt64, _ hi: UInt64, maxBytes: Int) throws(WALError) -> [ReadStep] {
        enum Attempt {
            case plan([ReadStep])
            /// Sealed segments of the range whose batch tables are not in
            /// memory (readers pinned): loaded together, then planned again.
            case needTables([(reader: SegmentReader, seal: SealMeta, name: String)])
        }
        // Tables loaded by this call: used even if the cache evicts them meanwhile.
        var loaded: [String: SegmentIndex] = [:]
        while true {
            let attempt = try stateLock.withLock { () throws(WALError) -> Attempt in
                readPlanPasses += 1
                if state.closed { throw WALError.closed }
                let first = state.firstIndex, last = state.lastIndex
                if lo < first { throw WALError.compacted(requested: lo, firstIndex: first) }
                if hi > last + 1 { throw WALError.unavailable(requested: hi - 1, lastIndex: last) }
                var plan: [ReadStep] = []
                func abandon() { for step in plan { step.reader.unpin() } }
                var minimumBytes = 0, recordBytes = 0
                var i = lo
                while i < hi && (plan.isEmpty || (minimumBytes <= maxBytes && recordBytes < maxBytes)) {
                    guard let position = state.segmentPosition(holding: i) else {
                        abandon()
                        throw WALError.corrupted(file: directory, offset: nil, indexes: i...i, reason: "no segment holds index \(i)")
                    }
                    let segment = state.segments[position]
                    guard let index = segment.index ?? loaded[segment.name] ?? readCache.table(segment.name) else {
                        abandon()
                        // This segment's table and those of the next sealed segments of the
                        // range that lack theirs (the cache keeps few): one pass per
                        // `tablesPerLoad` tables, where a pass per table re-planned the
                        // range from `lo` each time (quadratic in segments: a kill loop's
                        // check of 484 segments spent minutes planning).
                        var missing: [(reader: SegmentReader, seal: SealMeta, name: String)] = []
                        var p = position
                        while p < state.segments.count && missing.count < Self.tablesPerLoad {
                            let s = state.segments[p]
                            if s.liveFirst >= hi { break }
                            if s.isSealed && s.index == nil && loaded[s.name] == nil && readCache.table(s.name) == nil {
                                s.reader.pin()
                                missing.append((s.reader, SealMeta(shape: s.shape, batchTableOffset: s.batchTableOffset, batchCount: s.batchCount), s.name))
                            }
                            p += 1
                        }
                        return .needTables(missing)
                    }
                    guard let span = index.span(containing: i) else {
                        abandon()
                        throw WALError.corrupted(file: segment.name, offset: nil, indexes: i...i, reason: "the segment's batch table has no record for index \(i)")
                    }
                    let upper = min(span.last, segment.liveLast, hi - 1)
                    segment.reader.pin()
                    plan.append(ReadStep(segment: segment.name, reader: segment.reader, ref: span.batch, first: i, last: upper))
                    minimumBytes += Int(min(upper - i + 1, UInt64(Int.max / 32))) * 16
                    recordBytes += span.batch.recordBytes
                    i = upper + 1
                }
                return .plan(plan)
            }
            switch attempt {
            case .plan(let plan):
                return plan
            case .needTables(let missing):
                defer { for m in missing { m.reader.unpin() } }
                for m in missing {
                    let index = SegmentIndex(try Self.loadBatchTable(m.reader, m.seal))
                    loaded[m.name] = index
                    stateLock.withLock { readCache.insert(index, for: m.name) }
                }
            }
        }
    }

    /// Batch tables loaded per planning pass (``readPlan(_:_:maxBytes:)``).
    static let tablesPerLoad = 64

    /// The entry at `index`.
    public func entry(_ index: UInt64) throws(WALError) -> Entry {
        try entries(index, index + 1)[0]
    }

    /// The term of the entry at `index`, also for the snapshot's index just
    /// below ``firstIndex`` (etcd's `Storage.Term`). Answered from memory.
    public func term(_ index: UInt64) throws(WALError) -> UInt64 {
        try stateLock.withLock { () throws(WALError) -> UInt64 in
            if state.closed { throw WALError.closed }
            let first = state.firstIndex, last = state.lastIndex
            if index > last { throw WALError.unavailable(requested: index, lastIndex: last) }
            if index < first {
                if let t = state.baseTerm(at: index), index == first - 1 { return t }
                throw WALError.compacted(requested: index, firstIndex: first)
            }
            guard let t = state.shape.term(of: index) else {
                throw WALError.corrupted(file: directory, offset: nil, indexes: index...index, reason: "no term known for index \(index)")
            }
            return t
        }
    }

    /// The membership in force at `index`: the newest snapshot at or below
    /// it plus the configuration changes after the snapshot up to `index`.
    ///
    /// - Throws: ``WALError/compacted(requested:firstIndex:)`` when the
    ///   entries needed were compacted and no snapshot covers them.
    public func membership(at index: UInt64) throws(WALError) -> Membership {
        let (snapshot, first, confs) = try stateLock.withLock { () throws(WALError) in
            if state.closed { throw WALError.closed }
            return (state.snapshot, state.firstIndex, state.shape.confChangeIndexes)
        }
        var members = Membership()
        var from: UInt64 = 1
        if let snapshot, snapshot.index <= index {
            members = snapshot.membership
            from = snapshot.index + 1
        }
        if from <= index && from < first {
            // Entries between the snapshot and the first held index are gone.
            throw WALError.compacted(requested: from, firstIndex: first)
        }
        for c in confs where c >= from && c <= index {
            let e = try entry(c)
            members.apply(try ConfChange(decoding: e.data, index: c), at: c)
        }
        return members
    }

    /// The membership as of the last index.
    public func membership() throws(WALError) -> Membership {
        try membership(at: lastIndex)
    }

    /// The membership as of the persisted commit index.
    public func committedMembership() throws(WALError) -> Membership {
        let (commit, last) = stateLock.withLock { (state.hardState.commit, state.lastIndex) }
        return try membership(at: min(commit, last))
    }

    // MARK: Internals

    /// A sealed segment's batch table, read through its seal (no lock held);
    /// rebuilt from the records when a crash kept the seal but not its table.
    static func loadBatchTable(_ reader: SegmentReader, _ seal: SealMeta) throws(WALError) -> [BatchRef] {
        do { return try reader.readBatchTable(seal) } catch {
            guard let rebuilt = try reader.rebuildBatchTable(seal) else { throw error }
            return rebuilt
        }
    }

    /// A batch whose entries, decoded, would take more than this (raw body
    /// plus 64 bytes an entry) is never held decoded: each read visits it
    /// entry by entry. A checksum-valid header may claim 2^24 entries and a
    /// 1 GiB raw body from a few MiB on disk; ordinary batches, even ones too
    /// large for the read cache, keep the cache's oversize slot.
    static let largestHeldBatchBytes = 64 << 20

    /// Hands the entries `step.first ... step.last` of the step's batch to
    /// `visit` in order (return false to stop): from the read cache, from
    /// the batch decoded whole (and cached), or for a batch above
    /// ``largestHeldBatchBytes`` streamed from its record.
    private func visitBatch(_ step: ReadStep, _ visit: (Entry) -> Bool) throws(WALError) {
        let key = ReadCache.Key(segment: step.segment, offset: step.ref.offset)
        var batch = stateLock.withLock({ readCache.batch(key) })
        if batch == nil {
            batch = try step.reader.withRecord(at: step.ref.offset) { (view) throws(WALError) -> [Entry]? in
                let h = view.header
                guard h.rawLength + h.entryCount * 64 > Self.largestHeldBatchBytes else {
                    return try checkedBatch(BatchRecordCodec.decode(view, file: step.segment), step)
                }
                guard h.type == .batch, h.entryCount == step.ref.entryCount, h.firstIndex == step.ref.firstIndex else {
                    throw mismatch(step, count: h.entryCount, first: h.firstIndex)
                }
                try BatchRecordCodec.visit(view, file: step.segment) { e in
                    if e.index < step.first { return true }
                    return visit(e) && e.index < step.last
                }
                return nil
            }
            guard let decoded = batch else { return }
            stateLock.withLock { readCache.insert(decoded, for: key) }
        }
        let base = step.ref.firstIndex
        for e in batch![Int(step.first - base)...Int(step.last - base)] {
            if !visit(e) { return }
        }
    }

    private func checkedBatch(_ entries: [Entry], _ step: ReadStep) throws(WALError) -> [Entry] {
        guard entries.count == step.ref.entryCount, entries.first?.index == step.ref.firstIndex else {
            throw mismatch(step, count: entries.count, first: entries.first?.index ?? 0)
        }
        return entries
    }

    private func mismatch(_ step: ReadStep, count: Int, first: UInt64) -> WALError {
        WALError.corrupted(file: step.segment, offset: step.ref.offset, indexes: nil,
                           reason: "record holds \(count) entries from \(first), the batch table says \(step.ref.entryCount) from \(step.ref.firstIndex)")
    }
}
