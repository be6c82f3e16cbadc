import Foundation
import RaftWAL

/// The shipped fixtures: small data directories, healthy and damaged, each
/// made deterministically by `make-fixtures` (the same bytes every run).
///
/// Each damaged fixture is the healthy one with one kind of damage, and
/// names the recovery-table label (`docs/RECOVERY.md`) opening it must meet.
public enum Fixtures {
    public struct Spec: Sendable {
        public var name: String
        /// How it was made.
        public var made: String
        /// What the engine and the tools must say about it.
        public var expect: String
        /// The decision-table label a strict open meets.
        public var label: RecoveryLabel
        /// True when a strict open must refuse it.
        public var refused: Bool
        /// True when `raft-inspect verify` and `Tools/format-check.py` must
        /// report damage (exit 1) although a strict open accepts the directory.
        public var verifyReportsDamage = false
    }

    /// The cluster of the fixtures: three managers, the survivor is member 1.
    public static let clusterID = ClusterID(high: 0x5241_4654_5741_4C00, low: 0x0000_0000_0000_0001)
    public static let members: [(id: UInt64, name: String, address: String)] = [
        (1, "manager-1", "10.0.0.1:2377"), (2, "manager-2", "10.0.0.2:2377"), (3, "manager-3", "10.0.0.3:2377"),
    ]
    static let segmentBytes: UInt64 = 8192
    static let createdNanos: UInt64 = 1_764_288_000_000_000_000  // 2025-11-28T00:00:00Z

    public static let specs: [Spec] = [
        Spec(name: "healthy", made: "three managers joined by conf changes (1-3), 220 entries in terms 1-2 written in batches of 5 into 8 KiB segments, a snapshot at 150 (compaction keeps 100 entries), commit 215", expect: "opens clean; summary healthy; verify exit 0; three voters", label: .clean, refused: false),
        Spec(name: "torn-tail", made: "healthy, then the second half of the last record of the last segment zeroed (a write torn by a crash)", expect: "opens after cutting the torn record (entries 219-220, uncommitted); verify reports a torn tail and exits 0 (1 with --strict)", label: .tornTail, refused: false),
        Spec(name: "damaged-tail", made: "healthy, then one bit flipped in the body of the last record of the last segment (damage to a record written whole, perhaps acknowledged)", expect: "opens after cutting the damaged record (entries 219-220) and reports T5 with the indexes it claims; verify reports damage (exit 1)", label: .damagedTail, refused: false, verifyReportsDamage: true),
        Spec(name: "interrupted-seal", made: "healthy, then a sealed segment before the last cut in the middle of its batch table (a crash while sealing)", expect: "opens; the segment is reported unsealed and scanned", label: .interruptedSeal, refused: false),
        Spec(name: "orphan-segments", made: "healthy without compaction, then the second segment removed: the first is older than a sequence gap and covered by the snapshot (a crash during compaction)", expect: "opens; the orphan is reported and ignored", label: .orphanSegments, refused: false),
        Spec(name: "leftover-temporary", made: "healthy plus a half-written `.seg.tmp` file (a crash while creating a segment)", expect: "opens; the temporary is ignored (a writer removes it)", label: .leftoverTemporary, refused: false),
        Spec(name: "damaged-snapshot", made: "healthy with two snapshots (100 and 150) and no compaction, then one bit of the newest snapshot's data flipped", expect: "opens with the snapshot at 100; the damaged one is reported, never deleted; verify exit 1", label: .damagedSnapshot, refused: false, verifyReportsDamage: true),
        Spec(name: "snapshot-ahead-of-log", made: "healthy plus a snapshot at 260, beyond the last index 220, without the reset record that installing it writes (a crash in between)", expect: "opens with an empty log restarting after 260", label: .snapshotAheadOfLog, refused: false),
        Spec(name: "snapshot-conflicts-with-log", made: "healthy plus a snapshot at 218 in term 7 (installed from a new leader; 218 is above the commit index 215) while the log holds 218 in term 2", expect: "opens with the log restarting after the snapshot; the stale entries 219-220 are discarded", label: .snapshotConflictsWithLog, refused: false),
        Spec(name: "seal-index-out-of-range", made: "healthy, then the seal of a segment before the last rewritten to claim last index 2^64 - 1, its checksum recomputed (what `Tools/fuzz record` found: it trapped the opener)", expect: "opens; the seal is not trusted, the segment is scanned instead and listed as unsealed; every entry reads back; verify reports the seal (exit 1)", label: .clean, refused: false, verifyReportsDamage: true),
        Spec(name: "corrupt-record", made: "healthy, then one bit flipped in a record of the last segment that valid records follow", expect: "strict open refused: corrupted, naming the segment and the record's offset; verify exit 1", label: .corruptRecord, refused: true),
        Spec(name: "bad-segment-header", made: "healthy, then one bit flipped in the header of a segment before the last", expect: "strict open refused: segment header checksum mismatch; verify exit 1", label: .badSegmentHeader, refused: true),
        Spec(name: "foreign-segment", made: "healthy, then a segment replaced by the same-named segment of another cluster's log", expect: "strict open refused: segment belongs to another cluster; verify exit 1", label: .foreignSegment, refused: true),
        Spec(name: "foreign-first-segment", made: "healthy, then the first segment replaced by the same-named first segment of another cluster's log (what trapped the opener: nothing precedes the foreign segment)", expect: "strict open refused: the first segment belongs to another cluster, named with offset 16; nothing to keep; verify exit 1", label: .foreignSegment, refused: true),
        Spec(name: "missing-segment", made: "healthy, then a segment above the snapshot removed", expect: "strict open refused: the log has a gap the snapshot does not cover; verify exit 1", label: .missingSegment, refused: true),
        Spec(name: "lost-tail-segment", made: "healthy, then the last segment removed (its predecessor is sealed, so it existed)", expect: "strict open refused: the last segment is sealed, its successor is lost; verify exit 1", label: .lostTailSegment, refused: true),
        Spec(name: "index-gap", made: "healthy, then the last segment's header rewritten (valid checksum, matching name) to start 3 indexes later", expect: "strict open refused: segment starts at an index that does not follow the previous one; verify exit 1", label: .indexGap, refused: true),
        Spec(name: "lost-rewrite", made: "healthy, then a new leader's entries 219-220 in term 3 (9 KiB each, so their record gets a segment of its own) and 221-222 in term 3 in the next segment, commit 222; then that record and what follows it in its segment zeroed (the disk lost the record's write, the crash the seal's): without the check the older 219-220 in term 2 come back silently", expect: "strict open refused: the next segment's header records index 220 in term 3, the log before it holds 220 in term 2 (offset 104); repair drops 221-222, committed, only with --accept-data-loss; verify exit 1", label: .indexGap, refused: true),
        Spec(name: "commit-beyond-log", made: "healthy plus entries appended without a hard state across a roll-over, then the last segment header's commit rewritten to 9999", expect: "strict open refused: commit beyond the last index; verify exit 1", label: .commitBeyondLog, refused: true),
        Spec(name: "acknowledged-missing", made: "healthy plus the confirmation file ACKED a confirmed-mode writer leaves (FORMAT.md §8.5: the last record of the last segment, ending at index 220, acknowledged), then that record zeroed whole (a lost write: the disk never got it)", expect: "strict open refused: ACKED confirms records the last segment no longer holds, acknowledged entries 219...220 lost; verify exit 1 (without ACKED the same bytes pass for a clean end at 218)", label: .acknowledgedMissing, refused: true),
    ]

