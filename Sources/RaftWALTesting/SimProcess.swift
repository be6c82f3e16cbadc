import RaftWAL

/// The simulated disk as one process sees it: give a log this, not the
/// ``SimFileSystem`` itself, when the log may outlive a ``SimFileSystem/crash()``.
///
/// A crash ends the process, and a process that is gone does nothing more.
/// But the `RaftLog` object of the crashed session is still alive in the
/// test or fuzzer, and its `close()` (or its deinit) would write a tail
/// hint, unlink files or sync a directory on the disk the next session
/// opened. Every call through a view made before a crash throws EIO
/// ("process ended by a crash"), as every handle and lock of that time
/// already does, so nothing the dead session does reaches the disk; its
/// calls do not count as operations and do not spend the kill countdown.
public struct SimProcess: FileSystem {
    /// The disk shared by every process.
    public let disk: SimFileSystem
    /// The disk's crash generation when this process started.
    let generation: UInt64

    public func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        try disk.open(path, access: access, create: create, process: generation)
    }
    public func listDirectory(_ path: String) throws(WALError) -> [String] { try disk.listDirectory(path, process: generation) }
    public func fileExists(_ path: String) -> Bool { disk.fileExists(path, process: generation) }
    public func isDirectory(_ path: String) -> Bool { disk.isDirectory(path, process: generation) }
    public func fileKind(_ path: String) -> FileKind? { disk.fileKind(path, process: generation) }
    public func createDirectory(_ path: String) throws(WALError) { try disk.createDirectory(path, process: generation) }
    public func rename(_ from: String, to: String) throws(WALError) { try disk.rename(from, to: to, process: generation) }
    public func remove(_ path: String) throws(WALError) { try disk.remove(path, process: generation) }
    public func syncDirectory(_ path: String) throws(WALError) { try disk.syncDirectory(path, process: generation) }
    public func lockExclusive(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock {
        try disk.lockExclusive(path, owner: owner, process: generation)
    }

    /// Whether no crash has ended this process yet.
    public var isAlive: Bool { disk.mutex.withLock { disk.state.isAlive(generation) } }
}

extension SimFileSystem {
    /// A process starting now: its calls work until the next ``crash()``,
    /// and fail with EIO after it (``SimProcess``).
    public func process() -> SimProcess {
        mutex.withLock { SimProcess(disk: self, generation: state.generation) }
    }
}
