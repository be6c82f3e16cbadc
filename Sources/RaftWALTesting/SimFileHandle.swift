#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL

/// An open simulated file. Invalid after a crash (the process that opened
/// it is gone): every call then throws `EBADF`.
final class SimFileHandle: FileHandle, @unchecked Sendable {
    let fs: SimFileSystem
    let inode: Int
    let path: String
    let writable: Bool
    let generation: UInt64
    /// Guarded by `fs.mutex`.
    private var closed = false

    init(fs: SimFileSystem, inode: Int, path: String, writable: Bool, generation: UInt64) {
        self.fs = fs
        self.inode = inode
        self.path = path
        self.writable = writable
        self.generation = generation
    }

    /// Runs `body` on the state after the checks every call makes.
    private func access<T>(_ operation: String, write: Bool = false,
                           _ body: (inout SimState) throws(WALError) -> T) throws(WALError) -> T {
        try fs.mutex.withLock { () throws(WALError) -> T in
            if fs.state.dead { throw .io(errno: EIO, operation: "killed", path: path) }
            if closed || fs.state.generation != generation || fs.state.inodes[inode] == nil {
                throw .io(errno: EBADF, operation: operation, path: path)
            }
            if write {
                if !writable { throw .io(errno: EBADF, operation: operation, path: path) }
                try fs.state.mutating(path)
            }
            return try body(&fs.state)
        }
    }

    func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] {
        precondition(count >= 0)
        return try access("pread") { (s) throws(WALError) -> [UInt8] in
            let data = s.inodes[inode]!.visible
            guard offset < UInt64(data.count) else { return [] }
            let end = min(data.count, Int(offset) + count)
            return Array(data[Int(offset)..<end])
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int {
        try access("pread") { (s) throws(WALError) -> Int in
            let data = s.inodes[inode]!.visible
            guard offset < UInt64(data.count), buffer.count > 0 else { return 0 }
            let n = min(buffer.count, data.count - Int(offset))
            data.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + Int(offset), byteCount: n)
            }
            return n
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) {
        let copy = [UInt8](bytes)
        try access("pwrite", write: true) { (s) throws(WALError) in
            try s.write(inode, path: path, bytes: copy, at: offset)
        }
    }

    func size() throws(WALError) -> UInt64 {
        try access("fstat") { s in UInt64(s.inodes[inode]!.visible.count) }
    }

    func sync(dataOnly: Bool) throws(WALError) {
        let operation = dataOnly ? "fdatasync" : "fsync"
        try access(operation, write: true) { (s) throws(WALError) in
            if let code = s.takeSyncFailure() {
                s.sync(inode, failing: true)
                throw .io(errno: code, operation: operation, path: path)
            }
            s.sync(inode, failing: false)
        }
    }

    func truncate(to size: UInt64) throws(WALError) {
        try access("ftruncate", write: true) { s in s.truncate(inode, to: size) }
    }

    func allocate(upTo size: UInt64) throws(WALError) {
        try access("posix_fallocate", write: true) { (s) throws(WALError) in
            try s.allocate(inode, path: path, upTo: size)
        }
    }

    func close() {
        fs.mutex.withLock { closed = true }
    }
}

/// An in-process writer lock; a crash releases it (the holder died).
final class SimLock: DirectoryLock, @unchecked Sendable {
    let fs: SimFileSystem
    let path: String
    let generation: UInt64
    /// Guarded by `fs.mutex`.
    private var held = true

    init(fs: SimFileSystem, path: String, generation: UInt64) {
        self.fs = fs
        self.path = path
        self.generation = generation
    }

    func release() {
        fs.mutex.withLock {
            guard held else { return }
            held = false
            if fs.state.generation == generation { fs.state.locks[path] = nil }
        }
    }

    deinit { release() }
}
