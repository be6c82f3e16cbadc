#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// A change to a file's bytes that the page cache holds and the disk may not.
enum SimDataOp {
    /// `durableInode`/`durableOffset` differ from the file's own when the
    /// write is misdirected: the page cache is right, the disk gets it elsewhere.
    /// A nil `durableInode` with `lost` set means the disk never gets it.
    case write(offset: UInt64, bytes: [UInt8], durableInode: Int?, durableOffset: UInt64, lost: Bool)
    case truncate(UInt64)
    case allocate(UInt64)
}

/// A change to the name space, durable once its directory is synced.
enum SimNameOp {
    case link(path: String, inode: Int)
    case rename(from: String, to: String, inode: Int)
    case unlink(path: String, inode: Int)
    case mkdir(path: String)
    /// A directory renamed with everything in it (raft-recover presents its results this way).
    case renameDirectory(from: String, to: String)

    /// The directories whose sync makes this operation durable.
    var directories: [String] {
        switch self {
        case let .link(path, _), let .unlink(path, _), let .mkdir(path): return [parentDirectory(of: path)]
        case let .rename(from, to, _): return [parentDirectory(of: from), parentDirectory(of: to)]
        case let .renameDirectory(from, to): return [parentDirectory(of: from), parentDirectory(of: to)]
        }
    }
}

/// One file's bytes: what readers see, what the disk holds, and the
/// operations in between (in the order they were made).
struct SimInode {
    var visible: [UInt8] = []
    var durable: [UInt8] = []
    var pending: [SimDataOp] = []
}

/// How the disk is to misbehave on a write, armed by the fuzzer.
public enum SimMisdirection: Sendable, Equatable {
    /// The write lands `delta` bytes away in the same file.
    case offset(Int64)
    /// The write lands at the same offset in another file.
    case file(String)
    /// The write never reaches the disk (a lost write), though the sync succeeds.
    case lost
}

struct SimArmedMisdirect {
    var pathSuffix: String
    var skip: Int
    var target: SimMisdirection
}

/// Everything a ``SimFileSystem`` holds; a value, so copying forks a run.
struct SimState {
    var random: SimRandom
    var inodes: [Int: SimInode] = [:]
    var nextInode = 1
    /// Visible name space (what the process sees).
    var names: [String: Int] = [:]
    var directories: Set<String> = ["/"]
    /// Durable name space (what a crash with nothing volatile kept leaves).
    var durableNames: [String: Int] = [:]
    var durableDirectories: Set<String> = ["/"]
    var pendingNames: [SimNameOp] = []
    var locks: [String: String] = [:]
    /// Bumped by a crash: handles and locks from before are invalid.
    var generation: UInt64 = 0

    var operationCount = 0
    var killCountdown: Int? = nil
    var dead = false

    /// Faults armed on the write path.
    var syncFailure: (after: Int, errno: Int32)? = nil
    var capacityBytes: UInt64? = nil
    var misdirect: SimArmedMisdirect? = nil
    /// Counters of faults that actually fired (for reports and tests).
    var firedSyncFailures = 0
    var firedMisdirections = 0
    var firedNoSpace = 0

    init(random: SimRandom) {
        self.random = random
    }

    /// Throws unless the caller may act: the process was not killed, and a
    /// ``SimProcess`` (`process`, the generation it was made in) did not end
    /// in a crash since. A process a crash ended gets EIO for everything, so
    /// nothing it does afterwards (a close writing a tail hint, a deinit)
    /// reaches the disk the next process opens.
    func checkAlive(_ path: String, process: UInt64? = nil) throws(WALError) {
        if dead { throw .io(errno: EIO, operation: "killed", path: path) }
        if !isAlive(process) { throw .io(errno: EIO, operation: "process ended by a crash", path: path) }
    }