    /// Options that make every byte reproducible.
    public static func options(clusterID: ClusterID = Fixtures.clusterID, keepEntries: UInt64 = 100) -> LogOptions {
        var o = LogOptions()
        o.segmentSizeBytes = segmentBytes
        o.sync = .none
        o.memberID = 1
        o.clusterID = clusterID
        o.compactionKeepEntries = keepEntries
        o.snapshotRetention = 2
        o.leavesTailHint = false  // fixtures show what a crash leaves: no clean close
        o.compressionAcceleration = 1  // the committed fixtures' bytes (made before the option existed)
        o.deterministicSalt = { seq in 0x9E37_79B9_7F4A_7C15 &* (seq &+ 0x1234) }
        o.clock = { createdNanos }
        return o
    }

    /// A JSON-like payload, shaped like a cluster store record.
    public static func payload(index: UInt64) -> [UInt8] {
        let kinds = ["node", "service", "task", "network", "secret"]
        let kind = kinds[Int(index % 5)]
        let s = #"{"op":"put","kind":"\#(kind)","id":"\#(kind)-\#(String(index * 2654435761 % 1_000_003, radix: 36))","#
            + #""version":\#(index),"labels":{"com.docker.stack":"web","tier":"\#(index % 3 == 0 ? "front" : "back")"},"#
            + #""updated":"2025-11-28T00:\#(String(format: "%02d", index % 60)):00Z"}"#
        return Array(s.utf8)
    }

    /// The conf changes that formed the cluster.
    public static func bootstrapEntries() -> [Entry] {
        members.enumerated().map { k, m in
            Entry(index: UInt64(k + 1), term: 1, confChange: ConfChange(type: .addVoter, raftID: m.id, name: m.name, address: m.address))
        }
    }

