import RaftWAL

extension RecoverReport {
    /// The exit status for this report: 0 when the command did (or would do)
    /// what was asked or there was nothing to do; when it refused to drop
    /// committed entries, 1 for repair (damage remains) and 2 otherwise (the
    /// request itself is unsafe).
    package var exitStatus: Int32 {
        guard outcome == .refused else { return 0 }
        return command == Repair.command || sourceKind != nil ? 1 : 2
    }

    /// The report for a terminal: one fact per line, what was kept, dropped and written.
    package func text() -> String {
        var lines: [String] = []
        let verb: String
        switch outcome {
        case .planned: verb = "plan (dry run: nothing written)"
        case .done: verb = "done"
        case .nothingToDo: verb = "nothing to do"
        case .refused: verb = "REFUSED"
        case .alreadyDone: verb = "already done (an earlier run produced this result)"
        }
        lines.append("raft-recover \(command): \(verb)")
        func row(_ label: String, _ value: String) { lines.append("  " + label.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
        func id(_ i: Identity) -> String {
            if let kind = sourceKind {
                return "\(kind) cluster \(i.clusterID) raft ID \(String(i.memberID, radix: 16))" + (sourceNodeID.map { " node \($0)" } ?? "")
            }
            return "cluster \(i.clusterID) member \(i.memberID) epoch \(i.epoch)"
        }
        func hs(_ h: HardState) -> String {
            "term \(h.term) vote \(sourceKind != nil ? String(h.vote, radix: 16) : String(h.vote)) commit \(h.commit)"
        }
        func members(_ list: [MemberInfo]) -> String {
            let hex = sourceKind != nil
            return list.isEmpty ? "(none)" : list.map { "\(hex ? String($0.raftID, radix: 16) : String($0.raftID)) \($0.role) \($0.name)" }.joined(separator: ", ")
        }
        row("source", "\(source) (\(id(sourceIdentity)))")
        row("source log", "entries \(sourceFirstIndex)...\(sourceLastIndex), hard state \(hs(sourceHardState)); recovery \(sourceLabels.joined(separator: ", "))")
        if outcome != .nothingToDo {
            row(outcome == .done || outcome == .alreadyDone ? "result" : "would write", output + (resultIdentity.map { " (\(id($0)))" } ?? ""))
        }
        if let backup { row("backup", "\(backup) (the original directory, whole)") }
        row("commit index", "\(commitIndex)")
        if let snapshot {
            var s = "index \(snapshot.index) term \(snapshot.term), \(snapshot.dataBytes) data bytes"
            if snapshot.membership != snapshot.resultMembership {
                s += "; membership rewritten: [\(members(snapshot.membership))] -> [\(members(snapshot.resultMembership))]"
            }
            row("snapshot", s)
        }
        if let kept {
            let fromPeer = (healed ?? []).map { "\($0.first)...\($0.last)" }
            row("kept", "entries \(kept.first)...\(kept.last) (\(kept.count)), byte for byte with their terms"
                + (sourceKind == "swarm" ? " (original ciphertext)" : "")
                + (fromPeer.isEmpty ? "" : "; \(fromPeer.joined(separator: ", ")) from the peer's copies"))
        }
        if dropped.isEmpty && droppedRanges.isEmpty && droppedNotListed == nil && !droppedIncludesCommitted {
            row("dropped", "nothing")
        } else {
            if dropped.isEmpty && droppedRanges.isEmpty { row("dropped", "entries of unknown indexes (see the notes)") }
            let committed = dropped.filter(\.committed).count
            if !dropped.isEmpty {
                row("dropped", "\(dropped.count) entries (\(committed) committed):")
                for e in dropped {
                    lines.append("      \(e.index) term \(e.term) \(e.kind) \(e.dataBytes) bytes" + (e.change.map { ": \($0)" } ?? "")
                                 + (e.committed ? " COMMITTED" : ""))
                }
            }
            if let more = droppedNotListed {
                row("dropped", "entries \(more.first)...\(more.last) (\(more.count)) too, not listed one by one")
            }
            for r in droppedRanges { row("dropped", (r.first == r.last ? "index \(r.first)" : "indexes \(r.first)...\(r.last)") + " (unreadable or after the damage)") }
            let acknowledgedLost = sourceLabels.contains(RecoveryLabel.acknowledgedMissing.rawValue)
            row("committed?", !droppedIncludesCommitted ? "no: every dropped entry is above the commit index"
                : acknowledgedLost ? "YES: acknowledged entries are dropped (ACKED confirmed them; assumed committed)"
                : "YES: entries at or below the commit index are dropped")
        }
        if let peer { row("peer", peer + (peerIdentity.map { " (\(id($0))), read only" } ?? "")) }
        for h in healed ?? [] {
            let at = h.localFile.map { " (\($0)" + (h.localOffset.map { " at offset \($0)" } ?? "") + ")" } ?? ""
            row(outcome == .planned ? "would heal" : "healed", "indexes \(h.first)...\(h.last) (\(h.last - h.first + 1)) from the peer; damage\(at): \(h.damage)")
            row("", "anchor: index \(h.anchorIndex) term \(h.anchorTerm), \(h.anchor)")
            for c in h.checks { row("", "checked: " + c) }
            if !h.peerFiles.isEmpty { row("", "peer files: " + h.peerFiles.joined(separator: ", ")) }
        }
        for a in added { row("added", "\(a.index) term \(a.term) \(a.change)") }
        if !membershipBefore.isEmpty || !membershipAfter.isEmpty {
            row("members", "before [\(members(membershipBefore))]")
            row("", "after  [\(members(membershipAfter))]")
        }
        if let resultHardState { row("hard state", hs(resultHardState)) }
        for b in backupFiles where b != backup { row("backup file", b) }
        for w in written ?? [] { row("wrote", w) }
        for n in notes { row("note", n) }
        if let refusal { row("refused", refusal) }
        if outcome == .done || outcome == .alreadyDone { row("report", joinPath(output, "raft-recover-report.json")) }
        return lines.joined(separator: "\n")
    }
}