    /// Whether a ``SimProcess`` of generation `process` (nil: the unbound
    /// file system) outlived no crash.
    func isAlive(_ process: UInt64?) -> Bool {
        process.map { $0 == generation } ?? true
    }

    /// Counts a mutating operation, or kills the process instead of doing it.
    mutating func mutating(_ path: String) throws(WALError) {
        if dead { throw .io(errno: EIO, operation: "killed", path: path) }
        if let n = killCountdown {
            if n == 0 {
                dead = true
                killCountdown = nil
                throw .io(errno: EIO, operation: "killed", path: path)
            }
            killCountdown = n - 1
        }
        operationCount += 1
    }

    mutating func newInode() -> Int {
        let id = nextInode
        nextInode += 1
        inodes[id] = SimInode()
        return id
    }

    // MARK: Write faults

    /// Returns the errno to fail this sync with, when a failure is armed and due.
    mutating func takeSyncFailure() -> Int32? {
        guard let armed = syncFailure else { return nil }
        if armed.after > 0 {
            syncFailure = (armed.after - 1, armed.errno)
            return nil
        }
        syncFailure = nil
        firedSyncFailures += 1
        return armed.errno
    }

    var usedBytes: UInt64 {
        var total: UInt64 = 0
        for id in Set(names.values) { total += UInt64(inodes[id]!.visible.count) }
        return total
    }

    // MARK: Data operations

    mutating func write(_ id: Int, path: String, bytes: [UInt8], at offset: UInt64) throws(WALError) {
        var bytes = bytes
        let size = UInt64(inodes[id]!.visible.count)
        let end = offset + UInt64(bytes.count)
        var noSpace = false
        if let capacity = capacityBytes, end > size {
            let used = usedBytes
            let room = capacity > used ? capacity - used : 0
            if end - size > room {
                // A short write, then ENOSPC: the bytes that fit are written.
                let fits = size + room > offset ? Int(size + room - offset) : 0
                bytes = Array(bytes.prefix(fits))
                noSpace = true
            }
        }
        if !bytes.isEmpty {
            var durableInode: Int? = id
            var durableOffset = offset
            var lost = false
            if var armed = misdirect, path.hasSuffix(armed.pathSuffix) {
                if armed.skip > 0 {
                    armed.skip -= 1
                    misdirect = armed
                } else {
                    misdirect = nil
                    firedMisdirections += 1
                    switch armed.target {
                    case let .offset(delta):
                        durableOffset = UInt64(max(0, Int64(offset) + delta))
                    case let .file(other):
                        durableInode = names[normalize(other)] ?? id
                    case .lost:
                        durableInode = nil
                        lost = true
                    }
                }
            }
            Self.apply(write: bytes, at: offset, to: &inodes[id]!.visible)
            inodes[id]!.pending.append(.write(offset: offset, bytes: bytes, durableInode: durableInode,
                                              durableOffset: durableOffset, lost: lost))
        }
        if noSpace {
            firedNoSpace += 1
            throw .noSpace(path: path)
        }
    }

    mutating func truncate(_ id: Int, to size: UInt64) {
        Self.resize(&inodes[id]!.visible, to: size)
        inodes[id]!.pending.append(.truncate(size))
    }

    mutating func allocate(_ id: Int, path: String, upTo size: UInt64) throws(WALError) {
        let current = UInt64(inodes[id]!.visible.count)
        guard size > current else { return }
        if let capacity = capacityBytes, usedBytes + (size - current) > capacity {
            firedNoSpace += 1
            throw .noSpace(path: path)
        }
        Self.resize(&inodes[id]!.visible, to: size)
        inodes[id]!.pending.append(.allocate(size))
    }

    /// Makes a file's pending operations durable. With `failing`, a random
    /// subset reaches the disk and the rest are lost, though the page cache
    /// still shows them: Linux marks the pages clean after a failed
    /// writeback ("fsyncgate"), so a retried fsync would report success.
    mutating func sync(_ id: Int, failing: Bool) {
        let ops = inodes[id]!.pending
        inodes[id]!.pending = []
        for op in ops {
            if failing && random.chance(0.5) { continue }
            applyDurably(op, of: id, tear: nil)
        }
    }

