#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// A simulated disk with a page cache, for crash testing the engine.
///
/// Like SQLite's `test6.c`: everything the engine does is visible at once
/// (the page cache), but only what was synced is on the "disk". File writes,
/// truncations and allocations are volatile until that file's
/// ``FileHandle/sync(dataOnly:)``; creations, renames, removals and new
/// directories are volatile until ``syncDirectory(_:)`` of the directory
/// they change. ``crash()`` is a power loss: each volatile operation is
/// independently kept, dropped or (for writes) torn at a sector or byte
/// boundary; what was synced always survives.
///
/// Faults for the crash fuzzer: ``kill(afterOperations:)`` (the process dies
/// between two operations), damage of data at rest (``flipBit(_:offset:bit:)``,
/// ``zero(_:range:)``, ``overwrite(_:offset:bytes:)``, ``loseFile(_:)``), and
/// armed write-path faults (``failSync(after:errno:)``, ``capacityBytes``,
/// ``misdirectWrite(pathSuffix:after:to:)``).
///
/// A crash ends the process: give each session ``process()`` (a
/// ``SimProcess``) rather than this object when its log may outlive a
/// crash, so that nothing the dead session does afterwards reaches the disk.
///
/// Deterministic: every random choice comes from the seed. Paths are
/// absolute strings ("/data/x.seg"); "/" always exists. Thread safe (one lock).
public final class SimFileSystem: FileSystem, @unchecked Sendable {
    /// Guards every field below.
    let mutex = SimMutex()
    var state: SimState

    /// A file system holding only the root directory.
    public init(seed: UInt64) {
        state = SimState(random: SimRandom(seed: seed))
    }

    init(state: SimState) {
        self.state = state
    }

    /// Mutating operations performed so far (writes, syncs, creations,
    /// renames, removals, truncations, allocations, directory syncs).
    public var operationCount: Int { mutex.withLock { state.operationCount } }

    /// After `n` more mutating operations every call throws
    /// `WALError.io(errno: EIO, operation: "killed", path:)`: the process is
    /// dead. Volatile state is kept until ``crash()``.
    public func kill(afterOperations n: Int) {
        precondition(n >= 0)
        mutex.withLock { state.killCountdown = n }
    }

    /// True once the kill switch fired.
    public var isKilled: Bool { mutex.withLock { state.dead } }

    /// Power loss. Each volatile operation is independently kept, dropped or
    /// (for a write) torn, within what was synced; then the visible state
    /// becomes the durable one, open handles and locks become invalid, and
    /// the kill switch and armed write faults are cleared.
    public func crash() {
        mutex.withLock { state.crash() }
    }

    /// A deep copy (the random generator included), to fork a run: crash
    /// the copy, check it, and carry on with the original. Handles and locks
    /// of the original are not valid on the copy, but the copy's lock table
    /// says the same paths are held.
    public func copy() -> SimFileSystem {
        mutex.withLock { SimFileSystem(state: state) }
    }

    /// The bytes a reader sees now (page cache included), or nil when there
    /// is no such file.
    public func contents(of path: String) -> [UInt8]? {
        mutex.withLock {
            guard let id = state.names[normalize(path)] else { return nil }
            return state.inodes[id]!.visible
        }
    }

    /// The bytes that would survive a crash in which every volatile operation
    /// is dropped, or nil when the file's name is not durable.
    public func durableContents(of path: String) -> [UInt8]? {
        mutex.withLock {
            guard let id = state.durableNames[normalize(path)] else { return nil }
            return state.inodes[id]!.durable
        }
    }

    /// Every existing file path, sorted (directories excluded).
    public func paths() -> [String] {
        mutex.withLock { state.names.keys.sorted() }
    }

    /// Every existing directory path, sorted.
    public func directories() -> [String] {
        mutex.withLock { state.directories.sorted() }
    }

    // MARK: FileSystem

    public func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any FileHandle {
        try open(path, access: access, create: create, process: nil)
    }

    func open(_ path: String, access: FileAccess, create: Bool, process: UInt64?) throws(WALError) -> any FileHandle {
        let path = normalize(path)
        return try mutex.withLock { () throws(WALError) -> any FileHandle in
            try state.checkAlive(path, process: process)
            if state.directories.contains(path) { throw .notARegularFile(path, .directory) }
            if let id = state.names[path] {
                return SimFileHandle(fs: self, inode: id, path: path, writable: access == .readWrite, generation: state.generation)
            }
            guard create else { throw .io(errno: ENOENT, operation: "open", path: path) }
            guard state.directories.contains(parentDirectory(of: path)) else {
                throw .io(errno: ENOENT, operation: "open", path: path)
            }
            try state.mutating(path)
            let id = state.newInode()
            state.names[path] = id
            state.pendingNames.append(.link(path: path, inode: id))
            return SimFileHandle(fs: self, inode: id, path: path, writable: access == .readWrite, generation: state.generation)
        }
    }

    public func listDirectory(_ path: String) throws(WALError) -> [String] {
        try listDirectory(path, process: nil)
    }

    func listDirectory(_ path: String, process: UInt64?) throws(WALError) -> [String] {
        let path = normalize(path)
        return try mutex.withLock { () throws(WALError) -> [String] in
            try state.checkAlive(path, process: process)
            guard state.directories.contains(path) else { throw .io(errno: ENOENT, operation: "opendir", path: path) }
            var out: [String] = []
            for name in state.names.keys where parentDirectory(of: name) == path { out.append(baseName(name)) }
            for dir in state.directories where dir != "/" && parentDirectory(of: dir) == path { out.append(baseName(dir)) }
            return out
        }
    }

    /// The simulated disk holds regular files and directories only.
    public func fileKind(_ path: String) -> FileKind? { fileKind(path, process: nil) }

