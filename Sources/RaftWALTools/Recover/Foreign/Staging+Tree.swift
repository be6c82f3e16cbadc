import RaftWAL

/// Staging for results that are directory trees (a Docker Swarm manager's
/// `swarm/`, an etcd data directory): the same rules as ``Staging``, every
/// write, sync and rename through its file system.
extension Staging {
    /// An empty staging tree: created, or emptied of every file a crashed
    /// run left (its empty subdirectories are reused; the file system seam
    /// has no rmdir, and an empty directory is never mistaken for a result
    /// because completeness is the report file).
    func prepareTree() throws(WALError) {
        if fs.isDirectory(stagingPath) {
            try emptyTree(stagingPath)
        } else {
            try staged.createDirectory()
        }
    }

    /// Removes every file under `dir`, directory by directory (`lstat`: a
    /// symlink is removed, never followed into), each directory synced.
    private func emptyTree(_ dir: String) throws(WALError) {
        var files: [String] = []
        for name in try fs.listDirectory(dir).sorted() {
            if fs.fileKind(joinPath(dir, name)) == .directory { try emptyTree(joinPath(dir, name)) } else { files.append(name) }
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

/// Every regular file under `root`, as paths relative to it, sorted.
func treeFiles(_ fs: any FileSystem, _ root: String, _ relative: String = "") throws(WALError) -> [String] {
    var out: [String] = []
    let dir = relative.isEmpty ? root : joinPath(root, relative)
    for name in try fs.listDirectory(dir).sorted() {
        let rel = relative.isEmpty ? name : relative + "/" + name
        if fs.isDirectory(joinPath(root, rel)) { out += try treeFiles(fs, root, rel) } else { out.append(rel) }
    }
    return out
}
