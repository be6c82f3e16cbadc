/// Where a foreign raft log lives inside the directory the user named.
public struct SourceLocation: Sendable, Equatable {
    public var kind: SourceKind
    /// Absolute (or as given) paths.
    public var walDirectory: String
    public var snapDirectory: String?
    /// Swarm: the `swarm` directory (holding `raft/` and `certificates/`).
    public var swarmRoot: String?
    /// Labels relative to the named directory, for messages.
    public var walLabel: String
    public var snapLabel: String?
}

/// Finds the log in a directory: a Docker Swarm state directory (or the
/// `--data-root` above it), an etcd data directory, its `member` directory
/// or a bare WAL directory. Nil when it is none of these (a RaftWAL
/// directory, or nothing).
public enum SourceLocator {
    public static func locate(_ directory: String, kind: SourceKind? = nil) -> SourceLocation? {
        let d = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        if kind == nil || kind == .swarm {
            for prefix in ["", "swarm/"] where FileBytes.isDirectory(d + "/" + prefix + "raft/wal-v3-encrypted") {
                return SourceLocation(kind: .swarm, walDirectory: d + "/" + prefix + "raft/wal-v3-encrypted",
                                      snapDirectory: d + "/" + prefix + "raft/snap-v3-encrypted",
                                      swarmRoot: prefix.isEmpty ? d : d + "/swarm",
                                      walLabel: prefix + "raft/wal-v3-encrypted", snapLabel: prefix + "raft/snap-v3-encrypted")
            }
        }
        if kind == nil || kind == .etcd {
            for prefix in ["member/", ""] where FileBytes.isDirectory(d + "/" + prefix + "wal") {
                let snap = FileBytes.isDirectory(d + "/" + prefix + "snap") ? prefix + "snap" : nil
                return SourceLocation(kind: .etcd, walDirectory: d + "/" + prefix + "wal", snapDirectory: snap.map { d + "/" + $0 },
                                      swarmRoot: nil, walLabel: prefix + "wal", snapLabel: snap)
            }
            if FileBytes.list(d).contains(where: { parseHexPairName($0, ext: "wal") != nil }) {
                // A bare WAL directory; its snap directory is the sibling `snap` when there is one.
                let parent = d.contains("/") ? String(d[..<d.lastIndex(of: "/")!]) : "."
                let snap = FileBytes.isDirectory(parent + "/snap") ? parent + "/snap" : nil
                return SourceLocation(kind: .etcd, walDirectory: d, snapDirectory: snap, swarmRoot: nil,
                                      walLabel: ".", snapLabel: snap == nil ? nil : "../snap")
            }
        }
        return nil
    }
}
