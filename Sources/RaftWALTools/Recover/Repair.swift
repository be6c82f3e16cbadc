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
public struct Repair: Sendable {
    /// The damaged data directory (read only; replaced, with a backup, when in place).
    public var source: String
    /// Target (in place by default), dry run, `acceptDataLoss`, file system.
    public var options: RecoverOptions

    public static let command = "repair"

    public init(source: String, options: RecoverOptions) {
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
    public func run() throws(RecoverError) -> RecoverReport {
        let staging = Staging(fs: options.fileSystem, source: source, target: options.target)
        if let done = try previousRun(staging, command: Self.command, source: source, options: options) { return done }

        // Strict first: a healthy log (or one with only a torn tail) opens.
        var strictFailure: WALError? = nil
        do {
            let src = try SourceLog.open(source, options: options, takeLock: !options.dryRun)
            defer { src.close() }
            var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: src.log)
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
            report.notes.append("torn tail: \(torn.bytes) bytes at offset \(torn.offset) of \(torn.segment) (\(torn.problem))")
            report.kept = src.log.lastIndex >= src.log.firstIndex ? .init(first: src.log.firstIndex, last: src.log.lastIndex) : nil
            report.backupFiles.append(Self.tornBackupName(torn))
            return try finish(report, staging: staging, torn: torn)
        } catch let error {
            guard case .damage(let walError, _) = error else { throw error }
            strictFailure = walError
        }

        // Damage other than a torn tail: plan the engine's cut.
        let src = try SourceLog.open(source, options: options, recovery: .truncateAtFirstCorruption, takeLock: !options.dryRun,
                                     advice: "There is no valid record before the damage to keep; restore this member from a backup or another member.")
        defer { src.close() }
        var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: src.log)
        if let strictFailure { report.notes.append("strict open: \(strictFailure)") }
        if let dropped = src.log.recoveryReport.dropped {
            report.droppedRanges = dropped.indexes.map(RecoverReport.IndexRange.init)
            report.droppedIncludesCommitted = dropped.includesCommitted
            report.notes.append("cut at offset \(dropped.offset) of \(dropped.segment): \(dropped.problem)")
        }
        report.kept = src.log.lastIndex >= src.log.firstIndex ? .init(first: src.log.firstIndex, last: src.log.lastIndex) : nil
        src.close()
        return try finish(report, staging: staging, torn: nil)
    }

    static func tornBackupName(_ torn: CutTail) -> String { torn.segment + ".torn-\(torn.offset).broken" }

    private func finish(_ planned: RecoverReport, staging: Staging, torn: CutTail?) throws(RecoverError) -> RecoverReport {
        var report = planned
        if report.droppedIncludesCommitted && !options.acceptDataLoss {
            report.outcome = .refused
            report.refusal = "the cut drops entries at or below the commit index \(report.sourceHardState.commit); re-run with --accept-data-loss to cut anyway"
            return report
        }
        if options.dryRun { return report }
        let backup = staging.inPlace ? staging.backupPath() : nil
        report.backup = backup
        do throws(WALError) {
            try staging.prepare()
            try staging.copyFiles(from: source)
            if let torn {
                let from = try options.fileSystem.open(joinPath(source, torn.segment), access: .readOnly, create: false)
                let bytes = try from.read(at: torn.offset, count: Int(torn.bytes))
                from.close()
                let to = try options.fileSystem.open(joinPath(staging.stagingPath, Self.tornBackupName(torn)), access: .readWrite, create: true)
                defer { to.close() }
                try to.truncate(to: 0)
                try to.write(bytes, at: 0)
                try to.sync(dataOnly: false)
                try options.fileSystem.syncDirectory(staging.stagingPath)
            }
            var o = options.logOptions(identity: LogIdentity(clusterID: .init(high: 0, low: 0), memberID: 0))
            o.recovery = .truncateAtFirstCorruption
            let repaired = try RaftLog.open(directory: staging.stagingPath, options: o)
            report.backupFiles.append(contentsOf: repaired.recoveryReport.dropped?.backups ?? [])
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
            if let backup { report.backupFiles.append(backup) }
            try staging.writeReport(report)
            try staging.present(backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        return report
    }
}
