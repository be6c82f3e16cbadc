#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The production ``FileSystem``: thin wrappers over POSIX calls.
///
/// Each call is wrapped once: `EINTR` is retried, short reads and writes
/// are continued, and any other failure becomes ``WALError/io(errno:operation:path:)``
/// (or ``WALError/noSpace(path:)`` for `ENOSPC`/`EDQUOT`) naming the call and
/// the path. This is the only file in the engine that calls the C library
/// for files.
public struct POSIXFileSystem: FileSystem {
    /// The process's file system.
    public init() {}

    /// Opens a regular file only: `lstat` first (a FIFO, socket, device,
    /// directory or symlink is refused with ``WALError/notARegularFile(_:_:)``
    /// and never opened), then `open(2)` with `O_NOFOLLOW` (a symlink planted
    /// after the check fails with `ELOOP`) and `O_NONBLOCK` (a FIFO planted
    /// after the check does not block; no effect on regular files), then
    /// `fstat` to confirm what was opened.
    public func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any FileHandle {
        if let kind = fileKind(path), kind != .regular { throw .notARegularFile(path, kind) }
        var flags: Int32 = access == .readOnly ? O_RDONLY : O_RDWR
        flags |= O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
        if create { flags |= O_CREAT }
        let fd: Int32
        do throws(WALError) {
            fd = try retrying("open", path) { systemOpen(path, flags, 0o644) }
        } catch {
            if case .io(ELOOP, _, _) = error { throw .notARegularFile(path, .symbolicLink) }
            throw error
        }
        var st = stat()
        if fstat(fd, &st) == 0, case let kind = Self.kind(st.st_mode), kind != .regular {
            _ = systemClose(fd)
            throw .notARegularFile(path, kind)
        }
        return POSIXFileHandle(fd: fd, path: path)
    }

