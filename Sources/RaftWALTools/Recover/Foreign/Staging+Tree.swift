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
            try fs.createDirectory(stagingPath)
            try fs.syncDirectory(parentDirectory(of: stagingPath))
        }
    }

    private func emptyTree(_ dir: String) throws(WALError) {
        for name in try fs.listDirectory(dir) {
            let path = joinPath(dir, name)
            if fs.isDirectory(path) { try emptyTree(path) } else { try fs.remove(path) }
        }
        try fs.syncDirectory(dir)
    }

    /// Creates `relative` (and its parents) inside the staging tree, each
    /// new directory's name made durable in its parent.
    func makeDirectory(_ relative: String) throws(WALError) {
        var missing: [String] = []
        var p = relative
        while !p.isEmpty && !fs.isDirectory(joinPath(stagingPath, p)) {
            missing.append(p)
            p = p.contains("/") ? String(p[..<p.lastIndex(of: "/")!]) : ""
        }
        guard !missing.isEmpty else { return }
        try fs.createDirectory(joinPath(stagingPath, relative))
        for dir in missing {
            try fs.syncDirectory(parentDirectory(of: joinPath(stagingPath, dir)))
        }
    }

    /// Writes `bytes` as `relative` inside the staging tree; the file is
    /// synced, then its directory.
    func writeFile(_ relative: String, _ bytes: [UInt8]) throws(WALError) {
        let path = joinPath(stagingPath, relative)
        try makeDirectory(parentRelative(relative))
        let handle = try fs.open(path, access: .readWrite, create: true)
        defer { handle.close() }
        try handle.truncate(to: 0)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + (1 << 20))
            try handle.write(Array(bytes[offset..<end]), at: UInt64(offset))
            offset = end
        }
        try handle.sync(dataOnly: false)
        try fs.syncDirectory(parentDirectory(of: path))
    }

    /// Copies the file `from` (an absolute path) to `relative` inside the
    /// staging tree, byte for byte, in 1 MiB pieces; synced like ``writeFile(_:_:)``.
    func copyFile(from: String, to relative: String) throws(WALError) {
        let path = joinPath(stagingPath, relative)
        try makeDirectory(parentRelative(relative))
        try copyContents(of: from, to: path)
        try fs.syncDirectory(parentDirectory(of: path))
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
