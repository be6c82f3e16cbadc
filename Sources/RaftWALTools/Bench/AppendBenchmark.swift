import Foundation
import RaftWAL

/// `raft-bench append`: durable appends of `entries` entries of `sizeBytes`
/// payload bytes, `batch` entries per append call, each carrying a hard
/// state (term 1, vote 1, commit = the batch's last index), as etcd's
/// `wal.Save` is called. Then the log is closed, measured on disk, and
/// replayed (``ReplayBenchmark``) with the given cache passes.
///
/// With `writers` > 1, that many threads append concurrently; each takes
/// the next indexes under a lock that is released once its request is in
/// the log's group-commit queue, so the queue is in index order and the
/// engine may coalesce waiting appends into one record and one sync.
package struct AppendBenchmark: Sendable {
    package var directory: String
    package var entries: Int
    package var sizeBytes: Int
    package var batch: Int
    package var writers = 1
    package var pool: PayloadPool
    package var payloadName: String
    package var seed: UInt64 = 1
    package var segmentSizeBytes: UInt64 = LogOptions().segmentSizeBytes
    package var compression = true
    /// `LogOptions.compressionAcceleration` (the engine's default unless set).
    package var lz4Acceleration = LogOptions().compressionAcceleration
    /// `LogOptions.spinWaitMicroseconds` (the engine's default unless set).
    package var spinWaitMicroseconds = LogOptions().spinWaitMicroseconds
    /// Measures everything but the syncs (never for data you keep).
    package var noSync = false
    /// Confirmed mode (``LogOptions/confirmAppends``): a second sync per append.
    package var confirmed = false
    package var replayPasses = ["hot", "cold"]
    package var api = AppendAPI.append

    /// How the writers call the log.
    package enum AppendAPI: String, Sendable, CaseIterable {
        /// ``RaftLog/append(_:hardState:)``: each writer computes its indexes
        /// (with several writers, through a package hook that queues them in
        /// index order); every call carries a hard state.
        case append
        /// ``RaftLog/appendAtEnd(_:term:hardState:)`` from threads: the
        /// public API for concurrent proposers; no hard state.
        case atEnd = "at-end"
        /// ``RaftLog/appendAtEndAsync(_:term:hardState:)`` from `writers` tasks.
        case atEndAsync = "at-end-async"
    }

    package init(directory: String, entries: Int, sizeBytes: Int, batch: Int, pool: PayloadPool, payloadName: String) {
        self.directory = directory
        self.entries = entries
        self.sizeBytes = sizeBytes
        self.batch = batch
        self.pool = pool
        self.payloadName = payloadName
    }

    /// Checks the arguments; throws ``BenchError/usage(_:)``.
    package func validate() throws(BenchError) {
        guard entries > 0, sizeBytes > 0, batch > 0, writers > 0 else {
            throw .usage("--entries, --size, --batch and --writers must be positive")
        }
        guard pool.sizeBytes == sizeBytes else { throw .usage("payload size \(pool.sizeBytes) != --size \(sizeBytes)") }
        guard BenchFiles.isMissingOrEmpty(directory) else {
            throw .usage("\(directory) is not empty: append writes a new log into a missing or empty directory")
        }
    }

    var options: LogOptions {
        var o = LogOptions()
        o.segmentSizeBytes = segmentSizeBytes
        o.compression = compression
        o.compressionAcceleration = lz4Acceleration
        o.spinWaitMicroseconds = spinWaitMicroseconds
        o.sync = noSync ? .none : .durable
        o.confirmAppends = confirmed
        return o
    }

    package func run() throws(BenchError) -> AppendResult {
        try validate()
        var result = AppendResult()
        result.directory = directory
        result.payload = payloadName
        result.payloadSource = pool.source
        result.size = sizeBytes
        result.batch = batch
        result.entryCount = entries
        result.writers = writers
        result.seed = seed
        result.segmentBytes = segmentSizeBytes
        result.compression = compression
        result.lz4Acceleration = lz4Acceleration
        result.spinWaitMicroseconds = spinWaitMicroseconds
        result.noSync = noSync
        result.confirmed = confirmed
        result.loadAverageStart = ProcessStats.loadAverage()

        // Batches are built before timing (their payloads share the pool's storage).
        let prepared: [[Entry]] = writers == 1 ? makeBatches() : []

        let c0 = MonotonicClock.nanos()
        let log: RaftLog
        do { log = try RaftLog.open(directory: directory, options: options) } catch {
            throw .environment("cannot create a log in \(directory): \(error)")
        }
        result.createMillis = Double(MonotonicClock.nanos() - c0) / 1e6

        result.api = api.rawValue
        result.appendIdleRSSBytes = ProcessStats.residentBytes()
        _ = ProcessStats.resetPeakResident()
        let cpu0 = ProcessStats.cpuSeconds()
        let start = MonotonicClock.nanos()
        let latencies: [UInt64]
        do {
            switch api {
            case .append: latencies = writers == 1 ? try appendSerially(log, prepared) : try appendConcurrently(log)
            case .atEnd: latencies = try appendAtEndConcurrently(log)
            case .atEndAsync: latencies = try appendAtEndFromTasks(log)
            }
        } catch {
            log.close()
            throw error
        }
        let appendNanos = MonotonicClock.nanos() - start
        let cpu1 = ProcessStats.cpuSeconds()
        result.cpuUserSeconds = cpu1.user - cpu0.user
        result.cpuSystemSeconds = cpu1.system - cpu0.system
        result.cpuCoresBusy = (result.cpuUserSeconds + result.cpuSystemSeconds) / (Double(appendNanos) / 1e9)
        result.appendPeakRSSBytes = ProcessStats.peakResidentBytes()
        let stats = log.statistics
        result.time = AppendTime(stats, appends: latencies.count, latencyNanos: latencies.reduce(0, +))
        result.roundsPreparedAhead = stats.roundsPreparedAhead
        result.rollOvers = stats.rollOvers
        result.rollOversOnSpare = stats.rollOversOnSpare
        let close0 = MonotonicClock.nanos()
        log.close()
        result.closeMillis = Double(MonotonicClock.nanos() - close0) / 1e6

        let seconds = Double(appendNanos) / 1e9
        result.appendSeconds = seconds
        result.batches = latencies.count
        result.payloadBytes = Int64(entries) * Int64(sizeBytes)
        result.entriesPerSecond = Double(entries) / seconds
        result.payloadMBPerSecond = Double(result.payloadBytes) / seconds / 1e6
        result.savesPerSecond = Double(latencies.count) / seconds
        result.saveLatency = LatencySummary(nanos: latencies)
        result.records = writers == 1 && api == .append ? latencies.count : try countBatchRecords()
        result.syncsPerSecond = noSync ? 0 : Double(result.records) / seconds

        let usage = try BenchFiles.diskUsage(directory)
        result.segments = usage.segments
        result.diskApparentBytes = usage.apparentBytes
        result.diskAllocatedBytes = usage.allocatedBytes
        result.diskUsedBytes = usage.usedBytes
        result.usedOverPayload = Double(usage.usedBytes) / Double(result.payloadBytes)
        result.allocatedOverPayload = Double(usage.allocatedBytes) / Double(result.payloadBytes)

        // With log-assigned indexes a writer cannot know which payload its
        // entry's index calls for: replay then checks indexes and sizes only.
        let replay = ReplayBenchmark(directory: directory, expected: api == .append ? pool : nil)
        for cache in replayPasses {
            let (pass, bytes) = try replay.run(cache: cache)
            guard pass.entries == entries, bytes == result.payloadBytes else {
                throw .verification("replay read \(pass.entries) entries (\(bytes) bytes), \(entries) were written")
            }
            result.replay.append(pass)
        }
        result.loadAverageEnd = ProcessStats.loadAverage()
        return result
    }

    func makeBatches() -> [[Entry]] {
        stride(from: 0, to: entries, by: batch).map { start in
            (start..<min(start + batch, entries)).map { k in
                Entry(index: UInt64(k + 1), term: 1, data: pool.payload(k))
            }
        }
    }

    private func appendSerially(_ log: RaftLog, _ batches: [[Entry]]) throws(BenchError) -> [UInt64] {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(batches.count)
        for entries in batches {
            let hs = HardState(term: 1, vote: 1, commit: entries.last!.index)
            let t = MonotonicClock.nanos()
            do { try log.append(entries, hardState: hs) } catch {
                throw .environment("append at \(entries[0].index): \(error)")
            }
            latencies.append(MonotonicClock.nanos() - t)
        }
        return latencies
    }

    /// State shared by the writer threads, guarded by `lock` (except
    /// `done`, signalled once per finished thread).
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var next: UInt64 = 1
        var latencies: [UInt64] = []
        var failure: String?
        let done = DispatchSemaphore(value: 0)

        /// The next indexes to append, nil when all are taken or a writer failed.
        func take(batch: UInt64, total: UInt64) -> ClosedRange<UInt64>? {
            lock.lock()
            defer { lock.unlock() }
            guard failure == nil, next <= total else { return nil }
            let first = next
            next = min(first + batch - 1, total) + 1
            return first...(next - 1)
        }

        func fail(_ why: String) {
            lock.lock()
            failure = failure ?? why
            lock.unlock()
        }

        func add(_ mine: [UInt64]) {
            lock.lock()
            latencies.append(contentsOf: mine)
            lock.unlock()
        }
    }

    /// Runs `body` on `writers` threads (1 MiB stacks); each returns its own
    /// latencies. Throws the first failure a writer recorded.
    private func onWriterThreads(_ shared: Shared, _ body: @escaping @Sendable () -> [UInt64]) throws(BenchError) -> [UInt64] {
        for _ in 0..<writers {
            let thread = Thread {
                shared.add(body())
                shared.done.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<writers { shared.done.wait() }
        if let failure = shared.failure { throw .environment(failure) }
        return shared.latencies
    }

    private func appendConcurrently(_ log: RaftLog) throws(BenchError) -> [UInt64] {
        let shared = Shared()
        let total = UInt64(entries), batch = UInt64(self.batch), pool = self.pool, writers = self.writers
        return try onWriterThreads(shared) {
            var mine: [UInt64] = []
            mine.reserveCapacity(Int(total / UInt64(writers)) + 1)
            while true {
                shared.lock.lock()
                guard shared.failure == nil, shared.next <= total else { shared.lock.unlock(); break }
                let first = shared.next
                let last = min(first + batch - 1, total)
                shared.next = last + 1
                let entries = (first...last).map { Entry(index: $0, term: 1, data: pool.payload(Int($0 - 1))) }
                let t = MonotonicClock.nanos()
                var queued = false
                do {
                    // The hook runs once the request is queued: the next
                    // writer's indexes then queue behind these.
                    try log.append(entries, hardState: HardState(term: 1, vote: 1, commit: last),
                                   whenQueued: { queued = true; shared.lock.unlock() })
                } catch {
                    if !queued { shared.lock.unlock() }  // refused before queueing: the hook never ran
                    shared.fail("append at \(first): \(error)")
                    break
                }
                mine.append(MonotonicClock.nanos() - t)
            }
            return mine
        }
    }

    /// `writers` threads calling the public ``RaftLog/appendAtEnd(_:term:hardState:)``:
    /// no coordination between them; the log numbers the entries.
    private func appendAtEndConcurrently(_ log: RaftLog) throws(BenchError) -> [UInt64] {
        let shared = Shared()
        let total = UInt64(entries), batch = UInt64(self.batch), pool = self.pool
        return try onWriterThreads(shared) {
            var mine: [UInt64] = []
            while let range = shared.take(batch: batch, total: total) {
                let entries = range.map { Entry(index: 0, term: 1, data: pool.payload(Int($0 - 1))) }
                let t = MonotonicClock.nanos()
                do { try log.appendAtEnd(entries, term: 1) } catch {
                    shared.fail("appendAtEnd: \(error)")
                    break
                }
                mine.append(MonotonicClock.nanos() - t)
            }
            return mine
        }
    }

    /// `writers` tasks calling ``RaftLog/appendAtEndAsync(_:term:hardState:)``.
    private func appendAtEndFromTasks(_ log: RaftLog) throws(BenchError) -> [UInt64] {
        let shared = Shared()
        let total = UInt64(entries), batch = UInt64(self.batch), pool = self.pool, writers = self.writers
        Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var mine: [UInt64] = []
                        while let range = shared.take(batch: batch, total: total) {
                            let entries = range.map { Entry(index: 0, term: 1, data: pool.payload(Int($0 - 1))) }
                            let t = MonotonicClock.nanos()
                            do { try await log.appendAtEndAsync(entries, term: 1) } catch {
                                shared.fail("appendAtEndAsync: \(error)")
                                break
                            }
                            mine.append(MonotonicClock.nanos() - t)
                        }
                        shared.add(mine)
                    }
                }
            }
            shared.done.signal()
        }
        shared.done.wait()
        if let failure = shared.failure { throw .environment(failure) }
        return shared.latencies
    }

    /// Batch records in the log: the number of group-commit rounds, each
    /// one write and one sync.
    private func countBatchRecords() throws(BenchError) -> Int {
        var count = 0
        do {
            let listing = try DirectoryListing(directory: directory)
            for segment in listing.segments {
                let inspector = try SegmentInspector(directory: directory, name: segment.name)
                defer { inspector.close() }
                _ = try inspector.scan { (event) throws(WALError) -> Bool in
                    if case .record(let info, _) = event, info.type == .batch { count += 1 }
                    return true
                }
            }
        } catch {
            throw .environment("counting records in \(directory): \(error)")
        }
        return count
    }
}
