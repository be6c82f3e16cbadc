/// The recovery decision table of `docs/RECOVERY.md`, as code: observed
/// facts in, exactly one ``RecoveryLabel`` out, and what each mode does
/// with that row. The engine's open (`LogOpener`), the tools' inspector
/// (`raft-inspect verify`) and the table test all call these functions;
/// nothing else assigns a label.
package enum RecoveryDecision {
    /// The row one segment's facts land on (`clean` when the segment needs
    /// nothing: R0, including the label-less situations of RECOVERY.md).
    /// The switch has no `default`: the compiler checks it covers every
    /// combination, and `RecoveryTableTests` checks each producible one
    /// against the table's prose.
    package static func label(_ f: SegmentFacts) -> RecoveryLabel {
        switch (f.header, f.start, f.end, f.position) {
        // C2: the header does not verify or disagrees with the name (or not a regular file).
        case (.unreadable, _, _, _): return .badSegmentHeader
        // C3: another log's segment.
        case (.foreign, _, _, _): return .foreignSegment
        // C6: the segment does not start at the previous last index + 1.
        case (.valid, .gap, _, _): return .indexGap
        // C6: a record breaks a replay rule.
        case (.valid, .followsOn, .ruleBroken, _): return .indexGap
        // Not read although the header is valid and follows on: cannot be produced.
        case (.valid, .followsOn, .notRead, _): return .badSegmentHeader
        // R0: a trusted seal, or records that end cleanly.
        case (.valid, .followsOn, .trustedSeal, _), (.valid, .followsOn, .clean, _): return .clean
        // R0 (unsealed, scanned): a seal the opener could not trust but whose scan ends sealed.
        case (.valid, .followsOn, .sealed, .beforeLast): return .clean
        // C5: the last segment is sealed, so its successor existed and is lost.
        case (.valid, .followsOn, .sealed, .last): return .lostTailSegment
        // R0 (read-only, live): sealed during the read; the view ends with it.
        case (.valid, .followsOn, .sealedDuringRead, _): return .clean
        // T1: the last segment ends with a torn write.
        case (.valid, .followsOn, .torn, .last): return .tornTail
        // T5: the last segment ends with a record written whole that fails its checksum.
        case (.valid, .followsOn, .tornWrittenWhole, .last): return .damagedTail
        // T2: a segment before the last ends torn: its seal was interrupted.
        case (.valid, .followsOn, .torn, .beforeLast), (.valid, .followsOn, .tornWrittenWhole, .beforeLast): return .interruptedSeal
        // T2: the seal reached the disk, its batch table did not (one write, torn by sectors).
        case (.valid, .followsOn, .corruptBeforeItsSeal, .beforeLast): return .interruptedSeal
        // C1: a bad record followed by a valid one (in the last segment even when that one is a seal).
        case (.valid, .followsOn, .corruptBeforeItsSeal, .last), (.valid, .followsOn, .corrupt, _): return .corruptRecord
        }
    }

    /// C6's second test, the one fact of a segment's start besides its first
    /// index: why its header's `previousTerm` (FORMAT.md §2, the term of
    /// `firstIndex − 1` when the segment was created) contradicts
    /// `replayedTerm`, the term the log replayed before it gives that index;
    /// nil when they agree or either is unknown (a header written before the
    /// field, or nothing replayed before it). A writer creates a segment only
    /// once every record before it is durable, so no crash leaves a mismatch;
    /// damage does, when a record that rewrote the entries before the segment
    /// (a new leader's) is lost and their older versions come back. The
    /// engine's `LogReplay` and the inspector's analyzer both ask here.
    package static func previousTermMismatch(_ header: SegmentHeader, replayedTerm: UInt64?) -> String? {
        guard let recorded = header.previousTerm, let replayedTerm, recorded != replayedTerm, header.firstIndex > 1 else { return nil }
        let index = header.firstIndex - 1
        return "the segment header records index \(index) in term \(recorded) when the segment was created, "
            + "but the log before it holds \(index) in term \(replayedTerm): a record that rewrote it is lost"
    }

    /// What the open observed about the directory as a whole, after the
    /// segments were replayed (`docs/RECOVERY.md`, order of evaluation).
    package struct DirectoryFacts: Hashable, Sendable {
        package enum SnapshotVersusLog: String, Hashable, Sendable, CaseIterable {
            /// No valid snapshot, or one the log agrees with.
            case agrees
            /// The newest valid snapshot's index is above the log's last index.
            case ahead
            /// The log holds the snapshot's index with another term.
            case conflicts
        }
        package var hasSegments = true
        package var hasSnapshotFiles = false
        package var temporaries = false
        package var damagedSnapshots = false
        package var snapshotVersusLog = SnapshotVersusLog.agrees
        /// The log's first index − 1 is at or below the newest valid snapshot's index.
        package var startCovered = true
        /// Segments before the last `seq` gap (set aside, accepted when the start is covered).
        package var orphans = false
        /// The hard state's commit is above both the last index and the snapshot index.
        package var commitBeyondLog = false
        /// `ACKED` confirms a record or snapshot the directory does not hold (``AckMarkerCheck``).
        package var acknowledgedMissing = false

        package init() {}
    }

    /// The directory-level rows met, in the table's order of evaluation
    /// (T4, S1, S2/S3, C4, T3, C7, A1). A strict open refuses at the first C or A row.
    package static func labels(_ d: DirectoryFacts) -> [RecoveryLabel] {
        var out: [RecoveryLabel] = []
        if d.temporaries { out.append(.leftoverTemporary) }
        guard d.hasSegments else {
            // Snapshot files and no segment: the log's segments are lost.
            if d.hasSnapshotFiles { out.append(.missingSegment) }
            // No segment but ACKED confirms one: the only segment is lost.
            else if d.acknowledgedMissing { out.append(.acknowledgedMissing) }
            return out
        }
        if d.damagedSnapshots { out.append(.damagedSnapshot) }
        switch d.snapshotVersusLog {
        case .agrees: break
        case .ahead: out.append(.snapshotAheadOfLog)
        case .conflicts: out.append(.snapshotConflictsWithLog)
        }
        if !d.startCovered { out.append(.missingSegment) }
        if d.orphans { out.append(.orphanSegments) }
        if d.commitBeyondLog { out.append(.commitBeyondLog) }
        if d.acknowledgedMissing { out.append(.acknowledgedMissing) }
        return out
    }

    /// The modes a row is decided in.
    package enum Mode: String, Sendable, CaseIterable {
        /// `RecoveryMode.strict` (read-only or writable: the same decision).
        case strict
        /// `RecoveryMode.truncateAtFirstCorruption`.
        case truncate
        /// `raft-inspect verify`: report and go on past the damage.
        case inspect
    }

    /// What a mode does with a row (the table's columns).
    package enum Action: String, Sendable {
        /// Open; nothing to do, or what the row's "strict" cell says (cut a
        /// torn tail, scan an unsealed segment, ignore files, skip a snapshot,
        /// restart after a snapshot). A writer makes it durable.
        case open
        /// Refuse with `WALError.corrupted(…, label:)`.
        case refuse
        /// Keep what precedes the damage, drop it and everything after.
        case keepBeforeDamage
        /// Lower the commit to what the log holds (C7 in truncate mode).
        case lowerCommit
        /// Inspector: a crash shape the engine handles (exit 0, 1 with --strict).
        case notice
        /// Inspector: damage (exit 1).
        case damage
    }

    /// The cell of the table for `label` in `mode`.
    package static func action(_ label: RecoveryLabel, _ mode: Mode) -> Action {
        switch (label, mode) {
        case (.clean, _): return .open
        case (.tornTail, .inspect), (.interruptedSeal, .inspect), (.orphanSegments, .inspect),
             (.leftoverTemporary, .inspect), (.snapshotAheadOfLog, .inspect), (.snapshotConflictsWithLog, .inspect):
            return .notice
        case (.tornTail, _), (.interruptedSeal, _), (.orphanSegments, _), (.leftoverTemporary, _),
             (.snapshotAheadOfLog, _), (.snapshotConflictsWithLog, _):
            return .open
        // T5 is cut like T1 by the engine but is damage to an operator.
        case (.damagedTail, .inspect): return .damage
        case (.damagedTail, _): return .open
        // S1 is read around by the engine but is damage to an operator.
        case (.damagedSnapshot, .inspect): return .damage
        case (.damagedSnapshot, _): return .open
        case (.corruptRecord, .inspect), (.badSegmentHeader, .inspect), (.foreignSegment, .inspect),
             (.missingSegment, .inspect), (.lostTailSegment, .inspect), (.indexGap, .inspect), (.commitBeyondLog, .inspect),
             (.acknowledgedMissing, .inspect):
            return .damage
        case (.corruptRecord, .strict), (.badSegmentHeader, .strict), (.foreignSegment, .strict), (.missingSegment, .strict),
             (.lostTailSegment, .strict), (.indexGap, .strict), (.commitBeyondLog, .strict), (.acknowledgedMissing, .strict):
            return .refuse
        case (.corruptRecord, .truncate), (.badSegmentHeader, .truncate), (.foreignSegment, .truncate),
             (.lostTailSegment, .truncate), (.indexGap, .truncate):
            return .keepBeforeDamage
        // A1 in truncate mode: keep what is there, report what ACKED confirmed beyond it, drop ACKED.
        case (.acknowledgedMissing, .truncate): return .keepBeforeDamage
        case (.missingSegment, .truncate): return .refuse
        case (.commitBeyondLog, .truncate): return .lowerCommit
        }
    }
}