    /// `lstat(2)`: what the name itself is, symlinks not followed.
    public func fileKind(_ path: String) -> FileKind? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return Self.kind(st.st_mode)
    }

    private static func kind(_ mode: mode_t) -> FileKind {
        switch mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        case S_IFCHR, S_IFBLK: return .device
        default: return .other
        }
    }

    public func listDirectory(_ path: String) throws(WALError) -> [String] {
        guard let dir = opendir(path) else { throw WALError.io(errno: errno, operation: "opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// True when `path` exists (`stat`; a dangling symlink does not).
    public func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// True when `path` is a directory (`stat`, following symlinks).
    public func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public func createDirectory(_ path: String) throws(WALError) {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path && !parent.isEmpty && !isDirectory(parent) { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw WALError.io(errno: errno, operation: "mkdir", path: path)
        }
    }

    public func rename(_ from: String, to: String) throws(WALError) {
        _ = try retrying("rename", from + " -> " + to) { systemRename(from, to) }
    }

    public func remove(_ path: String) throws(WALError) {
        _ = try retrying("unlink", path) { unlink(path) }
    }

    public func syncDirectory(_ path: String) throws(WALError) {
        let fd = try retrying("open", path) { systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        defer { _ = systemClose(fd) }
        _ = try retrying(fullSyncName, path) { fullSync(fd) }
    }

    public func lockExclusive(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock {
        // A lock this process released a moment ago can still be held by a
        // child forked meanwhile by another thread (the descriptor lives in
        // the child until its exec closes it, O_CLOEXEC or not): when the
        // holder named in the file is this process, try again for up to 200 ms.
        var attempt = 0
        while true {
            do throws(WALError) {
                return try lockOnce(path, owner: owner)
            } catch {
                guard case let .locked(_, by) = error, by.hasPrefix("pid=\(getpid()) "), attempt < 40 else { throw error }
                attempt += 1
                pause(nanos: 5_000_000)
            }
        }
    }

    private func lockOnce(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock {
        let fd = try retrying("open", path) { systemOpen(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            defer { _ = systemClose(fd) }
            if code == EWOULDBLOCK {
                let handle = POSIXFileHandle(fd: dup(fd), path: path)
                defer { handle.close() }
                let holder = (try? handle.read(at: 0, count: 512)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                let trimmed = holder.split(separator: "\n").first.map(String.init) ?? "unknown holder"
                throw WALError.locked(path: path, by: trimmed.isEmpty ? "unknown holder" : trimmed)
            }
            throw WALError.io(errno: code, operation: "flock", path: path)
        }
        let handle = POSIXFileHandle(fd: fd, path: path)
        if let owner {
            // Overwritten in place at a fixed width, padded with spaces, so the
            // file's size does not change from one writer to the next: an
            // ftruncate to 0 and a regrowing write cost 0.1-2.3 ms per writable
            // open here (strace -T), the size change being metadata to journal.
            var line = Array((owner + "\n").utf8)
            let width = max(Self.lockOwnerBytes, line.count)
            line += repeatElement(UInt8(ascii: " "), count: width - line.count)
            try handle.write(line, at: 0)
            if try handle.size() > UInt64(width) { try handle.truncate(to: UInt64(width)) }
        }
        return POSIXLock(handle: handle)
    }

    /// The width the lock owner's line is padded to (`docs/FORMAT.md`, `LOCK`).
    static let lockOwnerBytes = 128
}

final class POSIXLock: DirectoryLock, @unchecked Sendable {
    private var handle: POSIXFileHandle?
    init(handle: POSIXFileHandle) { self.handle = handle }
    func release() {
        handle?.close()  // closing the descriptor drops the flock
        handle = nil
    }
    deinit { release() }
}

/// An open descriptor. `close` is idempotent.
final class POSIXFileHandle: FileHandle, @unchecked Sendable {
    let path: String
    private var fd: Int32

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] {
        precondition(count >= 0)
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withMutableBytes { (raw) throws(WALError) -> Int in
            try read(into: raw, at: offset)
        }
        if n < count { bytes.removeLast(count - n) }
        return bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw WALError.io(errno: errno, operation: "pread", path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pwrite", errno)
            }
            done += n
        }
    }

    func size() throws(WALError) -> UInt64 {
        var st = stat()
        if fstat(fd, &st) != 0 { throw WALError.io(errno: errno, operation: "fstat", path: path) }
        return UInt64(st.st_size)
    }

    /// `fdatasync(2)` or `fsync(2)` on Linux; on Darwin, which has no
    /// `fdatasync` and whose `fsync` does not flush the drive's cache,
    /// `fcntl(F_FULLFSYNC)` for both.
    func sync(dataOnly: Bool) throws(WALError) {
        while true {
            #if canImport(Glibc)
            let rc = dataOnly ? fdatasync(fd) : fsync(fd)
            let operation = dataOnly ? "fdatasync" : "fsync"
            #else
            let rc = fullSync(fd)
            let operation = fullSyncName
            #endif
            if rc == 0 { return }
            if errno == EINTR { continue }
            throw failure(operation, errno)
        }
    }

    func truncate(to size: UInt64) throws(WALError) {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno == EINTR { continue }
            throw failure("ftruncate", errno)
        }
    }

    func allocate(upTo size: UInt64) throws(WALError) {
        #if canImport(Glibc)
        while true {
            let rc = posix_fallocate(fd, 0, off_t(size))
            if rc == 0 { return }
            if rc == EINTR { continue }
            // File systems without fallocate support: fall back to ftruncate,
            // which gives the same zero-filled reads (without reserving blocks).
            if rc == EOPNOTSUPP || rc == EINVAL { try truncate(to: max(size, try self.size())); return }
            throw failure("posix_fallocate", rc)
        }
        #else
        try truncate(to: max(size, try self.size()))
        #endif
    }

    func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
    }

    private func failure(_ operation: String, _ code: Int32) -> WALError {
        if code == ENOSPC || code == EDQUOT { return .noSpace(path: path) }
        return .io(errno: code, operation: operation, path: path)
    }
}

// The C calls whose Swift names the file system's own methods shadow,
// named once per platform.

private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags, mode)
    #else
    Darwin.open(path, flags, mode)
    #endif
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

private func systemRename(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.rename(from, to)
    #else
    Darwin.rename(from, to)
    #endif
}

#if canImport(Glibc)
private let fullSyncName = "fsync"
/// `fsync(2)`: on Linux it reaches the device (cache flush included).
private func fullSync(_ fd: Int32) -> Int32 { fsync(fd) }
#else
private let fullSyncName = "fcntl(F_FULLFSYNC)"
/// `fcntl(F_FULLFSYNC)`: Darwin's `fsync` leaves the data in the drive's
/// cache. A file system that does not support it (some network and FUSE
/// ones answer ENOTSUP or EINVAL) gets a plain `fsync`.
private func fullSync(_ fd: Int32) -> Int32 {
    let rc = fcntl(fd, F_FULLFSYNC)
    if rc == -1 && (errno == ENOTSUP || errno == EINVAL) { return fsync(fd) }
    return rc
}
#endif

/// Runs a call returning -1 on failure, retrying `EINTR`.
private func retrying(_ operation: String, _ path: String, _ call: () -> Int32) throws(WALError) -> Int32 {
    while true {
        let rc = call()
        if rc >= 0 { return rc }
        if errno == EINTR { continue }
        if errno == ENOSPC || errno == EDQUOT { throw WALError.noSpace(path: path) }
        throw WALError.io(errno: errno, operation: operation, path: path)
    }
}

/// `a/b/c` → `a/b`; `c` → `.`; `/c` → `/`.
package func parentDirectory(of path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    guard let slash = p.lastIndex(of: "/") else { return "." }
    if slash == p.startIndex { return "/" }
    return String(p[..<slash])
}

/// Joins a directory and a name.
package func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// The calling process's ID (for the LOCK file).
func currentProcessID() -> Int32 { getpid() }

/// The host name (for the LOCK file).
func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Wall-clock time in nanoseconds since 1970 (recorded in segment headers).
func currentTimeNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
