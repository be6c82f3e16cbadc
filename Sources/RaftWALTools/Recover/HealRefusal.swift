import RaftWAL

/// Why `raft-recover heal` would not take a damaged range from the peer.
/// Each case names the directory, the file and offset or the index it is
/// about, and what was expected; nothing was written when one is thrown.
///
/// Exit status (``exitCode``): 2 when the peer is not a member of the same
/// log (the invocation names the wrong directory), 1 otherwise (the damage
/// remains and this peer cannot prove it holds the lost entries).
package enum HealRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's log belongs to another cluster or another epoch.
    case differentLog(peer: String, expected: RecoverReport.Identity, found: RecoverReport.Identity)
    /// The peer does not hold every index of a damaged range (compacted away, or its log ends before).
    case peerLacksRange(peer: String, range: ClosedRange<UInt64>, peerFirst: UInt64, peerLast: UInt64)
    /// The peer's term at `index` differs from the local one: by Raft's Log
    /// Matching property the two logs are not known to agree up to the damage.
    case termMismatch(peer: String, index: UInt64, localTerm: UInt64, peerTerm: UInt64, localFile: String?)
    /// The peer's own copy of a damaged range fails its checksum or decoding.
    case peerDamaged(peer: String, file: String, offset: UInt64?, indexes: ClosedRange<UInt64>?, reason: String)
    /// Local damage heal cannot bound: no trusted term for the damaged
    /// indexes (the last segment, a segment header, a snapshot, ...).
    case unhealable(directory: String, file: String?, offset: UInt64?, indexes: ClosedRange<UInt64>?, reason: String, advice: String)

    /// 2 for a peer of another log (usage), 1 for everything else (damage remains).
    package var exitCode: Int32 {
        if case .differentLog = self { return 2 }
        return 1
    }

    package var description: String {
        func range(_ r: ClosedRange<UInt64>) -> String { r.lowerBound == r.upperBound ? "index \(r.lowerBound)" : "indexes \(r.lowerBound)...\(r.upperBound)" }
        switch self {
        case let .differentLog(peer, expected, found):
            return "\(peer) is not a member of this log: cluster \(found.clusterID) epoch \(found.epoch), "
                + "expected cluster \(expected.clusterID) epoch \(expected.epoch) (a peer of another cluster, or from before a force-new-cluster)"
        case let .peerLacksRange(peer, r, first, last):
            let why = r.lowerBound < first ? "its log starts at \(first) (the rest is compacted into its snapshot)" : "its log ends at \(last)"
            return "\(peer) does not hold \(range(r)): \(why); heal another member, or restore this one from a member's snapshot"
        case let .termMismatch(peer, index, localTerm, peerTerm, file):
            return "\(peer) holds index \(index) in term \(peerTerm), this log in term \(localTerm)"
                + (file.map { " (the local damage is in \($0))" } ?? "")
                + ": the two logs are not known to agree there, so the peer's entries are not provably the lost ones"
        case let .peerDamaged(peer, file, offset, indexes, reason):
            return "the peer's own copy is damaged: \(peer)/\(file)" + (offset.map { " at offset \($0)" } ?? "")
                + (indexes.map { " (\(range($0)))" } ?? "") + ": \(reason)"
        case let .unhealable(directory, file, offset, indexes, reason, advice):
            return "\(directory)" + (file.map { "/\($0)" } ?? "") + (offset.map { " at offset \($0)" } ?? "")
                + (indexes.map { " (\(range($0)))" } ?? "") + ": \(reason)\n\(advice)"
        }
    }
}
