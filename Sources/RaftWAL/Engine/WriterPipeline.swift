#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The append queue and the two threads that serve it.
///
/// Callers (``RaftLog/append(_:hardState:)``, ``RaftLog/appendAsync(_:hardState:)``,
/// ``RaftLog/appendAtEnd(_:term:hardState:)`` …) only enqueue a
/// ``PendingAppend`` and wait for its result: a blocking caller on its own
/// condition, an async caller suspended on its continuation. No caller ever
/// writes, syncs or serves another caller's round, so no cooperative thread
/// blocks on the disk.
///
/// - The **writer** thread owns the tail: it takes the next round (the
///   requests queued so far, in order), validates it against the log, writes
///   it as one record with one `fdatasync`, publishes it and wakes the
///   round's callers. Rounds are written strictly in queue order.
/// - The **preparer** thread overlaps CPU with the disk: while the writer is
///   writing and syncing round N, it takes round N+1 (when its bodies are
///   large enough for the overlap to pay) and encodes and compresses it
///   against the log as round N will leave it. The writer re-validates the
///   round against the log as it really is before framing it, and encodes
///   again if anything differs (a snapshot in between, a failed round N), so
///   the prepared bytes are only ever a cache of work the writer would do.
///
/// Hand-offs poll before they sleep (``LogOptions/spinWaitMicroseconds``):
/// the writer, idle after a round, for the next request; a blocking caller
/// for its result, while few enough callers wait. A poll that sees the
/// hand-off saves a futex wake-up and a reschedule on each side.
///
/// Both threads hold the log weakly between rounds: a log its owner drops
/// without ``RaftLog/close()`` is still deinitialized (and closed).
final class WriterPipeline: @unchecked Sendable {
    /// Pending bodies below this many bytes are left for the writer to take
    /// itself: preparing them ahead costs a hand-off and splits what group
    /// commit would have coalesced into one record (many small proposers),
    /// for a compression that takes microseconds.
    static let prepareAheadMinBytes = 32 << 10

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The writer waits here for work (a request, a prepared round, stop).
    private let writerWake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The preparer waits here for a round worth preparing ahead.
    private let preparerWake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// ``stop()`` waits here for the threads to exit.
    private let exited = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// A roll-over waits here for the spare being created.
    private let spareDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // Guarded by `mutex`.
    private var pending: [PendingAppend] = []
    private var pendingBodyBytes = 0
    /// A round the preparer took and prepared, waiting for the writer.
    private var ahead: PreparedRound?
    private var preparing = false
    private var writerBusy = false
    private var started = false
    private var stopping = false
    private var running = 0
    /// Rounds numbered in the order they leave the queue; the projection is
    /// the log as the last planned round leaves it, valid while that round
    /// is not finished (`finishedRound < plannedRound`).
    private var plannedRound: UInt64 = 0
    private var finishedRound: UInt64 = 0
    private var projection: RoundPlan.Projection?
    private var projectionRound: UInt64 = 0

    /// The spare segment (`SegmentFactory.createSpare`): wanted once the tail
    /// is half full, created by the preparer, taken by the next roll-over.
    private enum Spare {
        case none, wanted, creating, failed
        case ready(any FileHandle)
    }
    private var spare: Spare = .none
    /// Spares are created on the writer thread, in the round that wants one
    /// and before its callers are woken, instead of on the preparer: every
    /// file operation then happens in the same order on every run, which the
    /// crash simulator's seeds need (set when the log's reproducibility test
    /// hooks are, ``LogOptions/deterministicSalt``).
    let inlineSpares: Bool

