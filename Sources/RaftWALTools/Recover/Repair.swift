import RaftWAL

/// `raft-recover repair`: cuts a torn or corrupt tail, the way etcd's
/// `wal.Repair` does, but on a copy: the source's bytes are never changed.
///
/// The cut itself is the engine's (``RecoveryMode/truncateAtFirstCorruption``):
/// it drops the first bad record and everything after it, keeps a `.broken`
/// copy of every byte it removes, and reports the dropped index ranges and
/// whether any is at or below the commit index. A torn tail, which the engine
/// zeroes without a copy, is copied first to `SEGMENT.torn-OFFSET.broken`.
/// With `--in-place` (the default) the whole original directory is also kept
/// as the backup; with `--output` the source itself stays as it was.
package struct Repair: Sendable {
    /// The damaged data directory (read only; replaced, with a backup, when in place).
    package var source: String
    /// Target (in place by default), dry run, `acceptDataLoss`, file system.
    package var options: RecoverOptions

    package static let command = "repair"

    package init(source: String, options: RecoverOptions) {
        self.source = normalizedDirectory(source)
        self.options = options
    }

    /// Plans and (unless a dry run or refused) performs the repair.
    ///
    /// - Returns: the report; ``RecoverReport/Outcome/refused`` when the cut would drop
    ///   committed entries without `acceptDataLoss`, ``RecoverReport/Outcome/nothingToDo``
    ///   for a log that opens strict without a cut.
    /// - Throws: ``RecoverError/damage(_:advice:)`` when nothing before the damage can be
    ///   kept; ``RecoverError/environment(_:)``, ``RecoverError/writeFailed(_:)``.
    package func run() throws(RecoverError) -> RecoverReport {
        let staging = Staging(fs: options.fileSystem, source: source, target: options.target)
        if let done = try previousRun(staging, command: Self.command, source: source, options: options) { return done }

        // Strict first: a healthy log (or one with only a torn tail) opens.
        var strictFailure: WALError? = nil
        var strict: SourceLog? = nil
        do {
            strict = try SourceLog.open(source, options: options, takeLock: !options.dryRun)
        } catch let error {
            guard case .damage(let walError, _) = error else { throw error }
            strictFailure = walError
        }
        if let src = strict {
            defer { src.close() }
            var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: src.log)
            // The strict open trusts a sealed segment's summary and never decodes
            // a body: verify every record before calling anything kept.
            let damage: [Finding]
            do { damage = try verifiedDamage(source, fileSystem: options.fileSystem) } catch { throw .environment(error) }
            if let bad = damage.first {
                throw .damage(bad.error, advice: Self.unreachableAdvice(bad, source: source))
            }
            guard let torn = src.log.recoveryReport.tornTail else {
                report.outcome = .nothingToDo
                report.notes.append("the log opens in strict mode without cutting anything: nothing to repair")
                return report
            }
            let commit = src.log.hardState.commit
            if let claimed = torn.claimedIndexes {
                report.droppedRanges.append(.init(claimed))
                report.droppedIncludesCommitted = claimed.lowerBound <= commit
            }
            if torn.mayHoldAcknowledged {
                report.notes.append("damaged tail (T5): \(torn.bytes) bytes at offset \(torn.offset) of \(torn.segment) (\(torn.problem)); the record was written whole, so the cut may hold acknowledged entries")
            } else {
                report.notes.append("torn tail: \(torn.bytes) bytes at offset \(torn.offset) of \(torn.segment) (\(torn.problem))")
            }
            report.kept = src.log.lastIndex >= src.log.firstIndex ? .init(first: src.log.firstIndex, last: src.log.lastIndex) : nil
            report.backupFiles.append(Self.tornBackupName(torn))
            return try finish(report, staging: staging, torn: torn)
        }

        // Damage other than a torn tail: plan the engine's cut.
        let src = try SourceLog.open(source, options: options, recovery: .truncateAtFirstCorruption, takeLock: !options.dryRun,
                                     advice: "There is no valid record before the damage to keep; restore this member from a backup or another member.")
        defer { src.close() }
        var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: src.log)
        if let strictFailure { report.notes.append("strict open: \(strictFailure)") }
        let log = src.log
        let labels = log.recoveryReport.labels
        var dropped: [ClosedRange<UInt64>] = []
        if let cut = log.recoveryReport.dropped {
            dropped = cut.indexes
            report.droppedIncludesCommitted = cut.includesCommitted
            report.notes.append("cut at offset \(cut.offset) of \(cut.segment): \(cut.problem)")
            if let kept = cut.keptHardState {
                report.notes.append("kept term \(kept.term) and vote \(kept.vote) from what the cut dropped (Raft never forgets a vote); commit \(kept.commit), the kept log's")
            }
        }
        // Never understate the loss: what the files themselves hold above the kept log,
        // and the highest commit index anything on disk recorded.
        let survey = DamageSurvey(directory: source, fileSystem: options.fileSystem, keptLast: log.lastIndex)
        let unseen = survey.rangesAbove.filter { r in !dropped.contains { $0.lowerBound <= r.lowerBound && r.upperBound <= $0.upperBound } }
        if !unseen.isEmpty {
            report.notes.append("segment files also hold indexes " + unseen.map { "\($0.lowerBound)...\($0.upperBound)" }.joined(separator: ", ")
                                + " above the kept log: dropped too")
            dropped = DamageSurvey.merged(dropped + unseen)
        }
        let commit = max(survey.highestCommit, log.hardState.commit)
        if dropped.contains(where: { $0.lowerBound <= commit }) { report.droppedIncludesCommitted = true }
        if labels.contains(.commitBeyondLog) {
            // Entries up to the persisted commit are missing: committed by definition.
            let last = max(log.lastIndex, log.snapshotMetadata?.index ?? 0)
            if log.hardState.commit > last { dropped = DamageSurvey.merged(dropped + [(last + 1)...log.hardState.commit]) }
            report.droppedIncludesCommitted = true
            report.notes.append("the hard state's commit \(log.hardState.commit) is beyond the log: the repair lowers it to the last index")
        }
        if labels.contains(.acknowledgedMissing) {
            // A follower's acknowledgement may be what committed an entry on the
            // leader, before this member's own commit index says so.
            report.droppedIncludesCommitted = true
            report.notes.append("ACKED confirms entries the log no longer holds (A1): acknowledged entries may be committed on the leader; they are assumed committed")
        }
        if labels.contains(.lostTailSegment) {
            report.droppedIncludesCommitted = true
            report.notes.append("a whole segment after the last one is lost; its entries are unknown and are assumed committed")
        }
        report.droppedRanges = dropped.map(RecoverReport.IndexRange.init)
        report.commitIndex = commit
        report.kept = log.lastIndex >= log.firstIndex ? .init(first: log.firstIndex, last: log.lastIndex) : nil
        return try finish(report, staging: staging, torn: nil)
    }

    static func tornBackupName(_ torn: CutTail) -> String { torn.segment + ".torn-\(torn.offset).broken" }

    private func finish(_ planned: RecoverReport, staging: Staging, torn: CutTail?) throws(RecoverError) -> RecoverReport {
        var report = planned
        let refused = options.refusesCommittedLoss(&report) {
            $0.sourceLabels.contains(RecoveryLabel.acknowledgedMissing.rawValue)
                ? "the cut drops acknowledged entries ACKED confirmed (A1), assumed committed; re-run with --accept-data-loss to cut anyway"
                : "the cut drops entries at or below the commit index \($0.commitIndex); re-run with --accept-data-loss to cut anyway"
        }
        if refused || options.dryRun { return report }
        let backup = staging.inPlace ? staging.backupPath() : nil
        report.backup = backup
        var unverified: [Finding] = []
        do throws(WALError) {
            try staging.prepare()
            try staging.copyFiles(from: source)
            if let torn {
                let from = try options.fileSystem.open(joinPath(source, torn.segment), access: .readOnly, create: false)
                defer { from.close() }
                // Streamed: the cut's length comes from the segment on disk.
                try staging.staged.copy(from, range: torn.offset..<(torn.offset + torn.bytes), to: Self.tornBackupName(torn))
            }
            var o = options.logOptions(identity: LogIdentity(clusterID: .init(high: 0, low: 0), memberID: 0))
            o.recovery = .truncateAtFirstCorruption
            let repaired = try RaftLog.open(directory: staging.stagingPath, options: o)
            report.backupFiles.append(contentsOf: repaired.recoveryReport.dropped?.backups ?? [])
            let hs = repaired.hardState
            let held = max(repaired.lastIndex, repaired.snapshotMetadata?.index ?? 0)
            if hs.commit > held {
                // C7: a commit index the log cannot back. Lowered, so the strict open accepts the result.
                try repaired.setHardState(HardState(term: hs.term, vote: hs.vote, commit: held))
            }
            repaired.close()
            var ro = LogOptions.readOnly
            ro.fileSystem = options.fileSystem
            let check = try RaftLog.open(directory: staging.stagingPath, options: ro)
            report.resultIdentity = .init(check.identity)
            report.resultHardState = check.hardState
            let labels = check.recoveryReport.labels
            check.close()
            guard labels.allSatisfy({ $0 == .clean || $0 == .damagedSnapshot }) else {
                throw WALError.corrupted(file: staging.stagingPath, offset: nil, indexes: nil,
                                         reason: "the repaired copy still meets \(labels.map(\.rawValue))")
            }
            // Every kept byte decoded, as `raft-inspect verify` does: nothing is
            // presented as kept that verify would call damaged.
            unverified = try staging.presentIfVerified(&report, backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        if let bad = unverified.first {
            throw .damage(bad.error, advice: "the repaired copy still fails verify (nothing was presented). " + Self.unreachableAdvice(bad, source: source))
        }
        return report
    }


    /// What to do about damage the engine's cut cannot reach (inside a
    /// sealed segment, which the tolerant open trusts, or a record that
    /// passes its checksum but does not decode).
    static func unreachableAdvice(_ bad: Finding, source: String) -> String {
        var advice = "repair cuts only where the engine's open stops, and it does not stop here"
        if let first = bad.indexes?.lowerBound, first > 1 {
            advice += "; keep the entries before the damage with `raft-recover truncate \(source) --after \(first - 1)` (add --accept-data-loss if committed entries go)"
        }
        return advice + ", or restore this member from another member"
    }
}
