import RaftWAL

/// Staging for results that are directory trees (a Docker Swarm manager's
/// `swarm/`, an etcd data directory): the same rules as ``Staging``, every
/// write, sync and rename through its file system.
extension Staging {
    /// An empty staging tree: created (with the marker, as ``prepare()``
    /// makes it), or emptied of every file a crashed run left (its empty
    /// subdirectories are reused; the file system seam has no rmdir, and an
    /// empty directory is never mistaken for a result because completeness
    /// is the report file).
    ///
    /// Never through a path it did not create: a leftover that is not a real
    /// directory (`lstat`), or holds neither the marker nor the report, or
    /// holds anything but regular files and real directories (a symlink
    /// planted inside), is refused and left as it is.
    func prepareTree() throws(WALError) {
        if try adoptLeftoverOrCreate(subdirectories: true) { try emptyTree(stagingPath) }
    }

    /// Removes every file under `dir` except the marker (checked first by
    /// ``checkLeftover(_:subdirectories:)``: only regular files and real directories).
    private func emptyTree(_ dir: String) throws(WALError) {
        var files: [String] = []
        for name in try fs.listDirectory(dir).sorted() where !(dir == stagingPath && name == Self.markerName) {
            let path = joinPath(dir, name)
            if fs.fileKind(path) == .directory { try emptyTree(path) } else { files.append(name) }
        }
        try durability(in: dir).remove(files)
    }

    /// Creates `relative` (and its parents) inside the staging tree, each
    /// new directory's name made durable in its parent.
    func makeDirectory(_ relative: String) throws(WALError) {
        guard !relative.isEmpty else { return }
        try durability(in: joinPath(stagingPath, relative)).createDirectory()
    }

    /// Writes `bytes` as `relative` inside the staging tree, atomically
    /// (``Durability/writeFile(_:_:)``).
    func writeFile(_ relative: String, _ bytes: [UInt8]) throws(WALError) {
        let path = joinPath(stagingPath, relative)
        try makeDirectory(parentRelative(relative))
        try durability(in: parentDirectory(of: path)).writeFile(nameInParent(path), bytes)
    }

    /// Copies the file `from` (an absolute path) to `relative` inside the
    /// staging tree, byte for byte (``Durability/copyFiles(_:)``).
    func copyFile(from: String, to relative: String) throws(WALError) {
        let path = joinPath(stagingPath, relative)
        try makeDirectory(parentRelative(relative))
        try durability(in: parentDirectory(of: path)).copyFiles([(from: from, to: nameInParent(path))])
    }

    private func parentRelative(_ relative: String) -> String {
        relative.contains("/") ? String(relative[..<relative.lastIndex(of: "/")!]) : ""
    }
}

/// Every file under `root` (not under a symlinked directory), as paths relative to it, sorted.
func treeFiles(_ fs: any FileSystem, _ root: String, _ relative: String = "") throws(WALError) -> [String] {
    var out: [String] = []
    let dir = relative.isEmpty ? root : joinPath(root, relative)
    for name in try fs.listDirectory(dir).sorted() {
        let rel = relative.isEmpty ? name : relative + "/" + name
        // lstat: a symlink to a directory is listed as a file (and not
        // carried), never followed (a link to `..` would never end).
        if fs.fileKind(joinPath(root, rel)) == .directory { out += try treeFiles(fs, root, rel) } else { out.append(rel) }
    }
    return out
}
