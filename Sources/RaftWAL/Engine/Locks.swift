#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable (pthread), for the engine's state and
/// its group-commit queue. Kept tiny: lock, unlock, wait, broadcast.
///
/// Why not `Synchronization.Mutex`: the group-commit queue and the pending
/// appends wait on a condition, which `Mutex` does not offer; and for the
/// plain locks (`stateLock`, `writerLock`, a reader's pins), which appenders
/// and readers contend for, `Mutex` on Linux is a priority-inheritance futex
/// that hands the lock over through the kernel on every contended unlock.
/// Measured on the 2-core VM (a counter incremented under the lock, 300 k
/// times per thread, `-O`, a loaded machine): 1-2 threads alike (48-117 ns
/// both), 4 threads 136-435 ns with `Mutex` against 77-93 ns with this lock
/// (an earlier 2 M-iteration run: 441-859 ns against 52-54 ns). So the
/// engine keeps this lock until `Mutex` stops costing on contention.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for a broadcast; the lock must be held.
    func wait() { pthread_cond_wait(condition, mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }

    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Bounded polling before a thread sleeps on a condition: the engine's two
/// hand-offs (a caller to the writer thread, the writer back to a blocking
/// caller) cost a futex wake-up and a reschedule each, tens of microseconds
/// on a 2-vCPU VM, as much as a fast `fdatasync`. A thread that polls for a
/// few of those microseconds first sees the hand-off at once, and a vCPU
/// kept busy through a short sync also sees its completion sooner.
/// ``LogOptions/spinWaitMicroseconds`` bounds the polling; 0 turns it off.
enum SpinWait {
    /// Polls `ready` until it is true (returns true) or `nanos` have passed
    /// (returns false). The clock is read every 64 polls.
    @inline(__always)
    static func poll(for nanos: UInt64, _ ready: () -> Bool) -> Bool {
        if nanos == 0 { return ready() }
        let deadline = MonotonicClock.nanos() &+ nanos
        var k = 0
        while true {
            if ready() { return true }
            k &+= 1
            if k & 63 == 0 && MonotonicClock.nanos() >= deadline { return ready() }
        }
    }
}
