/// When the engine syncs. ``durable`` is the default and the only policy
/// under which an acknowledged append survives a crash.
public enum SyncPolicy: Sendable, Equatable {
    /// `fdatasync` before an append returns; `fsync` files and directories
    /// around every creation, rename and removal.
    case durable
    /// No syncs at all: for tests that do not crash and for benchmarks of the
    /// CPU path. Never for data you keep.
    case none
}

/// The only place in the project that writes, syncs, renames, truncates or
/// removes files: the engine (its data directory) and `raft-recover` (its
/// staging directories, backups, reports) and `raft-inspect snapshots
/// --extract` all go through it, so crash safety is reviewed in one file.
/// Each function states the order of its steps and why the order is safe.
///
/// One value works in one `directory` (names are relative to it); a caller
/// that writes in several directories makes one per directory
/// (``inDirectory(_:)``). Everything goes through `fs`, so the simulated file system
/// crash-tests every caller alike.
package struct Durability {
    package let fs: any FileSystem
    package let directory: String
    package let policy: SyncPolicy

    /// Pieces in which ``copyFiles(_:)`` streams a file: bounds memory
    /// whatever the source's size.
    static let copyChunkBytes = 1 << 20

    package init(fs: any FileSystem, directory: String, policy: SyncPolicy = .durable) {
        self.fs = fs
        self.directory = directory
        self.policy = policy
    }

    var syncing: Bool { policy == .durable }

    /// The same file system and policy in another directory.
    package func inDirectory(_ directory: String) -> Durability {
        Durability(fs: fs, directory: directory, policy: policy)
    }

    package func path(_ name: String) -> String { joinPath(directory, name) }

    // MARK: Segments in place

    /// Turns a spare from ``createSpare(_:allocate:)`` into `name` holding
    /// `contents` at its start: the steps of ``createFile(_:contents:allocate:)``
    /// after the reservation (write, `fsync`, rename, `fsync` the directory),
    /// with its guarantee: a crash leaves either no `name` or a complete one.
    func adoptSpare(_ spare: any FileHandle, spareName: String, as name: String, contents: [UInt8]) throws(WALError) -> any FileHandle {
        defer { spare.close() }
        try spare.write(contents, at: 0)
        if syncing { try spare.sync(dataOnly: false) }
        try fs.rename(path(spareName), to: path(name))
        if syncing { try fs.syncDirectory(directory) }
        return try fs.open(path(name), access: .readWrite, create: false)
    }

    /// Writes `bytes` at `offset` and, under the durable policy, `fdatasync`s:
    /// when this returns the bytes survive a crash. The caller must treat a
    /// throw as fail-stop: after a failed sync the page cache may have dropped
    /// the data, and retrying the sync would report success for lost bytes.
    @discardableResult
    package func appendAndSync(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) -> WriteTiming {
        let t0 = MonotonicClock.nanos()
        try handle.write(bytes, at: offset)
        let t1 = MonotonicClock.nanos()
        if syncing { try handle.sync(dataOnly: true) }
        return WriteTiming(writeNanos: t1 - t0, syncNanos: syncing ? MonotonicClock.nanos() - t1 : 0)
    }

    /// How long ``appendAndSync(_:_:at:)``'s two steps took.
    package struct WriteTiming {
        package var writeNanos: UInt64
        package var syncNanos: UInt64
    }

    /// Opens a small file that is rewritten in place (the confirmation file
    /// `ACKED`, FORMAT.md §8.5), creating it if missing. Steps for a new
    /// file: create, `fsync` the directory, so that its name survives a
    /// crash before any slot written into it is acknowledged. Only a
    /// regular file is opened: anything else of that name is refused.
    package func openInPlaceFile(_ name: String) throws(WALError) -> any FileHandle {
        let p = path(name)
        if let kind = fs.fileKind(p), kind != .regular { throw WALError.notARegularFile(p, kind) }
        let created = !fs.fileExists(p)
        let handle = try fs.open(p, access: .readWrite, create: true)
        if created {
            do { try syncDirectory() } catch {
                handle.close()
                throw error
            }
        }
        return handle
    }

    /// Seals a segment: writes the batch table, seal and trailer at `offset`,
    /// cuts the file just after them (dropping unused preallocation) and
    /// `fsync`s (the size changed, so data-only is not enough).
    package func seal(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
        try handle.truncate(to: offset + UInt64(bytes.count))
        if syncing { try handle.sync(dataOnly: false) }
    }

    /// Overwrites `count` bytes at `offset` with zeros and syncs: cuts a torn
    /// tail while keeping the preallocated size.
    package func zero(_ handle: any FileHandle, at offset: UInt64, count: UInt64) throws(WALError) {
        var left = count
        var at = offset
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        while left > 0 {
            let n = Int(min(left, UInt64(chunk.count)))
            try handle.write(Array(chunk[0..<n]), at: at)
            at += UInt64(n)
            left -= UInt64(n)
        }
        if syncing { try handle.sync(dataOnly: true) }
    }

    /// Reads `range` of a file and writes it back, then `fdatasync`s: bytes
    /// that only the page cache held (a failed fsync marks them clean, so a
    /// plain fsync would not write them) become durable. Under
    /// ``SyncPolicy/none`` nothing is done.
    package func rewrite(_ handle: any FileHandle, range: Range<UInt64>) throws(WALError) {
        guard syncing, !range.isEmpty else { return }
        var at = range.lowerBound
        while at < range.upperBound {
            let n = Int(min(range.upperBound - at, 1 << 20))
            let bytes = try handle.read(at: at, count: n)
            guard !bytes.isEmpty else { break }
            try handle.write(bytes, at: at)
            at += UInt64(bytes.count)
        }
        try handle.sync(dataOnly: true)
    }

    /// Cuts a file at `size` and `fsync`s.
    package func truncate(_ handle: any FileHandle, to size: UInt64) throws(WALError) {
        try handle.truncate(to: size)
        if syncing { try handle.sync(dataOnly: false) }
    }

    // MARK: The sync-failure marker

    /// Leaves the ``Layout/syncFailedMarkerName`` marker after a failed write
    /// or sync, best effort and unsynced on purpose: the page-cache problem it
    /// flags only exists until the next power loss, which also drops the
    /// phantom bytes; without a power loss the marker is visible to the next open.
    package func markSyncFailure(_ cause: String) {
        let path = self.path(Layout.syncFailedMarkerName)
        guard let handle = try? fs.open(path, access: .readWrite, create: true) else { return }
        try? handle.write(Array((cause + "\n").utf8), at: 0)
        handle.close()
    }

    package var hasSyncFailureMarker: Bool { fs.fileExists(path(Layout.syncFailedMarkerName)) }

    // MARK: Names

    /// `fsync`s the directory: every name the process sees becomes durable.
    package func syncDirectory() throws(WALError) {
        if syncing { try fs.syncDirectory(directory) }
    }

    /// Removes files in the given order, then `fsync`s the directory once.
    /// Callers order removals so that any prefix of them, applied alone by a
    /// crash, leaves a consistent directory (oldest segments first). A name
    /// is looked at with `lstat`: a symlink (even dangling) is removed, never
    /// followed.
    package func remove(_ names: [String]) throws(WALError) {
        guard !names.isEmpty else { return }
        for name in names where fs.fileKind(path(name)) != nil { try fs.remove(path(name)) }
        try syncDirectory()
    }

    /// Renames within the directory and `fsync`s it.
    package func rename(_ from: String, to: String) throws(WALError) {
        try fs.rename(path(from), to: path(to))
        try syncDirectory()
    }

    /// Creates the directory if missing and makes its entry durable in
    /// the parent.
    /// Every directory created (`mkdir -p`) has its entry synced in its
    /// parent, top down: syncing only the last parent would let a crash drop
    /// a new ancestor, and with it everything below.
    package func createDirectory() throws(WALError) {
        if fs.isDirectory(directory) { return }
        var created: [String] = []
        var p = directory
        while !fs.isDirectory(p) && parentDirectory(of: p) != p {
            created.append(p)
            p = parentDirectory(of: p)
        }
        try fs.createDirectory(directory)
        if syncing {
            for dir in created.reversed() { try fs.syncDirectory(parentDirectory(of: dir)) }
        }
    }
}
