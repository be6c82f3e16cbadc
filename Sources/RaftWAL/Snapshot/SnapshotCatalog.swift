/// A snapshot file found in the directory, valid or not (a damaged one is
/// listed in ``RecoveryReport/damagedSnapshots`` and never deleted).
public struct SnapshotFileInfo: Equatable, Sendable {
    /// The file's name in the data directory.
    public var name: String
    /// The snapshot's index, from the file name.
    public var index: UInt64
    /// The snapshot's term, from the file name.
    public var term: UInt64
    /// The file's size.
    public var fileBytes: UInt64
    /// The data's size once decompressed (0 when unreadable).
    public var dataBytes: UInt64
    /// True when the data is stored LZ4-compressed.
    public var compressed: Bool
    /// The membership the snapshot carries, when it verified.
    public var membership: Membership?
    /// Nil when the file verified; otherwise why it was skipped.
    public var problem: WALError?

    package init(name: String, index: UInt64, term: UInt64, fileBytes: UInt64, dataBytes: UInt64, compressed: Bool,
                 membership: Membership?, problem: WALError?) {
        self.name = name
        self.index = index
        self.term = term
        self.fileBytes = fileBytes
        self.dataBytes = dataBytes
        self.compressed = compressed
        self.membership = membership
        self.problem = problem
    }
}

/// Finds, verifies, writes and retires snapshot files.
struct SnapshotCatalog {
    let fs: any FileSystem
    let directory: String

    /// Every snapshot file, newest (highest index) first, each fully
    /// verified. A damaged file is listed with its problem, never deleted.
    func list(identity: LogIdentity?, names: [String]) -> [SnapshotFileInfo] {
        var infos: [SnapshotFileInfo] = []
        for name in names {
            guard let parsed = FileNames.parseSnapshot(name) else { continue }
            var info = SnapshotFileInfo(name: name, index: parsed.index, term: parsed.term, fileBytes: 0, dataBytes: 0,
                                        compressed: false, membership: nil, problem: nil)
            do {
                // Every chunk verified (version 2: one chunk in memory at a time).
                let reader = try open(name)
                try reader.verifyAll()
                let header = reader.header
                info.fileBytes = header.fileBytes
                info.dataBytes = header.dataRawLength
                info.compressed = header.compressed
                info.membership = reader.membership
                if header.index != parsed.index || header.term != parsed.term {
                    info.problem = .corrupted(file: name, offset: 48, indexes: nil,
                                              reason: "header says index \(header.index) term \(header.term), the name says \(parsed.index)/\(parsed.term)")
                } else if let identity, header.identity.clusterID != identity.clusterID || header.identity.memberID != identity.memberID {
                    info.problem = .corrupted(file: name, offset: 16, indexes: nil,
                                              reason: "snapshot belongs to cluster \(header.identity.clusterID) member \(header.identity.memberID), not this log")
                }
            } catch {
                info.problem = error
            }
            infos.append(info)
        }
        return infos.sorted { ($0.index, $0.term) > ($1.index, $1.term) }
    }

    /// Opens one snapshot file for a verified, chunk-by-chunk read.
    func open(_ name: String) throws(WALError) -> SnapshotReader {
        try SnapshotReader(fs: fs, directory: directory, name: name)
    }

    /// Reads and verifies one snapshot file, its data whole in memory.
    func read(_ name: String) throws(WALError) -> (SnapshotFile.Header, Snapshot) {
        let reader = try open(name)
        let data = try reader.readAll()
        let h = reader.header
        return (h, Snapshot(index: h.index, term: h.term, membership: reader.membership, data: data))
    }
}
