import RaftInterop
import RaftWAL

/// Membership replayed from the newest valid snapshot plus the later
/// configuration changes held in the log, as `raft-inspect members` shows it.
package enum Members {
    package struct AsOf: Sendable {
        package var index: UInt64
        package var members: Membership
        /// The snapshot replay started from (nil: from the empty membership at index 1).
        package var snapshotIndex: UInt64?
        /// Conf changes applied after the snapshot.
        package var changesApplied: Int
    }

    package struct Result: Sendable {
        package var asOfLast: AsOf?
        package var asOfCommit: AsOf?
        /// Why the membership cannot be known (entries missing or unreadable).
        package var problem: String?
    }

    /// Replays as of the last index and as of the commit index. `analysis`
    /// must have kept its live batches.
    package static func replay(_ a: LogAnalysis) -> Result {
        var result = Result()
        let commit = min(a.hardState.commit, max(a.lastIndex, a.newestValidSnapshot?.index ?? 0))
        // Read every conf change held once, then replay twice.
        var changes: [(UInt64, ConfChange)] = []
        var failures: [String] = []
        if let _ = a.liveBatches, let lo = a.confChangeIndexes.first, let hi = a.confChangeIndexes.last {
            do {
                try LiveEntries(analysis: a).forEach(in: lo...hi, only: a.confChangeIndexes,
                                                     failed: { failures.append($0.description) }) { e in
                    if e.kind == .confChange {
                        do throws(WALError) { changes.append((e.index, try ConfChange(decoding: e.data, index: e.index))) } catch {
                            failures.append(error.description)
                        }
                    }
                    return true
                }
            } catch {
                failures.append(error.description)
            }
        }
        if let f = failures.first {
            result.problem = "conf changes unreadable: \(f)"
            return result
        }
        func asOf(_ index: UInt64) -> (AsOf?, String?) {
            let snapshot = a.snapshots.first { $0.problem == nil && $0.index <= index }
            var members = snapshot?.membership ?? Membership()
            let from = (snapshot?.index ?? 0) + 1
            let target = max(index, snapshot?.index ?? 0)
            if from <= target, let first = a.firstIndex, first > from, a.resetIndex == nil || a.resetIndex! + 1 < first {
                return (nil, "entries \(from)...\(first - 1) are neither in the log nor in a valid snapshot")
            }
            if a.firstIndex == nil && from <= target && a.resetIndex.map({ $0 < from - 1 }) ?? true && snapshot == nil && target > 0 {
                return (nil, "the log holds no entries and no valid snapshot covers 1...\(target)")
            }
            var applied = 0
            for (i, change) in changes where i >= from && i <= target {
                members.apply(change, at: i)
                applied += 1
            }
            return (AsOf(index: target, members: members, snapshotIndex: snapshot?.index, changesApplied: applied), nil)
        }
        // A snapshot beyond the log (S2) is where the engine restarts the log: the last index is the snapshot's.
        let (last, whyLast) = asOf(max(a.lastIndex, a.newestValidSnapshot?.index ?? 0))
        let (committed, whyCommit) = asOf(commit)
        result.asOfLast = last
        result.asOfCommit = committed
        result.problem = whyLast ?? whyCommit
        return result
    }

    static func membersJSON(_ m: Membership) -> JSON {
        .array(m.sorted.map { member in
            .object([
                ("raftID", .uint(member.raftID)), ("name", .string(member.name)), ("address", .string(member.address)),
                ("role", .string(member.role == .voter ? "voter" : "learner")), ("addedAtIndex", .uint(member.addedAtIndex)),
            ])
        })
    }

    static func asOfJSON(_ v: AsOf?) -> JSON {
        guard let v else { return .null }
        return .object([
            ("index", .uint(v.index)), ("snapshotIndex", .optional(v.snapshotIndex)),
            ("changesApplied", .uint(UInt64(v.changesApplied))), ("members", membersJSON(v.members)),
        ])
    }
}

