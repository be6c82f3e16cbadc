import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// Counts data syncs and holds each one, once done, while the gate is
/// closed, so group commit is tested deterministically (through the one
/// test wrapper, ``HookedFileSystem``).
final class SyncGate: @unchecked Sendable {
    let lock = NSCondition()
    private var syncs = 0
    private var gateOpen = true

    var dataSyncs: Int { lock.withLock { syncs } }

    var fileSystem: HookedFileSystem {
        var hooks = HookedFileSystem.Hooks()
        hooks.synced = { _, dataOnly in if dataOnly { self.didSyncData() } }
        return HookedFileSystem(hooks: hooks)
    }

    func didSyncData() {
        lock.lock()
        syncs += 1
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

extension SyncGate {
    /// A new log in a fresh directory `name`, its data syncs through a new gate.
    static func openGatedLog(_ name: String) throws -> (dir: TempDir, gate: SyncGate, log: RaftLog) {
        let dir = TempDir(name)
        let gate = SyncGate()
        var options = LogOptions()
        options.fileSystem = gate.fileSystem
        return (dir, gate, try RaftLog.open(directory: dir.path, options: options))
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func appendsQueuedBehindASyncShareOneRecordAndOneSync() throws {
        let (dir, fs, log) = try SyncGate.openGatedLog("group")
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
        // The round the writer thread started first (entry 1, or more when the thread woke late under
        // load) synced alone; every append queued behind its sync shared one record and one sync.
        #expect((1...2).contains(fs.dataSyncs - syncsBefore), "\(fs.dataSyncs - syncsBefore) syncs for \(writers) appends")
        #expect(try log.entries(1, UInt64(writers) + 1).map(\.data) == (0..<writers).map { [UInt8($0)] })
        log.close()
        let reopened = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(reopened.lastIndex == UInt64(writers))
    }

    @Test func aFailedSyncFailStopsTheLog() throws {
        let dir = TempDir("failstop")
        let failSyncs = Locked(false)
        var hooks = HookedFileSystem.Hooks()
        hooks.sync = { (handle: HookedFileHandle, _: Bool) throws(WALError) in
            if failSyncs.withLock({ $0 }) { throw .io(errno: 5, operation: "fdatasync", path: handle.path) }
        }
        var options = LogOptions()
        options.fileSystem = HookedFileSystem(hooks: hooks)
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...3, term: 1))
        failSyncs.withLock { $0 = true }
        expectError(.io(errno: 5)) { try log.append(makeEntries(4...4, term: 1)) }
        failSyncs.withLock { $0 = false }
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
