import RaftWAL

/// `raft-recover force-new-cluster`: makes one surviving member's data
/// directory the whole of a new cluster after the majority is lost
/// (`docker swarm init --force-new-cluster`, `etcd --force-new-cluster`),
/// offline, previewable and recorded.
///
/// The result (see `docs/RECOVER.md`):
/// - every entry up to the commit index, byte for byte with its original
///   term; the commit index is the highest of the persisted commit, the
///   snapshot's index (a snapshot is applied state, so it is committed even
///   when the persisted commit lags: etcd lost such entries) and
///   `--applied-index`;
/// - entries above it dropped and listed in the report;
/// - the latest snapshot, its membership rewritten to this member alone as a voter;
/// - in a new term: a promotion of this member if it was a learner, then one
///   `remove` per other voter and learner (etcd once forgot learners;
///   swarmkit removed the others before adding itself). A member that is
///   already alone gets a no-op entry, so the new term starts with an entry;
/// - hard state: that new term, vote for itself, commit at the last entry
///   (etcd once wrote an empty hard state, swarmkit kept the old one);
/// - a new identity: same member ID, a new cluster ID, epoch + 1, written in
///   every segment and snapshot header, so a member or directory from before
///   the recovery is refused as foreign.
package struct ForceNewCluster: Sendable {
    /// The survivor's data directory (read only; never written).
    package var source: String
    /// Target, dry run, file system.
    package var options: RecoverOptions
    /// The member's own Raft ID, when the log's identity is not it.
    package var member: UInt64?
    /// An applied index reported by the state machine, above the persisted commit.
    package var appliedIndex: UInt64?
    /// The new cluster ID (random when nil; given by tests and reproducible docs).
    package var clusterID: ClusterID?

    package static let command = "force-new-cluster"

    package init(source: String, options: RecoverOptions, member: UInt64? = nil, appliedIndex: UInt64? = nil,
                clusterID: ClusterID? = nil) {
        self.source = normalizedDirectory(source)
        self.options = options
        self.member = member
        self.appliedIndex = appliedIndex
        self.clusterID = clusterID
    }

    /// Plans and (unless a dry run) performs the recovery.
    ///
    /// - Returns: the report (also written into the result as `raft-recover-report.json`).
    /// - Throws: ``RecoverError/environment(_:)`` (not a log, locked, output exists),
    ///   ``RecoverError/usage(_:)`` (unknown member, `--applied-index` beyond the log),
    ///   ``RecoverError/damage(_:advice:)`` (the source cannot be read safely),
    ///   ``RecoverError/writeFailed(_:)`` (nothing presented; re-run).
    package func run() throws(RecoverError) -> RecoverReport {
        let staging = Staging(fs: options.fileSystem, source: source, target: options.target)
        if let done = try previousRun(staging, command: Self.command, source: source, options: options) { return done }

        let src = try SourceLog.open(source, options: options, takeLock: !options.dryRun,
                                     advice: "The source has damage a forced new cluster cannot use: run `raft-recover repair` on it first (it keeps a backup).")
        defer { src.close() }
        let log = src.log
        if options.target == .inPlace, let previous = staging.completedReport(in: source), previous.command == Self.command,
           previous.resultIdentity == RecoverReport.Identity(log.identity), previous.resultHardState == log.hardState {
            // The directory is the unchanged result of a forced new cluster: re-running is a no-op.
            var report = previous
            report.outcome = .alreadyDone
            report.dryRun = options.dryRun
            return report
        }

        let (plan, report) = try makePlan(log)
        if options.dryRun { return report }
        return try execute(plan, report: report, log: log, staging: staging)
    }

    private func makePlan(_ log: RaftLog) throws(RecoverError) -> (LogRebuilder.Plan, RecoverReport) {
        var report = RecoverReport(command: Self.command, source: source, output: Staging(fs: options.fileSystem, source: source, target: options.target).finalPath,
                                   dryRun: options.dryRun, log: log)
        do {
            let identity = log.identity
            let hs = log.hardState
            let first = log.firstIndex, last = log.lastIndex
            let snapshot = try log.latestSnapshot()
            let snapIndex = snapshot?.metadata.index ?? 0
            if let applied = appliedIndex, applied > max(last, snapIndex) {
                throw RecoverError.usage("--applied-index \(applied) is beyond the last index \(max(last, snapIndex)) the log holds")
            }
            let commit = max(hs.commit, snapIndex, appliedIndex ?? 0)
            report.commitIndex = commit
            if commit > hs.commit {
                report.notes.append("commit index raised from the persisted \(hs.commit) to \(commit) (" +
                                    (commit == appliedIndex ? "--applied-index" : "the snapshot is applied state") + ")")
            }
            let membership = try log.membership(at: commit)
            report.membershipBefore = RecoverReport.MemberInfo.list(membership)
            let me = member ?? identity.memberID
            guard var myself = membership.members[me] else {
                let ids = membership.sorted.map { "\($0.raftID) (\($0.name))" }.joined(separator: ", ")
                throw RecoverError.usage("member \(me) is not in the membership at index \(commit) [\(ids)]: pass --member with this member's Raft ID")
            }
            if let member, member != identity.memberID {
                report.notes.append("member \(member) given with --member; the log's identity said \(identity.memberID)")
            }

            // Entries kept: from 1 when the log still holds them, else from after the snapshot.
            let keptFirst = first == 1 ? UInt64(1) : snapIndex + 1
            if first > 1 && snapIndex >= first {
                report.notes.append("entries \(first)...\(snapIndex) are covered by the snapshot at \(snapIndex) and not copied (the new log starts after the snapshot)")
            }
            let kept: ClosedRange<UInt64>? = keptFirst <= commit ? keptFirst...commit : nil
            report.kept = kept.map(RecoverReport.IndexRange.init)
            if let torn = log.recoveryReport.tornTail {
                if let claimed = torn.claimedIndexes { report.droppedRanges.append(.init(claimed)) }
                report.notes.append("torn tail not carried: \(torn.bytes) bytes at offset \(torn.offset) of \(torn.segment) (\(torn.problem))")
            }
            if commit < last { try report.listDropped((commit + 1)...last, from: log, commit: commit) }

            // The new term's configuration changes: promote (if needed) before removing anyone.
            let lastTerm = last >= first ? try log.term(last) : (snapshot?.metadata.term ?? 0)
            let newTerm = max(hs.term, lastTerm, snapshot?.metadata.term ?? 0) + 1
            var changes: [ConfChange] = []
            if myself.role == .learner { changes.append(ConfChange(type: .promoteLearner, raftID: me, name: myself.name, address: myself.address)) }
            for other in membership.sorted where other.raftID != me {
                changes.append(ConfChange(type: .remove, raftID: other.raftID, name: other.name, address: other.address))
            }
            var extra: [Entry] = []
            for (k, change) in changes.enumerated() {
                extra.append(Entry(index: commit + 1 + UInt64(k), term: newTerm, confChange: change))
                let verb = change.type == .promoteLearner ? "promote learner" : "remove"
                report.added.append(.init(index: commit + 1 + UInt64(k), term: newTerm, change: "\(verb) \(change.raftID) (\(change.name))"))
            }
            if extra.isEmpty {
                extra.append(Entry(index: commit + 1, term: newTerm, data: []))
                report.added.append(.init(index: commit + 1, term: newTerm, change: "no-op (the member is already alone)"))
            }
            myself.role = .voter
            let alone = Membership([myself])
            report.membershipAfter = RecoverReport.MemberInfo.list(alone)

            var newSnapshot = snapshot
            newSnapshot?.metadata.membership = alone
            if let snapshot {
                report.snapshot = .init(index: snapshot.metadata.index, term: snapshot.metadata.term, dataBytes: snapshot.data.count,
                                        membership: RecoverReport.MemberInfo.list(snapshot.metadata.membership),
                                        resultMembership: RecoverReport.MemberInfo.list(alone))
            }
            let newIdentity = LogIdentity(clusterID: clusterID ?? .random(), memberID: me, epoch: identity.epoch + 1)
            if clusterID == nil && options.dryRun {
                report.notes.append("the new cluster ID shown is an example: the real run draws its own (or takes --cluster-id)")
            }
            let newHardState = HardState(term: newTerm, vote: me, commit: extra.last!.index)
            report.resultIdentity = .init(newIdentity)
            report.resultHardState = newHardState
            let plan = LogRebuilder.Plan(identity: newIdentity, snapshot: newSnapshot, kept: kept, extra: extra, hardState: newHardState)
            return (plan, report)
        } catch let error as RecoverError {
            throw error
        } catch let error as WALError {
            throw RecoverError.reading(error)
        } catch {
            throw RecoverError.usage("\(error)")
        }
    }

    private func execute(_ plan: LogRebuilder.Plan, report: RecoverReport, log: RaftLog, staging: Staging) throws(RecoverError) -> RecoverReport {
        var report = report
        let backup = staging.inPlace ? staging.backupPath() : nil
        report.backup = backup
        if let backup { report.backupFiles.append(backup) }
        do { try staging.prepare() } catch { throw .writeFailed(error) }
        try LogRebuilder(source: log, options: options).build(plan, into: staging.stagingPath)
        do {
            try checkOneVoter(staging.stagingPath, member: plan.identity.memberID)
            try staging.writeReport(report)
            try staging.present(backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        return report
    }

    /// The result must open with the engine and hold this member alone as voter.
    private func checkOneVoter(_ directory: String, member: UInt64) throws(WALError) {
        var o = LogOptions.readOnly
        o.fileSystem = options.fileSystem
        let result = try RaftLog.open(directory: directory, options: o)
        defer { result.close() }
        let m = try result.membership()
        guard m.voters.map(\.raftID) == [member], m.learners.isEmpty, try result.committedMembership() == m else {
            throw WALError.corrupted(file: directory, offset: nil, indexes: nil,
                                     reason: "the rebuilt membership is \(m.sorted.map { "\($0.raftID):\($0.role)" }), not member \(member) alone")
        }
    }
}
