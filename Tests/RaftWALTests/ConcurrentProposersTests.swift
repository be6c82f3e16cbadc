import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Many proposers appending at once through the public API, as a Raft
/// leader's proposal path does: no caller serializes with the others, no
/// append fails for being queued out of order, appends share records and
/// syncs, and everything acknowledged is there after a reopen.
@Suite("Concurrent proposers")
struct ConcurrentProposersTests {
    /// Payload of proposer `p`'s `k`-th proposal.
    static func payload(_ p: Int, _ k: Int) -> [UInt8] { Array("p\(p)-k\(k)".utf8) }

    /// Checks that the returned ranges tile 1...total and that each index holds its proposer's payload.
    static func checkDurable(_ dir: TempDir, got: [(proposer: Int, k: Int, indexes: Range<UInt64>)], total: Int) throws {
        let log = try RaftLog.open(directory: dir.path, options: LogOptions())
        defer { log.close() }
        #expect(log.lastIndex == UInt64(total))
        let entries = try log.entries(1, UInt64(total) + 1)
        var seen = Set<UInt64>()
        for g in got {
            #expect(g.indexes.count == 1)
            for i in g.indexes {
                #expect(seen.insert(i).inserted, "index \(i) given twice")
                #expect(entries[Int(i - 1)].data == payload(g.proposer, g.k), "index \(i)")
                #expect(entries[Int(i - 1)].term == 3)
            }
        }
        #expect(seen == Set(1...UInt64(total)), "the given indexes tile 1...\(total) with no gap")
    }

    /// Durable options whose data syncs take 2 ms, as on a real disk (the
    /// test machine's may be a RAM-backed file system where a sync is free and
    /// callers rarely overlap).
    static func diskLikeOptions() -> LogOptions {
        var options = LogOptions()
        // The POSIX file system with data syncs that take 2 ms more (after the real sync), like a disk.
        var hooks = HookedFileSystem.Hooks()
        hooks.synced = { _, dataOnly in if dataOnly { usleep(2000) } }
        options.fileSystem = HookedFileSystem(hooks: hooks)
        return options
    }

    /// `threads` real threads each propose `each` single entries through
    /// `appendAtEnd`: what they were given, and every failure.
    static func proposeFromThreads(_ log: RaftLog, threads: Int, each: Int)
        -> (got: [(proposer: Int, k: Int, indexes: Range<UInt64>)], failures: [String]) {
        let got = Locked<[(proposer: Int, k: Int, indexes: Range<UInt64>)]>([])
        let failures = Locked<[String]>([])
        // Real threads: concurrentPerform and the global queues run only as
        // many blocking workers as there are cores (2 here).
        runOnThreads(threads) { p in
            for k in 0..<each {
                do {
                    let r = try log.appendAtEnd([Entry(index: 0, term: 3, data: Self.payload(p, k))], term: 3)
                    got.withLock { $0.append((p, k, r)) }
                } catch {
                    failures.withLock { $0.append("\(p)/\(k): \(error)") }
                }
            }
        }
        return (got.withLock { $0 }, failures.withLock { $0 })
    }

    @Test func sixteenThreadsProposingAtOnceAllSucceedShareSyncsAndSurviveAReopen() throws {
        let dir = TempDir("proposers")
        let log = try RaftLog.open(directory: dir.path, options: Self.diskLikeOptions())
        let threads = 16, each = 40
        let (got, failures) = Self.proposeFromThreads(log, threads: threads, each: each)
        #expect(failures.isEmpty)
        let stats = log.statistics
        #expect(stats.appends == UInt64(threads * each))
        #expect(stats.dataSyncs == stats.records)
        #expect(stats.records < stats.appends, "coalesced: \(stats.records) records for \(stats.appends) appends")
        log.close()
        try Self.checkDurable(dir, got: got, total: threads * each)
    }

    /// Polling before sleeping (``LogOptions/spinWaitMicroseconds``) only
    /// changes who sleeps: with none, the default, and polls longer than a
    /// sync, every proposer gets its own index, nothing is lost, and the
    /// waiting callers still share records.
    @Test(arguments: [0, 200, 20_000])
    func proposersGetGaplessDurableIndexesWhateverThePolling(spinMicroseconds: Int) throws {
        let dir = TempDir("proposers-spin")
        var options = Self.diskLikeOptions()
        options.spinWaitMicroseconds = spinMicroseconds
        let log = try RaftLog.open(directory: dir.path, options: options)
        let threads = 4, each = 30
        let (got, failures) = Self.proposeFromThreads(log, threads: threads, each: each)
        #expect(failures.isEmpty)
        let stats = log.statistics
        #expect(stats.appends == UInt64(threads * each))
        #expect(stats.records < stats.appends, "coalesced: \(stats.records) records for \(stats.appends) appends")
        log.close()
        try Self.checkDurable(dir, got: got, total: threads * each)
    }

