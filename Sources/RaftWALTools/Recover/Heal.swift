import RaftWAL

/// `raft-recover heal DIR --from PEER_DIR`: replaces the damaged entries of
/// a member's log with another member's copies, when Raft's Log Matching
/// property proves the copies are the entries that were lost
/// (protocol-aware recovery): the member is whole again without a wipe.
///
/// Pipeline: open DIR past its damage and survey the damaged ranges
/// (``HealSurvey``) → open the peer read-only (never locked, never written)
/// and check it is the same log (cluster ID and epoch) → check every range
/// against the peer (``HealMatch``: anchor term, every term, checksums) →
/// rebuild the log in a staging directory through the engine: the intact
/// entries from DIR and the healed ones from the peer, byte for byte with
/// their terms, the same hard state, and the snapshot files, `META` and any
/// `.broken` copies copied byte for byte → reopen it, compare every entry
/// with where it came from, run verify's survey on it → present it with the
/// same staging, backup and report as `repair` (``Staging``).
///
/// Refusals are ``RecoverError/healRefused(_:)`` (nothing written). A log
/// with no damaged entry is ``RecoverReport/Outcome/nothingToDo``.
package struct Heal: Sendable {
    /// The damaged data directory (read only; replaced, with a backup, when in place).
    package var source: String
    /// The peer's data directory (read only, never locked).
    package var peer: String
    /// Target (in place by default), dry run, file system.
    package var options: RecoverOptions

    package static let command = "heal"

    package init(source: String, peer: String, options: RecoverOptions) {
        self.source = normalizedDirectory(source)
        self.peer = normalizedDirectory(peer)
        self.options = options
    }

    /// Plans and (unless a dry run) performs the heal.
    ///
    /// - Returns: the report, which lists each healed range and how it was checked.
    /// - Throws: ``RecoverError/healRefused(_:)`` when the peer cannot prove its
    ///   entries (or the damage is not one heal can bound); ``RecoverError/damage(_:advice:)``
    ///   when the engine refuses to open DIR, or an entry to keep does not read; ``RecoverError/usage(_:)``,
    ///   ``RecoverError/environment(_:)``, ``RecoverError/writeFailed(_:)``.
    package func run() throws(RecoverError) -> RecoverReport {
        let staging = Staging(fs: options.fileSystem, source: source, target: options.target)
        try refuseWritingNearPeer(staging)
        if let done = try previousRun(staging, command: Self.command, source: source, options: options) { return done }
        let src = try SourceLog.open(source, options: options, takeLock: !options.dryRun,
                                     advice: "heal opens past damage only inside sealed segments, and the engine's open stops here; use `raft-recover repair` (or restore this member from another member)")
        defer { src.close() }
        let log = src.log
        var report = RecoverReport(command: Self.command, source: source, output: staging.finalPath, dryRun: options.dryRun, log: log)
        let survey: HealSurvey
        do { survey = try HealSurvey(log: log, directory: source, fileSystem: options.fileSystem) } catch { throw .healRefused(error) }
        if survey.damaged.isEmpty {
            report.outcome = .nothingToDo
            report.notes.append("verify finds no damaged entry in the log: nothing to heal")
            return report
        }
        for f in survey.consequences {
            report.notes.append("verify also reports \(f.file ?? "")" + (f.offset.map { " at offset \($0)" } ?? "")
                                + ": \(f.message); it follows the damaged record before it in that segment, and the result is verified without it")
        }
        let peerLog: SourceLog
        do { peerLog = try SourceLog.open(peer, options: options, takeLock: false) } catch {
            // A peer the engine refuses lends nothing: its own damage, named as the peer's.
            guard case .damage(let walError, _) = error else { throw error }
            throw .healRefused(HealMatch.peerFailure(walError, peer: peer, at: nil))
        }
        defer { peerLog.close() }
        report.peer = peer
        report.peerIdentity = .init(peerLog.log.identity)
        let mine = log.identity, theirs = peerLog.log.identity
        guard mine.clusterID == theirs.clusterID, mine.epoch == theirs.epoch else {
            throw .healRefused(.differentLog(peer: peer, expected: .init(mine), found: .init(theirs)))
        }
        if mine.memberID == theirs.memberID {
            report.notes.append("the peer has the same member ID \(mine.memberID): a copy or backup of this member, not another member")
        }

        // The rebuilt log starts at 1, or after the snapshot (as truncate's does).
        let snapshotIndex = log.snapshotMetadata?.index ?? 0
        let keptFirst: UInt64 = log.firstIndex == 1 ? 1 : snapshotIndex + 1
        if keptFirst > log.firstIndex {
            report.notes.append("entries \(log.firstIndex)...\(snapshotIndex) are covered by the snapshot at \(snapshotIndex) and not copied (the rebuilt log starts after the snapshot)")
        }
        let match = HealMatch(local: log, peer: peerLog.log, peerPath: peer, peerFileSystem: options.fileSystem)
        var healed: [RecoverReport.HealedRange] = []
        for var range in survey.damaged {
            if range.indexes.upperBound < keptFirst {
                report.notes.append("damaged indexes \(range.indexes.lowerBound)...\(range.indexes.upperBound) are covered by the snapshot and not copied: nothing to heal there")
                continue
            }
            range.indexes = max(range.indexes.lowerBound, keptFirst)...range.indexes.upperBound
            do { healed.append(try match.check(range)) } catch { throw .healRefused(error) }
        }
        report.healed = healed
        report.kept = keptFirst <= log.lastIndex ? .init(first: keptFirst, last: log.lastIndex) : nil
        report.resultIdentity = .init(mine)
        report.resultHardState = log.hardState
        report.notes.append("the result holds the same entries, terms, hard state, snapshots and metadata; its segment files are rewritten")
        // Read once: its size for the report, its data for a log that restarts after it.
        let snapshot: Snapshot?
        do { snapshot = try log.latestSnapshot() } catch { throw .damage(error, advice: "heal copies the latest snapshot; it does not read") }
        if let snapshot {
            let members = RecoverReport.MemberInfo.list(snapshot.metadata.membership)
            report.snapshot = .init(index: snapshot.metadata.index, term: snapshot.metadata.term, dataBytes: snapshot.data.count,
                                    membership: members, resultMembership: members)
        }
        if options.dryRun { return report }

        let backup = staging.inPlace ? staging.backupPath() : nil
        report.backup = backup
        var unverified: [Finding] = []
        do { try staging.prepare() } catch { throw .writeFailed(error) }
        try build(keptFirst: keptFirst, snapshot: snapshot, healed: healed, local: log, peer: peerLog.log, into: staging)
        do { unverified = try staging.presentIfVerified(&report, backup: backup) } catch { throw .writeFailed(error) }
        if let bad = unverified.first {
            throw .damage(bad.error, advice: "the healed copy still fails verify (nothing was presented)")
        }
        return report
    }

    /// The peer is only read: nothing heal writes (the member's lock, the
    /// result, its staging directory, the backup beside the member) may lie
    /// in the peer's directory, nor the peer in theirs, symbolic links resolved.
    private func refuseWritingNearPeer(_ staging: Staging) throws(RecoverError) {
        let peers = Set([peer, resolvedPath(peer)])
        let written = Set([source, staging.finalPath, staging.stagingPath].flatMap { [$0, resolvedPath($0)] })
        for p in peers {
            for w in written where isWithin(w, p) || isWithin(p, w) {
                throw .usage("--from must name another member's data directory, apart from this one and from what heal writes (\(peer) and \(w) overlap)")
            }
        }
    }

    /// Writes the healed log into the (empty) staging directory through the
    /// engine (``LogRebuilder``: the local entries, the peer's for the healed
    /// ranges, the same hard state; reopened and compared with where each
    /// entry came from), then copies the files that are not segments byte for byte.
    private func build(keptFirst: UInt64, snapshot: Snapshot?, healed: [RecoverReport.HealedRange], local: RaftLog, peer: RaftLog,
                       into staging: Staging) throws(RecoverError) {
        // Snapshots, META and backups of earlier repairs, byte for byte.
        let fs = options.fileSystem
        let listed: [String]
        do { listed = try fs.listDirectory(source) } catch { throw .reading(error) }
        let names = listed.sorted().filter { name in
            fs.fileKind(joinPath(source, name)) == .regular
                && (name == "META" || name.hasSuffix(".broken") || (name.hasPrefix("snap-") && name.hasSuffix(".snap")))
        }
        let copies = names.map { (from: joinPath(source, $0), to: $0) }
        let substitutes = healed.map { h in
            LogRebuilder.Substitute(indexes: h.first...h.last, from: peer) { (e) throws(WALError) in
                // The terms HealMatch checked, checked again on the bytes actually copied.
                let want = try local.term(e.index)
                guard e.term == want else {
                    throw WALError.corrupted(file: peer.directory, offset: nil, indexes: e.index...e.index,
                                             reason: "the peer's entry changed during the heal: term \(e.term), the local seal says \(want)")
                }
            }
        }
        // A compacted log restarts after its snapshot, as truncate's does (the
        // engine refuses snapshot files without a segment, so it is saved, then
        // its file is replaced by the original's bytes below).
        let plan = LogRebuilder.Plan(identity: local.identity, snapshot: keptFirst > 1 ? snapshot : nil,
                                     kept: keptFirst <= local.lastIndex ? keptFirst...local.lastIndex : nil,
                                     extra: [], hardState: local.hardState, substitutes: substitutes)
        try LogRebuilder(source: local, options: options).build(plan, into: staging.stagingPath)
        do { try staging.staged.copyFiles(copies) } catch { throw .writeFailed(error) }
    }
}
