import Foundation
import Synchronization
import Testing
import RaftWAL
import RaftWALTesting

@Suite struct SegmentErrorNameTests {
    /// A segment made by a roll-over is created as `NAME.tmp` and renamed;
    /// an error on it afterwards names `NAME`, the file an operator can find.
    @Test func errorsOnARolledOverSegmentNameItsFinalNameNotTheTemporary() throws {
        let dir = try RecoverTestSupport.scratch("tmp-name") + "/log"
        defer { try? FileManager.default.removeItem(atPath: parentDirectory(dir)) }
        // POSIX, except that every write fails with EIO once `failing` is set,
        // the error built from the handle's own path (as POSIX's is).
        let failing = Mutex(false)
        var hooks = HookedFileSystem.Hooks()
        hooks.write = { (handle: HookedFileHandle, _: UInt64) throws(WALError) in
            if failing.withLock({ $0 }) { throw .io(errno: 5, operation: "pwrite", path: handle.inner.path) }
        }
        var options = Fixtures.options()
        options.fileSystem = HookedFileSystem(hooks: hooks)
        let log = try RaftLog.open(directory: dir, options: options)
        defer { log.close() }
        for i in UInt64(1)...40 {
            try log.append([Entry(index: i, term: 1, kind: .normal, data: [UInt8](repeating: 7, count: 600))])
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
        #expect(segments.count >= 2, "rolled over: \(segments)")
        failing.withLock { $0 = true }
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
