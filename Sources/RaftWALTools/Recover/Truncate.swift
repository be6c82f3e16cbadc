import RaftWAL

/// `raft-recover truncate --after INDEX`: rolls the log back so that INDEX
/// is its last entry, refusing to drop committed entries unless
/// `--accept-data-loss` is given.
///
/// The result is rebuilt through the engine's API with the same identity:
/// the latest snapshot, the entries up to INDEX byte for byte with their
/// terms, and the hard state with its commit lowered to INDEX when it was
/// above. INDEX may not be below the latest snapshot (the state machine's
/// snapshot already contains those entries: restore another member instead).
package struct Truncate: Sendable {
    /// The data directory (read only; replaced, with a backup, when in place).
    package var source: String
    /// The last index kept.
    package var after: UInt64
    /// Target (in place by default), dry run, `acceptDataLoss`, file system.
    package var options: RecoverOptions

    package static let command = "truncate"

    package init(source: String, after: UInt64, options: RecoverOptions) {
        self.source = normalizedDirectory(source)
        self.after = after
        self.options = options
    }

    /// Plans and (unless a dry run or refused) performs the truncation.
    ///
    /// - Returns: the report; ``RecoverReport/Outcome/refused`` when committed entries would
    ///   be dropped without `acceptDataLoss`.
    /// - Throws: ``RecoverError/usage(_:)`` below the latest snapshot;
    ///   ``RecoverError/damage(_:advice:)``, ``RecoverError/environment(_:)``, ``RecoverError/writeFailed(_:)``.
    package func run() throws(RecoverError) -> RecoverReport {
        let staging = Staging(fs: options.fileSystem, source: source, target: options.target)
        if let done = try previousRun(staging, command: Self.command, source: source, options: options) { return done }
        let src = try SourceLog.open(source, options: options, takeLock: !options.dryRun,
                                     advice: "Run `raft-recover repair` first: truncate reads the log in strict mode.")
        defer { src.close() }
        let log = src.log
        var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: log)
        let plan: LogRebuilder.Plan
        do {
            let hs = log.hardState
            let first = log.firstIndex, last = log.lastIndex
            let snapshot = try log.latestSnapshot()
            let snapIndex = snapshot?.metadata.index ?? 0
            if after >= last {
                report.outcome = .nothingToDo
                report.notes.append("the last index is \(last): nothing after \(after) to drop")
                return report
            }
            if after < snapIndex {
                throw RecoverError.usage("cannot truncate after \(after): the latest snapshot is at \(snapIndex) and already contains those entries")
            }
            let commit = min(hs.commit, after)
            report.commitIndex = hs.commit
            try report.listDropped((after + 1)...last, from: log, commit: hs.commit)
            report.droppedIncludesCommitted = hs.commit > after
            let keptFirst = first == 1 ? UInt64(1) : snapIndex + 1
            if first > 1 && snapIndex >= first {
                report.notes.append("entries \(first)...\(snapIndex) are covered by the snapshot at \(snapIndex) and not copied (the rebuilt log starts after the snapshot)")
            }
            let kept: ClosedRange<UInt64>? = keptFirst <= after ? keptFirst...after : nil
            report.kept = kept.map(RecoverReport.IndexRange.init)
            let m = try log.membership(at: max(after, snapIndex))
            report.membershipBefore = RecoverReport.MemberInfo.list(try log.membership())
            report.membershipAfter = RecoverReport.MemberInfo.list(m)
            if let snapshot {
                report.snapshot = .init(index: snapIndex, term: snapshot.metadata.term, dataBytes: snapshot.data.count,
                                        membership: RecoverReport.MemberInfo.list(snapshot.metadata.membership),
                                        resultMembership: RecoverReport.MemberInfo.list(snapshot.metadata.membership))
            }
            let newHardState = HardState(term: hs.term, vote: hs.vote, commit: commit)
            report.resultIdentity = .init(log.identity)
            report.resultHardState = newHardState
            plan = LogRebuilder.Plan(identity: log.identity, snapshot: snapshot, kept: kept, extra: [], hardState: newHardState)
        } catch let error as RecoverError {
            throw error
        } catch let error as WALError {
            throw RecoverError.reading(error)
        } catch {
            throw RecoverError.usage("\(error)")
        }
        let refused = options.refusesCommittedLoss(&report) {
            "entries \(after + 1)...\($0.sourceHardState.commit) are committed; re-run with --accept-data-loss to drop them"
        }
        if refused || options.dryRun { return report }
        let backup = staging.inPlace ? staging.backupPath() : nil
        report.backup = backup
        if let backup { report.backupFiles.append(backup) }
        do { try staging.prepare() } catch { throw .writeFailed(error) }
        try LogRebuilder(source: log, options: options).build(plan, into: staging.stagingPath)
        do {
            try staging.writeReport(report)
            try staging.present(backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        return report
    }
}
