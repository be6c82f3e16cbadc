/// What an entry carries.
public enum EntryKind: UInt8, Sendable, CaseIterable, Codable {
    /// An application command, opaque to the log.
    case normal = 0
    /// A membership change; `data` is an encoded ``ConfChange``.
    case confChange = 1
}

/// A Raft log entry.
///
/// Format (inside a batch body, see `docs/FORMAT.md` §4):
/// `kind u8 | dataLength u32 | data` — index and term are implied by the
/// batch header and its term runs.
public struct Entry: Equatable, Hashable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var kind: EntryKind
    public var data: [UInt8]

    public init(index: UInt64, term: UInt64, kind: EntryKind = .normal, data: [UInt8]) {
        self.index = index
        self.term = term
        self.kind = kind
        self.data = data
    }

    /// A configuration-change entry carrying `change`.
    public init(index: UInt64, term: UInt64, confChange change: ConfChange) {
        self.init(index: index, term: term, kind: .confChange, data: change.encoded())
    }

    /// Size as counted by `maxBytes` limits: the payload plus a fixed overhead.
    public var sizeBytes: Int { data.count + 16 }
}

/// Raft's persistent hard state: the current term, the vote in that term,
/// and the commit index.
public struct HardState: Equatable, Hashable, Sendable, Codable {
    public var term: UInt64
    public var vote: UInt64
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: UInt64 = 0, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public static let empty = HardState()
    public var isEmpty: Bool { self == .empty }
}