    /// How long a thread polls before it sleeps (``LogOptions/spinWaitMicroseconds``):
    /// the writer for the next request after a round, a blocking caller for
    /// its result (``waitForResult(_:)``).
    let spinNanos: UInt64
    /// Requests ever queued: the writer polls it for a change.
    private let enqueues = Atomic<UInt64>(0)
    /// Blocking callers waiting for a result now.
    private let blockedCallers = Atomic<Int>(0)
    /// Callers that may poll at once: one per CPU but the writer's, at least one.
    private static let pollingCallersMax: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) - 1)

    init(inlineSpares: Bool, spinNanos: UInt64) {
        self.inlineSpares = inlineSpares
        self.spinNanos = spinNanos
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(writerWake, nil)
        pthread_cond_init(preparerWake, nil)
        pthread_cond_init(exited, nil)
        pthread_cond_init(spareDone, nil)
    }

    deinit {
        if case .ready(let handle) = spare { handle.close() }
        pthread_cond_destroy(spareDone)
        spareDone.deallocate()
        pthread_cond_destroy(exited)
        pthread_cond_destroy(preparerWake)
        pthread_cond_destroy(writerWake)
        pthread_mutex_destroy(mutex)
        exited.deallocate()
        preparerWake.deallocate()
        writerWake.deallocate()
        mutex.deallocate()
    }

    private func lock() { pthread_mutex_lock(mutex) }
    private func unlock() { pthread_mutex_unlock(mutex) }

    // MARK: Callers

    /// Queues `request` (calling `whenQueued` under the queue lock right
    /// after), starting the threads on first use. Returns false, queueing
    /// nothing, when the pipeline is stopped (the log is closing or closed).
    func enqueue(_ request: PendingAppend, for log: RaftLog, whenQueued: (() -> Void)?) -> Bool {
        lock()
        defer { unlock() }
        if stopping { return false }
        pending.append(request)
        pendingBodyBytes += request.bodyBytes
        enqueues.add(1, ordering: .releasing)
        whenQueued?()
        if !started {
            started = true
            startThreads(log)
        }
        if writerBusy {
            if ahead == nil && !preparing && pendingBodyBytes >= Self.prepareAheadMinBytes { pthread_cond_signal(preparerWake) }
        } else {
            pthread_cond_signal(writerWake)
        }
        return true
    }

    /// Stops the pipeline after the queued rounds are written: later
    /// enqueues are refused. Waits for the threads to exit, except the
    /// calling thread when it is one of them (a log deinitialized on its
    /// own writer thread).
    func stop() {
        lock()
        stopping = true
        pthread_cond_broadcast(writerWake)
        pthread_cond_broadcast(preparerWake)
        let mine = Self.isPipelineThread ? 1 : 0
        while running > mine { pthread_cond_wait(exited, mutex) }
        unlock()
    }

    /// Waits for `request`'s result on the calling (blocking) thread:
    /// polls first (``SpinWait``) while at most ``pollingCallersMax``
    /// callers wait, so 64 proposers on 2 CPUs sleep rather than poll.
    func waitForResult(_ request: PendingAppend) -> Result<Range<UInt64>, WALError> {
        let waiting = blockedCallers.add(1, ordering: .relaxed).newValue
        let result = request.wait(spinNanos: waiting <= Self.pollingCallersMax ? spinNanos : 0)
        blockedCallers.subtract(1, ordering: .relaxed)
        return result
    }

    /// True while a round prepared ahead waits for the writer.
    var hasRoundPreparedAhead: Bool {
        lock()
        defer { unlock() }
        return ahead != nil
    }

    // MARK: The spare segment

    /// Asks for a spare segment; nothing when one is ready, being created, or
    /// failed since the last roll-over.
    func wantSpare() {
        lock()
        defer { unlock() }
        guard case .none = spare, !stopping else { return }
        spare = .wanted
        if !inlineSpares { pthread_cond_signal(preparerWake) }
    }

    /// The spare for a roll-over: waits while one is being created; nil when
    /// none is ready (the roll-over then creates its segment itself).
    func takeSpare() -> (any FileHandle)? {
        lock()
        defer { unlock() }
        while case .creating = spare { pthread_cond_wait(spareDone, mutex) }
        if case .ready(let handle) = spare {
            spare = .none
            return handle
        }
        spare = .none
        return nil
    }

    /// The ready spare, for ``RaftLog/close()`` to remove (after ``stop()``).
    func discardSpare() -> (any FileHandle)? {
        lock()
        defer { unlock() }
        guard case .ready(let handle) = spare else { return nil }
        spare = .failed
        return handle
    }

    /// Creates the wanted spare, if one is wanted.
    private func makeSpare(_ log: RaftLog) {
        lock()
        guard case .wanted = spare else {
            unlock()
            return
        }
        spare = .creating
        unlock()
        let handle = log.createSpareSegment()
        lock()
        spare = handle.map { .ready($0) } ?? .failed
        pthread_cond_broadcast(spareDone)
        unlock()
    }

    private var spareWanted: Bool {
        if case .wanted = spare { return true }
        return false
    }

    // MARK: Threads

    /// Marks the pipeline's own threads (any non-nil value).
    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static var isPipelineThread: Bool { pthread_getspecific(threadKey) != nil }

    private func startThreads(_ log: RaftLog) {
        running = 2
        weak let weakLog = log
        spawn(name: "raftwal-writer") { [self] in writerLoop { weakLog } }
        spawn(name: "raftwal-prepare") { [self] in preparerLoop { weakLog } }
    }

    private func threadExited() {
        lock()
        running -= 1
        pthread_cond_broadcast(exited)
        unlock()
    }

    /// The writer: next round in queue order (prepared ahead, being
    /// prepared, or taken now), written by the log, callers woken.
    private func writerLoop(_ log: () -> RaftLog?) {
        while true {
            lock()
            var round: PreparedRound?
            var taken: [PendingAppend] = []
            var sequence: UInt64 = 0
            var polled = false
            while true {
                if let a = ahead {
                    round = a
                    ahead = nil
                    break
                }
                if preparing {
                    pthread_cond_wait(writerWake, mutex)
                    continue
                }
                if !pending.isEmpty {
                    taken = takeRound()
                    plannedRound += 1
                    sequence = plannedRound
                    break
                }
                if stopping {
                    unlock()
                    threadExited()
                    return
                }
                if !polled && spinNanos > 0 {
                    // Idle after a round: a serial caller's next request
                    // usually comes within microseconds; poll for it
                    // before sleeping on the condition.
                    polled = true
                    let seen = enqueues.load(ordering: .relaxed)
                    unlock()
                    _ = SpinWait.poll(for: spinNanos) { enqueues.load(ordering: .acquiring) != seen }
                    lock()
                    continue
                }
                pthread_cond_wait(writerWake, mutex)
            }
            writerBusy = true
            if ahead == nil && !preparing && pendingBodyBytes >= Self.prepareAheadMinBytes && !pending.isEmpty {
                pthread_cond_signal(preparerWake)
            }
            unlock()

            let requests = round?.requests ?? taken
            let results: [Result<Range<UInt64>, WALError>]
            if let log = log() {
                results = log.commitRound(requests, preparedAhead: round) { projection in
                    // An inline round is planned under the writer lock: publish
                    // its projection so the preparer can plan the next one.
                    if round == nil { self.setProjection(projection, round: sequence) }
                }
                if inlineSpares { makeSpare(log) }
            } else {
                results = requests.map { _ in .failure(.closed) }
            }
            lock()
            finishedRound = round?.sequence ?? sequence
            writerBusy = false
            unlock()
            for (request, result) in zip(requests, results) { request.finish(result) }
        }
    }

    /// The preparer: while the writer is busy, takes the next round when its
    /// bodies are large, and encodes and compresses it.
    private func preparerLoop(_ log: () -> RaftLog?) {
        while true {
            lock()
            while !(stopping || roundToPrepare || (!inlineSpares && spareWanted)) {
                pthread_cond_wait(preparerWake, mutex)
            }
            if stopping {
                unlock()
                threadExited()
                return
            }
            if !roundToPrepare {
                unlock()
                if let log = log() { makeSpare(log) }
                continue
            }
            let requests = takeRound()
            plannedRound += 1
            let sequence = plannedRound
            let base = finishedRound < sequence - 1 ? projection : nil  // nil: the log as published
            preparing = true
            unlock()

            var prepared = PreparedRound(requests: requests, sequence: sequence, plan: nil, batch: nil)
            if let log = log() {
                let (plan, batch) = log.planAhead(requests, projection: base)
                prepared.plan = plan
                prepared.batch = batch
            }
            lock()
            if let plan = prepared.plan {
                projection = plan.after
                projectionRound = sequence
            }
            ahead = prepared
            preparing = false
            pthread_cond_signal(writerWake)
            unlock()
        }
    }

    /// True when the preparer should take the next round now (queue lock
    /// held): the writer is busy, nothing is prepared yet, the queued bodies
    /// are large enough, and the round before the next one is planned (its
    /// projection known) or finished, so the next one is not planned on a guess.
    private var roundToPrepare: Bool {
        writerBusy && ahead == nil && !pending.isEmpty && pendingBodyBytes >= Self.prepareAheadMinBytes
            && (projectionRound == plannedRound || finishedRound == plannedRound)
    }

    private func setProjection(_ p: RoundPlan.Projection, round: UInt64) {
        lock()
        if round == plannedRound {
            projection = p
            projectionRound = round
            // Only when there is a round to prepare: a wake-up for nothing
            // cost every small round a futex call and two thread switches
            // (perf, batch 1 × 128 B).
            if roundToPrepare { pthread_cond_signal(preparerWake) }
        }
        unlock()
    }

    /// Takes the next round off the queue (queue lock held): one record,
    /// bounded in body bytes, entries and meta (a u16 on disk); at least one
    /// request, whose own bounds the contract checks.
    private func takeRound() -> [PendingAppend] {
        var take = 0, bytes = 0, count = 0, meta = BatchMeta.fixedBytes
        while take < pending.count {
            let next = pending[take]
            let fits = bytes + next.bodyBytes <= RaftLog.groupCommitMaxBytes
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
        pendingBodyBytes -= bytes
        return round
    }

    /// Starts a detached thread running `body`.
    private func spawn(name: String, _ body: @escaping () -> Void) {
        final class Box {
            let body: () -> Void
            init(_ body: @escaping () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let status = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            pthread_setspecific(WriterPipeline.threadKey, UnsafeRawPointer(bitPattern: 1))
            box.body()
            return nil
        }, box)
        // Without the threads no append could ever complete: a process
        // that cannot create two threads is not one the log can serve.
        precondition(status == 0, "cannot start the log's \(name) thread (pthread_create: \(status))")
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        pthread_detach(thread!)
        #endif
    }
}

/// A round taken off the queue, with what the preparer made of it.
struct PreparedRound {
    let requests: [PendingAppend]
    /// The round's number in queue order.
    let sequence: UInt64
    /// The validation the record was prepared from (nil when the log was gone).
    var plan: RoundPlan?
    /// The encoded, compressed batch (nil when the round writes nothing).
    var batch: BatchRecordCodec.Prepared?
}
