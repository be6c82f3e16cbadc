/// Whole files through ``Durability``: created, copied or streamed under a
/// temporary name, `fsync`ed, renamed, the directory `fsync`ed, so that a
/// crash leaves either no file or a complete one (`docs/FORMAT.md` §9).
extension Durability {

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
            try copy(src, range: 0..<(try src.size()), to: to, syncDirectory: false)
        }
        try syncDirectory()
    }

    /// Copies a range of a file's bytes to `name` (a backup kept before a
    /// repair), atomically like ``copyFiles(_:)``: in `copyChunkBytes`
    /// pieces, so a range taken from a file's size on disk never becomes one
    /// allocation.
    package func copy(_ source: any FileHandle, range: Range<UInt64>, to name: String, syncDirectory: Bool = true) throws(WALError) {
        let tmp = try openTemporary(name)
        do throws(WALError) {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let chunk = try source.read(at: offset, count: Int(min(range.upperBound - offset, UInt64(Self.copyChunkBytes))))
                if chunk.isEmpty { break }
                try tmp.write(chunk, at: offset - range.lowerBound)
                offset += UInt64(chunk.count)
            }
        } catch {
            tmp.close()
            throw error
        }
        try publish(tmp, as: name, syncDirectory: syncDirectory)
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

    /// The file at `p`, created empty; a leftover (from a crash) is removed
    /// first, by `lstat` so that a symlink is removed, not followed.
    private func createEmpty(_ p: String) throws(WALError) -> any FileHandle {
        if fs.fileKind(p) != nil { try fs.remove(p) }
        let handle = try fs.open(p, access: .readWrite, create: true)
        do throws(WALError) { try handle.truncate(to: 0) } catch {
            handle.close()
            throw error
        }
        return handle
    }

    /// `name.tmp`, created empty (``publish(_:as:syncDirectory:)`` renames it to `name`).
    func openTemporary(_ name: String) throws(WALError) -> any FileHandle {
        try createEmpty(path(name + Layout.temporarySuffix))
    }

    /// Creates a spare file `name` (a `.tmp` name: a writer's open removes
    /// it, so a crash that leaves it costs nothing), reserving `allocate`
    /// bytes, and `fsync`s it, so that the allocation is paid before the file
    /// is needed. Its name is not synced: a spare lost in a crash is not missed.
    func createSpare(_ name: String, allocate: UInt64) throws(WALError) -> any FileHandle {
        let handle = try createEmpty(path(name))
        do throws(WALError) {
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
    func publish(_ tmp: any FileHandle, as name: String, syncDirectory syncsDirectory: Bool = true) throws(WALError) {
        try syncAndRename(tmp, from: name + Layout.temporarySuffix, to: name, syncDirectory: syncsDirectory)
    }

    /// The one publishing step: `fsync` the file, close it, rename it, `fsync`
    /// the directory (unless the caller does it once for several).
    private func syncAndRename(_ handle: any FileHandle, from temporaryName: String, to name: String,
                               syncDirectory syncsDirectory: Bool) throws(WALError) {
        do throws(WALError) {
            if syncing { try handle.sync(dataOnly: false) }
        } catch {
            handle.close()
            throw error
        }
        handle.close()
        try fs.rename(path(temporaryName), to: path(name))
        if syncsDirectory { try syncDirectory() }
    }

    /// Starts a file written in pieces (a streamed snapshot) under
    /// `temporaryName` (a `*.tmp` name: readers ignore it, a writer's open
    /// removes it). Steps: ``writePiece(_:_:at:)`` any number of times, then
    /// ``publishFile(_:from:to:)`` (or ``discardFile(_:)``), so a crash
    /// leaves either no final name or a complete file, as ``createFile(_:contents:allocate:)``.
    package func beginFile(_ temporaryName: String) throws(WALError) -> any FileHandle {
        try createEmpty(path(temporaryName))
    }

    /// Writes one piece of a file begun with ``beginFile(_:)``; not synced
    /// (``publishFile(_:from:to:)`` syncs the whole file once).
    package func writePiece(_ handle: any FileHandle, _ bytes: [UInt8], at offset: UInt64) throws(WALError) {
        try handle.write(bytes, at: offset)
    }

    /// Makes a file begun with ``beginFile(_:)`` durable under `name`:
    /// `fsync` it, rename, `fsync` the directory. Closes the handle.
    package func publishFile(_ handle: any FileHandle, from temporaryName: String, to name: String) throws(WALError) {
        try syncAndRename(handle, from: temporaryName, to: name, syncDirectory: true)
    }

    /// Drops a file begun with ``beginFile(_:)`` that will not be published
    /// (its source failed), best effort: a leftover `.tmp` is harmless.
    package func discardFile(_ handle: any FileHandle, _ temporaryName: String) {
        handle.close()
        try? fs.remove(path(temporaryName))
    }
}
