import Synchronization
extension RaftLog {
    /// Bodies of coalesced appends are merged up to this size; a larger
    /// queue is written in several rounds, each one record and one sync.
    static let groupCommitMaxBytes = 64 << 20

    /// Persists `entries` and `hardState` together and returns when both are
    /// durable. The log's writer thread writes and syncs; the calling thread
    /// blocks until its round is durable.
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

    /// ``append(_:hardState:)`` for async callers: the task suspends (it
    /// never blocks a thread) until the group commit that carries its
    /// entries is durable.
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

    /// Test hook: true while a round prepared ahead waits for the writer.
    package var hasRoundPreparedAhead: Bool { pipeline.hasRoundPreparedAhead }

    /// What the log has written since it was opened.
    public var statistics: LogStatistics {
        var s = stateLock.withLock { stats }
        s.wakeNanoseconds = wakeNanoseconds.load(ordering: .relaxed)
        return s
    }

    // MARK: Group commit

    /// Queues `request` for the writer thread and blocks until its round is
    /// durable (or failed). The calling thread only waits.
    private func enqueueAndWait(_ request: PendingAppend, whenQueued: (() -> Void)?) throws(WALError) -> Range<UInt64> {
        if options.access == .readOnly { throw .readOnly }
        guard pipeline.enqueue(request, for: self, whenQueued: whenQueued) else { throw .closed }
        let result = pipeline.waitForResult(request)
        noteWake(request)
        return try result.get()
    }

    /// Adds the caller's wake-up (the round finished → the caller runs) to
    /// ``LogStatistics/wakeNanoseconds``.
    private func noteWake(_ request: PendingAppend) {
        let finished = request.finishedAt
        if finished > 0 { wakeNanoseconds.add(MonotonicClock.nanos() &- finished, ordering: .relaxed) }
    }

    /// Queues a request for the writer thread and suspends until its round
    /// is durable: the task's thread is never blocked.
    private func enqueueAsync(entries: [Entry], hardState: HardState?, assignTerm: UInt64?) async throws(WALError) -> Range<UInt64> {
        if options.access == .readOnly { throw .readOnly }
        var queued: PendingAppend?
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Range<UInt64>, WALError>, Never>) in
            let request = PendingAppend(entries: entries, hardState: hardState, assignTerm: assignTerm, continuation: continuation)
            queued = request
            if !pipeline.enqueue(request, for: self, whenQueued: nil) { request.finish(.failure(.closed)) }
        }
        if let queued { noteWake(queued) }
        return try result.get()
    }

    /// The log as a round is validated against: positions, hard state, and
    /// the rest of the state without the segments' rows. Taken under the
    /// state lock, rows dropped inside it: a copy holding the tail's rows
    /// while the writer appends one would make that append copy them all.
    /// Nil with the error every request of the round gets.
    private func roundBase() -> (LogState?, WALError?) {
        stateLock.withLock { () -> (LogState?, WALError?) in
            if state.closed { return (nil, .closed) }
            if let cause = state.failStop { return (nil, .failStopped(cause: cause)) }
            var current = state
            for k in current.segments.indices {
                current.segments[k].rows = []
                current.segments[k].index = nil
            }
            return (current, nil)
        }
    }

    /// The writer thread's round: validates `requests` against the log as it
    /// is, writes them as one record with one sync, publishes. `planned`
    /// receives the log as the round leaves it, once validated. A round
    /// prepared ahead is used when its validation is the same as now;
    /// otherwise it is encoded again.
    func commitRound(_ requests: [PendingAppend], preparedAhead: PreparedRound?,
                     planned: (RoundPlan.Projection) -> Void) -> [Result<Range<UInt64>, WALError>] {
        writerLock.withLock {
            let started = MonotonicClock.nanos()
            let (base, refused) = roundBase()
            guard let base else { return requests.map { _ in .failure(refused!) } }
            let plan = RoundPlan(requests, shape: base.shape, hardState: base.hardState, state: base)
            planned(plan.after)
            guard plan.writes else { return plan.results }
            let batch: BatchRecordCodec.Prepared
            var reused = false
            var encodeNanos: UInt64 = 0
            if let ahead = preparedAhead, let aheadPlan = ahead.plan, let aheadBatch = ahead.batch, aheadPlan.sameRecord(as: plan) {
                batch = aheadBatch
                reused = true
            } else {
                let e0 = MonotonicClock.nanos()
                batch = plan.prepare(options)
                encodeNanos = MonotonicClock.nanos() - e0
            }
            do throws(WALError) {
                try writePrepared(batch, hardState: plan.hardState)
            } catch {
                return plan.results.map { r in
                    if case .success = r { return .failure(error) }
                    return r
                }
            }
            let finished = MonotonicClock.nanos()
            stateLock.withLock {
                for case let .success(range) in plan.results {
                    stats.appends += 1
                    stats.entries += UInt64(range.count)
                }
                for request in requests { stats.queuedNanoseconds += started &- request.enqueuedAt }
                stats.roundNanoseconds += (finished &- started) &* UInt64(requests.count)
                stats.encodeNanoseconds += encodeNanos
                if reused { stats.roundsPreparedAhead += 1 }
            }
            wantSpareIfHalfFull()
            return plan.results
        }
    }

    /// The preparer thread's work on the round after the one being written:
    /// validated against `projection` (the log as the rounds before leave it;
    /// nil: the log as published), then encoded and compressed. Nothing is
    /// written or published; the writer re-validates.
    func planAhead(_ requests: [PendingAppend], projection: RoundPlan.Projection?) -> (RoundPlan?, BatchRecordCodec.Prepared?) {
        let (base, _) = roundBase()
        guard let base else { return (nil, nil) }
        let plan = RoundPlan(requests, shape: projection?.shape ?? base.shape, hardState: projection?.hardState ?? base.hardState,
                             state: base)
        return (plan, plan.writes ? plan.prepare(options) : nil)
    }
}

