/// The second stage of the open (`docs/RECOVERY.md`, order of evaluation,
/// step 6): each candidate segment in order through `SegmentReplay`, its
/// facts through ``RecoveryDecision/label(_:)``, and the row's action for the
/// mode: go on, refuse, or (truncate mode) keep what precedes the damage and
/// report what is dropped. Only reads.
struct LogReplay {
    let opener: LogOpener
    let scan: DirectoryScan

    struct Replayed {
        var segments: [SegmentState]
        var shape: LogShape
        var hardState: HardState
        var tornGarbage: UInt64 = 0
        /// Truncate mode: where the log was cut. `offset` nil means the whole
        /// segment at `position` and every later one are dropped; otherwise
        /// that segment is kept up to `offset`.
        var cut: (position: Int, offset: UInt64?)?
        var readers: [SegmentReader] = []
        /// Every candidate segment's name, including those whose header did not open.
        var names: [String] = []
        /// Truncate mode: `hardState`'s term and vote come from a dropped
        /// record or header (a vote is never forgotten); a writer persists it.
        var hardStateRaised = false
    }

    func run(_ report: inout RecoveryReport) throws(WALError) -> Replayed {
        // Until the last segment's replay consults it (strict mode only).
        if scan.listing.hasTailHint { report.tailHint = .notConsulted }
        let readers = scan.candidates, names = scan.candidateNames, firstFailure = scan.headerFailure
        guard let first = readers.first else {
            // The first candidate segment already failed (a foreign first
            // segment, C3): nothing precedes it, so nothing can be kept.
            guard let f = firstFailure else { preconditionFailure("no segment to replay and no failure") }
            report.note(f.label)
            guard RecoveryDecision.action(f.label, opener.mode) == .keepBeforeDamage else { throw f.error.labeled(f.label) }
            throw .corrupted(file: names.first ?? opener.directory, offset: f.offset, indexes: nil,
                             reason: "nothing precedes the first bad record: \(f.error.description)", label: f.label)
        }
        var out = Replayed(segments: [], shape: LogShape(continuingAfter: first.header.firstIndex - 1),
                           hardState: first.header.hardState)
        out.readers = readers
        out.names = names
        var failure: LogOpener.Failure? = nil
        var keptPrefix = false
        for (k, reader) in readers.enumerated() {
            if let f = firstFailure, f.position == k { failure = f; break }
            let isTail = k == readers.count - 1 && firstFailure == nil
            var facts = SegmentFacts(position: isTail ? .last : .beforeLast, header: .valid, start: .followsOn, end: .notRead)
            if reader.header.firstIndex != out.shape.lastIndex + 1 {
                facts.start = .gap
                failure = LogOpener.Failure(label: RecoveryDecision.label(facts), position: k, offset: 56, error: .corrupted(
                    file: reader.name, offset: 56, indexes: nil,
                    reason: "segment starts at index \(reader.header.firstIndex) but the log before it ends at \(out.shape.lastIndex)"))
                break
            }
            if let why = RecoveryDecision.previousTermMismatch(
                reader.header, replayedTerm: Self.replayedTerm(before: reader.header, in: out.shape, isFirst: k == 0)) {
                // The header says which term the entry before it had when it was created; the replay
                // gives another: a record before it that rewrote that entry is lost (docs/RECOVERY.md, C6).
                facts.start = .gap
                let offset = SegmentHeader.previousTermOffset
                failure = LogOpener.Failure(label: RecoveryDecision.label(facts), position: k, offset: offset,
                                            error: .corrupted(file: reader.name, offset: offset, indexes: nil, reason: why))
                break
            }
            let replay: SegmentReplay
            // Truncate mode (a repair) exists to find and cut damage: it reads every record.
            if isTail, opener.mode == .strict, let hinted = tailFromHint(reader, &report) {
                replay = hinted
            } else {
                replay = try SegmentReplay.replay(reader, continuingAfter: out.shape.lastIndex, trustSeal: !isTail,
                                                  live: !opener.writable)
            }
            if let from = replay.writtenDuringReadFrom {
                report.writtenDuringRead.append("\(reader.name) from offset \(from): being written during the read")
            }
            facts.end = replay.end
            if replay.end == .sealed && isTail && !opener.writable && sealedDuringRead(reader, report: &report) {
                facts.end = .sealedDuringRead
            }
            let label = RecoveryDecision.label(facts)
            if label == .indexGap {
                // A record breaks a replay rule: nothing of this segment is kept.
                let offset = replay.ruleOffset ?? 0
                failure = LogOpener.Failure(label: label, position: k, offset: offset, error: .corrupted(
                    file: reader.name, offset: offset, indexes: nil, reason: replay.brokenRule ?? "replay rule broken"))
                break
            }
            var segment = SegmentState(name: reader.name, reader: reader, shape: replay.shape, endOffset: replay.endOffset)
            if let seal = replay.seal {
                segment.sealOffset = seal.offset
                segment.batchTableOffset = seal.batchTableOffset
                segment.batchCount = seal.batchCount
            } else {
                segment.rows = replay.rows
                segment.index = SegmentIndex(replay.rows)
            }
            var segmentFailure: LogOpener.Failure? = nil
            switch label {
            case .clean:
                if facts.end != .trustedSeal && (!isTail || facts.end == .sealedDuringRead) {
                    report.unsealedSegments.append(reader.name)
                }
            case .tornTail, .damagedTail:
                report.note(label)
                let offset = replay.damageOffset!
                report.tornTail = CutTail(segment: reader.name, offset: offset, bytes: replay.garbageBytes,
                                          problem: replay.problem?.description ?? "",
                                          claimedIndexes: SegmentReplay.claimedIndexes(reader, at: offset),
                                          mayHoldAcknowledged: label == .damagedTail)
                out.tornGarbage = replay.garbageBytes
            case .interruptedSeal:
                report.note(label)
                report.unsealedSegments.append(reader.name)
            case .lostTailSegment:
                segmentFailure = LogOpener.Failure(label: label, position: k, offset: replay.endOffset, error: .corrupted(
                    file: reader.name, offset: replay.endOffset, indexes: nil,
                    reason: "the last segment is sealed, so its successor (seq \(reader.header.seq + 1)) existed and is lost"))
            case .corruptRecord:
                let offset = replay.damageOffset!
                segmentFailure = LogOpener.Failure(label: label, position: k, offset: offset, error: .corrupted(
                    file: reader.name, offset: offset, indexes: SegmentReplay.claimedIndexes(reader, at: offset),
                    reason: "\(replay.problem?.description ?? "bad record"), followed by a valid record at offset \(replay.nextValidOffset ?? 0): damage, not a torn write"))
            default:
                preconditionFailure("a segment's facts cannot land on \(label.rawValue)")
            }
            if let segmentFailure {
                // The records before the failure are valid: keep them (truncate mode cuts after them).
                failure = segmentFailure
                if out.shape.apply(segment.shape) == nil {
                    Self.clip(&out.segments, by: segment.shape)
                    out.hardState = segment.shape.hardState ?? reader.header.hardState
                    out.segments.append(segment)
                    keptPrefix = true
                }
                break
            }
            if let why = out.shape.apply(segment.shape) {
                // The segment's records do not follow on from the log before it (a term that decreases, ...).
                facts.end = .ruleBroken
                failure = LogOpener.Failure(label: RecoveryDecision.label(facts), position: k, offset: segment.sealOffset ?? 0,
                                            error: .corrupted(file: reader.name, offset: segment.sealOffset, indexes: nil, reason: why))
                break
            }
            Self.clip(&out.segments, by: segment.shape)
            out.hardState = segment.shape.hardState ?? reader.header.hardState
            out.segments.append(segment)
        }

        if failure == nil, let f = firstFailure, f.position >= readers.count { failure = f }
        guard let failure else { return out }
        report.note(failure.label)
        guard RecoveryDecision.action(failure.label, opener.mode) == .keepBeforeDamage else { throw failure.error.labeled(failure.label) }
        try dropAfter(failure, keptPrefix: keptPrefix, &out, &report)
        return out
    }