    func fileKind(_ path: String, process: UInt64?) -> FileKind? {
        let path = normalize(path)
        return mutex.withLock {
            guard state.isAlive(process) else { return nil }
            return state.directories.contains(path) ? .directory : state.names[path] != nil ? .regular : nil
        }
    }

    public func fileExists(_ path: String) -> Bool { fileExists(path, process: nil) }

    func fileExists(_ path: String, process: UInt64?) -> Bool {
        let path = normalize(path)
        return mutex.withLock { state.isAlive(process) && (state.names[path] != nil || state.directories.contains(path)) }
    }

    public func isDirectory(_ path: String) -> Bool { isDirectory(path, process: nil) }

    func isDirectory(_ path: String, process: UInt64?) -> Bool {
        let path = normalize(path)
        return mutex.withLock { state.isAlive(process) && state.directories.contains(path) }
    }

    public func createDirectory(_ path: String) throws(WALError) { try createDirectory(path, process: nil) }

    func createDirectory(_ path: String, process: UInt64?) throws(WALError) {
        let path = normalize(path)
        try mutex.withLock { () throws(WALError) in
            try state.checkAlive(path, process: process)
            if state.directories.contains(path) { return }
            if state.names[path] != nil { throw .io(errno: EEXIST, operation: "mkdir", path: path) }
            var missing: [String] = []
            var p = path
            while !state.directories.contains(p) {
                if state.names[p] != nil { throw .io(errno: ENOTDIR, operation: "mkdir", path: p) }
                missing.append(p)
                p = parentDirectory(of: p)
            }
            try state.mutating(path)
            for dir in missing.reversed() {
                state.directories.insert(dir)
                state.pendingNames.append(.mkdir(path: dir))
            }
        }
    }

    public func rename(_ from: String, to: String) throws(WALError) { try rename(from, to: to, process: nil) }

    func rename(_ from: String, to: String, process: UInt64?) throws(WALError) {
        let from = normalize(from), to = normalize(to)
        try mutex.withLock { () throws(WALError) in
            try state.checkAlive(from, process: process)
            if state.directories.contains(from) && from != "/" {
                // A whole directory (no locks or open handles are moved with it: callers rename closed directories).
                guard state.directories.contains(parentDirectory(of: to)), !state.directories.contains(to), state.names[to] == nil,
                      !to.hasPrefix(from + "/") else {
                    throw .io(errno: EEXIST, operation: "rename", path: from + " -> " + to)
                }
                try state.mutating(from)
                var names = state.names, directories = state.directories  // one inout access to `state` at a time
                SimState.moveSubtree(from: from, to: to, names: &names, directories: &directories)
                state.names = names
                state.directories = directories
                state.pendingNames.append(.renameDirectory(from: from, to: to))
                return
            }
            guard let id = state.names[from] else { throw .io(errno: ENOENT, operation: "rename", path: from + " -> " + to) }
            guard state.directories.contains(parentDirectory(of: to)), !state.directories.contains(to) else {
                throw .io(errno: ENOENT, operation: "rename", path: from + " -> " + to)
            }
            try state.mutating(from)
            if from == to { return }
            state.names[from] = nil
            state.names[to] = id
            state.pendingNames.append(.rename(from: from, to: to, inode: id))
        }
    }

    public func remove(_ path: String) throws(WALError) { try remove(path, process: nil) }

    func remove(_ path: String, process: UInt64?) throws(WALError) {
        let path = normalize(path)
        try mutex.withLock { () throws(WALError) in
            try state.checkAlive(path, process: process)
            guard let id = state.names[path] else { throw .io(errno: ENOENT, operation: "unlink", path: path) }
            try state.mutating(path)
            state.names[path] = nil
            state.pendingNames.append(.unlink(path: path, inode: id))
        }
    }

    public func syncDirectory(_ path: String) throws(WALError) { try syncDirectory(path, process: nil) }

    func syncDirectory(_ path: String, process: UInt64?) throws(WALError) {
        let path = normalize(path)
        try mutex.withLock { () throws(WALError) in
            try state.checkAlive(path, process: process)
            guard state.directories.contains(path) else { throw .io(errno: ENOENT, operation: "open", path: path) }
            try state.mutating(path)
            if let code = state.takeSyncFailure() {
                // The journal commit failed: the entries stay volatile.
                throw .io(errno: code, operation: "fsync", path: path)
            }
            state.syncDirectory(path)
        }
    }

    public func lockExclusive(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock {
        try lockExclusive(path, owner: owner, process: nil)
    }

    func lockExclusive(_ path: String, owner: String?, process: UInt64?) throws(WALError) -> any DirectoryLock {
        let path = normalize(path)
        let handle = try open(path, access: .readWrite, create: true, process: process)
        let generation = try mutex.withLock { () throws(WALError) -> UInt64 in
            try state.checkAlive(path, process: process)
            if let holder = state.locks[path] { throw .locked(path: path, by: holder) }
            state.locks[path] = owner ?? "unknown holder"
            return state.generation
        }
        do {
            if let owner {
                try handle.truncate(to: 0)
                try handle.write(Array((owner + "\n").utf8), at: 0)
            }
        } catch {
            mutex.withLock { if state.generation == generation { state.locks[path] = nil } }
            throw error
        }
        handle.close()
        return SimLock(fs: self, path: path, generation: generation)
    }
}

/// `//a//b/` → `/a/b`.
func normalize(_ path: String) -> String {
    guard path.contains("//") || (path.count > 1 && path.hasSuffix("/")) else { return path }
    var parts = path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    if path.hasPrefix("/") { parts = "/" + parts }
    return parts.isEmpty ? "/" : parts
}

func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
