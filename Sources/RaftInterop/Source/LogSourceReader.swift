import Foundation

/// Builds a ``LogSource`` from an etcd or Docker Swarm directory, read-only:
/// locate → read keys (Swarm) → scan the WAL → read the snapshots → check
/// the whole (gaps, commit, snapshot records, undecryptable entries).
public struct LogSourceReader {
    public struct Options: Sendable {
        /// Force a kind instead of detecting it.
        public var kind: SourceKind?
        /// Swarm autolock: `SWMKEY-1-…`.
        public var unlockKey: String?
        /// Keep every record (for `segments --records`).
        public var keepRecords = false
        /// Read a locked swarm without its unlock key: framing, CRCs and
        /// plaintext metadata only (`verify`, `segments`, `hardstate`).
        public var allowLocked = false
        /// Keep the opened state-machine data of the snapshot at this index
        /// (``LogSource/snapshotData``; `snapshots --extract`).
        public var keepSnapshotData: UInt64?
        public init(kind: SourceKind? = nil, unlockKey: String? = nil, keepRecords: Bool = false, allowLocked: Bool = false,
                    keepSnapshotData: UInt64? = nil) {
            self.kind = kind
            self.unlockKey = unlockKey
            self.keepRecords = keepRecords
            self.allowLocked = allowLocked
            self.keepSnapshotData = keepSnapshotData
        }
    }

    public let directory: String
    public let options: Options

    public init(directory: String, options: Options = Options()) {
        self.directory = directory
        self.options = options
    }

    /// Nil when the directory is not an etcd or Swarm one (and no kind was forced).
    public func read() throws(InteropError) -> LogSource? {
        guard let loc = SourceLocator.locate(directory, kind: options.kind) else {
            if let kind = options.kind, kind != .raftwal {
                throw .notASource(directory: directory, why: kind == .swarm
                    ? "no raft/wal-v3-encrypted (expected /var/lib/docker/swarm or the data root above it)"
                    : "no member/wal, wal or *.wal files")
            }
            return nil
        }
        return try read(loc)
    }

