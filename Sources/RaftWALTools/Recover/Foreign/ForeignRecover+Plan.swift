import Foundation
import RaftInterop
import RaftWAL

/// Planning: what is kept, dropped and added, and the new WAL's bytes (nothing written).
extension ForeignRecover {
    struct Plan {
        var report: RecoverReport
        var wal: [UInt8] = []
        var walName = ""
        /// Snapshot files to copy as they are, and ones to keep as `.broken`.
        var snapCopies: [String] = []
        var snapBroken: [String] = []
    }

    func makePlan(_ src: LogSource, root: String, loc: SourceLocation, staging: Staging) throws(RecoverError) -> Plan {
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
}
