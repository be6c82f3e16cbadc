import Foundation

/// Which program wrote a data directory.
public enum SourceKind: String, Sendable, CaseIterable {
    case raftwal, etcd, swarm
}

/// Everything one read-only pass learned about a foreign raft log (etcd's
/// WAL and snap files, or a Docker Swarm manager's encrypted copy of them):
/// files, records with their offsets, the live entries, the hard state,
/// snapshots, membership and every problem found. Built by
/// ``LogSourceReader``; `raft-inspect` renders it. Source-specific facts
/// live in ``identity`` and ``encryption``.
public struct LogSource: Sendable {
    public var kind: SourceKind
    /// What wrote it, as far as the files tell (`etcd 3.5+ WAL`, `Docker Swarm (swarmkit, etcd 3.3 WAL)`).
    public var version: String
    /// The directory the user named.
    public var directory: String
    /// The WAL directory and the snapshot directory, relative to `directory`.
    public var walDirectory: String
    public var snapDirectory: String?
    public var identity: SourceIdentity
    public var encryption: EncryptionInfo?
    public var walFiles: [WALFile] = []
    /// Every record read, in file order (kept only when asked for).
    public var records: [WALRecordInfo] = []
    /// The log as etcd's `ReadAll` sees it: a later entry for an index
    /// replaces the earlier one and everything after it.
    public var entries: [SourceEntry] = []
    /// Entries replaced by a later record for the same index.
    public var replaced: [SourceEntry] = []
    public var hardState: SourceHardState?
    /// The WAL's snapshot records (`{index, term}`), in file order.
    public var walSnapshots: [WALSnapshotRecord] = []
    /// Snapshot files, newest first, each verified.
    public var snapshots: [SnapshotFile] = []
    /// Other files of note (`.snap.db`, `0.tmp`, ...): name and size.
    public var otherFiles: [(name: String, bytes: UInt64)] = []
    public var findings: [SourceFinding] = []
    /// Swarm: the nodes in the newest readable snapshot's store, and its index.
    public var swarmNodes: [SwarmNode]?
    public var swarmNodesIndex: UInt64?
    /// The opened state-machine data of one snapshot file (Swarm: the
    /// decrypted store snapshot; etcd: the raft snapshot's `data`) and the
    /// file's name; only when ``LogSourceReader/Options/keepSnapshotData`` asked.
    public var snapshotData: (name: String, data: Data)?

    public var firstIndex: UInt64? { entries.first?.index }
    public var lastIndex: UInt64 { max(entries.last?.index ?? 0, newestWALSnapshot?.index ?? 0) }
    public var lastTerm: UInt64 {
        if let e = entries.last, e.index >= (newestWALSnapshot?.index ?? 0) { return e.term }
        return newestWALSnapshot?.term ?? 0
    }
    public var newestWALSnapshot: WALSnapshotRecord? { walSnapshots.max { $0.index < $1.index } }
    public var newestValidSnapshot: SnapshotFile? { snapshots.first { $0.problem == nil } }
    public var damage: [SourceFinding] { findings.filter { $0.severity == .damage } }
    public var notices: [SourceFinding] { findings.filter { $0.severity == .notice } }
    public var walBytes: UInt64 { walFiles.reduce(0) { $0 + $1.fileBytes } }
    public var snapshotBytes: UInt64 { snapshots.reduce(0) { $0 + $1.fileBytes } }

    public init(kind: SourceKind, version: String, directory: String, walDirectory: String, snapDirectory: String?,
                identity: SourceIdentity) {
        self.kind = kind
        self.version = version
        self.directory = directory
        self.walDirectory = walDirectory
        self.snapDirectory = snapDirectory
        self.identity = identity
    }

    /// The entry at `index` in the live log.
    public func entry(at index: UInt64) -> SourceEntry? {
        guard let first = entries.first?.index, index >= first else { return nil }
        // Live entries are contiguous after the last gap a snapshot covers; search from the end.
        var lo = 0, hi = entries.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if entries[mid].index == index { return entries[mid] }
            if entries[mid].index < index { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }
}

/// Who the log belongs to.
public struct SourceIdentity: Sendable {
    /// The raft member ID (etcd member ID, Swarm raft ID), from the WAL metadata.
    public var raftID: UInt64?
    /// etcd: the cluster ID from the WAL metadata. Swarm: the certificate's O.
    public var clusterID: String?
    /// Swarm: the node ID (the WAL metadata and the certificate's CN).
    public var nodeID: String?
    /// Swarm: the raft address in the WAL metadata.
    public var address: String?
    /// Swarm: the certificate's OU (`swarm-manager`).
    public var role: String?
    /// Swarm: where the certificate facts were read, or why not.
    public var certificate: String?

    public init() {}
}

/// How the entries were encrypted and which key opened them (Swarm only).
public struct EncryptionInfo: Sendable {
    /// Algorithms seen on entries, by name, with counts.
    public var algorithms: [String: Int] = [:]
    /// `raft-dek`, `raft-dek-pending`, or both.
    public var keysTried: [String] = []
    /// Entries and snapshots opened per key.
    public var openedBy: [String: Int] = [:]
    /// Entries that no key opened.
    public var undecryptable = 0
    public var autolocked = false
    /// Autolocked and no unlock key given: nothing was decrypted.
    public var locked = false
    /// The key file's `kek-version` header.
    public var kekVersion: String?
    /// Autolocked: whether the unlock key also opened the node's TLS private key.
    public var privateKey: String?

