import RaftWAL

/// Snapshot files as the tools list them.
enum SnapshotFiles {
    /// ``SnapshotInspector/list(directory:fileSystem:)`` with the size of
    /// damaged files filled in (the catalog leaves 0 when a file fails to
    /// verify; an operator still wants to see how big it is).
    static func list(directory: String, fileSystem fs: any FileSystem = POSIXFileSystem()) -> [SnapshotFileInfo] {
        var list = (try? SnapshotInspector.list(directory: directory, fileSystem: fs)) ?? []
        for k in list.indices where list[k].fileBytes == 0 {
            if let handle = try? fs.open(joinPathForTools(directory, list[k].name), access: .readOnly, create: false) {
                list[k].fileBytes = (try? handle.size()) ?? 0
                handle.close()
            }
        }
        return list
    }
}

/// `directory/name`.
func joinPathForTools(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