/// What a group-commit round asks of the log: each request validated
/// against the log as the requests before it leave it (``AppendContract``),
/// the accepted ones merged into one batch (a later request that rewrites
/// indexes of an earlier one in the round replaces them, as Raft does).
/// Assigning requests (``RaftLog/appendAtEnd(_:term:hardState:)``) are
/// numbered here.
struct RoundPlan {
    /// The log as a round leaves it (what the next round is validated against).
    struct Projection {
        var shape: LogShape
        var hardState: HardState
    }

    /// Per request: the indexes written, or why the request was refused.
    var results: [Result<Range<UInt64>, WALError>] = []
    /// The record's entries and hard state.
    var merged: [Entry] = []
    var hardState: HardState?
    /// Where a batch without entries (a hard state alone) is placed.
    let emptyAt: UInt64
    var after: Projection

    /// True when the round writes a record.
    var writes: Bool { !merged.isEmpty || hardState != nil }

    init(_ round: [PendingAppend], shape: LogShape, hardState: HardState, state: LogState) {
        var working = shape
        var workingHS = hardState
        emptyAt = shape.lastIndex + 1
        for request in round {
            if request.assignTerm != nil { request.number(from: working.lastIndex + 1) }
            let contract = AppendContract(shape: working, hardState: workingHS, state: state)
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
                self.hardState = hs
                workingHS = hs
            }
            results.append(.success(written))
        }
        after = Projection(shape: working, hardState: workingHS)
    }

    /// True when `other` (the same requests validated again) writes the same
    /// record: the same outcome per request (so the same numbering and the
    /// same merged entries) and the same hard state and place.
    func sameRecord(as other: RoundPlan) -> Bool {
        results == other.results && hardState == other.hardState && emptyAt == other.emptyAt
    }

    /// Encodes and compresses the record's batch as `options` say.
    func prepare(_ options: LogOptions) -> BatchRecordCodec.Prepared {
        BatchRecordCodec.prepare(merged, hardState: hardState, compression: options.compression,
                                 acceleration: options.lz4Acceleration, emptyAt: emptyAt)
    }
}
