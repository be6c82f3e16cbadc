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

    private var syncing: Bool { policy == .durable }

    /// The same file system and policy in another directory.
    package func inDirectory(_ directory: String) -> Durability {
        Durability(fs: fs, directory: directory, policy: policy)
    }

    package func path(_ name: String) -> String { joinPath(directory, name) }

    // MARK: Whole files

    /// Creates `name` with `contents`, reserving `allocate` bytes.
    /// Steps: write `name.tmp`, `fsync` it, rename to `name`, `fsync` the
    /// directory. A crash leaves either no `name` or a complete one; a
    /// leftover `.tmp` is removed by the next writer (the engine's open,
    /// `raft-recover`'s re-run).
    package func createFile(_ name: String, contents: [UInt8], allocate: UInt64 = 0) throws(WALError) -> any FileHandle {
        let tmp = try openTemporary(name)
        do throws(WALError) {
            if allocate > UInt64(contents.count) { try tmp.allocate(upTo: allocate) }
            try tmp.write(contents, at: 0)
        } catch {
            tmp.close()
            throw error
        }
        try publish(tmp, as: name)
        // Reopened by its final name, so every later error names the file
        // that exists (not the `.tmp` it was created as).
        return try fs.open(path(name), access: .readWrite, create: false)
    }

    /// Writes the whole file `name` atomically (``createFile(_:contents:allocate:)``
    /// without keeping it open): a report, a rewritten WAL, a kept copy.
    package func writeFile(_ name: String, _ contents: [UInt8]) throws(WALError) {
        try createFile(name, contents: contents).close()
    }

    /// Copies files into this directory, each atomically: `to.tmp` is
    /// filled from `from` (an absolute path, any directory) in 1 MiB pieces,
    /// `fsync`ed and renamed to `to`; the directory is `fsync`ed once at the
    /// end, so the names are durable when this returns.
    package func copyFiles(_ copies: [(from: String, to: String)]) throws(WALError) {
        guard !copies.isEmpty else { return }
        for (from, to) in copies {
            let src = try fs.open(from, access: .readOnly, create: false)
            defer { src.close() }
            let tmp = try openTemporary(to)
            do throws(WALError) {
                let size = try src.size()
                var offset: UInt64 = 0
                while offset < size {
                    let chunk = try src.read(at: offset, count: Int(min(size - offset, UInt64(Self.copyChunkBytes))))
                    if chunk.isEmpty { break }
                    try tmp.write(chunk, at: offset)
                    offset += UInt64(chunk.count)
                }
            } catch {
                tmp.close()
                throw error
            }
            try publish(tmp, as: to, syncDirectory: false)
        }
        try syncDirectory()
    }

    /// Copies a file's bytes to `name` (a backup kept before a repair),
    /// durably, through ``createFile(_:contents:allocate:)``.
    package func copy(_ source: any FileHandle, range: Range<UInt64>, to name: String) throws(WALError) {
        let bytes = try source.read(at: range.lowerBound, count: Int(range.upperBound - range.lowerBound))
        try createFile(name, contents: bytes).close()
    }

    /// Creates the new file `name` in a directory this tool does not own
    /// (`raft-inspect snapshots --extract --output FILE`), writing in place:
    /// no temporary name that could be someone else's file. Refused when
    /// anything (even a dangling symlink) is at `name`; the open does not
    /// follow symlinks. Steps: write, `fsync`, `fsync` the directory. On any
    /// failure the partial file is removed, so no truncated copy is left.
    package func createNewFile(_ name: String, contents: [UInt8]) throws(WALError) {
        _ = try createNewFile(name) { (handle: any FileHandle) throws(WALError) -> UInt64 in
            try handle.write(contents, at: 0)
            return UInt64(contents.count)
        }
    }

    /// ``createNewFile(_:contents:)`` for contents written in pieces (a
    /// streamed snapshot): `fill` writes through the handle and returns the
    /// bytes written; if it throws, the partial file is removed.
    package func createNewFile(_ name: String, fill: (any FileHandle) throws(WALError) -> UInt64) throws(WALError) -> UInt64 {
        if let kind = fs.fileKind(path(name)) {
            throw .invalidArgument("\(path(name)) exists (\(kind.rawValue)); not overwriting it")
        }
        let handle = try fs.open(path(name), access: .readWrite, create: true)
        do throws(WALError) {
            let written = try fill(handle)
            if syncing { try handle.sync(dataOnly: false) }
            handle.close()
            try syncDirectory()
            return written
        } catch {
            handle.close()
            try? fs.remove(path(name))
            throw error
        }
    }

    /// Creates the empty file `name` (a marker whose existence is all it
    /// says), `fsync`s it and the directory. Nothing is written, so there is
    /// no partial state to guard with a temporary name.
    package func touch(_ name: String) throws(WALError) {
        let handle = try fs.open(path(name), access: .readWrite, create: true)
        defer { handle.close() }
        if syncing { try handle.sync(dataOnly: false) }
        try syncDirectory()
    }

    /// `name.tmp`, created empty; a leftover (from a crash) is removed first,
    /// by `lstat` so that a symlink is removed, not followed.
    private func openTemporary(_ name: String) throws(WALError) -> any FileHandle {
        let tmp = path(name + Layout.temporarySuffix)
        if fs.fileKind(tmp) != nil { try fs.remove(tmp) }
        let handle = try fs.open(tmp, access: .readWrite, create: true)
        do throws(WALError) { try handle.truncate(to: 0) } catch {
            handle.close()
            throw error
        }
        return handle
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

    /// `fsync`s and closes the filled temporary, renames it to `name`, and
    /// `fsync`s the directory (unless the caller does it once for several).
    private func publish(_ tmp: any FileHandle, as name: String, syncDirectory syncsDirectory: Bool = true) throws(WALError) {
        do throws(WALError) {
            if syncing { try tmp.sync(dataOnly: false) }
        } catch {
            tmp.close()
            throw error
        }
        tmp.close()
        try fs.rename(path(name + Layout.temporarySuffix), to: path(name))
        if syncsDirectory { try syncDirectory() }
    }


    /// Starts a file written in pieces (a streamed snapshot) under
    /// `temporaryName` (a `*.tmp` name: readers ignore it, a writer's open
    /// removes it). Steps: ``writePiece(_:_:at:)`` any number of times, then
    /// ``publishFile(_:from:to:)`` (or ``discardFile(_:)``), so a crash
    /// leaves either no final name or a complete file, as ``createFile(_:contents:allocate:)``.
    package func beginFile(_ temporaryName: String) throws(WALError) -> any FileHandle {
        let tmp = path(temporaryName)
        if fs.fileKind(tmp) != nil { try fs.remove(tmp) }  // lstat: a leftover symlink is removed, not followed
        let handle = try fs.open(tmp, access: .readWrite, create: true)
        do { try handle.truncate(to: 0) } catch { handle.close(); throw error }
        return handle
    }

    /// Writes one piece of a file begun with ``beginFile(_:)``; not synced
    /// (``publishFile(_:from:to:)`` syncs the whole file once).
    package func writePiece(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
    }

    /// Makes a file begun with ``beginFile(_:)`` durable under `name`:
    /// `fsync` it, rename, `fsync` the directory. Closes the handle.
    package func publishFile(_ handle: any FileHandle, from temporaryName: String, to name: String) throws(WALError) {
        defer { handle.close() }
        if syncing { try handle.sync(dataOnly: false) }
        try fs.rename(path(temporaryName), to: path(name))
        if syncing { try fs.syncDirectory(directory) }
    }

    /// Drops a file begun with ``beginFile(_:)`` that will not be published
    /// (its source failed), best effort: a leftover `.tmp` is harmless.
    package func discardFile(_ handle: any FileHandle, _ temporaryName: String) {
        handle.close()
        try? fs.remove(path(temporaryName))
    }

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
    package func appendAndSync(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
        if syncing { try handle.sync(dataOnly: true) }
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
