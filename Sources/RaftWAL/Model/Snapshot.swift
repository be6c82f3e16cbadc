/// A state-machine snapshot: everything up to and including `metadata.index`.
public struct Snapshot: Equatable, Sendable {
    /// What the snapshot covers: index, term and membership.
    public var metadata: SnapshotMetadata
    /// The state machine's bytes, opaque to the log.
    public var data: [UInt8]

    /// A snapshot of `metadata` holding the state machine's serialized `data`.
    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }

    /// A snapshot covering the log through `index` (whose entry has `term`), with the `membership` in force there and the state machine's `data`.
    public init(index: UInt64, term: UInt64, membership: Membership, data: [UInt8]) {
        self.init(metadata: SnapshotMetadata(index: index, term: term, membership: membership), data: data)
    }
}

/// The position a snapshot covers and the membership at that position.
public struct SnapshotMetadata: Equatable, Hashable, Sendable {
    /// The last index the snapshot covers.
    public var index: UInt64
    /// The term of the entry at ``index``.
    public var term: UInt64
    /// The cluster membership in force at ``index``.
    public var membership: Membership

    /// Metadata of a snapshot covering the log through `index`.
    public init(index: UInt64, term: UInt64, membership: Membership) {
        self.index = index
        self.term = term
        self.membership = membership
    }
}

/// Whose log a directory is. Written in every segment and snapshot header.
///
/// - `memberID`: the local member's Raft ID.
/// - `clusterID`: a random 128-bit identifier chosen when the log is created;
///   `raft-recover force-new-cluster` chooses a new one.
/// - `epoch`: starts at 1 and grows by one at each forced new cluster, so a
///   directory or member from before the recovery can be told apart.
public struct LogIdentity: Equatable, Hashable, Sendable {
    /// The cluster this log belongs to.
    public var clusterID: ClusterID
    /// The Raft ID of the member whose log this is.
    public var memberID: UInt64
    /// Starts at 1; grows by one each time a new cluster is forced from this log (`raft-recover force-new-cluster`).
    public var epoch: UInt64

    /// An identity; `epoch` starts at 1.
    public init(clusterID: ClusterID, memberID: UInt64, epoch: UInt64 = 1) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.epoch = epoch
    }
}

/// A 128-bit cluster identifier, printed as 32 hex digits.
public struct ClusterID: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The high 64 bits (printed first).
    public var high: UInt64
    /// The low 64 bits.
    public var low: UInt64

    /// A cluster ID from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A new random cluster ID, for a new cluster.
    public static func random() -> ClusterID {
        var g = SystemRandomNumberGenerator()
        return ClusterID(high: g.next(), low: g.next())
    }

    /// The 32 lowercase hex digits, high half first.
    public var description: String { hex16(high) + hex16(low) }

    /// Parses 32 hex digits.
    public init?(hex: String) {
        guard hex.count == 32, let h = UInt64(hex.prefix(16), radix: 16), let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.init(high: h, low: l)
    }
}

/// 16 lowercase hex digits.
package func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
