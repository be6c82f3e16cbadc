import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Reads do not hold the log's state lock across disk I/O and decoding: a
/// slow catch-up read does not stall appends, and compaction during a read
/// does not close the file under it.
@Suite("Reads beside appends")
struct ReadConcurrencyTests {
    /// Holds the reader thread's reads of `.seg` files at a gate while
    /// `holdReads` is set, and notes a handle closed under a held read
    /// (hooks of the one test wrapper, ``HookedFileSystem``).
    final class ReadGate: @unchecked Sendable {
        let condition = NSCondition()
        var holdReads = false
        var reader: Thread?
        var blockedReads = 0
        var closedWhileBlocked = false
        private var closed: Set<ObjectIdentifier> = []

        var fileSystem: HookedFileSystem {
            var hooks = HookedFileSystem.Hooks()
            hooks.read = { handle, _ in self.held(handle) }
            hooks.close = { handle in
                self.condition.lock()
                self.closed.insert(ObjectIdentifier(handle))
                self.condition.unlock()
            }
            return HookedFileSystem(hooks: hooks)
        }

        private func held(_ handle: HookedFileHandle) {
            condition.lock()
            if holdReads && Thread.current == reader && handle.path.contains(".seg") {
                blockedReads += 1
                condition.broadcast()
                while holdReads { condition.wait() }
                blockedReads -= 1
                if closed.contains(ObjectIdentifier(handle)) { closedWhileBlocked = true }
            }
            condition.unlock()
        }
        func waitUntilAReadIsBlocked() {
            condition.lock()
            while blockedReads == 0 { condition.wait() }
            condition.unlock()
        }
        func release() {
            condition.lock()
            holdReads = false
            condition.broadcast()
            condition.unlock()
        }
    }

    @Test func anAppendCompletesWhileAReadIsBlockedInItsDiskRead() throws {
        let dir = TempDir("reads")
        let fs = ReadGate()
        var options = testOptions()
        options.fileSystem = fs.fileSystem
        options.readCacheBytes = 0
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...100, term: 1, size: 500))
        fs.condition.lock(); fs.holdReads = true; fs.condition.unlock()
        let read = Locked<Result<[Entry], WALError>?>(nil)
        let reader = Thread {
            let r = Result { () throws(WALError) in try log.entries(1, 101) }
            read.withLock { $0 = r }
        }
        fs.condition.lock(); fs.reader = reader; fs.condition.unlock()
        reader.start()
        fs.waitUntilAReadIsBlocked()
        // The reader sits in its disk read; with the state lock held across it, this append would wait forever.
        try log.append(makeEntries(101...101, term: 1))
        #expect(log.lastIndex == 101)
        fs.release()
        while read.withLock({ $0 }) == nil { usleep(1000) }
        #expect(try read.withLock { $0 }!.get().count == 100)
    }

    @Test func compactionDuringAReadKeepsTheReadSegmentOpenUntilTheReadEnds() throws {
        let dir = TempDir("reads")
        let fs = ReadGate()
        var options = testOptions(segmentSize: 16 << 10)
        options.fileSystem = fs.fileSystem
        options.readCacheBytes = 0
        options.compression = false
        let log = try RaftLog.open(directory: dir.path, options: options)
        for start in stride(from: UInt64(1), through: 291, by: 10) {
            try log.append(makeEntries(start...(start + 9), term: 1, size: 400), hardState: HardState(term: 1, vote: 1, commit: start + 9))
        }
        let first = log.firstIndex
        // Load the sealed segment's batch table first (another batch of it), so
        // that the gated read below blocks reading its record, after planning.
        _ = try log.entries(first + 10, first + 11)
        fs.condition.lock(); fs.holdReads = true; fs.condition.unlock()
        let read = Locked<Result<[Entry], WALError>?>(nil)
        let reader = Thread {
            let r = Result { () throws(WALError) in try log.entries(first, first + 5) }
            read.withLock { $0 = r }
        }
        fs.condition.lock(); fs.reader = reader; fs.condition.unlock()
        reader.start()
        fs.waitUntilAReadIsBlocked()
        try log.saveSnapshot(Snapshot(index: 250, term: 1, membership: Membership(), data: []))
        #expect(log.firstIndex > first, "the segment being read was compacted away")
        fs.release()
        while read.withLock({ $0 }) == nil { usleep(1000) }
        #expect(try read.withLock { $0 }!.get() == makeEntries(first...(first + 4), term: 1, size: 400))
        #expect(!fs.closedWhileBlocked, "the descriptor under the read was not closed")
    }
}