    public init() {}
}

/// One WAL file as scanned.
public struct WALFile: Sendable {
    public var name: String
    public var seq: UInt64
    public var firstIndexFromName: UInt64
    public var fileBytes: UInt64
    public var recordCount = 0
    public var entryCount = 0
    /// Offset just past the last valid frame.
    public var dataEndOffset: UInt64 = 0
    /// `zeros` (a zero length word), `eof`, `torn`, `damaged`.
    public var end = "eof"
    public var lowestIndex: UInt64?
    public var highestIndex: UInt64?
    public var damagedBytes: UInt64 = 0

    /// A file as listed, before its records are scanned (the reader and the
    /// RaftWAL adapter fill in the rest).
    public init(name: String, seq: UInt64, firstIndexFromName: UInt64, fileBytes: UInt64) {
        self.name = name
        self.seq = seq
        self.firstIndexFromName = firstIndexFromName
        self.fileBytes = fileBytes
    }
}

/// One framed record of a WAL file.
public struct WALRecordInfo: Sendable {
    public var file: String
    public var offset: UInt64
    /// Bytes of the encoded `Record` (the length word's low 56 bits).
    public var length: UInt64
    public var padding: Int
    public var type: Int64
    public var crc: UInt32
    /// The running CRC-32C after this record, as the reader computed it.
    public var computedCRC: UInt32
    public var crcOK: Bool
    /// A short description: an entry's index and term, a hard state, ...
    public var detail: String

    public var typeName: String { WALRecordType.name(type) }
}

public enum WALRecordType {
    public static let metadata: Int64 = 1, entry: Int64 = 2, state: Int64 = 3, crc: Int64 = 4, snapshot: Int64 = 5

    public static func name(_ t: Int64) -> String {
        switch t {
        case metadata: return "metadata"
        case entry: return "entry"
        case state: return "state"
        case crc: return "crc"
        case snapshot: return "snapshot"
        default: return "unknown(\(t))"
        }
    }
}

/// A raft log entry read from a WAL record.
public struct SourceEntry: Sendable {
    public enum Kind: String, Sendable { case normal, confChange = "conf-change", confChangeV2 = "conf-change-v2" }

    public var index: UInt64
    public var term: UInt64
    public var kind: Kind
    public var file: String
    public var offset: UInt64
    /// Bytes of `Entry.Data` as stored (ciphertext envelope for Swarm).
    public var storedBytes: Int
    /// The plaintext (Swarm: decrypted; etcd: as stored). Nil when it could not be decrypted.
    public var plaintext: Data?
    /// Why `plaintext` is nil.
    public var problem: String?
    /// Where a later record replaced this entry (for entries in `LogSource.replaced`).
    public var replacedAt: (file: String, offset: UInt64)?
    /// Earlier records this entry replaced.
    public var rewrote: [(file: String, offset: UInt64, term: UInt64)] = []

    public init(index: UInt64, term: UInt64, kind: Kind, file: String, offset: UInt64, storedBytes: Int,
                plaintext: Data?, problem: String?) {
        self.index = index
        self.term = term
        self.kind = kind
        self.file = file
        self.offset = offset
        self.storedBytes = storedBytes
        self.plaintext = plaintext
        self.problem = problem
    }
}

public struct SourceHardState: Sendable, Equatable {
    public var term: UInt64
    public var vote: UInt64
    public var commit: UInt64
    public var file: String
    public var offset: UInt64

    public init(term: UInt64, vote: UInt64, commit: UInt64, file: String, offset: UInt64) {
        self.term = term
        self.vote = vote
        self.commit = commit
        self.file = file
        self.offset = offset
    }
}

public struct WALSnapshotRecord: Sendable {
    public var index: UInt64
    public var term: UInt64
    public var file: String
    public var offset: UInt64
    /// etcd 3.5+: the voters written with the record.
    public var voters: [UInt64]?
}

/// A raft member as the log knows it.
public struct SourceMember: Sendable, Equatable {
    public var raftID: UInt64
    /// Swarm: the node ID. etcd: the member's name.
    public var name: String
    /// Swarm: `ip:port`. etcd: the peer URLs.
    public var address: String
    public var learner = false
    /// Index of the conf change that added it (0: from a snapshot or unknown).
    public var addedAt: UInt64 = 0

    public init(raftID: UInt64, name: String, address: String, learner: Bool = false, addedAt: UInt64 = 0) {
        self.raftID = raftID
        self.name = name
        self.address = address
        self.learner = learner
        self.addedAt = addedAt
    }
}

/// A snapshot file, verified and (for Swarm) decrypted.
public struct SnapshotFile: Sendable {
    public var name: String
    public var term: UInt64
    public var index: UInt64
    public var fileBytes: UInt64
    public var crcOK = false
    /// Why the file is unusable (nil: it verified).
    public var problem: String?
    public var voters: [UInt64] = []
    public var learners: [UInt64] = []
    /// Swarm: the members and the removed raft IDs of the snapshot's membership.
    public var members: [SourceMember] = []
    public var removed: [UInt64] = []
    /// Swarm: objects per store collection (`nodes`, `services`, ...).
    public var objectCounts: [(String, Int)] = []
    /// Bytes of the snapshot's state-machine data (plaintext for Swarm).
    public var dataBytes: UInt64 = 0
    /// Swarm: which key opened it; etcd: whether a `%016x.snap.db` for its index is present.
    public var note: String?
    /// True when a WAL snapshot record names this index.
    public var inWAL = false

    public init(name: String, term: UInt64, index: UInt64, fileBytes: UInt64) {
        self.name = name
        self.term = term
        self.index = index
        self.fileBytes = fileBytes
    }
}
