import Foundation
import Glibc
import Testing
import RaftWAL

/// Issue 14, item 11: `snapshots --extract` onto a full disk says why (the
/// errno and the file), exits 2, and leaves no truncated copy.
///
/// The full disk is a real one: a 64 KiB tmpfs mounted for the test (root
/// only, as `Tools/test` runs in CI; elsewhere the test is not run).
@Suite struct ExtractFullDiskTests {
    /// A 64 KiB tmpfs at a new scratch path, or nil when this process may not mount.
    static func mountSmallTmpfs() -> String? {
        guard geteuid() == 0 else { return nil }
        let dir = NSTemporaryDirectory() + "extract-full-\(UUID().uuidString.prefix(8))"
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil else { return nil }
        guard mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            return nil
        }
        return dir
    }

    static func unmount(_ dir: String) {
        _ = umount(dir)
        try? FileManager.default.removeItem(atPath: dir)
    }

    static let canMount: Bool = {
        guard let dir = mountSmallTmpfs() else { return false }
        unmount(dir)
        return true
    }()

    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs"))
    func extractOntoAFullDiskNamesTheErrnoAndTheFileAndExitsTwo() throws {
        let data = InspectTempDir()
        defer { try? FileManager.default.removeItem(atPath: data.path) }
        let log = try RaftLog.open(directory: data.path, options: inspectTestOptions())
        try log.append(inspectEntries(1...20, term: 1), hardState: HardState(term: 1, vote: 1, commit: 20))
        // 256 KiB that do not compress: four times the disk.
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<(256 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try log.saveSnapshot(Snapshot(index: 15, term: 1, membership: Membership(), data: bytes))
        log.close()

        let disk = try #require(Self.mountSmallTmpfs())
        defer { Self.unmount(disk) }
        let target = disk + "/snap.bin"
        let r = try InspectSupport.run(["snapshots", data.path, "--extract", "15", "--output", target])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.lowercased().contains("no space left on device"), "\(r.stderr)")
        #expect(r.stderr.contains("cannot write \(target)"), "\(r.stderr)")
        #expect(POSIXFileSystem().fileKind(target) == nil, "no truncated copy left behind")
    }
}
