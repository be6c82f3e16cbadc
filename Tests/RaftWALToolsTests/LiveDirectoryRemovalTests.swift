import Foundation
@testable import RaftInterop
import RaftWALTesting
import Testing

/// A running etcd or swarmkit purges old WAL and snapshot files while
/// raft-inspect reads the directory: a file listed, then gone, is a notice
/// and the rest is still read (found by `Tools/swarm-live-inspect`, where
/// one run in 180 exited 2 with "not a regular file").
@Suite struct LiveDirectoryRemovalTests {
    @Test func aWALFileRemovedAfterTheListingIsANoticeAndTheNextFileIsStillRead() throws {
        let first = InteropSyntheticTests.healthyEtcd()
        var second = SyntheticWAL(seed: first.crc)
        second.entry(index: 6, term: 2, data: Data("put six".utf8))
        second.hardState(term: 2, vote: 1, commit: 6)
        let tmp = InspectTempDir("live-wal-removed")
        let dir = try InteropSyntheticTests.etcdDirectory(tmp, files: [first.bytes, second.bytes])
        var reader = WALReader(directory: dir + "/member/wal", label: "member/wal")
        let firstName = SyntheticWAL.walName(seq: 0, index: 0)
        reader.willRead = { path in
            if path.hasSuffix(firstName) { try? FileManager.default.removeItem(atPath: path) }
        }
        let scan = try reader.run()
        #expect(scan.files.map(\.name) == [SyntheticWAL.walName(seq: 1, index: 0)])
        #expect(scan.entries.map(\.index) == [6])
        let removed = scan.findings.filter { $0.kind == "removed-while-reading" }
        #expect(removed.count == 1 && removed.first?.severity == .notice)
        #expect(removed.first?.file == "member/wal/" + firstName)
        // The next file's crc record seeds the chain: no chain damage for the file not read.
        #expect(!scan.findings.contains { $0.severity == .damage })
    }

    @Test func aSnapshotRemovedAfterTheListingIsANoticeNotABadSnapshot() throws {
        let w = InteropSyntheticTests.healthyEtcd()
        let old = SyntheticWAL.snapFile(index: 3, term: 2, voters: [1], data: Data("old".utf8))
        let new = SyntheticWAL.snapFile(index: 5, term: 2, voters: [1], data: Data("new".utf8))
        let tmp = InspectTempDir("live-snap-removed")
        let dir = try InteropSyntheticTests.etcdDirectory(tmp, files: [w.bytes], snaps: [(2, 3, old), (2, 5, new)])
        var reader = SnapReader(directory: dir + "/member/snap", label: "member/snap")
        let oldName = SyntheticWAL.snapName(term: 2, index: 3)
        reader.willRead = { path in
            if path.hasSuffix(oldName) { try? FileManager.default.removeItem(atPath: path) }
        }
        let listing = try reader.run()
        #expect(listing.files.map(\.index) == [5])
        #expect(listing.files.first?.problem == nil)
        #expect(listing.vanished == ["member/snap/" + oldName])
    }

    @Test func readIfPresentTellsAGoneFileFromAFileThatIsNotRegular() throws {
        let tmp = InspectTempDir("live-presence")
        try FileManager.default.createDirectory(atPath: tmp.path, withIntermediateDirectories: true)
        let gone = tmp.path + "/gone.wal", fifo = tmp.path + "/fifo.wal", file = tmp.path + "/file.wal"
        #expect(mkfifo(fifo, 0o644) == 0)
        try Data("abc".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try FileBytes.readIfPresent(gone, label: "gone.wal") == nil)
        #expect(try FileBytes.readIfPresent(file, label: "file.wal") == Data("abc".utf8))
        #expect(throws: InteropError.unreadable(file: "fifo.wal", why: "not a regular file")) {
            try FileBytes.readIfPresent(fifo, label: "fifo.wal")
        }
    }

    /// etcd and swarmkit truncate the last WAL file to its last valid record
    /// while they open it for writing (then preallocate it again), and
    /// `Repair` truncates a torn tail. Were it mapped, reading the end-of-data
    /// word past the new end would fault (SIGBUS) and kill the tool.
    @Test func theLastWALFileTruncatedWhileBeingReadEndsTheLogInsteadOfFaulting() throws {
        // Records ending exactly on a page boundary: the zero word after them is on the next page.
        var w = InteropSyntheticTests.healthyEtcd()
        for size in 0..<8192 {
            var t = w
            t.entry(index: 6, term: 2, data: Data(repeating: 0x61, count: size))
            if t.bytes.count % 4096 == 0 { w = t; break }
        }
        #expect(w.bytes.count % 4096 == 0)
        let used = w.bytes.count
        let tmp = InspectTempDir("live-wal-cut")
        let dir = try InteropSyntheticTests.etcdDirectory(tmp, files: [w.bytes + Data(count: 1 << 20)])
        let path = dir + "/member/wal/" + SyntheticWAL.walName(seq: 0, index: 0)
        var reader = WALReader(directory: dir + "/member/wal", label: "member/wal")
        reader.open = { data, _ in
            // The daemon cuts while the reader is inside the file.
            #expect(truncate(path, off_t(used)) == 0)
            return (data, nil)
        }
        let scan = try reader.run()
        #expect(scan.entries.last?.index == 6)
        #expect(scan.files.first?.fileBytes == UInt64(used) + (1 << 20))
        #expect(!scan.findings.contains { $0.severity == .damage })
    }
}
