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
    /// The entry's position in the log, from 1.
    public var index: UInt64
    /// The leader's term when the entry was proposed.
    public var term: UInt64
    /// An application command, or a membership change.
    public var kind: EntryKind
    /// The payload: opaque for ``EntryKind/normal``; an encoded ``ConfChange`` for ``EntryKind/confChange``.
    public var data: [UInt8]

    /// An entry of `kind` carrying `data`.
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
    /// The current term.
    public var term: UInt64
    /// The member voted for in ``term`` (0: none).
    public var vote: UInt64
    /// The highest index known to be committed; it never decreases.
    public var commit: UInt64

    /// A hard state; all zero by default.
    public init(term: UInt64 = 0, vote: UInt64 = 0, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    /// Term, vote and commit all zero: nothing persisted yet.
    public static let empty = HardState()
    /// True for ``empty``.
    public var isEmpty: Bool { self == .empty }
}