extension Members.AsOf {
    /// The replay in the common model (``MembershipView``), for `members`.
    var view: MembershipView {
        MembershipView(index: index, snapshotIndex: snapshotIndex, changesApplied: changesApplied,
                       members: members.sorted.map {
                           SourceMember(raftID: $0.raftID, name: $0.name, address: $0.address, learner: $0.role == .learner,
                                        addedAt: $0.addedAtIndex)
                       })
    }
}

extension Inspect {
    /// `members`: raft membership from the newest valid snapshot plus the
    /// later conf changes, as of the last index and as of the commit index,
    /// laid out like `docker node ls`, the local member marked `*`. For
    /// Swarm, also the store's nodes, each joined with its raft member.
    package static func members(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                               output: Output) throws(ToolFailure) -> ExitStatus {
        let v = try inspected(directory, source, output, keepLive: true)
        let s = v.log
        let last: MembershipView?, commit: MembershipView?, problem: String?
        if let a = v.raftwal {
            let r = Members.replay(a)
            (last, commit, problem) = (r.asOfLast?.view, r.asOfCommit?.view, r.problem)
        } else {
            last = s.membership(at: s.lastIndex)
            commit = s.membership(at: min(s.hardState?.commit ?? s.lastIndex, s.lastIndex))
            problem = nil
        }
        let nodes = last.flatMap { s.swarmNodeRows(membership: $0) }
        // RaftWAL IDs are the application's numbers; etcd and Docker print theirs in hexadecimal.
        let id: (UInt64) -> String = v.raftwal != nil ? { (n: UInt64) in String(n) } : { (n: UInt64) in rid(n) }
        switch format {
        case .json:
            var fields: [(String, JSON)] = [
                ("directory", .string(v.directory)), ("source", v.sourceJSON(full: false)),
                ("self", .optional(s.identity.raftID)),
                ("asOfLastIndex", last.map(sourceMembersJSON) ?? .null),
                ("asOfCommitIndex", commit.map(sourceMembersJSON) ?? .null),
            ]
            if v.raftwal != nil { fields.append(("problem", .optional(problem))) }
            if let nodes { fields.append(("nodes", swarmNodesJSON(nodes))) }
            output.line(JSON.object(fields).pretty())
        case .text:
            let me = s.identity.raftID
            let prefix = v.raftwal != nil ? "" : "raft members "
            func table(_ title: String, _ m: MembershipView?) {
                guard let m else { output.line("\(prefix)\(title): unknown"); return }
                var origin = m.snapshotIndex.map { "snapshot \($0)" } ?? "the start of the log"
                origin += " + \(m.changesApplied) conf change\(m.changesApplied == 1 ? "" : "s")"
                output.line("\(prefix)\(title) \(m.index) (from \(origin)):")
                var t = TextTable([v.raftwal != nil ? "ID" : "RAFT ID", v.kind == .swarm ? "NODE ID" : "NAME", "ADDRESS", "ROLE", "ADDED AT"],
                                  alignments: [.left, .left, .left, .left, .right])
                for x in m.members {
                    t.add([id(x.raftID) + (x.raftID == me ? " *" : ""), x.name.isEmpty ? "-" : x.name, x.address.isEmpty ? "-" : x.address,
                           x.learner ? "learner" : "voter", x.addedAt == 0 ? "-" : String(x.addedAt)])
                }
                output.line(t.render(indent: "  "))
                if !m.removed.isEmpty { output.line("  removed: " + m.removed.map(rid).joined(separator: ", ")) }
                if let p = m.problem { output.line("  " + output.style.warn(p)) }
            }
            table("as of last index", last)
            output.line()
            table("as of commit index", commit)
            if let p = problem { output.line(); output.line(output.style.warn("membership: " + p)) }
            if let nodes { swarmNodesText(nodes, s, output) }
        }
        if let p = problem, last == nil {
            output.err("raft-inspect: membership unknown: \(p)\n")
        }
        return noteDamage(s, output)
    }
}
