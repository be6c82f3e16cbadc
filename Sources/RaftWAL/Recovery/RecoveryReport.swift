/// The rows of the recovery decision table (`docs/RECOVERY.md`). Each label
/// names one situation the opener can meet; the code switches on the same
/// labels, and each label has a test and a fixture.
public enum RecoveryLabel: String, Sendable, CaseIterable, Codable {
    /// R0: every record valid, zeros after the last one.
    case clean = "R0-clean"
    /// T1: the last segment ends with a bad or incomplete record and no valid
    /// record follows: a crash's torn write. Cut.
    case tornTail = "T1-torn-tail"
    /// T2: a segment before the last is unsealed and ends with bytes that are
    /// not a record: a seal interrupted by a crash. Accepted when the next
    /// segment starts right after its last entry.
    case interruptedSeal = "T2-interrupted-seal"
    /// T5: the last segment ends like T1, but the bad record was written
    /// whole (its full length present, no piece of it zeros, the next
    /// index) and fails its checksum: damage after the write, not a torn
    /// write, so the cut may have held acknowledged entries. Cut as T1 and
    /// reported with the indexes its header claims (damage to `raft-inspect`).
    case damagedTail = "T5-damaged-tail"
    /// T3: segments older than a sequence gap, all covered by the snapshot:
    /// a compaction interrupted by a crash. Ignored, removed by a writer.
    case orphanSegments = "T3-orphan-segments"
    /// T4: a `.tmp` file from an interrupted creation. Ignored, removed by a writer.
    case leftoverTemporary = "T4-leftover-temporary"
    /// S1: a snapshot file fails its checks. Reported and skipped, never deleted.
    case damagedSnapshot = "S1-damaged-snapshot"
    /// S2: the newest snapshot is beyond the log's last index (a snapshot
    /// installed from the leader, crash before the log was reset). The log
    /// restarts after the snapshot.
    case snapshotAheadOfLog = "S2-snapshot-ahead-of-log"
    /// S3: the log holds the snapshot's index with another term: entries
    /// after it are a stale, uncommitted suffix. The log restarts after the snapshot.
    case snapshotConflictsWithLog = "S3-snapshot-conflicts-with-log"
    /// C1: a bad record followed by valid records. Refused (strict).
    case corruptRecord = "C1-corrupt-record"
    /// C2: a bad segment header, or a segment whose name disagrees with its header.
    case badSegmentHeader = "C2-bad-segment-header"
    /// C3: a segment from another log (cluster, member or epoch differ).
    case foreignSegment = "C3-foreign-segment"
    /// C4: a segment is missing in the middle, or the start of the log is not
    /// covered by a valid snapshot.
    case missingSegment = "C4-missing-segment"
    /// C5: the last segment is sealed: its successor, which existed before
    /// the seal was written, is lost.
    case lostTailSegment = "C5-lost-tail-segment"
    /// C6: indexes do not follow on (a gap, a term that decreases, a segment
    /// that does not start where the previous one ended).
    case indexGap = "C6-index-gap"
    /// C7: the hard state's commit index is beyond the last entry and any snapshot.
    case commitBeyondLog = "C7-commit-beyond-log"
    /// A1: the confirmation file `ACKED` (written in confirmed mode,
    /// ``LogOptions/confirmAppends``) names a record or a snapshot the
    /// directory no longer holds: acknowledged state was lost after it was
    /// written (a lost, misdirected or zeroed write, a lost file). Refused
    /// (strict), with the indexes `ACKED` confirms beyond the log.
    case acknowledgedMissing = "A1-acknowledged-missing"
}

/// Bytes cut from the end of the log.
public struct CutTail: Equatable, Sendable {
    /// The segment whose end was cut.
    public var segment: String
    /// Where the cut starts: the offset of the record that is not valid.
    public var offset: UInt64
    /// Bytes from `offset` through the end of the last 8-byte word that is not
    /// all zeros (what was not a record; the file's end when that comes first).
    public var bytes: UInt64
    /// Why the record at `offset` is not valid.
    public var problem: String
    /// The indexes the cut record's header claims, when its header was readable.
    public var claimedIndexes: ClosedRange<UInt64>?
    /// T5: the cut record was written whole and damaged afterwards, so the
    /// cut may have held acknowledged entries (`claimedIndexes`, and the
    /// hard state the record carried). False for a torn write (T1).
    public var mayHoldAcknowledged = false
}

