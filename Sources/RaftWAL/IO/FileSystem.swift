/// The seam between the engine and the storage below it.
///
/// The engine never calls the C library for files: it talks to a
/// `FileSystem`. Production uses ``POSIXFileSystem``; tests and the crash
/// fuzzer plug in a simulated file system that keeps writes volatile until
/// they are synced and can crash, tear writes and inject faults.
///
/// Durability contract (the same as POSIX on Linux/ext4, and what the
/// simulator models): data written to a file is durable only after
/// ``FileHandle/sync(dataOnly:)`` on that file; the existence of a created,
/// renamed or removed name is durable only after ``syncDirectory(_:)``.
public protocol FileSystem: Sendable {
    /// Opens `path`. With `create`, a missing file is created (mode 0644).
    func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any FileHandle
    /// The names (not paths) in a directory, unsorted. `.` and `..` excluded.
    func listDirectory(_ path: String) throws(WALError) -> [String]
    /// True when `path` exists.
    func fileExists(_ path: String) -> Bool
    /// True when `path` is a directory.
    func isDirectory(_ path: String) -> Bool
    /// What `path` itself is (`lstat`: a symbolic link is reported as one,
    /// never followed); nil when nothing is there. Callers check it before
    /// opening a data file, and before writing, emptying or renaming a path.
    func fileKind(_ path: String) -> FileKind?
    /// Creates the directory and any missing parents (mode 0755).
    func createDirectory(_ path: String) throws(WALError)
    /// Atomically replaces `to` with `from` (`rename(2)`).
    func rename(_ from: String, to: String) throws(WALError)
    /// Removes a file (`unlink(2)`).
    func remove(_ path: String) throws(WALError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(WALError)
    /// Takes the exclusive writer lock on `path` (created if missing),
    /// writing `owner` into it; with `owner` nil the file's bytes are left as
    /// they are (a tool that only keeps writers out of a directory it must
    /// not change, such as `raft-recover`'s source). Throws
    /// ``WALError/locked(path:by:)`` naming the current holder when another
    /// process holds it.
    func lockExclusive(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock
}

/// What a directory entry is, as `lstat` sees it.
public enum FileKind: String, Sendable, Equatable {
    /// A regular file: the only kind the log opens.
    case regular = "a regular file"
    /// A directory.
    case directory = "a directory"
    /// A symbolic link (never followed).
    case symbolicLink = "a symbolic link"
    /// A named pipe: opening it for reading would block.
    case fifo = "a FIFO"
    /// A Unix socket.
    case socket = "a socket"
    /// A character or block device.
    case device = "a device"
    /// Any other kind of file.
    case other = "a special file"
}

extension WALError {
    /// A name where a regular file belongs (a segment, a snapshot) that is
    /// something else: never opened for reading (a FIFO would block, a
    /// device could have side effects, a symlink points outside the log),
    /// reported as damage naming the file and what it is.
    public static func notARegularFile(_ path: String, _ kind: FileKind) -> WALError {
        .corrupted(file: path, offset: nil, indexes: nil,
                   reason: "not a regular file but \(kind.rawValue); never opened or followed")
    }
}

/// How a file is opened.
public enum FileAccess: Sendable {
    /// Reads only.
    case readOnly
    /// Reads and writes.
    case readWrite
}

/// An open file. Offsets are absolute; there is no file position.
public protocol FileHandle: AnyObject, Sendable {
    /// The path the file was opened at (for errors).
    var path: String { get }
    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8]
    /// Reads into `buffer` at `offset`; returns the number of bytes read
    /// (short only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int
    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError)
    /// The file's size in bytes (`fstat`).
    func size() throws(WALError) -> UInt64
    /// `fdatasync` (dataOnly) or `fsync`.
    func sync(dataOnly: Bool) throws(WALError)
    /// Sets the file's size (`ftruncate`).
    func truncate(to size: UInt64) throws(WALError)
    /// Reserves space up to `size` bytes (`posix_fallocate`); reads of the
    /// reserved range return zeros.
    func allocate(upTo size: UInt64) throws(WALError)
    /// Closes the descriptor. Idempotent.
    func close()
}

extension FileHandle {
    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try bytes.withBytes { (raw) throws(WALError) in try write(raw, at: offset) }
    }
}

/// A held writer lock; released by ``release()`` or when the process exits.
public protocol DirectoryLock: AnyObject, Sendable {
    /// Releases the lock. Idempotent.
    func release()
}
