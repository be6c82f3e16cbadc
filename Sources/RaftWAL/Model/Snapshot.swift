/// A state-machine snapshot: everything up to and including `metadata.index`.
public struct Snapshot: Equatable, Sendable {
    public var metadata: SnapshotMetadata
    /// The state machine's bytes, opaque to the log.
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }

    public init(index: UInt64, term: UInt64, membership: Membership, data: [UInt8]) {
        self.init(metadata: SnapshotMetadata(index: index, term: term, membership: membership), data: data)
    }
}

/// The position a snapshot covers and the membership at that position.
public struct SnapshotMetadata: Equatable, Hashable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var membership: Membership

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
    public var clusterID: ClusterID
    public var memberID: UInt64
    public var epoch: UInt64

    public init(clusterID: ClusterID, memberID: UInt64, epoch: UInt64 = 1) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.epoch = epoch
    }
}

/// A 128-bit cluster identifier, printed as 32 hex digits.
public struct ClusterID: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func random() -> ClusterID {
        var g = SystemRandomNumberGenerator()
        return ClusterID(high: g.next(), low: g.next())
    }

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