/// Records dropped by ``RecoveryMode/truncateAtFirstCorruption``.
public struct DroppedRecords: Equatable, Sendable {
    /// The segment where the log was cut.
    public var segment: String
    /// Where it was cut: the offset of the first bad record (or of the bad segment's header).
    public var offset: UInt64
    /// What a strict open would have refused, in its words.
    public var problem: String
    /// Index ranges of valid records that were dropped because they came after the damage.
    public var indexes: [ClosedRange<UInt64>]
    /// True when a dropped index is at or below the persisted commit index.
    public var includesCommitted: Bool
    /// Files (or `.broken` copies) holding the dropped bytes.
    public var backups: [String]
    /// The hard state the kept log goes on with when a dropped record or
    /// segment header of this log (never a foreign segment's) had persisted
    /// a newer term or vote than the kept log:
    /// that term and vote, with the kept commit (Raft never forgets a vote,
    /// so no cut may lower them). Nil when the kept hard state was newest.
    public var keptHardState: HardState? = nil

    /// Adds the part of `range` no listed range holds yet (one loss found
    /// by two rows, a cut segment's records and `ACKED`, is listed once).
    mutating func addUnlisted(_ range: ClosedRange<UInt64>) {
        var pieces = [range]
        for listed in indexes {
            pieces = pieces.flatMap { p -> [ClosedRange<UInt64>] in
                guard p.overlaps(listed) else { return [p] }
                var rest: [ClosedRange<UInt64>] = []
                if p.lowerBound < listed.lowerBound { rest.append(p.lowerBound...(listed.lowerBound - 1)) }
                if p.upperBound > listed.upperBound { rest.append((listed.upperBound + 1)...p.upperBound) }
                return rest
            }
        }
        indexes.append(contentsOf: pieces)
    }
}

/// What an open did with the tail hint `TAIL` (`docs/FORMAT.md` §8.4):
/// whether the last segment's rows came from it or from a scan, and why.
public enum TailHintOutcome: Equatable, Sendable, CustomStringConvertible {
    /// No regular file named `TAIL` was listed: the last segment was scanned.
    case absent
    /// A hint was listed but not consulted: the truncate mode of a repair
    /// reads every record to find damage, so the last segment was scanned.
    case notConsulted
    /// The last segment's rows and shape came from the hint (every check
    /// held); its records and preallocated zeros were not scanned.
    case used
    /// The hint was refused (unreadable, does not decode, or does not
    /// describe the segment as it is on disk); the last segment was scanned.
    case rejected(reason: String)

    /// Why the hint was refused, or nil when it was not.
    public var rejectionReason: String? {
        if case .rejected(let reason) = self { return reason }
        return nil
    }

    /// `absent`, `not consulted`, `used`, or `rejected: ` and the reason.
    public var description: String {
        switch self {
        case .absent: "absent"
        case .notConsulted: "not consulted"
        case .used: "used"
        case .rejected(let reason): "rejected: \(reason)"
        }
    }
}

/// What opening the log found and did.
public struct RecoveryReport: Sendable {
    /// The decision-table rows that applied, in the order met.
    public var labels: [RecoveryLabel] = []
    /// T1 (or T5): the torn (or damaged) record cut from the last segment, if any.
    public var tornTail: CutTail?
    /// What a ``RecoveryMode/truncateAtFirstCorruption`` open dropped, if anything.
    public var dropped: DroppedRecords?
    /// S1: snapshot files that failed a check (skipped, never deleted).
    public var damagedSnapshots: [SnapshotFileInfo] = []
    /// Files ignored (and, by a writer, removed): orphans, temporaries, unknown names.
    public var ignoredFiles: [String] = []
    /// Set when the log restarted after a snapshot (S2, S3).
    public var resetToSnapshot: (index: UInt64, term: UInt64)?
    /// Segments before the last that have no seal (scanned in full on each open).
    public var unsealedSegments: [String] = []
    /// True when the writable open changed files (cut a tail, removed temporaries, ...).
    public var modifiedDirectory = false
    /// Read-only open of a live directory: what a writer wrote while the
    /// directory was read (bytes after the cut, a seal whose successor was
    /// listed only afterwards), one line each. Never damage: the view ends
    /// before it (`docs/RECOVERY.md`, "A live directory").
    public var writtenDuringRead: [String] = []
    /// What the open did with the tail hint `TAIL` (`docs/RECOVERY.md`,
    /// "The tail hint"): absent, not consulted (truncate mode), used, or
    /// rejected with the reason.
    public var tailHint: TailHintOutcome = .absent

    /// True when the open took the last segment's rows from the tail hint.
    var usedTailHint: Bool { tailHint == .used }

    /// An empty report (nothing found).
    public init() {}

    mutating func note(_ label: RecoveryLabel) {
        if !labels.contains(label) { labels.append(label) }
    }
}
