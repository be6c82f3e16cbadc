import Foundation
import RaftInterop
import RaftWAL

/// `raft-recover force-new-cluster` and `repair` on a Docker Swarm
/// manager's state directory (`<data-root>/swarm`, or the data root above
/// it) and `repair` on an etcd member's data directory.
///
/// Pipeline: locate → refuse if a daemon holds it → read with the
/// interop reader (``LogSourceReader``, the one reader of these formats) →
/// judge what can be carried (``UsableLog``) → plan (kept, dropped, added,
/// hard state) → refuse a loss of committed entries without
/// `--accept-data-loss` → encode one new WAL file (``EtcdWALEncoder``) and
/// check it by reading it back → build the result tree in the staging
/// directory (every other file copied byte for byte) → report → present.
/// Writes go through ``Staging`` and the options' file system only; see
/// `docs/RECOVER.md` ("Docker Swarm managers") for what is written and why.
package struct ForeignRecover: Sendable {
    package enum Command: String, Sendable { case forceNewCluster = "force-new-cluster", repair }

    /// The directory as the operator named it.
    package var source: String
    package var command: Command
    package var options: RecoverOptions
    /// Force the kind (`--source`) instead of detecting it.
    package var kind: SourceKind?
    /// `--unlock-key SWMKEY-1-…` for an autolocked swarm.
    package var unlockKey: String?
    /// `--applied-index`: an index the store is known to have applied, above the persisted commit.
    package var appliedIndex: UInt64?

    package init(source: String, command: Command, options: RecoverOptions, kind: SourceKind? = nil,
                unlockKey: String? = nil, appliedIndex: UInt64? = nil) {
        self.source = normalizedDirectory(source)
        self.command = command
        self.options = options
        self.kind = kind
        self.unlockKey = unlockKey
        self.appliedIndex = appliedIndex
    }

    /// The same, with the kind spelled as `--source` takes it (`swarm`, `etcd`, `raftwal`; nil: detect).
    package init(source: String, command: Command, options: RecoverOptions, sourceKind: String?,
                unlockKey: String? = nil, appliedIndex: UInt64? = nil) {
        self.init(source: source, command: command, options: options, kind: sourceKind.flatMap(SourceKind.init(rawValue:)),
                  unlockKey: unlockKey, appliedIndex: appliedIndex)
    }

    /// True when `directory` should go to this command rather than the RaftWAL one.
    package static func handles(_ directory: String, sourceKind: String?) -> Bool {
        handles(directory, kind: sourceKind.flatMap(SourceKind.init(rawValue:)))
    }

    /// True when `directory` is an etcd or Swarm directory (or `kind` forces one).
    package static func handles(_ directory: String, kind: SourceKind?) -> Bool {
        if kind == .raftwal { return false }
        if kind != nil { return true }
        return SourceLocator.locate(directory, kind: nil) != nil
    }

    /// Plans and (unless a dry run or a refusal) performs the command.
    ///
    /// - Throws: ``RecoverError/usage(_:)`` (etcd force-new-cluster, a locked
    ///   swarm without its key, a bad `--applied-index`), ``RecoverError/environment(_:)``
    ///   (not a source, held by a daemon, output taken),
    ///   ``RecoverError/damage(_:advice:)`` (nothing usable), ``RecoverError/writeFailed(_:)``.
    package func run() throws(RecoverError) -> RecoverReport {
        guard let loc = SourceLocator.locate(source, kind: kind), loc.kind != .raftwal else {
            throw .environment(.notALog(path: source, reason: kind == .etcd
                ? "no member/wal or wal directory (an etcd data directory was expected)"
                : "no raft/wal-v3-encrypted (a Docker Swarm state directory, <data-root>/swarm, was expected)"))
        }
        let root = try rootDirectory(loc)
        if loc.kind == .etcd && command == .forceNewCluster {
            throw .usage("""
                force-new-cluster is not done on etcd members: etcd keeps its membership and applied \
                (consistent) index in the bbolt store member/snap/db too, which rewriting the WAL cannot \
                keep in step. Use etcd's own procedure on a copy: `etcdutl snapshot restore` (from a \
                snapshot, with the new --initial-cluster), or start the survivor once with \
                `etcd --force-new-cluster`. `raft-recover repair` does work on etcd WAL and snap files.
                """)
        }
        let staging = Staging(fs: options.fileSystem, source: root, target: options.target)
        if let done = try previousRun(staging, root: root, loc: loc) { return done }

        let walFiles = realDirectoryNames(loc.walDirectory).filter { $0.hasSuffix(".wal") }.map { loc.walDirectory + "/" + $0 }
        if let busy = ForeignLockProbe.holder(walFiles: walFiles, root: root, kind: loc.kind.rawValue) {
            throw .environment(.invalidArgument(busy))
        }
        let src = try read(root, loc)
        var plan = try makePlan(src, root: root, loc: loc, staging: staging)
        if plan.report.outcome == .refused || plan.report.outcome == .nothingToDo || options.dryRun { return plan.report }
        do { plan.report.sourceWALDigest = try walDigest(options.fileSystem, root + "/" + relativeWAL(loc)) } catch {
            throw .environment(error)
        }
        return try execute(&plan, root: root, loc: loc, staging: staging)
    }

    // MARK: - Reading

    /// The directory the command copies and presents: the `swarm` directory
    /// (even when the data root above it was named), or the etcd data directory.
    private func rootDirectory(_ loc: SourceLocation) throws(RecoverError) -> String {
        switch loc.kind {
        case .swarm: return normalizedDirectory(loc.swarmRoot ?? source)
        case .etcd:
            if loc.walLabel == "member/wal" || loc.walLabel == "wal" { return source }
            throw .usage("\(source) is a bare WAL directory: name the etcd data directory (the one holding member/) so that snap/ is carried too")
        case .raftwal: return source
        }
    }

    private func relativeWAL(_ loc: SourceLocation) -> String {
        loc.walLabel.hasPrefix("swarm/") ? String(loc.walLabel.dropFirst(6)) : loc.walLabel
    }

    private func relativeSnap(_ loc: SourceLocation) -> String? {
        loc.snapLabel.map { $0.hasPrefix("swarm/") ? String($0.dropFirst(6)) : $0 }
    }

    private func read(_ root: String, _ loc: SourceLocation) throws(RecoverError) -> LogSource {
        let reader = LogSourceReader(directory: root, options: .init(kind: loc.kind, unlockKey: unlockKey, keepRecords: true))
        do {
            guard let s = try reader.read() else { throw RecoverError.environment(.notALog(path: root, reason: "not an etcd or Swarm directory")) }
            return s
        } catch let e as InteropError {
            switch e {
            case .notASource, .unreadable: throw RecoverError.environment(.invalidArgument(e.description))
            default: throw RecoverError.usage(e.description)
            }
        } catch let e as RecoverError {
            throw e
        } catch {
            throw RecoverError.usage("\(error)")
        }
    }

    // MARK: - Planning

    struct Plan {
        var report: RecoverReport
        var wal: [UInt8] = []
        var walName = ""
        /// Snapshot files to copy as they are, and ones to keep as `.broken`.
        var snapCopies: [String] = []
        var snapBroken: [String] = []
    }

    private func makePlan(_ src: LogSource, root: String, loc: SourceLocation, staging: Staging) throws(RecoverError) -> Plan {
        let usable = src.usableLog()
        let hs = src.hardState
        var report = RecoverReport(foreign: src, command: command.rawValue, source: root, output: staging.finalPath, dryRun: options.dryRun)
        if root != source { report.notes.append("\(source) is the Docker data root: the swarm state directory \(root) is what is recovered") }

        // Identity: the WAL metadata (plaintext RaftMember / etcd Metadata), copied as it is.
        guard let metaRecord = src.records.first(where: { $0.type == WALRecordType.metadata }) else {
            throw .damage(.corrupted(file: root + "/" + relativeWAL(loc), offset: nil, indexes: nil, reason: "no readable WAL metadata record"),
                          advice: loc.kind == .swarm
                ? "Without it the manager's own raft ID is unknown: restore this manager from another one (docker swarm leave --force, then join again)."
                : "Without it the member's own ID is unknown: restore this member from a healthy one (etcdctl member remove/add, or etcdutl snapshot restore).")
        }
        var bytes = WALRecordBytes(directory: root)
        let metadata: Data
        do throws(InteropError) {
            guard let m = try bytes.recordData(file: metaRecord.file, offset: metaRecord.offset) else {
                throw .unreadable(file: metaRecord.file, why: "metadata record at \(metaRecord.offset) does not decode")
            }
            metadata = m
        } catch { throw .environment(.invalidArgument(error.description)) }
        guard let me = src.identity.raftID, me != 0 || loc.kind == .etcd else {
            throw .damage(.corrupted(file: metaRecord.file, offset: metaRecord.offset, indexes: nil, reason: "the WAL metadata names no raft ID"), advice: "")
        }

        // Damage the reader found, for the record.
        for f in src.findings where f.severity == .damage {
            report.notes.append("damage: \(f.file ?? ".")\(f.offset.map { " offset \($0)" } ?? ""): \(f.message)")
        }
        for f in src.findings where f.kind == "torn-tail" {
            report.notes.append("torn tail not carried: \(f.file ?? "") offset \(f.offset ?? 0), \(f.bytes ?? 0) bytes (Docker and etcd cut it too)")
        }
        for s in usable.unusableSnapshots {
            report.notes.append("snapshot \(s.name) not used: \(s.problem ?? "unusable"); kept in the result as \(s.name.split(separator: "/").last!).broken")
        }
        if let stop = usable.stop { report.notes.append("carrying stopped after index \(usable.lastIndex): \(stop)") }

        // The commit index honoured.
        let persisted = hs?.commit ?? 0
        if let applied = appliedIndex, applied > usable.lastIndex {
            throw .usage("--applied-index \(applied) is beyond the last index \(usable.lastIndex) this log can carry")
        }
        var commit = max(persisted, usable.baseIndex, appliedIndex ?? 0)
        if commit > persisted {
            report.notes.append("commit index raised from the persisted \(persisted) to \(commit) (" +
                                (commit == appliedIndex ? "--applied-index" : "the snapshot is applied state") + ")")
        }
        report.commitIndex = commit

        // Dropped: readable entries after the usable part, ranges nothing holds, and (force-new-cluster) what is above the commit.
        var keptEntries = usable.kept
        if command == .forceNewCluster {
            for e in keptEntries where e.index > commit { report.dropped.append(.init(e, committed: false, src: src)) }
            keptEntries.removeAll { $0.index > commit }
        }
        for e in usable.dropped { report.dropped.append(.init(e, committed: e.index <= commit, src: src)) }
        report.dropped.sort { $0.index < $1.index }
        report.droppedRanges = usable.missing.map(RecoverReport.IndexRange.init)
        report.droppedIncludesCommitted = report.dropped.contains { $0.committed } || usable.missing.contains { $0.lowerBound <= commit }
        if let first = keptEntries.first, let last = keptEntries.last { report.kept = .init(first: first.index, last: last.index) }
        if let s = usable.snapshot {
            report.snapshot = .init(index: s.index, term: s.term, dataBytes: Int(s.dataBytes), membership: [], resultMembership: [])
        }
        if usable.baseIndex > 0, let first = src.firstIndex, first <= usable.baseIndex {
            report.notes.append("entries \(first)...\(usable.baseIndex) are covered by the snapshot at \(usable.baseIndex) and not copied (the new WAL starts at the snapshot, as after etcd's compaction)")
        }

        if command == .repair && src.damage.isEmpty && !src.findings.contains(where: { $0.kind == "torn-tail" }) && usable.unusableSnapshots.isEmpty {
            report.outcome = .nothingToDo
            report.notes.append("the log verifies: nothing to repair")
            return Plan(report: report)
        }
        if report.droppedIncludesCommitted {
            if !options.acceptDataLoss {
                let lost = report.dropped.filter(\.committed).map { String($0.index) } + usable.missing.filter { $0.lowerBound <= commit }.map { "\($0.lowerBound)...\($0.upperBound)" }
                report.refusal = "entries at or below the commit index \(commit) would be dropped (\(lost.joined(separator: ", "))) and no snapshot covers them; " +
                    "give --accept-data-loss to cut them anyway, or restore this manager from another one"
                report.outcome = .refused
                return Plan(report: report)
            }
            report.notes.append("--accept-data-loss: committed entries are dropped; the commit index is lowered to \(usable.lastIndex)")
            commit = min(commit, max(usable.lastIndex, usable.baseIndex))
            report.commitIndex = commit
        }

        var sealer: SwarmSealer?
        if loc.kind == .swarm {
            do throws(InteropError) { sealer = try SwarmSealer.load(swarmRoot: root, unlockKey: unlockKey) } catch {
                throw .usage(error.description)
            }
        }

        // The new WAL: crc, metadata, snapshot record, kept entries (their stored bytes), added entries, hard state.
        var enc = EtcdWALEncoder(seed: 0)
        enc.metadata(metadata)
        enc.snapshot(index: usable.baseIndex, term: usable.baseTerm)
        do throws(InteropError) {
            for e in keptEntries {
                guard let raw = try bytes.recordData(file: e.file, offset: e.offset) else {
                    throw .unreadable(file: e.file, why: "the entry record at \(e.offset) no longer decodes")
                }
                enc.entryRecord(raw)
            }
        } catch { throw .environment(.invalidArgument("\(error.description) (did the source change while it was read?)")) }
        let lastKept = keptEntries.last.map { ($0.index, $0.term) } ?? (usable.baseIndex, usable.baseTerm)
        var hardState: (term: UInt64, vote: UInt64, commit: UInt64)
        var expect: [(UInt64, UInt64, Data?)] = keptEntries.map { ($0.index, $0.term, $0.plaintext) }

        if command == .forceNewCluster {
            let view = src.membership(at: commit)
            if let p = view.problem { report.notes.append("membership: \(p)") }
            report.membershipBefore = view.members.map(RecoverReport.MemberInfo.init(foreign:))
            guard let sealer else { throw .usage("force-new-cluster needs the swarm's data encryption key") }
            let term = max(hs?.term ?? 0, lastKept.1, usable.baseTerm) + 1
            var index = lastKept.0
            var changes: [(Data, String)] = []
            let mine = view.members.first { $0.raftID == me }
            if mine == nil {
                changes.append((ConfChangeEncoding.addNode(me, context: metadata), "add \(String(me, radix: 16)) (this manager, \(src.identity.nodeID ?? "")) as the only voter"))
            }
            for other in view.members where other.raftID != me {
                changes.append((ConfChangeEncoding.removeNode(other.raftID), "remove \(String(other.raftID, radix: 16)) (\(other.name.isEmpty ? "?" : other.name) \(other.address))"))
            }
            if changes.isEmpty {
                report.notes.append("this manager is already the only member: no configuration change is needed; the hard state still moves to a new term with its own vote")
            }
            for (plain, what) in changes {
                index += 1
                enc.entry(index: index, term: term, kind: 1, data: sealer.seal(plain))
                expect.append((index, term, plain))
                report.added.append(.init(index: index, term: term, change: what))
            }
            hardState = (term, me, index)
            var after = mine ?? SourceMember(raftID: me, name: src.identity.nodeID ?? "", address: src.identity.address ?? "")
            after.learner = false
            report.membershipAfter = [RecoverReport.MemberInfo(foreign: after)]
            let snapMembers = (src.snapshots.first { $0.index == usable.baseIndex && $0.problem == nil }?.members ?? []).map(RecoverReport.MemberInfo.init(foreign:))
            report.snapshot?.membership = snapMembers
            report.snapshot?.resultMembership = snapMembers
            report.notes.append("the snapshot is copied byte for byte (its store is exact); the daemon replays the configuration changes above at start, before it can campaign, and its next snapshot carries the removed members")
            report.notes.append("the lost managers' Node objects stay in the store (role manager, status unknown): remove them with `docker node rm --force NODE` once the daemon runs, then join new managers")
        } else {
            let last = keptEntries.last?.index ?? usable.baseIndex
            hardState = (max(hs?.term ?? 0, lastKept.1), hs?.vote ?? 0, min(max(commit, usable.baseIndex), max(last, usable.baseIndex)))
        }
        enc.hardState(term: hardState.term, vote: hardState.vote, commit: hardState.commit)
        report.resultHardState = HardState(term: hardState.term, vote: hardState.vote, commit: hardState.commit)
        report.resultIdentity = report.sourceIdentity

        // Read the new file back with the project's reader before anything is written.
        if let problem = WALRewriteCheck.check(enc.bytes, expect: expect, hardState: hardState,
                                               open: { sealer == nil ? $0 : sealer!.open($0) }) {
            throw .writeFailed(.corrupted(file: "(new WAL)", offset: nil, indexes: nil, reason: "the rewritten WAL does not read back as planned: \(problem)"))
        }

        var plan = Plan(report: report)
        plan.wal = enc.bytes
        plan.walName = EtcdWALEncoder.fileName(seq: 0, index: usable.baseIndex)
        let snapDir = relativeSnap(loc)
        for s in src.snapshots {
            let name = String(s.name.split(separator: "/").last!)
            if s.problem == nil && s.index == usable.baseIndex {
                plan.snapCopies.append(name)
            } else if s.problem == nil && s.index < usable.baseIndex {
                // Useless without the entries between it and the base, which the new WAL does not hold.
                plan.report.notes.append("older snapshot \(s.name) not carried (the new WAL starts at \(usable.baseIndex)); it stays in the source")
            } else {
                plan.snapBroken.append(name)
            }
        }
        if snapDir == nil { plan.snapCopies = [] }
        return plan
    }

    // MARK: - Writing

    private func execute(_ plan: inout Plan, root: String, loc: SourceLocation, staging: Staging) throws(RecoverError) -> RecoverReport {
        let fs = options.fileSystem
        let walRel = relativeWAL(loc)
        let snapRel = relativeSnap(loc)
        let backup = staging.inPlace ? staging.backupPath() : nil
        plan.report.backup = backup
        if let backup { plan.report.backupFiles.append(backup) }
        var written: [String] = []
        do throws(WALError) {
            try staging.prepareTree()
            // Everything but the WAL and snapshot files, byte for byte (certificates, keys, state.json, etcd's db, ...).
            for rel in try treeFiles(fs, root) {
                if rel == Staging.reportName { continue }
                if isSpecialFile(joinPath(root, rel)) {
                    plan.report.notes.append("\(rel) is not a regular file (a symbolic link, FIFO or device): not carried")
                    continue
                }
                if rel.hasPrefix(walRel + "/") {
                    // The old WAL files: kept as .broken by repair (every byte it cut), left to the source/backup otherwise.
                    if command == .repair && rel.hasSuffix(".wal") {
                        try staging.copyFile(from: joinPath(root, rel), to: rel + ".broken")
                        plan.report.backupFiles.append(joinPath(staging.finalPath, rel + ".broken"))
                    } else if !rel.hasSuffix(".wal") {
                        // 0.tmp (a preallocated next segment), old .broken copies: the daemon's, not the log's.
                        plan.report.notes.append("\(rel) not carried (not a WAL file of the log)")
                    }
                    continue
                }
                if let snapRel, rel.hasPrefix(snapRel + "/") {
                    let name = String(rel.dropFirst(snapRel.count + 1))
                    if plan.snapBroken.contains(name) {
                        try staging.copyFile(from: joinPath(root, rel), to: rel + ".broken")
                        plan.report.backupFiles.append(joinPath(staging.finalPath, rel + ".broken"))
                        continue
                    }
                    if name.hasSuffix(".snap") && !plan.snapCopies.contains(name) { continue }
                }
                try staging.copyFile(from: joinPath(root, rel), to: rel)
            }
            try staging.makeDirectory(walRel)
            try staging.writeFile(walRel + "/" + plan.walName, plan.wal)
            written.append(walRel + "/" + plan.walName + " (\(plan.wal.count) bytes)")
            // Read back through the file system: what is on disk is what was checked.
            let h = try fs.open(joinPath(staging.stagingPath, walRel + "/" + plan.walName), access: .readOnly, create: false)
            let back = try h.read(at: 0, count: plan.wal.count + 1)
            h.close()
            guard back == plan.wal else {
                throw WALError.corrupted(file: walRel + "/" + plan.walName, offset: nil, indexes: nil, reason: "read back differs from what was written")
            }
            plan.report.written = written
            plan.report.resultWALDigest = try walDigest(fs, joinPath(staging.stagingPath, walRel))
            try staging.writeReport(plan.report)
            try staging.present(backup: backup)
        } catch {
            throw .writeFailed(error)
        }
        return plan.report
    }

    // MARK: - Earlier runs

    /// An earlier run's result, recognized by its report (see ``Staging``).
    private func previousRun(_ staging: Staging, root: String, loc: SourceLocation) throws(RecoverError) -> RecoverReport? {
        let fs = options.fileSystem
        switch options.target {
        case .inPlace:
            if !options.dryRun, var report = try staging.finishInterrupted() {
                report.outcome = .alreadyDone
                report.notes.append("completed an interrupted run: \(staging.stagingPath) renamed to \(root)")
                return report
            }
            // The directory is this command's unchanged result: re-running changes nothing.
            if var report = staging.completedReport(in: root), report.command == command.rawValue, let digest = report.resultWALDigest,
               (try? walDigest(fs, root + "/" + relativeWAL(loc))) == digest {
                report.outcome = .alreadyDone
                report.dryRun = options.dryRun
                return report
            }
            return nil
        case .directory(let out):
            let out = normalizedDirectory(out)
            if out == root || out == source { throw .usage("--output must differ from the source directory (use --in-place to replace it)") }
            if out.hasPrefix(root + "/") { throw .usage("--output must not be inside the source directory") }
            guard fs.isDirectory(out) || fs.fileExists(out) else { return nil }
            if var report = staging.completedReport(in: out), report.command == command.rawValue, report.source == root,
               let digest = report.sourceWALDigest, (try? walDigest(fs, root + "/" + relativeWAL(loc))) == digest {
                report.outcome = .alreadyDone
                report.dryRun = options.dryRun
                return report
            }
            throw .environment(.invalidArgument("the output \(out) already exists"))
        }
    }
}

/// CRC-32C (hex) over the names and bytes of the `.wal` files in `dir`, in name order.
func walDigest(_ fs: any FileSystem, _ dir: String) throws(WALError) -> String {
    var crc: UInt32 = 0
    for name in try fs.listDirectory(dir).sorted() where name.hasSuffix(".wal") {
        let h = try fs.open(joinPath(dir, name), access: .readOnly, create: false)
        defer { h.close() }
        crc = Array(name.utf8).withUnsafeBytes { CRC32C.extend(crc, $0) }
        let size = try h.size()
        var offset: UInt64 = 0
        while offset < size {
            let chunk = try h.read(at: offset, count: Int(min(size - offset, 1 << 20)))
            if chunk.isEmpty { break }
            crc = chunk.withUnsafeBytes { CRC32C.extend(crc, $0) }
            offset += UInt64(chunk.count)
        }
    }
    return String(format: "%08x", crc)
}

/// Names in a real directory (the reader's world), sorted.
func realDirectoryNames(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// True unless `path` is a symbolic link, FIFO, socket or device: such a file
/// in the source tree is never opened (a FIFO would block) and not carried.
func isSpecialFile(_ path: String) -> Bool {
    guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return false }
    return type != .typeRegular && type != .typeDirectory
}
