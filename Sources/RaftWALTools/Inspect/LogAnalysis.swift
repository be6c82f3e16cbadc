import RaftWAL

/// Everything one read-only pass over a data directory learned: per-segment
/// facts, the log's shape, the hard state, the snapshots, and every problem.
/// Built by ``Analyzer``; the subcommands of `raft-inspect` render it.
public struct LogAnalysis: Sendable {
    public var directory: String
    public var listing: DirectoryListing
    /// The log's identity: the one most segments carry (the last one on a tie).
    public var identity: LogIdentity?
    public var segments: [SegmentReport] = []
    /// Every snapshot file, newest first, each verified.
    public var snapshots: [SnapshotFileInfo] = []
    public var findings: [Finding] = []
    /// The first index held in segments (nil when the log holds none).
    public var firstIndex: UInt64?
    public var lastIndex: UInt64 = 0
    public var lastTerm: UInt64 = 0
    public var hardState: HardState = .empty
    /// Where the hard state was read: a segment and the offset of its record
    /// (or of the header's commit field).
    public var hardStateFile: String?
    public var hardStateOffset: UInt64?
    public var termRuns: [TermRun] = []
    /// Indexes of the configuration changes held in the log.
    public var confChangeIndexes: [UInt64] = []
    /// Set when a reset record restarted the log after a snapshot.
    public var resetIndex: UInt64?
    public var resetTerm: UInt64?
    /// The batches whose entries make up the log, in index order (only
    /// when the analyzer was asked to keep them).
    public var liveBatches: [LiveBatch]?
    /// What a live writer wrote while this pass read the directory (bytes
    /// after a segment's consistent cut, a seal whose successor appeared
    /// after the listing, a temporary file renamed meanwhile), one line
    /// each. Never damage and never a notice: the pass reports the log as it
    /// was before them (`docs/TOOLS.md`, "A live directory").
    public var writtenDuringInspection: [String] = []
    /// What the engine's own read-only, strict open says.
    public var engine: EngineCheck = EngineCheck()
    /// True when batch bodies were decompressed and decoded (verify, stats).
    public var decodedBodies = false
    /// Sums over every valid batch record on disk.
    public var storedBodyBytes: UInt64 = 0
    public var rawBodyBytes: UInt64 = 0

    /// The newest snapshot that verified.
    public var newestValidSnapshot: SnapshotFileInfo? { snapshots.first { $0.problem == nil } }

    public var damage: [Finding] { findings.filter { $0.severity == .damage } }
    public var notices: [Finding] { findings.filter { $0.severity == .notice } }

    /// Exit status: damage → 1; notices → 1 only when `strict`.
    public func status(strict: Bool) -> ExitStatus {
        if !damage.isEmpty { return .damage }
        if strict && !notices.isEmpty { return .damage }
        return .healthy
    }

    /// One line: `healthy`, `healthy (torn tail: ...)`, or `DAMAGED: n problems`.
    public func verdict(strict: Bool, naming: Bool = true) -> String {
        if !damage.isEmpty {
            let count = "damaged: \(damage.count) problem\(damage.count == 1 ? "" : "s")"
            return naming ? count + " (first: \(damage[0].line))" : count
        }
        if notices.isEmpty { return "healthy" }
        let labels = notices.compactMap { $0.label?.rawValue }
        let what = labels.isEmpty ? notices[0].message : Array(Set(labels)).sorted().joined(separator: ", ")
        return (strict ? "not clean (--strict): " : "healthy, with crash shapes the engine handles: ") + what
    }

    /// Bytes of all segment files.
    public var segmentBytes: UInt64 { segments.reduce(0) { $0 + $1.fileBytes } }
    /// Bytes of all snapshot files.
    public var snapshotBytes: UInt64 { snapshots.reduce(0) { $0 + $1.fileBytes } }

    /// Raw over stored body bytes (1.0 when nothing is compressed).
    public var compressionRatio: Double {
        storedBodyBytes == 0 ? 1 : Double(rawBodyBytes) / Double(storedBodyBytes)
    }

    /// The log's index range, when it holds entries.
    public var heldRange: ClosedRange<UInt64>? {
        guard let first = firstIndex, lastIndex >= first else { return nil }
        return first...lastIndex
    }
}

/// What one segment file holds, as scanned.
public struct SegmentReport: Sendable {
    public enum End: String, Sendable {
        /// Zeros (or the end of the file) after the last record: the open tail.
        case open
        /// Ends with a seal and trailer.
        case sealed
        /// Ends with bytes that are not a record and no valid record after them.
        case torn
        /// The header does not validate: nothing was scanned.
        case unreadable
    }

    public var name: String
    public var seqFromName: UInt64
    public var firstIndexFromName: UInt64
    public var fileBytes: UInt64
    public var header: SegmentHeader?
    public var headerProblem: String?
    public var end: End = .open
    /// Offset just past the last valid record.
    public var dataEndOffset: UInt64 = 0
    public var recordCount = 0
    public var batchCount = 0
    public var entryCount = 0
    /// Lowest and highest entry index in the segment's batch records.
    public var lowestIndex: UInt64?
    public var highestIndex: UInt64?
    public var storedBodyBytes: UInt64 = 0
    public var rawBodyBytes: UInt64 = 0
    /// Bytes in damaged ranges (torn or corrupt).
    public var damagedBytes: UInt64 = 0
    /// Older than a sequence gap and covered by the snapshot: ignored by the engine.
    public var orphan = false

    public var indexes: ClosedRange<UInt64>? {
        guard let lo = lowestIndex, let hi = highestIndex else { return nil }
        return lo...hi
    }
}

/// The engine's verdict: `RaftLog.open` read-only and strict (no lock, no change).
public struct EngineCheck: Sendable {
    public var opened = false
    public var labels: [RecoveryLabel] = []
    public var error: WALError?
    public var firstIndex: UInt64?
    public var lastIndex: UInt64?
    public var tornTail: CutTail?
}
