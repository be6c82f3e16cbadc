import RaftWAL

/// Everything one read-only pass over a data directory learned: per-segment
/// facts, the log's shape, the hard state, the snapshots, and every problem.
/// Built by ``Analyzer``; the subcommands of `raft-inspect` render it.
package struct LogAnalysis: Sendable {
    package var directory: String
    package var listing: DirectoryListing
    /// The log's identity: the one most segments carry (the last one on a tie).
    package var identity: LogIdentity?
    package var segments: [SegmentReport] = []
    /// Every snapshot file, newest first, each verified.
    package var snapshots: [SnapshotFileInfo] = []
    package var findings: [Finding] = []
    /// The first index held in segments (nil when the log holds none).
    package var firstIndex: UInt64?
    package var lastIndex: UInt64 = 0
    package var lastTerm: UInt64 = 0
    package var hardState: HardState = .empty
    /// Where the hard state was read: a segment and the offset of its record
    /// (or of the header's commit field).
    package var hardStateFile: String?
    package var hardStateOffset: UInt64?
    package var termRuns: [TermRun] = []
    /// Indexes of the configuration changes held in the log.
    package var confChangeIndexes: [UInt64] = []
    /// Set when a reset record restarted the log after a snapshot.
    package var resetIndex: UInt64?
    package var resetTerm: UInt64?
    /// The batches whose entries make up the log, in index order (only
    /// when the analyzer was asked to keep them).
    package var liveBatches: [LiveBatch]?
    /// What a live writer wrote while this pass read the directory (bytes
    /// after a segment's consistent cut, a seal whose successor appeared
    /// after the listing, a temporary file renamed meanwhile), one line
    /// each. Never damage and never a notice: the pass reports the log as it
    /// was before them (`docs/TOOLS.md`, "A live directory").
    package var writtenDuringInspection: [String] = []
    /// What the engine's own read-only, strict open says.
    package var engine: EngineCheck = EngineCheck()
    /// The confirmation file `ACKED` as read before the listing (FORMAT.md §8.5).
    package var ackMarker: AckMarker.Presence = .absent
    /// True when batch bodies were decompressed and decoded (verify, stats).
    package var decodedBodies = false
    /// Sums over every valid batch record on disk.
    package var storedBodyBytes: UInt64 = 0
    package var rawBodyBytes: UInt64 = 0

    /// The newest snapshot that verified.
    package var newestValidSnapshot: SnapshotFileInfo? { snapshots.first { $0.problem == nil } }

    package var damage: [Finding] { findings.filter { $0.severity == .damage } }
    package var notices: [Finding] { findings.filter { $0.severity == .notice } }

    /// Exit status: damage → 1; notices → 1 only when `strict`.
    package func status(strict: Bool) -> ExitStatus {
        if !damage.isEmpty { return .damage }
        if strict && !notices.isEmpty { return .damage }
        return .healthy
    }

    /// One line: `healthy`, `healthy (torn tail: ...)`, or `DAMAGED: n problems`.
    package func verdict(strict: Bool, naming: Bool = true) -> String {
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
    package var segmentBytes: UInt64 { segments.reduce(0) { $0 + $1.fileBytes } }
    /// Bytes of all snapshot files.
    package var snapshotBytes: UInt64 { snapshots.reduce(0) { $0 + $1.fileBytes } }

    /// Raw over stored body bytes (1.0 when nothing is compressed).
    package var compressionRatio: Double {
        storedBodyBytes == 0 ? 1 : Double(rawBodyBytes) / Double(storedBodyBytes)
    }

    /// The log's index range, when it holds entries.
    package var heldRange: ClosedRange<UInt64>? {
        guard let first = firstIndex, lastIndex >= first else { return nil }
        return first...lastIndex
    }
}

/// What one segment file holds, as scanned.
package struct SegmentReport: Sendable {
    package enum End: String, Sendable {
        /// Zeros (or the end of the file) after the last record: the open tail.
        case open
        /// Ends with a seal and trailer.
        case sealed
        /// Ends with bytes that are not a record and no valid record after them.
        case torn
        /// The header does not validate: nothing was scanned.
        case unreadable
    }

    package var name: String
    package var seqFromName: UInt64
    package var firstIndexFromName: UInt64
    package var fileBytes: UInt64
    package var header: SegmentHeader?
    package var headerProblem: String?
    package var end: End = .open
    /// Offset just past the last valid record.
    package var dataEndOffset: UInt64 = 0
    package var recordCount = 0
    package var batchCount = 0
    package var entryCount = 0
    /// Lowest and highest entry index in the segment's batch records.
    package var lowestIndex: UInt64?
    package var highestIndex: UInt64?
    package var storedBodyBytes: UInt64 = 0
    package var rawBodyBytes: UInt64 = 0
    /// Bytes in damaged ranges (torn or corrupt).
    package var damagedBytes: UInt64 = 0
    /// Older than a sequence gap and covered by the snapshot: ignored by the engine.
    package var orphan = false

    package var indexes: ClosedRange<UInt64>? {
        guard let lo = lowestIndex, let hi = highestIndex else { return nil }
        return lo...hi
    }
}

/// The engine's verdict: `RaftLog.open` read-only and strict (no lock, no change).
package struct EngineCheck: Sendable {
    package var opened = false
    package var labels: [RecoveryLabel] = []
    package var error: WALError?
    package var firstIndex: UInt64?
    package var lastIndex: UInt64?
    package var tornTail: CutTail?
}
