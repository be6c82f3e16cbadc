/// One caller's append, waiting in the group-commit queue.
final class PendingAppend: @unchecked Sendable {
    let entries: [Entry]
    let hardState: HardState?
    /// Set by the leader under the queue lock.
    var result: Result<Void, WALError>?
    let continuation: CheckedContinuation<Result<Void, WALError>, Never>?

    init(entries: [Entry], hardState: HardState?, continuation: CheckedContinuation<Result<Void, WALError>, Never>? = nil) {
        self.entries = entries
        self.hardState = hardState
        self.continuation = continuation
    }

    var bodyBytes: Int { entries.reduce(0) { $0 + 5 + $1.data.count } }
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
            while request.result == nil { queue.wait() }
            let result = request.result!
            queue.unlock()
            return try result.get()
        }
        leaderActive = true
        queue.unlock()
        runLeader()
        let result = queue.withLock { request.result! }
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
            var take = 0, bytes = 0
            while take < pending.count && (take == 0 || bytes + pending[take].bodyBytes <= Self.groupCommitMaxBytes) {
                bytes += pending[take].bodyBytes
                take += 1
            }
            let round = Array(pending[0..<take])
            pending.removeFirst(take)
            queue.unlock()

            let results = writerLock.withLock { commit(round) }

            queue.lock()
            for (request, result) in zip(round, results) { request.result = result }
            queue.broadcast()
            queue.unlock()
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
            if first.index == 0 { return "index 0 is reserved" }
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
        try writeRecord(recordBytes: Layout.alignUp(Layout.recordHeaderBytes + metaBytes.count + payload.count)) { salt, offset, out in
            payload.withUnsafeBytes { p in
                RecordFrame.encode(type: .batch, firstIndex: firstIndex, entryCount: entries.count, meta: metaBytes,
                                   body: p, rawLength: body.count, compressed: compressed, salt: salt, offset: offset, into: &out)
            }
        } publish: { tail, shape, hs in
            _ = tail.shape.applyBatch(firstIndex: firstIndex, entryCount: entries.count, meta: meta)
            _ = shape.applyBatch(firstIndex: firstIndex, entryCount: entries.count, meta: meta)
            if let hardState { hs = hardState }
            return BatchRef(offset: 0, firstIndex: firstIndex, entryCount: entries.count, recordBytes: 0, type: .batch)
        }
    }

    /// Writes a reset record: the log restarts after (index, term). Writer lock held.
    func writeReset(index: UInt64, term: UInt64) throws(WALError) {
        let meta = ResetMeta(index: index, term: term).encoded()
        try writeRecord(recordBytes: Layout.alignUp(Layout.recordHeaderBytes + meta.count)) { salt, offset, out in
            RecordFrame.encode(type: .reset, firstIndex: index + 1, entryCount: 0, meta: meta,
                               body: UnsafeRawBufferPointer(start: nil, count: 0), rawLength: 0, compressed: false,
                               salt: salt, offset: offset, into: &out)
        } publish: { tail, shape, _ in
            tail.shape.applyReset(index: index, term: term)
            shape.applyReset(index: index, term: term)
            return BatchRef(offset: 0, firstIndex: index + 1, entryCount: 0, recordBytes: 0, type: .reset)
        }
    }

    /// The common write path: roll over if needed, frame at the tail's end,
    /// write + sync, then publish the new state. Writer lock held.
    private func writeRecord(recordBytes: Int,
                             frame: (UInt64, UInt64, inout [UInt8]) -> Void,
                             publish: (inout SegmentState, inout LogShape, inout HardState) -> BatchRef) throws(WALError) {
        var (tail, shape, hs, identity) = stateLock.withLock { (state.segments.last!, state.shape, state.hardState, state.identity) }
        do {
            if tail.endOffset > UInt64(Layout.segmentHeaderBytes)
                && tail.endOffset + UInt64(recordBytes) > options.segmentSizeBytes {
                tail = try rollOver(tail, identity: identity, lastIndex: shape.lastIndex, hardState: hs)
            }
            var out: [UInt8] = []
            out.reserveCapacity(recordBytes)
            frame(tail.header.salt, tail.endOffset, &out)
            precondition(out.count == recordBytes, "framed \(out.count) bytes, planned \(recordBytes)")
            try durability.appendAndSync(tail.reader.handle, out, at: tail.endOffset)
        } catch {
            stateLock.withLock { state.failStop = error.description }
            durability.markSyncFailure(error.description)
            logger.error("write failed, log is fail-stopped", metadata: ["error": "\(error)"])
            throw error
        }
        var row = publish(&tail, &shape, &hs)
        row.offset = tail.endOffset
        row.recordBytes = recordBytes
        // Rows and index are appended under the state lock after being moved
        // out of the state's copy, so their storage is uniquely referenced:
        // appending to this local copy instead copied every row of the
        // segment on each append (quadratic: 300k small appends took minutes).
        tail.rows = []
        tail.index = nil
        tail.endOffset += UInt64(recordBytes)
        if let from = tail.shape.rewriteFrom, tail.shape.lastIndex >= from {
            tail.liveFirst = from
            tail.liveLast = tail.shape.lastIndex
        } else {
            tail.kill()
        }
        stateLock.withLock {
            if tail.endOffset > tail.reader.fileSize { tail.reader.fileSize = tail.endOffset }
            let last = state.segments.count - 1
            swap(&tail.rows, &state.segments[last].rows)
            swap(&tail.index, &state.segments[last].index)
            tail.rows.append(row)
            if tail.index == nil { tail.index = SegmentIndex([]) }
            tail.index!.add(row)
            state.segments[last] = tail
            let earlier = state.segments.count - 1
            if row.type == .reset {
                for k in 0..<earlier { state.segments[k].kill() }
            } else if row.entryCount > 0 {
                for k in 0..<earlier { state.segments[k].clip(before: row.firstIndex) }
            }
            state.shape = shape
            state.hardState = hs
        }
    }

    /// Creates the successor segment (durably), then seals `tail`. Returns
    /// the new tail. Writer lock held; the caller fail-stops on a throw.
    private func rollOver(_ tail: SegmentState, identity: LogIdentity, lastIndex: UInt64, hardState: HardState) throws(WALError) -> SegmentState {
        let factory = SegmentFactory(durability: durability, options: options)
        let next = try factory.create(identity: identity, seq: tail.header.seq + 1, firstIndex: lastIndex + 1, hardState: hardState)
        let (bytes, sealOffset) = SegmentFactory.sealBytes(for: tail)
        try durability.seal(tail.reader.handle, bytes, at: tail.endOffset)
        var sealed = tail
        sealed.sealOffset = sealOffset
        sealed.batchTableOffset = tail.endOffset
        sealed.batchCount = tail.rows.count
        sealed.rows = []
        sealed.index = nil  // reloaded from the batch table on demand
        stateLock.withLock {
            sealed.reader.fileSize = tail.endOffset + UInt64(bytes.count)
            state.segments[state.segments.count - 1] = sealed
            state.segments.append(next)
        }
        logger.info("segment sealed", metadata: ["segment": "\(tail.name)", "next": "\(next.name)"])
        return next
    }
}
