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

/// The only place in the engine that writes, syncs, renames, truncates or
/// removes files, so crash safety is reviewed in one file. Each function
/// states the order of its steps and why the order is safe.
struct Durability {
    let fs: any FileSystem
    let directory: String
    let policy: SyncPolicy
    /// Test hook: a deliberately broken variant (see ``EngineCanary``).
    var canary: EngineCanary = .none

    private var syncing: Bool { policy == .durable }

    func path(_ name: String) -> String { joinPath(directory, name) }

    /// Creates `name` with `contents`, reserving `allocate` bytes.
    /// Steps: write `name.tmp`, `fsync` it, rename to `name`, `fsync` the
    /// directory. A crash leaves either no `name` or a complete one; a
    /// leftover `.tmp` is removed by the next writer open.
    func createFile(_ name: String, contents: [UInt8], allocate: UInt64 = 0) throws(WALError) -> any FileHandle {
        let tmp = path(name + Layout.temporarySuffix)
        if fs.fileKind(tmp) != nil { try fs.remove(tmp) }  // lstat: a leftover symlink is removed, not followed
        let handle = try fs.open(tmp, access: .readWrite, create: true)
        defer { handle.close() }
        try handle.truncate(to: 0)
        if allocate > UInt64(contents.count) { try handle.allocate(upTo: allocate) }
        try handle.write(contents, at: 0)
        if syncing { try handle.sync(dataOnly: false) }
        try fs.rename(tmp, to: path(name))
        if syncing { try fs.syncDirectory(directory) }
        // Reopened by its final name, so every later error names the file
        // that exists (not the `.tmp` it was created as).
        return try fs.open(path(name), access: .readWrite, create: false)
    }

    /// Creates a spare file `name` (a `.tmp` name: a writer's open removes
    /// it, so a crash that leaves it costs nothing), reserving `allocate`
    /// bytes, and `fsync`s it, so that the allocation is paid before the file
    /// is needed. Its name is not synced: a spare lost in a crash is not missed.
    func createSpare(_ name: String, allocate: UInt64) throws(WALError) -> any FileHandle {
        let p = path(name)
        if fs.fileKind(p) != nil { try fs.remove(p) }  // lstat: a leftover symlink is removed, not followed
        let handle = try fs.open(p, access: .readWrite, create: true)
        do throws(WALError) {
            try handle.truncate(to: 0)
            if allocate > 0 { try handle.allocate(upTo: allocate) }
            if syncing { try handle.sync(dataOnly: false) }
        } catch {
            handle.close()
            throw error
        }
        return handle
    }

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
    func appendAndSync(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
        if syncing && canary != .acknowledgeBeforeSync { try handle.sync(dataOnly: true) }
    }

    /// Grows a file's reservation (for a record larger than the space left).
    func reserve(_ handle: any FileHandle, upTo size: UInt64) throws(WALError) {
        try handle.allocate(upTo: size)
    }

    /// Seals a segment: writes the batch table, seal and trailer at `offset`,
    /// cuts the file just after them (dropping unused preallocation) and
    /// `fsync`s (the size changed, so data-only is not enough).
    func seal(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
        try handle.truncate(to: offset + UInt64(bytes.count))
        if syncing { try handle.sync(dataOnly: false) }
    }

    /// Overwrites `count` bytes at `offset` with zeros and syncs: cuts a torn
    /// tail while keeping the preallocated size.
    func zero(_ handle: any FileHandle, at offset: UInt64, count: UInt64) throws(WALError) {
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
    func rewrite(_ handle: any FileHandle, range: Range<UInt64>) throws(WALError) {
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

    /// Leaves the ``Layout/syncFailedMarkerName`` marker after a failed write
    /// or sync, best effort and unsynced on purpose: the page-cache problem it
    /// flags only exists until the next power loss, which also drops the
    /// phantom bytes; without a power loss the marker is visible to the next open.
    func markSyncFailure(_ cause: String) {
        let path = self.path(Layout.syncFailedMarkerName)
        guard let handle = try? fs.open(path, access: .readWrite, create: true) else { return }
        try? handle.write(Array((cause + "\n").utf8), at: 0)
        handle.close()
    }

    var hasSyncFailureMarker: Bool { fs.fileExists(path(Layout.syncFailedMarkerName)) }

    /// `fsync`s the directory: every name the process sees becomes durable.
    func syncDirectory() throws(WALError) {
        if syncing { try fs.syncDirectory(directory) }
    }

    /// Cuts a file at `size` and `fsync`s.
    func truncate(_ handle: any FileHandle, to size: UInt64) throws(WALError) {
        try handle.truncate(to: size)
        if syncing { try handle.sync(dataOnly: false) }
    }

    /// Removes files in the given order, then `fsync`s the directory once.
    /// Callers order removals so that any prefix of them, applied alone by a
    /// crash, leaves a consistent directory (oldest segments first).
    func remove(_ names: [String]) throws(WALError) {
        guard !names.isEmpty else { return }
        for name in names where fs.fileExists(path(name)) { try fs.remove(path(name)) }
        if syncing { try fs.syncDirectory(directory) }
    }

    /// Renames within the directory and `fsync`s it.
    func rename(_ from: String, to: String) throws(WALError) {
        try fs.rename(path(from), to: path(to))
        if syncing { try fs.syncDirectory(directory) }
    }

    /// Copies a file's bytes to `name` (a backup kept before a repair),
    /// durably, through ``createFile(_:contents:allocate:)``.
    func copy(_ source: any FileHandle, range: Range<UInt64>, to name: String) throws(WALError) {
        let bytes = try source.read(at: range.lowerBound, count: Int(range.upperBound - range.lowerBound))
        try createFile(name, contents: bytes).close()
    }

    /// Creates the data directory if missing and makes its entry durable in
    /// the parent.
    /// Every directory created (`mkdir -p`) has its entry synced in its
    /// parent, top down: syncing only the last parent would let a crash drop
    /// a new ancestor, and with it the whole log.
    func createDirectory() throws(WALError) {
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
