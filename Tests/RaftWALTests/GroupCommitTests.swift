import Foundation
import Testing
import RaftWAL

/// Wraps the POSIX file system: counts data syncs and can hold the first one
/// until the test opens a gate, so group commit is tested deterministically.
final class GatedFileSystem: FileSystem, @unchecked Sendable {
    let base = POSIXFileSystem()
    let lock = NSCondition()
    var dataSyncs = 0
    var gateOpen = true

    func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        GatedHandle(try base.open(path, access: access, create: create), fs: self)
    }
    func listDirectory(_ path: String) throws(WALError) -> [String] { try base.listDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func createDirectory(_ path: String) throws(WALError) { try base.createDirectory(path) }
    func rename(_ from: String, to: String) throws(WALError) { try base.rename(from, to: to) }
    func remove(_ path: String) throws(WALError) { try base.remove(path) }
    func syncDirectory(_ path: String) throws(WALError) { try base.syncDirectory(path) }
    func lockExclusive(_ path: String, owner: String) throws(WALError) -> any DirectoryLock { try base.lockExclusive(path, owner: owner) }

    func didSyncData() {
        lock.lock()
        dataSyncs += 1
        while !gateOpen { lock.wait() }
        lock.unlock()
    }
    func setGate(open: Bool) {
        lock.lock()
        gateOpen = open
        lock.broadcast()
        lock.unlock()
    }
}

final class GatedHandle: RaftWAL.FileHandle, @unchecked Sendable {
    let inner: any RaftWAL.FileHandle
    let fs: GatedFileSystem
    init(_ inner: any RaftWAL.FileHandle, fs: GatedFileSystem) {
        self.inner = inner
        self.fs = fs
    }
    var path: String { inner.path }
    func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] { try inner.read(at: offset, count: count) }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int { try inner.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) { try inner.write(bytes, at: offset) }
    func size() throws(WALError) -> UInt64 { try inner.size() }
    func sync(dataOnly: Bool) throws(WALError) {
        try inner.sync(dataOnly: dataOnly)
        if dataOnly { fs.didSyncData() }
    }
    func truncate(to size: UInt64) throws(WALError) { try inner.truncate(to: size) }
    func allocate(upTo size: UInt64) throws(WALError) { try inner.allocate(upTo: size) }
    func close() { inner.close() }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func appendsQueuedBehindASyncShareOneRecordAndOneSync() throws {
        let dir = TempDir("group")
        let fs = GatedFileSystem()
        var options = LogOptions()
        options.fileSystem = fs
        let log = try RaftLog.open(directory: dir.path, options: options)
        let writers = 32
        let syncsBefore = fs.dataSyncs
        fs.setGate(open: false)
        // Writer k appends entry k+1 once entry k is queued, so queue order is index order.
        let turn = NSCondition()
        let queued = Locked(0)
        let done = DispatchGroup()
        let failures = Locked<[String]>([])
        for k in 0..<writers {
            done.enter()
            Thread.detachNewThread {
                turn.lock()
                while queued.withLock({ $0 }) != k { turn.wait() }
                turn.unlock()
                do {
                    try log.append([Entry(index: UInt64(k + 1), term: 1, data: [UInt8(k)])], hardState: nil, whenQueued: {
                        turn.lock(); queued.withLock { $0 += 1 }; turn.broadcast(); turn.unlock()
                    })
                } catch {
                    failures.withLock { $0.append("\(k): \(error)") }
                }
                done.leave()
            }
        }
        // Wait until every writer has queued, then let the first sync finish.
        turn.lock()
        while queued.withLock({ $0 }) != writers { turn.wait() }
        turn.unlock()
        fs.setGate(open: true)
        done.wait()
        #expect(failures.withLock { $0 }.isEmpty)
        // The first append synced alone; the 31 queued behind it shared one record and one sync.
        #expect(fs.dataSyncs - syncsBefore == 2)
        #expect(try log.entries(1, UInt64(writers) + 1).map(\.data) == (0..<writers).map { [UInt8($0)] })
        log.close()
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(reopened.lastIndex == UInt64(writers))
    }

    @Test func concurrentAsyncAppendsAllBecomeDurable() async throws {
        let dir = TempDir("async")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try await log.append(makeEntries(1...10, term: 1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<16 {
                group.addTask { try await log.setHardStateAsync(HardState(term: 1, vote: 1, commit: UInt64(k % 10))) }
            }
            try await group.waitForAll()
        }
        #expect(log.hardState.term == 1)
        #expect(log.lastIndex == 10)
    }

    @Test func aFailedSyncFailStopsTheLog() throws {
        let dir = TempDir("failstop")
        let fs = FailingSyncFileSystem()
        var options = LogOptions()
        options.fileSystem = fs
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...3, term: 1))
        fs.failSyncs = true
        #expect(throws: WALError.self) { try log.append(makeEntries(4...4, term: 1)) }
        fs.failSyncs = false
        // Retrying is refused: the page cache may have dropped the data.
        #expect { try log.append(makeEntries(4...4, term: 1)) } throws: { error in
            if case WALError.failStopped = error { return true }
            return false
        }
        #expect(log.isFailStopped)
        #expect(log.lastIndex == 3)
        log.close()
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(try reopened.entries(1, 4) == makeEntries(1...3, term: 1))
    }
}

extension RaftLog {
    func setHardStateAsync(_ hs: HardState) async throws {
        try await append([], hardState: hs)
    }
}

final class FailingSyncFileSystem: FileSystem, @unchecked Sendable {
    let base = POSIXFileSystem()
    var failSyncs = false
    func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        FailingHandle(try base.open(path, access: access, create: create), fs: self)
    }
    func listDirectory(_ path: String) throws(WALError) -> [String] { try base.listDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func createDirectory(_ path: String) throws(WALError) { try base.createDirectory(path) }
    func rename(_ from: String, to: String) throws(WALError) { try base.rename(from, to: to) }
    func remove(_ path: String) throws(WALError) { try base.remove(path) }
    func syncDirectory(_ path: String) throws(WALError) { try base.syncDirectory(path) }
    func lockExclusive(_ path: String, owner: String) throws(WALError) -> any DirectoryLock { try base.lockExclusive(path, owner: owner) }
}

final class FailingHandle: RaftWAL.FileHandle, @unchecked Sendable {
    let inner: any RaftWAL.FileHandle
    let fs: FailingSyncFileSystem
    init(_ inner: any RaftWAL.FileHandle, fs: FailingSyncFileSystem) {
        self.inner = inner
        self.fs = fs
    }
    var path: String { inner.path }
    func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] { try inner.read(at: offset, count: count) }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int { try inner.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) { try inner.write(bytes, at: offset) }
    func size() throws(WALError) -> UInt64 { try inner.size() }
    func sync(dataOnly: Bool) throws(WALError) {
        if fs.failSyncs { throw WALError.io(errno: 5, operation: "fdatasync", path: path) }
        try inner.sync(dataOnly: dataOnly)
    }
    func truncate(to size: UInt64) throws(WALError) { try inner.truncate(to: size) }
    func allocate(upTo size: UInt64) throws(WALError) { try inner.allocate(upTo: size) }
    func close() { inner.close() }
}

/// A value behind a lock, for collecting results from threads.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