    /// Applies `op` of inode `id` to the disk, possibly torn.
    mutating func applyDurably(_ op: SimDataOp, of id: Int, tear: SimTear?) {
        switch op {
        case let .write(offset, bytes, durableInode, durableOffset, lost):
            guard !lost, let target = durableInode, inodes[target] != nil else { return }
            if let tear {
                for (start, piece) in tear.pieces(of: bytes, at: durableOffset, random: &random) {
                    Self.apply(write: piece, at: start, to: &inodes[target]!.durable)
                }
                // The size grows even when the data did not all arrive: the
                // missing bytes read as zeros (or their old contents).
                let end = durableOffset + UInt64(bytes.count)
                if UInt64(inodes[target]!.durable.count) < end { Self.resize(&inodes[target]!.durable, to: end) }
            } else {
                Self.apply(write: bytes, at: durableOffset, to: &inodes[target]!.durable)
            }
            _ = offset
        case let .truncate(size):
            Self.resize(&inodes[id]!.durable, to: size)
        case let .allocate(size):
            if UInt64(inodes[id]!.durable.count) < size { Self.resize(&inodes[id]!.durable, to: size) }
        }
    }

    static func apply(write bytes: [UInt8], at offset: UInt64, to file: inout [UInt8]) {
        let end = Int(offset) + bytes.count
        if file.count < end { file.append(contentsOf: repeatElement(0, count: end - file.count)) }
        file.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                guard let base = src.baseAddress, src.count > 0 else { return }
                (dst.baseAddress! + Int(offset)).copyMemory(from: base, byteCount: src.count)
            }
        }
    }

    static func resize(_ file: inout [UInt8], to size: UInt64) {
        let n = Int(size)
        if file.count > n { file.removeLast(file.count - n) } else if file.count < n {
            file.append(contentsOf: repeatElement(0, count: n - file.count))
        }
    }

    // MARK: Name space

    /// Applies, in order, the pending name operations that `path`'s sync makes durable.
    mutating func syncDirectory(_ path: String) {
        var rest: [SimNameOp] = []
        for op in pendingNames {
            if op.directories.contains(path) { applyDurably(op) } else { rest.append(op) }
        }
        pendingNames = rest
    }

    mutating func applyDurably(_ op: SimNameOp) {
        switch op {
        case let .link(path, inode):
            durableNames[path] = inode
        case let .rename(from, to, inode):
            // rename(2) is atomic on every journaling file system: both halves or neither.
            if durableNames[from] == inode { durableNames[from] = nil }
            durableNames[to] = inode
        case let .unlink(path, inode):
            if durableNames[path] == inode { durableNames[path] = nil }
        case let .mkdir(path):
            durableDirectories.insert(path)
        case let .renameDirectory(from, to):
            // Atomic like a file rename: the whole subtree moves, or nothing does.
            guard durableDirectories.contains(from), !durableDirectories.contains(to) else { return }
            Self.moveSubtree(from: from, to: to, names: &durableNames, directories: &durableDirectories)
        }
    }

    /// Moves `from` and every name below it to `to`.
    static func moveSubtree(from: String, to: String, names: inout [String: Int], directories: inout Set<String>) {
        func moved(_ p: String) -> String? {
            if p == from { return to }
            guard p.hasPrefix(from + "/") else { return nil }
            return to + p.dropFirst(from.count)
        }
        for d in directories { if let n = moved(d) { directories.remove(d); directories.insert(n) } }
        for (p, id) in names { if let n = moved(p) { names[p] = nil; names[n] = id } }
    }
}

/// A mutex for the simulator (pthread, with typed-throws `withLock`).
final class SimMutex: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
