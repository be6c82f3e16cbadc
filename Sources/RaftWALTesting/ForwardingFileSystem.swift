import RaftWAL

/// A file system that forwards every call to `base`: conform, keep `base`,
/// and implement only the calls you want to change (to count syncs, fail
/// them, hold them, or deny a path). Used by tests that inject one fault
/// into the real POSIX file system.
public protocol ForwardingFileSystem: FileSystem {
    var base: any FileSystem { get }
}

extension ForwardingFileSystem {
    public func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        try base.open(path, access: access, create: create)
    }
    public func listDirectory(_ path: String) throws(WALError) -> [String] { try base.listDirectory(path) }
    public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    public func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    public func fileKind(_ path: String) -> FileKind? { base.fileKind(path) }
    public func createDirectory(_ path: String) throws(WALError) { try base.createDirectory(path) }
    public func rename(_ from: String, to: String) throws(WALError) { try base.rename(from, to: to) }
    public func remove(_ path: String) throws(WALError) { try base.remove(path) }
    public func syncDirectory(_ path: String) throws(WALError) { try base.syncDirectory(path) }
    public func lockExclusive(_ path: String, owner: String?) throws(WALError) -> any DirectoryLock {
        try base.lockExclusive(path, owner: owner)
    }
}

/// A file handle that forwards every call to `inner`; the same idea for handles.
public protocol ForwardingFileHandle: RaftWAL.FileHandle {
    var inner: any RaftWAL.FileHandle { get }
}

extension ForwardingFileHandle {
    public var path: String { inner.path }
    public func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] { try inner.read(at: offset, count: count) }
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int {
        try inner.read(into: buffer, at: offset)
    }
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) { try inner.write(bytes, at: offset) }
    public func size() throws(WALError) -> UInt64 { try inner.size() }
    public func sync(dataOnly: Bool) throws(WALError) { try inner.sync(dataOnly: dataOnly) }
    public func truncate(to size: UInt64) throws(WALError) { try inner.truncate(to: size) }
    public func allocate(upTo size: UInt64) throws(WALError) { try inner.allocate(upTo: size) }
    public func close() { inner.close() }
}
