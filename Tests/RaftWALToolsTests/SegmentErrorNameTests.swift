import Foundation
import Synchronization
import Testing
import RaftWAL
import RaftWALTesting

/// POSIX, except that every write fails with EIO once `failing` is set,
/// with the error built from the handle's own path (as POSIX's is).
final class WriteFailingFileSystem: ForwardingFileSystem, @unchecked Sendable {
    let base: any FileSystem = POSIXFileSystem()
    let failing = Mutex(false)
    func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        WriteFailingHandle(inner: try base.open(path, access: access, create: create), fs: self)
    }
}

final class WriteFailingHandle: ForwardingFileHandle, @unchecked Sendable {
    let inner: any RaftWAL.FileHandle
    let fs: WriteFailingFileSystem
    init(inner: any RaftWAL.FileHandle, fs: WriteFailingFileSystem) {
        self.inner = inner
        self.fs = fs
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) {
        if fs.failing.withLock({ $0 }) { throw .io(errno: 5, operation: "pwrite", path: inner.path) }
        try inner.write(bytes, at: offset)
    }
}

@Suite struct SegmentErrorNameTests {
    /// A segment made by a roll-over is created as `NAME.tmp` and renamed;
    /// an error on it afterwards names `NAME`, the file an operator can find.
    @Test func errorsOnARolledOverSegmentNameItsFinalNameNotTheTemporary() throws {
        let dir = try RecoverTestSupport.scratch("tmp-name") + "/log"
        defer { try? FileManager.default.removeItem(atPath: parentDirectory(dir)) }
        let fs = WriteFailingFileSystem()
        var options = Fixtures.options()
        options.fileSystem = fs
        let log = try RaftLog.open(directory: dir, options: options)
        defer { log.close() }
        for i in UInt64(1)...40 {
            try log.append([Entry(index: i, term: 1, kind: .normal, data: [UInt8](repeating: 7, count: 600))])
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
        #expect(segments.count >= 2, "rolled over: \(segments)")
        fs.failing.withLock { $0 = true }
        do {
            try log.append([Entry(index: 41, term: 1, kind: .normal, data: [1])])
            Issue.record("the append succeeded")
        } catch {
            #expect(!error.description.contains(".tmp"), "\(error.description)")
            #expect(error.description.contains(segments.max()!), "\(error.description)")
        }
    }

    func parentDirectory(_ path: String) -> String { (path as NSString).deletingLastPathComponent }
}
