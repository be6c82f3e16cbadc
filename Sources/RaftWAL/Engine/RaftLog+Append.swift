/// One caller's append, waiting in the group-commit queue.
final class PendingAppend: @unchecked Sendable {
    let entries: [Entry]
    let hardState: HardState?
    /// Set by the leader under the queue lock.
    var result: Result<Void, WALError>?
    /// Guards `result` for blocking callers and is signalled when it is set,
    /// so a round wakes only its own callers: one broadcast on the queue woke
    /// every waiting caller each round (64 writers on 2 cores: ~20 entries per
    /// round, most wake-ups for callers of the next round).
    let done = ConditionLock()
    let continuation: CheckedContinuation<Result<Void, WALError>, Never>?

    /// Sizes that bound how many requests one record may carry.
    let bodyBytes: Int
    let metaBytes: Int

    init(entries: [Entry], hardState: HardState?, continuation: CheckedContinuation<Result<Void, WALError>, Never>? = nil) {
        self.entries = entries
        self.hardState = hardState
        self.continuation = continuation
        var body = 0, runs = 0, confs = 0
        var lastTerm: UInt64? = nil
        for e in entries {
            body += 5 + e.data.count
            if e.term != lastTerm { runs += 1; lastTerm = e.term }
            if e.kind == .confChange { confs += 1 }
        }
        bodyBytes = body
        metaBytes = BatchMeta.encodedBytes(termRuns: runs, confChanges: confs)
    }
}

extension RaftLog {
    /// Bodies of coalesced appends are merged up to this size; a larger
    /// queue is written in several rounds, each one record and one sync.
    static let groupCommitMaxBytes = 64 << 20

    /// Persists `entries` and `hardState` together and returns when both are
    /// durable.
    ///
    /// - `entries` must be consecutive, with non-decreasing terms. When the
    ///   first index is at or below ``lastIndex``, the entries from that
    ///   index on are replaced (Raft log truncation); the first index may not
    ///   leave a gap after ``lastIndex`` nor rewrite what a snapshot covers.
    /// - `hardState` (term, vote, commit) is persisted in the same record; a
    ///   commit-only change is synced too. Its commit may not exceed the new
    ///   last index (or the snapshot index).
    ///
    /// Blocks the calling thread for the write and `fdatasync`; concurrent
    /// callers are coalesced into one record and one sync.
    ///
    /// - Throws: ``WALError/invalidArgument(_:)`` for a contract violation
    ///   (nothing is written), ``WALError/failStopped(cause:)`` after an
    ///   earlier failed write, ``WALError/io(errno:operation:path:)`` or
    ///   ``WALError/noSpace(path:)`` when this write fails (the log then
    ///   fail-stops: reopen it to recover).
    public func append(_ entries: [Entry], hardState: HardState? = nil) throws(WALError) {
        try append(entries, hardState: hardState, whenQueued: nil)
    }

    /// ``append(_:hardState:)`` with a hook called under the queue lock right
    /// after the request is queued. For `raft-bench`'s concurrent writers:
    /// they pick their indexes under their own lock and release it from the
    /// hook, so queue order equals index order without serializing the syncs.
    package func append(_ entries: [Entry], hardState: HardState?, whenQueued: (() -> Void)?) throws(WALError) {
        let request = PendingAppend(entries: entries, hardState: hardState)
        queue.lock()
        pending.append(request)
        whenQueued?()
        if leaderActive {
            queue.unlock()
            request.done.lock()
            while request.result == nil { request.done.wait() }
            let result = request.result!
            request.done.unlock()
            return try result.get()
        }
        leaderActive = true
        queue.unlock()
        runLeader()
        let result = request.done.withLock { request.result! }
        try result.get()
    }