    /// The term the log replayed so far gives the entry before `header`'s
    /// first index (nil for the first candidate: nothing replayed precedes it).
    static func replayedTerm(before header: SegmentHeader, in shape: LogShape, isFirst: Bool) -> UInt64? {
        guard !isFirst else { return nil }
        let index = header.firstIndex - 1
        if let reset = shape.reset, reset.index == index { return reset.term }
        return shape.term(of: index)
    }

    /// The tail segment's replay from the tail hint (`TAIL`, FORMAT.md §8.4)
    /// when one is listed and every check of ``TailHint/rejection(reader:)``
    /// holds: a clean end at the hint's end offset, its shape and rows, as a
    /// scan would have found them. Nil (with the reason in the report) sends
    /// the open to the full scan: a hint is never needed, only trusted once
    /// verified, like a seal before the last segment.
    private func tailFromHint(_ reader: SegmentReader, _ report: inout RecoveryReport) -> SegmentReplay? {
        guard scan.listing.hasTailHint else { return nil }
        switch TailHint.read(directory: opener.directory, fs: opener.fs, firstIndex: reader.header.firstIndex,
                              maxFileBytes: opener.options.tailHintMaxBytes) {
        case nil:
            report.tailHint = .rejected(reason: "not read (unreadable, or no longer a regular file)")
        case .failure(let f)?:
            report.tailHint = .rejected(reason: "does not decode at offset \(f.offset): \(f.reason)")
        case .success(let hint)?:
            if let why = hint.rejection(reader: reader) {
                report.tailHint = .rejected(reason: why)
                return nil
            }
            report.tailHint = .used
            var replay = SegmentReplay(end: .clean, shape: hint.shape, rows: hint.rows, endOffset: hint.endOffset)
            replay.scanEndOffset = hint.endOffset
            return replay
        }
        return nil
    }

