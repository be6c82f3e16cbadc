import Synchronization

/// One caller's append, waiting in the group-commit queue.
///
/// A request either carries its own indexes (``RaftLog/append(_:hardState:)``)
/// or asks the log to give them (``RaftLog/appendAtEnd(_:term:hardState:)``):
/// then `assignTerm` is set and the round's validation numbers the entries
/// right after the last index as the requests before it leave the log, in
/// queue order, so concurrent callers never leave gaps.
final class PendingAppend: @unchecked Sendable {
    /// The entries; for an assigning request, their indexes are placeholders
    /// until a round's validation numbers them (on the preparer, then again
    /// on the writer, never at the same time).
    var entries: [Entry]
    let hardState: HardState?
    /// Set when the log assigns the indexes: the term of every entry.
    let assignTerm: UInt64?
    /// Set by the writer thread under `done`: the indexes written (empty for a
    /// hard-state-only request), or why nothing was.
    var result: Result<Range<UInt64>, WALError>?
    /// Guards `result` for blocking callers and is signalled when it is set,
    /// so a round wakes only its own callers: one broadcast on the queue woke
    /// every waiting caller each round (64 writers on 2 cores: ~20 entries per
    /// round, most wake-ups for callers of the next round).
    let done = ConditionLock()
    let continuation: CheckedContinuation<Result<Range<UInt64>, WALError>, Never>?
    /// Set (releasing) once ``result`` is, for a caller polling before it
    /// sleeps (``SpinWait``).
    private let ready = Atomic<Bool>(false)
    /// When the request was made (``LogStatistics/queuedNanoseconds``).
    let enqueuedAt = MonotonicClock.nanos()
    /// When ``finish(_:)`` handed the result over (set before the caller is
    /// woken; ``LogStatistics/wakeNanoseconds``).
    private(set) var finishedAt: UInt64 = 0

    /// Sizes that bound how many requests one record may carry.
    let bodyBytes: Int
    let metaBytes: Int

    init(entries: [Entry], hardState: HardState?, assignTerm: UInt64? = nil,
         continuation: CheckedContinuation<Result<Range<UInt64>, WALError>, Never>? = nil) {
        var entries = entries
        if let assignTerm {
            for k in entries.indices { entries[k].term = assignTerm }
        }
        self.entries = entries
        self.hardState = hardState
        self.assignTerm = assignTerm
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

    /// Gives the entries their indexes, from `first` on.
    func number(from first: UInt64) {
        for k in entries.indices { entries[k].index = first + UInt64(k) }
    }

    /// Hands the result to the caller, blocking or async.
    func finish(_ outcome: Result<Range<UInt64>, WALError>) {
        done.lock()
        result = outcome
        finishedAt = MonotonicClock.nanos()
        ready.store(true, ordering: .releasing)
        done.broadcast()
        done.unlock()
        continuation?.resume(returning: outcome)
    }

    /// Blocks until ``finish(_:)`` (a blocking caller waiting for its round),
    /// polling for up to `spinNanos` first.
    func wait(spinNanos: UInt64) -> Result<Range<UInt64>, WALError> {
        _ = SpinWait.poll(for: spinNanos) { ready.load(ordering: .acquiring) }
        done.lock()
        while result == nil { done.wait() }
        let outcome = result!
        done.unlock()
        return outcome
    }
}