    public static func membership() -> Membership {
        Membership(members.enumerated().map { k, m in
            Member(raftID: m.id, name: m.name, address: m.address, role: .voter, addedAtIndex: UInt64(k + 1))
        })
    }

    /// Writes the healthy log into `dir`: entries 1...220, snapshots at `snapshots`.
    public static func buildHealthy(_ dir: String, options: LogOptions = Fixtures.options(), snapshots: [UInt64] = [150],
                                    lastIndex: UInt64 = 220) throws {
        let log = try RaftLog.open(directory: dir, options: options)
        defer { log.close() }
        try log.append(bootstrapEntries(), hardState: HardState(term: 1, vote: 1, commit: 3))
        var next: UInt64 = 4
        while next <= lastIndex {
            let end = min(next + 4, lastIndex)
            let entries = (next...end).map { i in Entry(index: i, term: i <= 120 ? 1 : 2, data: payload(index: i)) }
            let commit = min(end, lastIndex - 5)
            try log.append(entries, hardState: HardState(term: end <= 120 ? 1 : 2, vote: 1, commit: max(commit, 3)))
            next = end + 1
            for s in snapshots where s >= entries.first!.index && s <= end {
                try log.saveSnapshot(Snapshot(index: s, term: s <= 120 ? 1 : 2, membership: membership(),
                                              data: Array("state machine at \(s)".utf8)))
            }
        }
    }

    /// Builds every fixture under `root` (replacing what is there) and writes `root/README.md`.
    public static func buildAll(into root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let scratch = root + "/.scratch"
        try? fm.removeItem(atPath: scratch)
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        let healthy = scratch + "/healthy"
        try buildHealthy(healthy)
        for spec in specs {
            let dir = root + "/" + spec.name
            try? fm.removeItem(atPath: dir)
            try build(spec.name, into: dir, healthy: healthy, scratch: scratch)
        }
        try SurvivorFixtures.buildAll(into: root)
        try HealFixtures.buildAll(into: root)
        try readme(root: root).write(toFile: root + "/README.md", atomically: true, encoding: .utf8)
    }

