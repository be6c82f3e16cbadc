#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// How many armed faults actually fired.
public struct SimFaultCounts: Sendable, Equatable {
    public var syncFailures: Int
    public var misdirections: Int
    public var noSpace: Int
}

/// Fault injection. Damage "at rest" changes the disk and the page cache
/// alike (as if the page were re-read after eviction); write-path faults are
/// armed and fire on a later call.
extension SimFileSystem {
    /// Flips bit `bit` of the byte at `offset` of `path`.
    /// - Throws: `ENOENT` for a missing file, `EINVAL` beyond its end.
    public func flipBit(_ path: String, offset: UInt64, bit: Int = 0) throws(WALError) {
        try damage(path, "flipBit", offset: offset, count: 1) { bytes in bytes[0] ^= UInt8(1) << UInt8(bit & 7) }
    }

    /// Zeroes `range` of `path` (a sector the disk lost).
    public func zero(_ path: String, range: Range<UInt64>) throws(WALError) {
        try damage(path, "zero", offset: range.lowerBound, count: Int(range.count)) { bytes in
            for k in bytes.indices { bytes[k] = 0 }
        }
    }

    /// Overwrites bytes of `path` at `offset` (stale or misplaced data). The
    /// range must lie within the file.
    public func overwrite(_ path: String, offset: UInt64, bytes new: [UInt8]) throws(WALError) {
        try damage(path, "overwrite", offset: offset, count: new.count) { bytes in bytes = new }
    }

    /// Removes `path` from the disk and the page cache (a lost file).
    public func loseFile(_ path: String) throws(WALError) {
        let path = normalize(path)
        try mutex.withLock { () throws(WALError) in
            guard state.names[path] != nil || state.durableNames[path] != nil else {
                throw .io(errno: ENOENT, operation: "loseFile", path: path)
            }
            state.names[path] = nil
            state.durableNames[path] = nil
            state.pendingNames.removeAll { op in
                if case let .link(p, _) = op { return p == path }
                if case let .rename(_, to, _) = op { return to == path }
                return false
            }
        }
    }

    /// The sync after `n` more successful ones (file or directory) fails
    /// with `errno`. A failed file sync loses a random part of the file's
    /// unsynced writes for good, while the page cache still shows them.
    public func failSync(after n: Int = 0, errno code: Int32 = EIO) {
        mutex.withLock { state.syncFailure = (n, code) }
    }

    /// Total bytes the files may occupy; writes and allocations beyond it
    /// fail with ENOSPC (a write short, an allocation not at all). Nil: unlimited.
    public var capacityBytes: UInt64? {
        get { mutex.withLock { state.capacityBytes } }
        set { mutex.withLock { state.capacityBytes = newValue } }
    }

    /// Bytes the visible files occupy.
    public var usedBytes: UInt64 { mutex.withLock { state.usedBytes } }

    /// The write after `n` more writes to a path ending in `pathSuffix` is
    /// misdirected: the page cache holds it where it belongs, the disk gets
    /// it at `target` (or never). The sync that follows succeeds.
    public func misdirectWrite(pathSuffix: String, after n: Int = 0, to target: SimMisdirection) {
        mutex.withLock { state.misdirect = SimArmedMisdirect(pathSuffix: pathSuffix, skip: n, target: target) }
    }

    /// Disarms every armed write-path fault (not the capacity).
    public func disarmFaults() {
        mutex.withLock {
            state.syncFailure = nil
            state.misdirect = nil
        }
    }

    /// Armed faults that fired so far.
    public var firedFaults: SimFaultCounts {
        mutex.withLock {
            SimFaultCounts(syncFailures: state.firedSyncFailures, misdirections: state.firedMisdirections,
                           noSpace: state.firedNoSpace)
        }
    }

    private func damage(_ path: String, _ operation: String, offset: UInt64, count: Int,
                        _ change: (inout [UInt8]) -> Void) throws(WALError) {
        let path = normalize(path)
        try mutex.withLock { () throws(WALError) in
            guard let id = state.names[path] ?? state.durableNames[path] else {
                throw .io(errno: ENOENT, operation: operation, path: path)
            }
            var touched = false
            for durable in [true, false] {
                let file = durable ? state.inodes[id]!.durable : state.inodes[id]!.visible
                guard offset + UInt64(count) <= UInt64(file.count) else { continue }
                var piece = Array(file[Int(offset)..<(Int(offset) + count)])
                change(&piece)
                precondition(piece.count == count, "a damage helper must not change the length")
                if durable {
                    SimState.apply(write: piece, at: offset, to: &state.inodes[id]!.durable)
                } else {
                    SimState.apply(write: piece, at: offset, to: &state.inodes[id]!.visible)
                }
                touched = true
            }
            if !touched { throw .io(errno: EINVAL, operation: operation, path: path) }
        }
    }
}
