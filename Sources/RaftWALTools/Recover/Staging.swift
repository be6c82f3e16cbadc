import RaftWAL

/// Builds a command's result beside its final place and presents it with
/// renames, so that a crash never leaves a partial result under the final
/// name and never touches the source's bytes.
///
/// Names, all in the parent of the final directory:
/// - `FINAL.raft-recover-staging`: the result being built. Its report file
///   (`raft-recover-report.json`) is renamed into it last: a staging
///   directory holding the report is complete.
/// - `DIR.raft-recover-backup[-N]`: the original directory of an in-place run.
///
/// Steps of ``present(backup:)`` and why they are safe:
/// 1. (in place) rename `DIR` → backup, sync the parent. A crash here leaves
///    no `DIR` but a complete staging directory: ``finishInterrupted()``
///    (run first by every in-place command) renames it into place.
/// 2. rename staging → `FINAL`, sync the parent.
///
/// Every write, sync, rename and removal goes through the engine's
/// ``Durability`` (one per directory it works in), so the tool and the
/// engine share one reviewed set of crash-safe steps.
///
/// Never through a path it did not create: a leftover staging path is
/// emptied only when `lstat` shows a real directory holding the marker
/// file (``markerName``) or the report this tool writes; anything else (a
/// symlink, a file, a directory of someone else's) is refused and left as
/// it is. Files are created with `O_NOFOLLOW` (``POSIXFileSystem``), so a
/// symlink planted inside fails the write instead of redirecting it.
struct Staging {
    let fs: any FileSystem
    let source: String
    let target: OutputTarget

    /// Always durable: a result the tool presents must survive a power cut.
    func durability(in directory: String) -> Durability {
        Durability(fs: fs, directory: directory, policy: .durable)
    }
    /// The staging directory's durability.
    var staged: Durability { durability(in: stagingPath) }

    static let reportName = "raft-recover-report.json"
    static let stagingSuffix = ".raft-recover-staging"
    static let backupSuffix = ".raft-recover-backup"
    /// Made in every staging directory this tool creates, removed just
    /// before the directory is presented.
    static let markerName = "RAFT-RECOVER-STAGING"

    var finalPath: String {
        switch target {
        case .directory(let path): return normalizedDirectory(path)
        case .inPlace: return source
        }
    }
    var stagingPath: String { finalPath + Self.stagingSuffix }
    var inPlace: Bool { target == .inPlace }
    private var parent: String { parentDirectory(of: finalPath) }

    /// The first backup name not taken.
    func backupPath() -> String {
        var candidate = source + Self.backupSuffix
        var n = 2
        while fs.fileKind(candidate) != nil {
            candidate = source + Self.backupSuffix + "-\(n)"
            n += 1
        }
        return candidate
    }

    /// The report of a completed result at `directory`, if there is one.
    func completedReport(in directory: String) -> RecoverReport? {
        let path = joinPath(directory, Self.reportName)
        guard fs.fileKind(directory) == .directory, fs.fileKind(path) == .regular, let handle = try? fs.open(path, access: .readOnly, create: false) else { return nil }
        defer { handle.close() }
        guard let size = try? handle.size(), size < 64 << 20, let bytes = try? handle.read(at: 0, count: Int(size)) else { return nil }
        return RecoverReport.decode(bytes)
    }

    /// Finishes an in-place run that crashed between its two renames: the
    /// source is gone, the staging directory is complete. Returns its report.
    func finishInterrupted() throws(RecoverError) -> RecoverReport? {
        guard inPlace, fs.fileKind(source) == nil, fs.fileKind(stagingPath) == .directory,
              let report = completedReport(in: stagingPath) else { return nil }
        do {
            try durability(in: parent).rename(nameInParent(stagingPath), to: nameInParent(finalPath))
        } catch {
            throw .writeFailed(error)
        }
        return report
    }

    /// An empty staging directory: created (its name synced in the parent,
    /// then the marker), or emptied of what a crashed run left.
    func prepare() throws(WALError) {
        if try adoptLeftoverOrCreate(subdirectories: false) {
            try staged.remove(try fs.listDirectory(stagingPath).filter { $0 != Self.markerName }.sorted())
        }
    }

