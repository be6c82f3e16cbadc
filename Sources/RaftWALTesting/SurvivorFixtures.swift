import Foundation
import RaftWAL

/// Data directories of a surviving member after quorum loss, for
/// `raft-recover force-new-cluster` (its tests, `docs/RECOVER.md` and users'
/// drills). Deterministic: the same bytes on every build.
///
/// The cluster: three managers (Raft IDs 1-3, `manager-N` at `10.0.1.N:2377`)
/// joined by configuration changes at indexes 1, 11 and 21. Entries 1-120 are
/// in term 1 (leader 1), 121-200 in term 2 (leader 1 again); a configuration
/// change at 170 updates manager-3's address; an uncommitted one at 195 adds
/// a fourth voter. The directory is member 2's (so the member ID is not the
/// engine's default), the commit index is 190, the snapshot is at 150.
public enum SurvivorFixtures {
    public struct Spec: Sendable {
        public var name: String
        public var made: String
        public var expect: String
    }

    public static let clusterID = ClusterID(high: 0x5355_5256_4956_4F52, low: 0x0000_0000_0000_0001)
    /// The surviving member's Raft ID.
    public static let survivor: UInt64 = 2
    public static let commitIndex: UInt64 = 190
    public static let lastIndex: UInt64 = 200
    public static let snapshotIndex: UInt64 = 150
    /// Index and term of the snapshot installed beyond the tail in `survivor-snapshot-ahead`.
    public static let aheadSnapshot: (index: UInt64, term: UInt64) = (240, 3)

    public static let specs: [Spec] = [
        Spec(name: "survivor-voters",
             made: "member 2 of three voters added by conf changes at 1, 11, 21; entries 1-200 in terms 1-2 (batches of 5, 8 KiB segments); manager-3's address changed at 170; an uncommitted conf change adding voter 4 at 195; snapshot at 150 carrying the membership; compaction keeps 20 entries (first index > 1); commit 190",
             expect: "force-new-cluster: member 2 alone as voter, entries 151-190 kept byte for byte, 191-200 dropped and listed, removes of 1 and 3 in term 3, epoch 2"),
        Spec(name: "survivor-learners",
             made: "survivor-voters plus learner 4 added at 60 (in the snapshot's membership) and learner 5 added at 160 (after it), an uncommitted promotion of 5 at 193; nothing compacted (first index 1)",
             expect: "force-new-cluster: member 2 alone, learners 4 and 5 removed, entries 1-190 kept"),
        Spec(name: "survivor-snapshot-ahead",
             made: "survivor-voters plus a snapshot at 240 term 3 installed from the leader, beyond the log's last index 200, without the reset record (a crash in between)",
             expect: "force-new-cluster: commit raised to 240 (the snapshot is applied state), no entries kept, removes at 241-242 in term 4"),
        Spec(name: "survivor-torn-tail",
             made: "survivor-voters with the second half of the last record (entries 196-200) zeroed: a write torn by a crash",
             expect: "force-new-cluster: the torn record is reported as dropped (196-200), entries 191-195 dropped and listed, 151-190 kept"),
    ]

    /// Fixed salts and clock so the bytes are reproducible.
    public static func options(keepEntries: UInt64) -> LogOptions {
        var o = LogOptions()
        o.segmentSizeBytes = 8192
        o.sync = .none
        o.memberID = survivor
        o.clusterID = clusterID
        o.compactionKeepEntries = keepEntries
        o.snapshotRetention = 2
        o.leavesTailHint = false  // fixtures show what a crash leaves: no clean close
        o.compressionAcceleration = 1  // the committed fixtures' bytes (made before the option existed)
        o.deterministicSalt = { seq in 0x2545_F491_4F6C_DD1D &* (seq &+ 0x77) }
        o.clock = { 1_764_288_000_000_000_000 }
        return o
    }

    static func member(_ id: UInt64) -> (name: String, address: String) {
        ("manager-\(id)", "10.0.1.\(id):2377")
    }

    /// The configuration changes of a fixture, by index.
    static func changes(learners: Bool) -> [UInt64: ConfChange] {
        func change(_ type: ConfChange.ChangeType, _ id: UInt64, address: String? = nil) -> ConfChange {
            ConfChange(type: type, raftID: id, name: member(id).name, address: address ?? member(id).address)
        }
        var c: [UInt64: ConfChange] = [
            1: change(.addVoter, 1), 11: change(.addVoter, 2), 21: change(.addVoter, 3),
            170: change(.addVoter, 3, address: "10.0.2.3:2377"),
            195: change(.addVoter, 4),
        ]
        if learners {
            c[60] = change(.addLearner, 4)
            c[160] = change(.addLearner, 5)
            c[193] = change(.promoteLearner, 5)
            c[195] = nil
        }
        return c
    }