    /// Coalescing is not asserted here: the tasks run on the cooperative pool,
    /// which the rest of a parallel test run can saturate (the threads test and
    /// the mixed test assert it).
    @Test func eightTasksProposingAsyncAllSucceedAndSurviveAReopen() async throws {
        let dir = TempDir("proposers")
        let log = try RaftLog.open(directory: dir.path, options: Self.diskLikeOptions())
        let tasks = 8, each = 40
        let got = try await withThrowingTaskGroup(of: [(proposer: Int, k: Int, indexes: Range<UInt64>)].self) { group in
            for p in 0..<tasks {
                group.addTask {
                    var mine: [(proposer: Int, k: Int, indexes: Range<UInt64>)] = []
                    for k in 0..<each {
                        let r = try await log.appendAtEndAsync([Entry(index: 0, term: 3, data: Self.payload(p, k))], term: 3)
                        mine.append((p, k, r))
                    }
                    return mine
                }
            }
            var all: [(proposer: Int, k: Int, indexes: Range<UInt64>)] = []
            for try await part in group { all += part }
            return all
        }
        let stats = log.statistics
        #expect(stats.appends == UInt64(tasks * each))
        #expect(stats.dataSyncs == stats.records, "durable: one data sync per record")
        log.close()
        try Self.checkDurable(dir, got: got, total: tasks * each)
    }

    @Test func tasksAndThreadsProposingTogetherAllSucceed() async throws {
        let dir = TempDir("proposers")
        let log = try RaftLog.open(directory: dir.path, options: Self.diskLikeOptions())
        let threadsDone = Locked<[(proposer: Int, k: Int, indexes: Range<UInt64>)]>([])
        let threadFailures = Locked(0)
        let threadsFinished = Locked(false)
        let runner = Thread {
            runOnThreads(16) { p in
                for k in 0..<20 {
                    do {
                        let r = try log.appendAtEnd([Entry(index: 0, term: 3, data: Self.payload(100 + p, k))], term: 3)
                        threadsDone.withLock { $0.append((100 + p, k, r)) }
                    } catch {
                        threadFailures.withLock { $0 += 1 }
                    }
                }
            }
            threadsFinished.withLock { $0 = true }
        }
        runner.start()
        let fromTasks = try await withThrowingTaskGroup(of: [(proposer: Int, k: Int, indexes: Range<UInt64>)].self) { group in
            for p in 0..<8 {
                group.addTask {
                    var mine: [(proposer: Int, k: Int, indexes: Range<UInt64>)] = []
                    for k in 0..<20 { mine.append((p, k, try await log.appendAtEndAsync([Entry(index: 0, term: 3, data: Self.payload(p, k))], term: 3))) }
                    return mine
                }
            }
            var all: [(proposer: Int, k: Int, indexes: Range<UInt64>)] = []
            for try await part in group { all += part }
            return all
        }
        while !threadsFinished.withLock({ $0 }) { try await Task.sleep(nanoseconds: 5_000_000) }
        #expect(threadFailures.withLock { $0 } == 0)
        #expect(log.statistics.records < log.statistics.appends)
        log.close()
        try Self.checkDurable(dir, got: fromTasks + threadsDone.withLock { $0 }, total: 24 * 20)
    }

    @Test func appendAtEndFollowsTheLogAndRefusesATermBelowTheLast() throws {
        let dir = TempDir("proposers")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...5, term: 2))
        let r = try log.appendAtEnd([Entry(index: 99, term: 0, data: [1]), Entry(index: 99, term: 0, data: [2])], term: 2)
        #expect(r == 6..<8)
        #expect(try log.entries(6, 8).map(\.index) == [6, 7])
        #expect(try log.term(7) == 2)
        #expect(throws: WALError.invalidArgument("entry 8 has term 1, lower than the term 2 of entry 7")) {
            try log.appendAtEnd([Entry(index: 0, term: 0, data: [3])], term: 1)
        }
        #expect(try log.appendAtEnd([], term: 2, hardState: HardState(term: 2, vote: 1, commit: 7)) == 8..<8)
        #expect(log.hardState.commit == 7)
    }
}

/// Runs `body(0..<count)` on `count` threads of their own and waits for all.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for p in 0..<count {
        let thread = Thread {
            body(p)
            done.signal()
        }
        thread.start()
    }
    for _ in 0..<count { done.wait() }
}