    /// Creates the staging directory with its marker (false), or accepts a
    /// leftover one as a previous run's (``checkLeftover(_:subdirectories:)``)
    /// and returns true for the caller to empty it. A leftover holding only
    /// the report (a crash after the marker was removed) gets its marker back
    /// before anything is removed, so a crash while it is emptied still
    /// leaves a staging path a later run accepts.
    func adoptLeftoverOrCreate(subdirectories: Bool) throws(WALError) -> Bool {
        guard let kind = fs.fileKind(stagingPath) else {
            try staged.createDirectory()
            try staged.touch(Self.markerName)
            return false
        }
        try checkLeftover(kind, subdirectories: subdirectories)
        if fs.fileKind(joinPath(stagingPath, Self.markerName)) != .regular { try staged.touch(Self.markerName) }
        return true
    }

    /// A leftover staging path may be emptied only if a previous run of this
    /// tool made it: a real directory (not a symlink), empty or holding the
    /// marker or the report, and nothing but regular files (and, for a
    /// Swarm/etcd result tree, real subdirectories holding the same).
    func checkLeftover(_ kind: FileKind, subdirectories: Bool = false) throws(WALError) {
        let refuse = { (why: String) -> WALError in
            .invalidArgument("\(stagingPath) exists and \(why); not made by a previous raft-recover run, so it is "
                             + "neither emptied nor written nor renamed (remove it yourself if it is stale)")
        }
        guard kind == .directory else { throw refuse("is \(kind.rawValue)") }
        // Empty: a crash between its mkdir and its marker (and nothing to lose).
        guard !(try fs.listDirectory(stagingPath)).isEmpty else { return }
        guard fs.fileKind(joinPath(stagingPath, Self.markerName)) == .regular
              || fs.fileKind(joinPath(stagingPath, Self.reportName)) == .regular else {
            throw refuse("holds no \(Self.markerName) marker")
        }
        func check(_ relative: String) throws(WALError) {
            let dir = relative.isEmpty ? stagingPath : joinPath(stagingPath, relative)
            for name in try fs.listDirectory(dir) {
                let rel = relative.isEmpty ? name : relative + "/" + name
                switch fs.fileKind(joinPath(stagingPath, rel)) {
                case .regular: continue
                case .directory where subdirectories: try check(rel)
                case let k: throw refuse("holds \(rel), which is \(k?.rawValue ?? "gone")")
                }
            }
        }
        try check("")
    }

    /// Copies every file of `directory` except the LOCK (and any subdirectory,
    /// which is no part of a log) into the staging directory, each synced,
    /// then syncs the staging directory.
    func copyFiles(from directory: String) throws(WALError) {
        let names = try fs.listDirectory(directory).sorted()
            .filter { $0 != Layout.lockFileName && !fs.isDirectory(joinPath(directory, $0)) }
        try staged.copyFiles(names.map { (from: joinPath(directory, $0), to: $0) })
    }

    /// Writes the report into the staging directory, atomically (temporary
    /// name, sync, rename, sync): from then on the staging directory is complete.
    func writeReport(_ report: RecoverReport) throws(WALError) {
        try staged.writeFile(Self.reportName, Array((report.json() + "\n").utf8))
    }

    /// Presents the complete staging directory under its final name (see the type's comment).
    func present(backup: String?) throws(WALError) {
        guard fs.fileKind(stagingPath) == .directory else {
            throw .invalidArgument("\(stagingPath) is no longer the directory this run made; not renaming it")
        }
        if fs.fileKind(joinPath(stagingPath, Self.markerName)) != nil {
            try staged.remove([Self.markerName])
        }
        if let backup, fs.fileKind(backup) != nil {
            throw .invalidArgument("the backup path \(backup) appeared during the run; not renaming onto it")
        }
        if !inPlace, let kind = fs.fileKind(finalPath) {
            throw .invalidArgument("the output \(finalPath) appeared during the run (\(kind.rawValue)); not renaming onto it")
        }
        // The backup and the staging directory are named beside the final
        // directory, so both renames stay within `parent`.
        let names = durability(in: parent)
        if inPlace, let backup {
            try names.rename(nameInParent(source), to: nameInParent(backup))
        }
        try names.rename(nameInParent(stagingPath), to: nameInParent(finalPath))
    }
}

/// `a/b/c` → `c`: the name of a path within its parent directory.
func nameInParent(_ path: String) -> String {
    let p = normalizedDirectory(path)
    guard let slash = p.lastIndex(of: "/") else { return p }
    return String(p[p.index(after: slash)...])
}
