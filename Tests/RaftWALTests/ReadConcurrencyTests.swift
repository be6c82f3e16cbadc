import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Reads do not hold the log's state lock across disk I/O and decoding: a
/// slow catch-up read does not stall appends, and compaction during a read
/// does not close the file under it.
@Suite("Reads beside appends")
struct ReadConcurrencyTests {
    /// POSIX, with `read(into:at:)` on `.seg` files held at a gate while `holdReads` is set.
    final class GatedReadFileSystem: ForwardingFileSystem, @unchecked Sendable {
        let base: any FileSystem = POSIXFileSystem()
        let condition = NSCondition()
        var holdReads = false
        var blockedReads = 0
        var closedWhileBlocked = false
        func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
            GatedReadHandle(inner: try base.open(path, access: access, create: create), fs: self)
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

    final class GatedReadHandle: ForwardingFileHandle, @unchecked Sendable {
        let inner: any RaftWAL.FileHandle
        let fs: GatedReadFileSystem
        var closed = false
        init(inner: any RaftWAL.FileHandle, fs: GatedReadFileSystem) {
            self.inner = inner
            self.fs = fs
        }
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int {
            fs.condition.lock()
            if fs.holdReads && path.contains(".seg") {  // a new segment's handle keeps its .seg.tmp path
                fs.blockedReads += 1
                fs.condition.broadcast()
                while fs.holdReads { fs.condition.wait() }
                fs.blockedReads -= 1
                if closed { fs.closedWhileBlocked = true }
            }
            fs.condition.unlock()
            return try inner.read(into: buffer, at: offset)
        }
        func close() {
            fs.condition.lock()
            closed = true
            fs.condition.unlock()
            inner.close()
        }
    }

    @Test func anAppendCompletesWhileAReadIsBlockedInItsDiskRead() throws {
        let dir = TempDir("reads")
        let fs = GatedReadFileSystem()
        var options = testOptions()
        options.fileSystem = fs
        options.readCacheBytes = 0
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...100, term: 1, size: 500))
        fs.condition.lock(); fs.holdReads = true; fs.condition.unlock()
        let read = Locked<Result<[Entry], WALError>?>(nil)
        let reader = Thread {
            let r = Result { () throws(WALError) in try log.entries(1, 101) }
            read.withLock { $0 = r }
        }
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
        let fs = GatedReadFileSystem()
        var options = testOptions(segmentSize: 16 << 10)
        options.fileSystem = fs
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