    /// The same as ``append(_:hardState:)`` for async callers: a task that
    /// finds another append in progress suspends (it does not block a
    /// thread) until the group commit that carries its entries is durable.
    public func append(_ entries: [Entry], hardState: HardState? = nil) async throws(WALError) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, WALError>, Never>) in
            let request = PendingAppend(entries: entries, hardState: hardState, continuation: continuation)
            queue.lock()
            pending.append(request)
            if leaderActive {
                queue.unlock()
                return
            }
            leaderActive = true
            queue.unlock()
            runLeader()
        }
        try result.get()
    }

    /// Persists a hard state alone (for example a new commit index).
    public func setHardState(_ hardState: HardState) throws(WALError) {
        try append([], hardState: hardState)
    }

    /// Drains the queue: each round takes what is pending, writes it as one
    /// record with one sync, and wakes its callers.
    private func runLeader() {
        while true {
            queue.lock()
            if pending.isEmpty {
                leaderActive = false
                queue.unlock()
                return
            }
            // One record per round: bounded in body bytes, entries and meta
            // (a u16 on disk); at least one request, whose own bounds
            // `validate` checks.
            var take = 0, bytes = 0, count = 0, meta = BatchMeta.fixedBytes
            while take < pending.count {
                let next = pending[take]
                let fits = bytes + next.bodyBytes <= Self.groupCommitMaxBytes
                    && count + next.entries.count <= Layout.maxEntriesPerBatch
                    && meta + next.metaBytes - BatchMeta.fixedBytes <= Int(UInt16.max)
                if take > 0 && !fits { break }
                bytes += next.bodyBytes
                count += next.entries.count
                meta += next.metaBytes - BatchMeta.fixedBytes
                take += 1
            }
            let round = Array(pending[0..<take])
            pending.removeFirst(take)
            queue.unlock()

            let results = writerLock.withLock { commit(round) }

            for (request, result) in zip(round, results) {
                request.done.lock()
                request.result = result
                request.done.broadcast()
                request.done.unlock()
            }
            for (request, result) in zip(round, results) { request.continuation?.resume(returning: result) }
        }
    }

    /// Validates, merges and writes one group-commit round. Called with the writer lock held.
    private func commit(_ round: [PendingAppend]) -> [Result<Void, WALError>] {
        let snapshotState = stateLock.withLock { () -> (LogState?, WALError?) in
            if state.closed { return (nil, .closed) }
            if options.access == .readOnly { return (nil, .readOnly) }
            if let cause = state.failStop { return (nil, .failStopped(cause: cause)) }
            return (state, nil)
        }
        guard var current = snapshotState.0 else {
            return round.map { _ in .failure(snapshotState.1!) }
        }
        // Validation needs positions only. Holding the segments' rows would
        // make the write path's in-place append of a row copy them all.
        for k in current.segments.indices {
            current.segments[k].rows = []
            current.segments[k].index = nil
        }
        // Validate each request against the log as the previous ones leave it.
        var working = current.shape
        var workingHS = current.hardState
        var merged: [Entry] = []
        var mergedHS: HardState? = nil
        var results: [Result<Void, WALError>] = []
        for request in round {
            if let why = validate(request, against: working, hardState: workingHS, state: current) {
                results.append(.failure(.invalidArgument(why)))
                continue
            }
            if let f = request.entries.first?.index {
                var runs: [TermRun] = []
                var confs: [UInt64] = []
                for e in request.entries {
                    if runs.last?.term != e.term { runs.append(TermRun(firstIndex: e.index, term: e.term)) }
                    if e.kind == .confChange { confs.append(e.index) }
                }
                _ = working.applyEntries(first: f, last: request.entries.last!.index, runs: runs, confs: confs)
                if let m0 = merged.first?.index, f >= m0 {
                    merged.removeSubrange(Int(f - m0)...)
                    merged.append(contentsOf: request.entries)
                } else {
                    merged = request.entries
                }
            }
            if let hs = request.hardState {
                mergedHS = hs
                workingHS = hs
            }
            results.append(.success(()))
        }
        guard !merged.isEmpty || mergedHS != nil else { return results }
        do {
            try writeBatch(merged, hardState: mergedHS)
        } catch {
            return results.map { r in
                if case .success = r { return .failure(error) }
                return r
            }
        }
        return results
    }

    /// The contract of ``append(_:hardState:)``; nil when `request` keeps it.
    private func validate(_ request: PendingAppend, against shape: LogShape, hardState: HardState, state: LogState) -> String? {
        let entries = request.entries
        var newLast = shape.lastIndex
        if let first = entries.first {
            var bodyBytes = 0
            for (k, e) in entries.enumerated() {
                if e.index != first.index + UInt64(k) { return "entries are not consecutive: \(e.index) follows \(first.index + UInt64(k) - 1)" }
                if k > 0 && e.term < entries[k - 1].term { return "term decreases at index \(e.index)" }
                if e.data.count > Layout.maxEntryBytes { return "entry \(e.index) has \(e.data.count) bytes, more than \(Layout.maxEntryBytes)" }
                bodyBytes += 5 + e.data.count
            }
            if bodyBytes > Layout.maxBodyBytes { return "batch of \(bodyBytes) bytes exceeds \(Layout.maxBodyBytes): split it" }
            if entries.count > Layout.maxEntriesPerBatch {
                return "batch of \(entries.count) entries exceeds \(Layout.maxEntriesPerBatch): split it"
            }
            if request.metaBytes > Int(UInt16.max) {
                return "batch spans too many terms and conf changes for one record (\(request.metaBytes) meta bytes, at most 65535): split it"
            }
            if first.index == 0 { return "index 0 is reserved" }
            if first.index > Layout.maxIndex - UInt64(entries.count) {
                return "index \(first.index) with \(entries.count) entries exceeds \(Layout.maxIndex), the largest index the format reads back"
            }
            if first.index > shape.lastIndex + 1 {
                return "append at \(first.index) would leave a gap after the last index \(shape.lastIndex)"
            }
            let base = max(state.snapshot?.index ?? 0, shape.reset?.index ?? 0)
            if first.index <= base { return "append at \(first.index) rewrites entries covered by the snapshot at \(base)" }
            if first.index < state.firstIndex { return "append at \(first.index) is below the first index \(state.firstIndex)" }
            let previous = first.index - 1
            let prevTerm = shape.term(of: previous) ?? state.baseTerm(at: previous)
            if let prevTerm, first.term < prevTerm {
                return "entry \(first.index) has term \(first.term), lower than the term \(prevTerm) of entry \(previous)"
            }
            newLast = entries.last!.index
        }
        if let hs = request.hardState {
            if hs.term < hardState.term { return "hard state term \(hs.term) is lower than the persisted \(hardState.term)" }
            let limit = max(newLast, state.snapshot?.index ?? 0)
            if hs.commit > limit { return "commit \(hs.commit) is beyond the last index \(limit)" }
        }
        return nil
    }

    /// Encodes, frames, writes and syncs one batch record, rolling the
    /// segment over first when the record does not fit. Writer lock held.
    /// Any failure fail-stops the log.
    func writeBatch(_ entries: [Entry], hardState: HardState?) throws(WALError) {
        var body: [UInt8] = []
        let meta = BatchCodec.encode(entries[...], hardState: hardState, body: &body)
        var stored: [UInt8] = []
        let compressed = options.compression && body.count >= 64 && body.withUnsafeBytes { LZ4.compress($0, into: &stored) }
        let payload = compressed ? stored : body
        let firstIndex = entries.first?.index ?? (stateLock.withLock { state.lastIndex } + 1)
        let metaBytes = meta.encoded()
        let row = BatchRef(offset: 0, firstIndex: firstIndex, entryCount: entries.count, recordBytes: 0, type: .batch)
        try writeRecord(recordBytes: Layout.alignUp(Layout.recordHeaderBytes + metaBytes.count + payload.count), row: row,
                        hardState: hardState) { salt, offset, out in
            payload.withUnsafeBytes { p in
                RecordFrame.encode(type: .batch, firstIndex: firstIndex, entryCount: entries.count, meta: metaBytes,
                                   body: p, rawLength: body.count, compressed: compressed, salt: salt, offset: offset, into: &out)
            }
        } apply: { shape in
            _ = shape.applyBatch(firstIndex: firstIndex, entryCount: entries.count, meta: meta)
        }
    }

    /// Writes a reset record: the log restarts after (index, term). Writer lock held.
    func writeReset(index: UInt64, term: UInt64) throws(WALError) {
        let meta = ResetMeta(index: index, term: term).encoded()
        let row = BatchRef(offset: 0, firstIndex: index + 1, entryCount: 0, recordBytes: 0, type: .reset)
        try writeRecord(recordBytes: Layout.alignUp(Layout.recordHeaderBytes + meta.count), row: row, hardState: nil) { salt, offset, out in
            RecordFrame.encode(type: .reset, firstIndex: index + 1, entryCount: 0, meta: meta,
                               body: UnsafeRawBufferPointer(start: nil, count: 0), rawLength: 0, compressed: false,
                               salt: salt, offset: offset, into: &out)
        } apply: { shape in
            shape.applyReset(index: index, term: term)
        }
    }

    /// The common write path: roll over if needed, frame at the tail's end,
    /// write + sync, then publish. Writer lock held. The tail's batch table,
    /// index and shape are mutated in place under the state lock, never
    /// copied out and back (a copy would make every append O(segment)).
    private func writeRecord(recordBytes: Int, row: BatchRef, hardState: HardState?,
                             frame: (UInt64, UInt64, inout [UInt8]) -> Void,
                             apply: (inout LogShape) -> Void) throws(WALError) {
        func tailPosition() -> (offset: UInt64, salt: UInt64, handle: any FileHandle) {
            stateLock.withLock {
                let t = state.segments[state.segments.count - 1]
                return (t.endOffset, t.header.salt, t.reader.handle)
            }
        }
        var tail = tailPosition()
        do {
            if tail.offset > UInt64(Layout.segmentHeaderBytes) && tail.offset + UInt64(recordBytes) > options.segmentSizeBytes {
                try rollOver()
                tail = tailPosition()
            }
            var out: [UInt8] = []
            out.reserveCapacity(recordBytes)
            frame(tail.salt, tail.offset, &out)
            precondition(out.count == recordBytes, "framed \(out.count) bytes, planned \(recordBytes)")
            try durability.appendAndSync(tail.handle, out, at: tail.offset)
        } catch {
            stateLock.withLock { state.failStop = error.description }
            durability.markSyncFailure(error.description)
            logger.error("write failed, log is fail-stopped", metadata: ["error": "\(error)"])
            throw error
        }
        stateLock.withLock {
            let last = state.segments.count - 1
            var row = row
            row.offset = tail.offset
            row.recordBytes = recordBytes
            apply(&state.segments[last].shape)
            apply(&state.shape)
            if let hardState { state.hardState = hardState }
            state.segments[last].rows.append(row)
            if state.segments[last].index == nil { state.segments[last].index = SegmentIndex([]) }
            state.segments[last].index!.add(row)
            state.segments[last].endOffset = tail.offset + UInt64(recordBytes)
            let reader = state.segments[last].reader
            if reader.fileSize < tail.offset + UInt64(recordBytes) { reader.fileSize = tail.offset + UInt64(recordBytes) }
            let own = state.segments[last].shape
            if let from = own.rewriteFrom, own.lastIndex >= from {
                state.segments[last].liveFirst = from
                state.segments[last].liveLast = own.lastIndex
            } else {
                state.segments[last].kill()
            }
            if row.type == .reset {
                for k in 0..<last { state.segments[k].kill() }
            } else if row.entryCount > 0 {
                for k in 0..<last { state.segments[k].clip(before: row.firstIndex) }
            }
        }
    }

    /// Creates the successor segment (durably), then seals the tail.
    /// Writer lock held; the caller fail-stops on a throw.
    private func rollOver() throws(WALError) {
        // The successor follows what the tail holds on disk: while a reset found
        // at open is pending, the log's shape already ends at the snapshot, but
        // the reset record (in the successor) is not written yet.
        let (tail, identity, lastIndex, hardState) = stateLock.withLock {
            (state.segments[state.segments.count - 1], state.identity, state.segments[state.segments.count - 1].shape.lastIndex,
             state.hardState)
        }
        let factory = SegmentFactory(durability: durability, options: options)
        let next = try factory.create(identity: identity, seq: tail.header.seq + 1, firstIndex: lastIndex + 1, hardState: hardState)
        var sealed = tail
        var sealedSize = tail.reader.fileSize
        if let (bytes, sealOffset) = SegmentFactory.sealBytes(for: tail) {
            try durability.seal(tail.reader.handle, bytes, at: tail.endOffset)
            sealedSize = tail.endOffset + UInt64(bytes.count)
            sealed.sealOffset = sealOffset
            sealed.batchTableOffset = tail.endOffset
            sealed.batchCount = tail.rows.count
            sealed.rows = []
            sealed.index = nil  // reloaded from the batch table on demand
        } else {
            logger.info("segment left unsealed: its summary does not fit a seal record", metadata: ["segment": "\(tail.name)"])
        }
        stateLock.withLock {
            sealed.reader.fileSize = sealedSize
            state.segments[state.segments.count - 1] = sealed
            state.segments.append(next)
        }
        logger.info("segment sealed", metadata: ["segment": "\(tail.name)", "next": "\(next.name)"])
    }
}