    func read(_ loc: SourceLocation) throws(InteropError) -> LogSource {
        var identity = SourceIdentity()
        var keys: SwarmKeys?
        var encryption: EncryptionInfo?
        var lockedNote: SourceFinding?
        if loc.kind == .swarm, let root = loc.swarmRoot {
            let prefix = loc.walLabel.hasPrefix("swarm/") ? "swarm/" : ""
            do throws(InteropError) {
                keys = try SwarmKeys.load(keyFile: root + "/certificates/swarm-node.key",
                                          label: prefix + "certificates/swarm-node.key", unlockKey: options.unlockKey)
            } catch .locked(let file) where options.allowLocked {
                // No key: nothing is decrypted; the CRC chain and the framing need none.
                keys = SwarmKeys(deks: [], autolocked: true, locked: true)
                lockedNote = SourceFinding(.notice, "locked", file: file,
                    "the swarm is autolocked and no --unlock-key was given: entries and snapshots were checked (framing, CRC) but not decrypted")
            }
            var info = EncryptionInfo()
            info.autolocked = keys!.autolocked
            info.kekVersion = keys!.kekVersion
            info.privateKey = keys!.privateKey
            info.keysTried = keys!.deks.map(\.name)
            encryption = info
            do throws(InteropError) {
                let cert = try NodeCertificate.load(root + "/certificates/swarm-node.crt", label: prefix + "certificates/swarm-node.crt")
                identity.clusterID = cert.organization
                identity.role = cert.organizationalUnit
                identity.nodeID = cert.commonName
                identity.certificate = prefix + "certificates/swarm-node.crt"
            } catch {
                identity.certificate = "unreadable: \(error.description)"
            }
        }

        // Scan the WAL, opening each entry's data on the way.
        let opener = EntryOpener(keys: keys)
        var reader = WALReader(directory: loc.walDirectory, label: loc.walLabel)
        reader.keepRecords = options.keepRecords
        reader.open = { data, _ in opener.open(data) }
        let scan = try reader.run()

        var swarmNodes: [SwarmNode]?
        var swarmNodesIndex: UInt64 = 0
        var snapReader = SnapReader(directory: loc.snapDirectory ?? "", label: loc.snapLabel ?? "")
        snapReader.keepDataOf = options.keepSnapshotData
        if let keys {
            snapReader.openData = { data, file in
                if keys.locked {
                    file.note = "not decrypted (autolocked, no --unlock-key)"
                    file.dataBytes = UInt64(data.count)
                    return nil
                }
                let opened = keys.open(data)
                guard let plain = opened.plaintext else {
                    file.problem = "snapshot data cannot be decrypted: \(opened.problem ?? "")"
                    return nil
                }
                file.dataBytes = UInt64(plain.count)
                file.note = "opened with \(opened.key ?? "?") (\(Ciphers.name(opened.algorithm)))"
                opener.count(key: opened.key, algorithm: opened.algorithm)
                if let nodes = SwarmPayloads.fill(&file, plaintext: plain), file.index >= swarmNodesIndex, swarmNodes == nil || file.index > swarmNodesIndex {
                    swarmNodes = nodes
                    swarmNodesIndex = file.index
                }
                return plain
            }
        }
        let snaps = loc.snapDirectory == nil ? SnapReader.Listing() : try snapReader.run()
        if scan.files.isEmpty && snaps.files.isEmpty {
            throw .notASource(directory: directory, why: "\(loc.walLabel) holds no *.wal file and there is no snapshot")
        }

        var source = LogSource(kind: loc.kind, version: "", directory: directory, walDirectory: loc.walLabel,
                               snapDirectory: loc.snapLabel, identity: identity)
        source.walFiles = scan.files
        source.records = scan.records
        source.entries = scan.entries
        source.replaced = scan.replaced
        source.hardState = scan.hardState
        source.walSnapshots = scan.snapshots
        source.snapshots = snaps.files
        source.findings = scan.findings
        for name in snaps.vanished {
            source.findings.append(SourceFinding(.notice, "removed-while-reading", file: name,
                "listed but removed before it was read (a running daemon purges old snapshots); not read"))
        }
        if let lockedNote { source.findings.append(lockedNote) }
        if scan.files.isEmpty {
            let stray = scan.others.map(\.0).joined(separator: ", ")
            source.findings.append(SourceFinding(.damage, "missing-wal", file: loc.walLabel,
                "snapshot files but no WAL file: the hard state and every entry after the snapshot are lost"
                    + (stray.isEmpty ? "" : " (files present: \(stray))")))
        }
        source.otherFiles = scan.others.map { (loc.walLabel + "/" + $0.0, $0.1) } + snaps.others.map { ((loc.snapLabel ?? "") + "/" + $0.0, $0.1) }
        source.swarmNodes = swarmNodes
        source.snapshotData = snaps.kept
        source.swarmNodesIndex = swarmNodes == nil ? nil : swarmNodesIndex

        switch loc.kind {
        case .swarm:
            if let meta = scan.metadata, let m = SwarmPayloads.member(meta) {
                source.identity.raftID = m.raftID
                source.identity.address = m.addr
                if source.identity.nodeID == nil || source.identity.nodeID!.isEmpty { source.identity.nodeID = m.nodeID }
                if let cn = source.identity.nodeID, !m.nodeID.isEmpty, cn != m.nodeID {
                    source.findings.append(SourceFinding(.notice, "identity", file: nil,
                        "the certificate's CN \(cn) is not the WAL metadata's node ID \(m.nodeID)"))
                }
            }
            source.version = "Docker Swarm manager (swarmkit raft, etcd 3.3 WAL format, encrypted entries)"
            var info = encryption!
            info.algorithms = opener.algorithms
            info.openedBy = opener.openedBy
            info.undecryptable = source.entries.filter { $0.plaintext == nil }.count
            info.locked = keys?.locked ?? false
            source.encryption = info
        case .etcd:
            if let meta = scan.metadata, let m = EtcdPayloads.metadata(meta) {
                source.identity.raftID = m.nodeID
                source.identity.clusterID = String(m.clusterID, radix: 16)
            }
            let hasDB = loc.snapDirectory.map { FileBytes.isRegularFile($0 + "/db") } ?? false
            source.version = (scan.sawSnapshotConfState ? "etcd 3.5+ WAL" : "etcd 3.3/3.4 WAL")
                + (hasDB ? " with a v3 backend (snap/db)" : "")
            for k in source.snapshots.indices {
                let db = String(format: "%016llx.snap.db", source.snapshots[k].index)
                if let dir = loc.snapDirectory, FileBytes.isRegularFile(dir + "/" + db) { source.snapshots[k].note = db + " present" }
            }
        case .raftwal:
            break
        }
        SourceChecks.run(&source)
        return source
    }
}

/// Opens each entry's data: Swarm decrypts the MaybeEncryptedRecord; etcd
/// data is plaintext. Counts which key opened what.
final class EntryOpener: @unchecked Sendable {
    let keys: SwarmKeys?
    var algorithms: [String: Int] = [:]
    var openedBy: [String: Int] = [:]

    init(keys: SwarmKeys?) { self.keys = keys }

    func open(_ data: Data) -> (plaintext: Data?, problem: String?) {
        guard let keys else { return (data, nil) }
        let r = keys.open(data)
        count(key: r.key, algorithm: r.algorithm)
        return (r.plaintext, r.problem)
    }

    func count(key: String?, algorithm: Int32) {
        if algorithm >= 0 { algorithms[Ciphers.name(algorithm), default: 0] += 1 }
        if let key { openedBy[key, default: 0] += 1 }
    }
}