    static func segments(_ dir: String) throws -> [String] {
        try DirectoryListing(directory: dir).segments.map(\.name)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func build(_ name: String, into dir: String, healthy: String, scratch: String) throws {
        func path(_ n: String) -> String { dir + "/" + n }
        switch name {
        case "healthy":
            try Damage.copyDirectory(healthy, to: dir)
        case "torn-tail":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try segments(dir).last!
            let last = try Damage.records(directory: dir, segment: tail).last!
            let half = UInt64(last.recordBytes / 2)
            try Damage.zero(path(tail), range: (last.offset + half)..<(last.offset + UInt64(last.recordBytes)))
        case "damaged-tail":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try segments(dir).last!
            let last = try Damage.records(directory: dir, segment: tail).last!
            try Damage.flipBit(path(tail), offset: last.offset + UInt64(last.recordBytes) - 9, bit: 5)
        case "interrupted-seal":
            try Damage.copyDirectory(healthy, to: dir)
            let segs = try segments(dir)
            let victim = segs[segs.count - 2]
            let table = try Damage.records(directory: dir, segment: victim).first { $0.type == .batchTable }!
            try Damage.cut(path(victim), to: table.offset + UInt64(table.recordBytes / 2))
        case "orphan-segments":
            try buildHealthy(dir, options: options(keepEntries: 100_000))
            let listing = try DirectoryListing(directory: dir)
            // Remove segment k so that segments before it are orphans covered by the snapshot (150).
            let k = listing.segments.indices.dropFirst().first { k in
                k + 1 < listing.segments.count && listing.segments[k + 1].firstIndex <= 151
                    && listing.segments[k + 1].firstIndex > listing.segments[k].firstIndex
            } ?? 1
            try FileManager.default.removeItem(atPath: path(listing.segments[k].name))
        case "leftover-temporary":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try DirectoryListing(directory: dir).segments.last!
            let name = FileNames.segment(seq: tail.seq + 1, firstIndex: 221) + ".tmp"
            try Data(Array(repeating: 0xAB, count: 100)).write(to: URL(fileURLWithPath: path(name)))
        case "damaged-snapshot":
            try buildHealthy(dir, options: options(keepEntries: 100_000), snapshots: [100, 150])
            let snap = FileNames.snapshot(index: 150, term: 2)
            let size = try FileManager.default.attributesOfItem(atPath: path(snap))[.size] as! UInt64
            try Damage.flipBit(path(snap), offset: size - 12, bit: 3)
        case "snapshot-ahead-of-log", "snapshot-conflicts-with-log":
            try Damage.copyDirectory(healthy, to: dir)
            let donor = scratch + "/donor-" + name
            try Damage.copyDirectory(healthy, to: donor)
            let (index, term): (UInt64, UInt64) = name == "snapshot-ahead-of-log" ? (260, 2) : (218, 7)
            let log = try RaftLog.open(directory: donor, options: options())
            try log.saveSnapshot(Snapshot(index: index, term: term, membership: membership(), data: Array("installed from the leader".utf8)))
            log.close()
            let snap = FileNames.snapshot(index: index, term: term)
            try FileManager.default.copyItem(atPath: donor + "/" + snap, toPath: path(snap))
        case "seal-index-out-of-range":
            try Damage.copyDirectory(healthy, to: dir)
            let segs = try segments(dir)
            let victim = segs[segs.count - 2]
            let seal = try Damage.records(directory: dir, segment: victim).first { $0.type == .seal }!
            // lastIndex is the seal meta's first field, right after the 32-byte record header.
            try Damage.rewriteRecord(path(victim), recordOffset: seal.offset, recordBytes: seal.recordBytes,
                                     patch: [UInt8](repeating: 0xFF, count: 8), at: Layout.recordHeaderBytes)
        case "corrupt-record":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try segments(dir).last!
            let records = try Damage.records(directory: dir, segment: tail)
            precondition(records.count >= 3, "the last segment needs 3 records")
            let victim = records[records.count - 3]
            try Damage.flipBit(path(tail), offset: victim.offset + UInt64(victim.recordBytes) - 9, bit: 5)
        case "bad-segment-header":
            try Damage.copyDirectory(healthy, to: dir)
            let segs = try segments(dir)
            try Damage.flipBit(path(segs[segs.count - 2]), offset: 40, bit: 1)
        case "foreign-segment":
            try Damage.copyDirectory(healthy, to: dir)
            let other = scratch + "/other-cluster"
            try buildHealthy(other, options: options(clusterID: ClusterID(high: 0xDEAD_BEEF, low: 2)))
            let segs = try segments(dir)
            let victim = segs[segs.count - 2]
            guard FileManager.default.fileExists(atPath: other + "/" + victim) else { fatalError("other cluster lacks \(victim)") }
            try FileManager.default.removeItem(atPath: path(victim))
            try FileManager.default.copyItem(atPath: other + "/" + victim, toPath: path(victim))
        case "foreign-first-segment":
            try Damage.copyDirectory(healthy, to: dir)
            let other = scratch + "/other-cluster-first"
            try buildHealthy(other, options: options(clusterID: ClusterID(high: 0xDEAD_BEEF, low: 3)))
            let victim = try segments(dir)[0]
            guard FileManager.default.fileExists(atPath: other + "/" + victim) else { fatalError("other cluster lacks \(victim)") }
            try FileManager.default.removeItem(atPath: path(victim))
            try FileManager.default.copyItem(atPath: other + "/" + victim, toPath: path(victim))
        case "missing-segment":
            try Damage.copyDirectory(healthy, to: dir)
            let listing = try DirectoryListing(directory: dir)
            let victim = listing.segments.dropLast().last { $0.firstIndex > 151 }!
            try FileManager.default.removeItem(atPath: path(victim.name))
        case "lost-tail-segment":
            try Damage.copyDirectory(healthy, to: dir)
            try FileManager.default.removeItem(atPath: path(try segments(dir).last!))
        case "index-gap":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try segments(dir).last!
            var header = try SegmentHeader(decoding: try Damage.read(path(tail), at: 0, count: Layout.segmentHeaderBytes), file: tail)
            header.firstIndex += 3
            try Damage.write(header.encoded(), to: path(tail), at: 0)
            try FileManager.default.moveItem(atPath: path(tail), toPath: path(FileNames.segment(seq: header.seq, firstIndex: header.firstIndex)))
        case "acknowledged-missing":
            try Damage.copyDirectory(healthy, to: dir)
            let tail = try segments(dir).last!
            let last = try Damage.records(directory: dir, segment: tail).last!
            let header = try SegmentHeader(decoding: try Damage.read(path(tail), at: 0, count: Layout.segmentHeaderBytes), file: tail)
            let end = last.offset + UInt64(last.recordBytes)
            let marker = AckMarker(counter: 1, seq: header.seq, salt: header.salt, endOffset: end, lastIndex: 220,
                                   snapshotIndex: 150, snapshotTerm: 2)
            var file = [UInt8](repeating: 0, count: AckMarker.fileBytes)
            file.replaceSubrange(Int(marker.slotOffset)..<(Int(marker.slotOffset) + AckMarker.slotBytes), with: marker.encoded())
            try Data(file).write(to: URL(fileURLWithPath: path(AckMarker.fileName)))
            try Damage.zero(path(tail), range: last.offset..<end)
        case "lost-rewrite":
            try Damage.copyDirectory(healthy, to: dir)
            let log = try RaftLog.open(directory: dir, options: options())
            var noise = SimRandom(seed: 219)  // incompressible, the same on every run
            try log.append([Entry(index: 219, term: 3, data: noise.bytes(9216)), Entry(index: 220, term: 3, data: noise.bytes(9216))],
                           hardState: HardState(term: 3, vote: 2, commit: 215))
            try log.append([Entry(index: 221, term: 3, data: payload(index: 221)), Entry(index: 222, term: 3, data: payload(index: 222))],
                           hardState: HardState(term: 3, vote: 2, commit: 222))
            log.close()
            let names = try segments(dir)
            let rewrite = names[names.count - 2]
            let record = try Damage.records(directory: dir, segment: rewrite).first!
            let size = try FileManager.default.attributesOfItem(atPath: path(rewrite))[.size] as! UInt64
            try Damage.zero(path(rewrite), range: record.offset..<size)
        case "commit-beyond-log":
            try Damage.copyDirectory(healthy, to: dir)
            let log = try RaftLog.open(directory: dir, options: options())
            let before = try segments(dir).count
            var i: UInt64 = 221
            while try segments(dir).count == before || i < 240 {
                try log.append([Entry(index: i, term: 2, data: payload(index: i))])
                i += 1
            }
            log.close()
            let tail = try segments(dir).last!
            var header = try SegmentHeader(decoding: try Damage.read(path(tail), at: 0, count: Layout.segmentHeaderBytes), file: tail)
            header.hardState.commit = 9999
            try Damage.write(header.encoded(), to: path(tail), at: 0)
        default:
            fatalError("unknown fixture \(name)")
        }
        try? FileManager.default.removeItem(atPath: path(Layout.lockFileName))
    }

    static func readme(root: String) -> String {
        var s = """
        # Fixtures

        Small RaftWAL data directories, healthy and damaged, used by the tests and the docs.
        They are made deterministically by `swift run make-fixtures` (same bytes on every run;
        see `Sources/RaftWALTesting/Fixtures.swift`). The cluster: three managers
        (`manager-1` at 10.0.0.1:2377, Raft IDs 1-3), the directory is member 1's,
        cluster ID `\(clusterID)`, 8 KiB segments.

        Each damaged fixture is `healthy` with one kind of damage, and names the row of the
        recovery decision table (`docs/RECOVERY.md`) that opening it meets.

        | fixture | label | how it was made | what the engine and tools must say |
        |---|---|---|---|

        """
        for spec in specs {
            s += "| `\(spec.name)` | \(spec.label.rawValue) | \(spec.made) | \(spec.expect) |\n"
        }
        s += """

        The `survivor-*` fixtures are a surviving manager of a lost three-member
        cluster (member 2, cluster `\(SurvivorFixtures.clusterID)`), the input of
        `raft-recover force-new-cluster` (`docs/RECOVER.md`). Their label is what a
        read-only open of the directory meets.

        | fixture | label | how it was made | what the engine and tools must say |
        |---|---|---|---|

        """
        for spec in SurvivorFixtures.specs {
            let labels = (try? RaftLog.open(directory: root + "/" + spec.name, options: .readOnly))?.recoveryReport.labels ?? []
            let label = labels.first { $0 != .clean } ?? .clean
            s += "| `\(spec.name)` | \(label.rawValue) | \(spec.made) | \(spec.expect) |\n"
        }
        s += """

        The `heal-*` fixtures are members of that same cluster, the input of
        `raft-recover heal` (`docs/RECOVER.md`, "Healing from a peer"): a member whose
        sealed segment lost a record, and two peers (member 3), one whose log agrees
        and one whose log does not.

        | fixture | label | how it was made | what the engine and tools must say |
        |---|---|---|---|

        """
        for spec in HealFixtures.specs {
            let labels = (try? RaftLog.open(directory: root + "/" + spec.name, options: .readOnly))?.recoveryReport.labels ?? []
            let label = labels.first { $0 != .clean } ?? .clean
            s += "| `\(spec.name)` | \(label.rawValue) | \(spec.made) | \(spec.expect) |\n"
        }
        return s
    }
}
