import Foundation
import RaftWAL

/// Two members' directories of one cluster, for `raft-recover heal`: a
/// member whose sealed segment lost a record, and peers to heal it from (one
/// that agrees, one that does not). Deterministic: the same bytes on every
/// build. The log is `survivor-learners`'s (``SurvivorFixtures``: cluster
/// `5355...0001`, entries 1-200 in terms 1-2, snapshot at 150, commit 190,
/// nothing compacted).
public enum HealFixtures {
    /// The indexes of the record damaged in `heal-member` (one batch of 5).
    public static let damaged: ClosedRange<UInt64> = 116...120
    /// The peers' Raft ID.
    public static let peerMember: UInt64 = 3
    /// `heal-peer-diverged` holds every index from here on in term 3.
    public static let divergedFrom: UInt64 = 116

    public static let specs: [SurvivorFixtures.Spec] = [
        .init(name: "heal-member",
              made: "survivor-learners (member 2, entries 1-200, 8 KiB segments, nothing compacted), then one bit flipped in the record holding entries 116-120 inside the sealed second segment",
              expect: "opens strict (the seal is trusted); verify exit 1 naming the segment and offset; heal --from heal-peer replaces 116-120 (anchor 121 term 2) and verify exits 0; heal --from heal-peer-diverged is refused, exit 1"),
        .init(name: "heal-peer",
              made: "the same log written by member 3: the same entries and terms, 16 KiB segments (so no file is shared with heal-member)",
              expect: "opens clean; verify exit 0; the peer heal-member heals from"),
        .init(name: "heal-peer-diverged",
              made: "heal-peer with entries 116-200 in term 3 (a log that does not agree with heal-member's from 116 on)",
              expect: "opens clean; heal-member --from it is refused: index 121 is in term 3 there and term 2 locally"),
    ]

    /// Builds every heal fixture under `root`, replacing what is there.
    public static func buildAll(into root: String) throws {
        for spec in specs { try build(spec.name, into: root + "/" + spec.name) }
    }

    /// Builds one fixture (a name from ``specs``) into `dir`, replacing it.
    public static func build(_ name: String, into dir: String) throws {
        try SurvivorFixtures.replacing(dir) { try make(name, into: dir) }
    }

    private static func make(_ name: String, into dir: String) throws {
        switch name {
        case "heal-member":
            try SurvivorFixtures.buildLog(dir, learners: true, keepEntries: 100_000)
            try damageSealedRecord(in: dir, holding: damaged.lowerBound)
        case "heal-peer":
            try SurvivorFixtures.buildLog(dir, learners: true, keepEntries: 100_000, member: peerMember, segmentSizeBytes: 16384)
        case "heal-peer-diverged":
            try SurvivorFixtures.buildLog(dir, learners: true, keepEntries: 100_000, member: peerMember, segmentSizeBytes: 16384,
                                          term: { $0 >= divergedFrom ? 3 : SurvivorFixtures.term(of: $0) })
        default:
            throw WALError.invalidArgument("unknown heal fixture \(name)")
        }
    }

    /// Flips one bit in the middle of the batch record holding `index`,
    /// which must be in a sealed segment (not the last one).
    public static func damageSealedRecord(in dir: String, holding index: UInt64) throws {
        let segments = try DirectoryListing(directory: dir).segments
        for segment in segments.dropLast() {
            let records = try Damage.records(directory: dir, segment: segment.name)
            guard let r = records.first(where: { $0.type == .batch && ($0.indexes?.contains(index) ?? false) }) else { continue }
            try Damage.flipBit(dir + "/" + segment.name, offset: r.offset + UInt64(r.recordBytes / 2))
            return
        }
        throw WALError.invalidArgument("no sealed segment of \(dir) holds index \(index)")
    }
}
