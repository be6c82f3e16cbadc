extension RaftLog {
    /// Bodies of coalesced appends are merged up to this size; a larger
    /// queue is written in several rounds, each one record and one sync.
    static let groupCommitMaxBytes = 64 << 20

    /// Persists `entries` and `hardState` together and returns when both are
    /// durable. Blocks the calling thread for the write and `fdatasync`.
    ///
    /// - `entries` must be consecutive, with non-decreasing terms. When the
    ///   first index is at or below ``lastIndex``, the entries from that
    ///   index on are replaced (Raft log truncation); the first index may not
    ///   leave a gap after ``lastIndex``, nor replace a committed entry (at or
    ///   below the persisted commit index) or one a snapshot covers.
    /// - A ``EntryKind/confChange`` entry must carry a ``ConfChange``
    ///   encoding (build it with ``Entry/init(index:term:confChange:)``).
    /// - `hardState` (term, vote, commit) is persisted in the same record; a
    ///   commit-only change is synced too. Its term and commit may not
    ///   decrease, and its commit may not exceed the new last index (or the
    ///   snapshot index).
    ///
    /// Concurrent callers are coalesced into one record and one sync (group
    /// commit), in the order they were queued. Callers that each compute
    /// their own indexes must therefore queue in index order; concurrent
    /// proposers that cannot should use ``appendAtEnd(_:term:hardState:)``.
    /// From an async context, use ``appendAsync(_:hardState:)``, which does
    /// not block a cooperative thread.
    ///
    /// - Throws: ``WALError/invalidArgument(_:)`` for a contract violation
    ///   (nothing is written), ``WALError/failStopped(cause:)`` after an
    ///   earlier failed write, ``WALError/io(errno:operation:path:)`` or
    ///   ``WALError/noSpace(path:)`` when this write fails (the log then
    ///   fail-stops: reopen it to recover), ``WALError/readOnly``,
    ///   ``WALError/closed``.
    public func append(_ entries: [Entry], hardState: HardState? = nil) throws(WALError) {
        _ = try enqueueAndWait(PendingAppend(entries: entries, hardState: hardState), whenQueued: nil)
    }

    /// ``append(_:hardState:)`` for async callers: a task that finds another
    /// append in progress suspends (it does not block a thread) until the
    /// group commit that carries its entries is durable.
    ///
    /// - Throws: the errors of ``append(_:hardState:)``.
    public func appendAsync(_ entries: [Entry], hardState: HardState? = nil) async throws(WALError) {
        _ = try await enqueueAsync(entries: entries, hardState: hardState, assignTerm: nil)
    }

    /// Appends entries whose indexes the log assigns: they follow the last
    /// index as the appends queued before this one leave the log. Returns the
    /// indexes given, once they are durable.
    ///
    /// This is the proposal path of a Raft leader with many concurrent
    /// proposers (threads or tasks): every caller's entries land in one
    /// contiguous range, no caller has to serialize with the others, and
    /// the calls are coalesced into one record and one sync per round like
    /// any append. The entries' own `index` and `term` fields are ignored:
    /// each entry gets the next index and `term`.
    ///
    /// ```swift
    /// let indexes = try log.appendAtEnd([Entry(index: 0, term: term, data: command)], term: term)
    /// ```
    ///
    /// - Parameters:
    ///   - entries: the entries, in order.
    ///   - term: the leader's term; not lower than the last entry's term.
    ///   - hardState: persisted with the entries, as in ``append(_:hardState:)``.
    /// - Returns: the indexes given to `entries` (empty when `entries` is empty).
    /// - Throws: the errors of ``append(_:hardState:)``.
    @discardableResult
    public func appendAtEnd(_ entries: [Entry], term: UInt64, hardState: HardState? = nil) throws(WALError) -> Range<UInt64> {
        try enqueueAndWait(PendingAppend(entries: entries, hardState: hardState, assignTerm: term), whenQueued: nil)
    }

    /// ``appendAtEnd(_:term:hardState:)`` for async callers: suspends
    /// without blocking a thread until the entries are durable.
    ///
    /// - Returns: the indexes given to `entries`.
    /// - Throws: the errors of ``append(_:hardState:)``.
    @discardableResult
    public func appendAtEndAsync(_ entries: [Entry], term: UInt64, hardState: HardState? = nil) async throws(WALError) -> Range<UInt64> {
        try await enqueueAsync(entries: entries, hardState: hardState, assignTerm: term)
    }

    /// Persists a hard state alone (for example a new commit index).
    ///
    /// - Throws: the errors of ``append(_:hardState:)``.
    public func setHardState(_ hardState: HardState) throws(WALError) {
        try append([], hardState: hardState)
    }

    /// ``append(_:hardState:)`` with a hook called under the queue lock right
    /// after the request is queued: a test can order queueing without
    /// serializing the syncs.
    package func append(_ entries: [Entry], hardState: HardState?, whenQueued: (() -> Void)?) throws(WALError) {
        _ = try enqueueAndWait(PendingAppend(entries: entries, hardState: hardState), whenQueued: whenQueued)
    }

    /// What the log has written since it was opened.
    public var statistics: LogStatistics { stateLock.withLock { stats } }

    // MARK: Group commit

    /// Queues `request`; the first caller to find no leader becomes the
    /// leader and drains the queue, the others wait for their round.
    private func enqueueAndWait(_ request: PendingAppend, whenQueued: (() -> Void)?) throws(WALError) -> Range<UInt64> {
        queue.lock()
        pending.append(request)
        whenQueued?()
        if leaderActive {
            queue.unlock()
            return try request.wait().get()
        }
        leaderActive = true
        queue.unlock()
        runLeader()
        return try request.wait().get()
    }

    private func enqueueAsync(entries: [Entry], hardState: HardState?, assignTerm: UInt64?) async throws(WALError) -> Range<UInt64> {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Range<UInt64>, WALError>, Never>) in
            let request = PendingAppend(entries: entries, hardState: hardState, assignTerm: assignTerm, continuation: continuation)
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
        return try result.get()
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
            // (a u16 on disk); at least one request, whose own bounds the
            // contract checks.
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
            for (request, result) in zip(round, results) { request.finish(result) }
        }
    }

    /// Numbers, validates, merges and writes one group-commit round. Called
    /// with the writer lock held.
    private func commit(_ round: [PendingAppend]) -> [Result<Range<UInt64>, WALError>] {
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
        var results: [Result<Range<UInt64>, WALError>] = []
        for request in round {
            if request.assignTerm != nil { request.number(from: working.lastIndex + 1) }
            let contract = AppendContract(shape: working, hardState: workingHS, state: current)
            if let why = contract.violation(request) {
                results.append(.failure(.invalidArgument(why)))
                continue
            }
            var written: Range<UInt64> = working.lastIndex + 1 ..< working.lastIndex + 1
            if let f = request.entries.first?.index {
                var runs: [TermRun] = []
                var confs: [UInt64] = []
                for e in request.entries {
                    if runs.last?.term != e.term { runs.append(TermRun(firstIndex: e.index, term: e.term)) }
                    if e.kind == .confChange { confs.append(e.index) }
                }
                let last = request.entries.last!.index
                _ = working.applyEntries(first: f, last: last, runs: runs, confs: confs)
                if let m0 = merged.first?.index, f >= m0 {
                    merged.removeSubrange(Int(f - m0)...)
                    merged.append(contentsOf: request.entries)
                } else {
                    merged = request.entries
                }
                written = f ..< last + 1
            }
            if let hs = request.hardState {
                mergedHS = hs
                workingHS = hs
            }
            results.append(.success(written))
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
        stateLock.withLock {
            for case let .success(range) in results {
                stats.appends += 1
                stats.entries += UInt64(range.count)
            }
        }
        return results
    }
}