    public static func term(of index: UInt64) -> UInt64 { index <= 120 ? 1 : 2 }

    /// The entry at `index` of the fixtures' log.
    static func entry(_ index: UInt64, changes: [UInt64: ConfChange], term: (UInt64) -> UInt64 = term(of:)) -> Entry {
        if let change = changes[index] { return Entry(index: index, term: term(index), confChange: change) }
        let s = #"{"op":"put","kind":"task","id":"task-\#(index)","desired":"running","version":\#(index)}"#
        return Entry(index: index, term: term(index), data: Array(s.utf8))
    }

    /// Writes the survivor's log into `dir` (which must not hold a log).
    /// `member`, `segmentSizeBytes` and `term` vary it for another member's copy (``HealFixtures``).
    static func buildLog(_ dir: String, learners: Bool, keepEntries: UInt64, member: UInt64 = survivor,
                         segmentSizeBytes: UInt64 = 8192, term: (UInt64) -> UInt64 = term(of:)) throws {
        let changes = changes(learners: learners)
        var o = options(keepEntries: keepEntries)
        o.memberID = member
        o.segmentSizeBytes = segmentSizeBytes
        let log = try RaftLog.open(directory: dir, options: o)
        defer { log.close() }
        var membership = Membership()
        var next: UInt64 = 1
        while next <= lastIndex {
            let end = min(next + 4, lastIndex)
            let batch = (next...end).map { entry($0, changes: changes, term: term) }
            let commit = min(end > 2 ? end - 2 : 0, commitIndex)
            try log.append(batch, hardState: HardState(term: term(end), vote: 1, commit: commit))
            for e in batch {
                if let c = changes[e.index], e.index <= snapshotIndex { membership.apply(c, at: e.index) }
                if e.index == snapshotIndex {
                    try log.saveSnapshot(Snapshot(index: snapshotIndex, term: term(snapshotIndex), membership: membership,
                                                  data: Array("swarm store at \(snapshotIndex)".utf8)))
                }
            }
            next = end + 1
        }
    }

    /// Builds every survivor fixture under `root`, replacing what is there.
    public static func buildAll(into root: String) throws {
        for spec in specs { try build(spec.name, into: root + "/" + spec.name) }
    }

    /// Replaces `dir` with what `make` writes into it, leaving no lock file
    /// (a fixture is a directory at rest). Shared with ``HealFixtures``.
    static func replacing(_ dir: String, _ make: () throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir) { try fm.removeItem(atPath: dir) }
        try make()
        try? fm.removeItem(atPath: dir + "/" + Layout.lockFileName)
    }

    /// Builds one fixture (a name from ``specs``) into `dir`, replacing it.
    public static func build(_ name: String, into dir: String) throws {
        try replacing(dir) { try make(name, into: dir) }
    }

    private static func make(_ name: String, into dir: String) throws {
        let fm = FileManager.default
        switch name {
        case "survivor-voters":
            try buildLog(dir, learners: false, keepEntries: 20)
        case "survivor-learners":
            try buildLog(dir, learners: true, keepEntries: 100_000)
        case "survivor-snapshot-ahead":
            try buildLog(dir, learners: false, keepEntries: 20)
            // Install the snapshot in a donor copy, then copy only its file: the reset record is "lost".
            let donor = dir + ".donor"
            try Damage.copyDirectory(dir, to: donor)
            defer { try? fm.removeItem(atPath: donor) }
            let log = try RaftLog.open(directory: donor, options: options(keepEntries: 20))
            let membership = try log.membership()
            var installed = membership
            installed.apply(ConfChange(type: .remove, raftID: 4), at: aheadSnapshot.index)  // 195 never committed
            try log.saveSnapshot(Snapshot(index: aheadSnapshot.index, term: aheadSnapshot.term, membership: installed,
                                          data: Array("swarm store at \(aheadSnapshot.index), from the leader".utf8)))
            log.close()
            let snap = FileNames.snapshot(index: aheadSnapshot.index, term: aheadSnapshot.term)
            try fm.copyItem(atPath: donor + "/" + snap, toPath: dir + "/" + snap)
        case "survivor-torn-tail":
            try buildLog(dir, learners: false, keepEntries: 20)
            let tail = try DirectoryListing(directory: dir).segments.last!.name
            let last = try Damage.records(directory: dir, segment: tail).last { $0.type == .batch }!
            let half = UInt64(last.recordBytes / 2)
            try Damage.zero(dir + "/" + tail, range: (last.offset + half)..<(last.offset + UInt64(last.recordBytes)))
        default:
            throw WALError.invalidArgument("unknown survivor fixture \(name)")
        }
    }
}
