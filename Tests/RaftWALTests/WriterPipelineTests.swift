import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// The writer thread, the preparer and the spare segment (`WriterPipeline`):
/// behaviour, never timing.
@Suite("Writer pipeline")
struct WriterPipelineTests {
    /// True for the spare segment's name (`docs/FORMAT.md` §1.3).
    func isSpare(_ name: String) -> Bool { name.hasPrefix("next-segment-") && name.hasSuffix(".tmp") }

    func syncCount(_ gate: SyncGate) -> Int { gate.dataSyncs }

    /// Waits (up to 10 s) for the preparer to hold a prepared round.
    func waitForRoundPreparedAhead(_ log: RaftLog) {
        var waited = 0
        while !log.hasRoundPreparedAhead && waited < 10_000 {
            usleep(1000)
            waited += 1
        }
    }

    /// Entries of `bytes` pseudo-random bytes each (incompressible enough to
    /// keep their size), numbered from `first`.
    func bulky(_ first: UInt64, count: Int, bytes: Int, term: UInt64 = 1) -> [Entry] {
        (0..<count).map { k in
            var g = UInt64(first) &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15
            let data = (0..<bytes).map { _ -> UInt8 in
                g = g &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: g >> 33)
            }
            return Entry(index: first + UInt64(k), term: term, data: data)
        }
    }

    @Test func aLargeRoundQueuedBehindASyncIsPreparedAheadAndWrittenInOrder() throws {
        let (dir, fs, log) = try SyncGate.openGatedLog("pipeline")
        fs.setGate(open: false)
        let first = bulky(1, count: 1, bytes: 100)
        let second = bulky(2, count: 16, bytes: 4096)  // 64 KiB: above the prepare-ahead threshold
        let failures = Locked<[String]>([])
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            do { try log.append(first) } catch { failures.withLock { $0.append("first: \(error)") } }
            done.leave()
        }
        // The writer is inside the first round's sync once the gate counted it.
        while syncCount(fs) == 0 { usleep(1000) }
        done.enter()
        Thread.detachNewThread {
            do { try log.append(second, hardState: HardState(term: 1, vote: 1, commit: 17)) } catch {
                failures.withLock { $0.append("second: \(error)") }
            }
            done.leave()
        }
        // The preparer encodes the second round while the first one's sync is held.
        waitForRoundPreparedAhead(log)
        #expect(log.hasRoundPreparedAhead)
        fs.setGate(open: true)
        done.wait()
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(log.statistics.roundsPreparedAhead == 1)
        #expect(log.statistics.records == 2)
        #expect(try log.entries(1, 18) == first + second)
        #expect(log.hardState == HardState(term: 1, vote: 1, commit: 17))
        log.close()
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(try reopened.entries(1, 18) == first + second)
        #expect(reopened.hardState.commit == 17)
    }

    /// The stage timings (``LogStatistics``) attribute an append's time to
    /// the stage that spent it: a sync held for 40 ms shows in
    /// `syncNanoseconds`, not elsewhere, and the stages never add up to
    /// more than the call took.
    @Test func stageTimingsChargeAHeldSyncToTheSyncStage() throws {
        let (dir, fs, log) = try SyncGate.openGatedLog("pipeline-timings")
        let before = log.statistics
        fs.setGate(open: false)
        let took = Locked<UInt64>(0)
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try? log.append(bulky(1, count: 4, bytes: 1000), hardState: HardState(term: 1, vote: 1, commit: 4))
            took.withLock { $0 = DispatchTime.now().uptimeNanoseconds - t0 }
            done.leave()
        }
        while syncCount(fs) == 0 { usleep(1000) }
        usleep(40_000)
        fs.setGate(open: true)
        done.wait()
        let s = log.statistics
        log.close()
        #expect(s.appends == before.appends + 1)
        #expect(s.syncNanoseconds - before.syncNanoseconds >= 40_000_000)
        #expect(s.encodeNanoseconds > before.encodeNanoseconds)
        #expect(s.frameNanoseconds > before.frameNanoseconds)
        #expect(s.writeNanoseconds > before.writeNanoseconds)
        #expect(s.queuedNanoseconds > before.queuedNanoseconds)
        #expect(s.wakeNanoseconds > before.wakeNanoseconds)
        #expect(s.writeNanoseconds - before.writeNanoseconds < 40_000_000)
        #expect(s.roundNanoseconds - before.roundNanoseconds >= s.syncNanoseconds - before.syncNanoseconds)
        let stages = [s.queuedNanoseconds - before.queuedNanoseconds, s.encodeNanoseconds - before.encodeNanoseconds,
                      s.frameNanoseconds - before.frameNanoseconds, s.writeNanoseconds - before.writeNanoseconds,
                      s.syncNanoseconds - before.syncNanoseconds, s.wakeNanoseconds - before.wakeNanoseconds].reduce(0, +)
        let path = [s.queuedNanoseconds - before.queuedNanoseconds, s.roundNanoseconds - before.roundNanoseconds,
                    s.wakeNanoseconds - before.wakeNanoseconds].reduce(0, +)
        #expect(path <= took.withLock { $0 })
        #expect(stages <= took.withLock { $0 })
    }

    @Test func aRoundPreparedAheadOfAFailedRoundFailsAndWritesNothing() throws {
        let dir = TempDir("pipeline-fail")
        let fs = FailingSyncGate()
        var options = LogOptions()
        options.fileSystem = fs.fileSystem
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(bulky(1, count: 1, bytes: 10))
        let before = syncCount(fs.gate)
        fs.gate.setGate(open: false)
        fs.failNextDataSync()
        let results = Locked<[String: String]>([:])
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            do { try log.append(bulky(2, count: 1, bytes: 10)) } catch { results.withLock { $0["first"] = "\(error)" } }
            done.leave()
        }
        while syncCount(fs.gate) == before { usleep(1000) }
        done.enter()
        Thread.detachNewThread {
            do { try log.appendAtEnd(bulky(0, count: 16, bytes: 4096), term: 1) } catch {
                results.withLock { $0["second"] = "\(error)" }
            }
            done.leave()
        }
        waitForRoundPreparedAhead(log)
        #expect(log.hasRoundPreparedAhead)
        fs.gate.setGate(open: true)
        done.wait()
        let r = results.withLock { $0 }
        #expect(r["first"]?.contains("fdatasync") == true)
        // The prepared round is refused: the log fail-stopped under it.
        #expect(r["second"] != nil)
        #expect(log.isFailStopped)
        #expect(log.statistics.roundsPreparedAhead == 0)
        #expect(log.lastIndex == 1)
        log.close()
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(reopened.lastIndex <= 2)
    }

    @Test func rollOversUseTheSpareSegmentAndACleanCloseRemovesIt() throws {
        let dir = TempDir("spare")
        var options = testOptions(segmentSize: 64 << 10)
        options.compression = false
        options.deterministicSalt = { $0 &* 7919 }  // spares made in the round that wants one
        let log = try RaftLog.open(directory: dir.path, options: options)
        var written: [Entry] = []
        for k in 0..<40 {
            let batch = bulky(UInt64(k * 4 + 1), count: 4, bytes: 1024)
            try log.append(batch)
            written += batch
        }
        let stats = log.statistics
        #expect(stats.rollOvers >= 2)
        #expect(stats.rollOversOnSpare == stats.rollOvers)
        log.close()
        #expect(!dir.names().contains { $0.hasSuffix(".tmp") })
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions(segmentSize: 64 << 10))
        #expect(reopened.recoveryReport.labels == [.clean])
        #expect(try reopened.entries(1, 161) == written)
    }

    @Test func aSpareLeftByACrashIsATemporaryTheNextWritableOpenRemoves() throws {
        let dir = TempDir("spare-crash")
        var options = testOptions(segmentSize: 64 << 10)
        options.compression = false
        options.deterministicSalt = { $0 &* 7919 }
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(bulky(1, count: 40, bytes: 1024))  // past half of the segment: a spare is made
        #expect(dir.names().contains(where: isSpare))
        // A crash: the directory as the running writer leaves it.
        let copy = TempDir("spare-crash-copy")
        try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
        for name in dir.names() where name != "LOCK" {
            try FileManager.default.copyItem(atPath: dir.file(name), toPath: copy.file(name))
        }
        log.close()
        let readOnly = try RaftLog.open(directory: copy.path, options: .readOnly)
        #expect(readOnly.recoveryReport.labels.contains(.leftoverTemporary))
        readOnly.close()
        #expect(copy.names().contains(where: isSpare))
        let reopened = try RaftLog.open(directory: copy.path, options: testOptions(segmentSize: 64 << 10))
        #expect(!copy.names().contains(where: isSpare))
        #expect(try reopened.entries(1, 41) == bulky(1, count: 40, bytes: 1024))
        // The new writer makes its own spare and rolls over onto it.
        try reopened.append(bulky(41, count: 40, bytes: 1024))
        #expect(reopened.statistics.rollOvers >= 1)
        reopened.close()
    }

    @Test func asyncAndBlockingCallersInterleaveInQueueOrder() async throws {
        let dir = TempDir("pipeline-async")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        let indexes = try await withThrowingTaskGroup(of: Range<UInt64>.self) { group in
            for k in 0..<64 {
                group.addTask {
                    if k % 2 == 0 {
                        return try await log.appendAtEndAsync(bulky(0, count: 2, bytes: 16), term: 1)
                    }
                    return try log.appendAtEnd(bulky(0, count: 2, bytes: 16), term: 1)
                }
            }
            var all: [Range<UInt64>] = []
            for try await r in group { all.append(r) }
            return all
        }
        // Every caller got its own two indexes; together they are 1...128 with no gap.
        #expect(indexes.allSatisfy { $0.count == 2 })
        #expect(indexes.flatMap { Array($0) }.sorted() == Array(1...128))
        #expect(log.lastIndex == 128)
        #expect(log.statistics.appends == 64)
        #expect(log.statistics.entries == 128)
        log.close()
    }

    @Test func appendsAfterCloseAreRefusedAndQueuedOnesComplete() throws {
        let dir = TempDir("pipeline-close")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...3, term: 1))
        log.close()
        expectClosed { try log.append(makeEntries(4...4, term: 1)) }
        expectClosed { _ = try log.appendAtEnd(makeEntries(4...4, term: 1), term: 1) }
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(reopened.lastIndex == 3)
    }

    func expectClosed(_ body: () throws -> Void) {
        #expect { try body() } throws: { error in (error as? WALError) == .closed }
    }
}

/// A ``SyncGate`` (through the one test wrapper, ``HookedFileSystem``)
/// whose data sync marked by ``failNextDataSync()`` is counted, held at the
/// gate like the others, and then fails with EIO.
final class FailingSyncGate: @unchecked Sendable {
    let gate = SyncGate()
    private let failNext = Locked(false)

    func failNextDataSync() { failNext.withLock { $0 = true } }

    var fileSystem: HookedFileSystem {
        var hooks = HookedFileSystem.Hooks()
        hooks.sync = { handle, dataOnly throws(WALError) in
            guard dataOnly, self.failNext.withLock({ (f: inout Bool) -> Bool in defer { f = false }; return f }) else { return }
            self.gate.didSyncData()
            throw WALError.io(errno: 5, operation: "fdatasync", path: handle.path)
        }
        hooks.synced = { _, dataOnly in if dataOnly { self.gate.didSyncData() } }
        return HookedFileSystem(hooks: hooks)
    }
}