    /// Truncate mode: keep what came before the failure, report what is dropped.
    private func dropAfter(_ failure: LogOpener.Failure, keptPrefix: Bool, _ out: inout Replayed,
                           _ report: inout RecoveryReport) throws(WALError) {
        let readers = out.readers, names = out.names
        var dropped = DroppedRecords(segment: names[failure.position], offset: keptPrefix ? failure.offset : 0,
                                     problem: failure.error.description, indexes: [], includesCommitted: false, backups: [])
        var persistedCommit = out.hardState.commit
        // The newest term and vote persisted anywhere, dropped records and headers included.
        var newest = out.hardState
        func consider(_ hs: HardState) {
            if hs.term > newest.term || (hs.term == newest.term && newest.vote == 0 && hs.vote != 0) {
                newest.term = hs.term
                newest.vote = hs.vote
            }
        }
        if keptPrefix, let claimed = SegmentReplay.claimedIndexes(readers[failure.position], at: failure.offset) {
            dropped.indexes.append(claimed)
        }
        for k in failure.position..<names.count {
            guard let reader = k < readers.count ? readers[k] : scan.salvageOnly[names[k]] else {
                dropped.problem += "; \(names[k]) could not be read"
                continue
            }
            let from = (k == failure.position && keptPrefix) ? failure.offset : 0
            // Only this log's own segments speak for its votes: a foreign one (C3) is another member's.
            let own = reader.header.identity == scan.identity
            if own && (k > failure.position || !keptPrefix) { consider(reader.header.hardState) }
            for (range, hardState) in SegmentReplay.salvage(reader, from: from) {
                if let range { dropped.indexes.append(range) }
                if let hardState {
                    persistedCommit = max(persistedCommit, hardState.commit)
                    if own { consider(hardState) }
                }
            }
        }
        if failure.label == .lostTailSegment {
            dropped.problem += " (the lost segment's entries are unknown)"
            dropped.includesCommitted = true
        }
        // Committed: at or below the highest commit index persisted anywhere, dropped records included.
        dropped.includesCommitted = dropped.includesCommitted
            || dropped.indexes.contains { $0.lowerBound <= persistedCommit }
            || persistedCommit > out.shape.lastIndex
        if newest != out.hardState {
            // Raft never forgets a vote: the kept log keeps the newest term and
            // vote it had persisted (its commit stays the kept one).
            dropped.keptHardState = newest
            out.hardState = newest
            out.hardStateRaised = true
        }
        report.dropped = dropped
        if out.segments.isEmpty {
            throw .corrupted(file: names[0], offset: failure.offset, indexes: nil,
                             reason: "nothing precedes the first bad record: \(failure.error.description)", label: failure.label)
        }
        out.cut = (failure.position, keptPrefix ? failure.offset : nil)
    }

    /// Read-only open: true when the sealed last segment's successor is
    /// listed now. The writer creates the successor before sealing, so a
    /// reader that listed the directory before the successor's rename and
    /// read the segment after its seal sees this shape; the view then ends
    /// with the sealed segment, as the log was at the listing.
    private func sealedDuringRead(_ reader: SegmentReader, report: inout RecoveryReport) -> Bool {
        guard segmentListed(seq: reader.header.seq + 1, in: opener.directory, fileSystem: opener.fs) else { return false }
        report.writtenDuringRead.append("\(reader.name): sealed during the read (its successor, seq \(reader.header.seq + 1), appeared after the listing)")
        return true
    }

    /// A later segment's shape cuts the live ranges of earlier ones.
    static func clip(_ segments: inout [SegmentState], by later: LogShape) {
        if later.reset != nil {
            for k in segments.indices { segments[k].kill() }
        }
        if let from = later.rewriteFrom {  // entries from `from` on, or a truncation there (lastIndex < from)
            for k in segments.indices { segments[k].clip(before: from) }
        }
    }
}
