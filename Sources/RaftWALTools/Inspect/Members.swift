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

extension Inspect {
    /// `members`: like `docker node ls`, as of the last index and as of the
    /// commit index; the local member is marked `*`.
    package static func members(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                               output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source) { return sourceMembers(s, format: format, output: output) }
        let a = try analyze(directory, output, keepLive: true)
        let r = Members.replay(a)
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
                ("self", .optional(a.identity?.memberID)),
                ("asOfLastIndex", Members.asOfJSON(r.asOfLast)),
                ("asOfCommitIndex", Members.asOfJSON(r.asOfCommit)),
                ("problem", .optional(r.problem)),
            ]).pretty())
        case .text:
            let me = a.identity?.memberID
            func table(_ title: String, _ v: Members.AsOf?) {
                guard let v else { output.line("\(title): unknown"); return }
                var origin = v.snapshotIndex.map { "snapshot \($0)" } ?? "the start of the log"
                origin += " + \(v.changesApplied) conf change\(v.changesApplied == 1 ? "" : "s")"
                output.line("\(title) \(v.index) (from \(origin)):")
                var t = TextTable(["ID", "NAME", "ADDRESS", "ROLE", "ADDED AT"], alignments: [.left, .left, .left, .left, .right])
                for m in v.members.sorted {
                    t.add(["\(m.raftID)\(m.raftID == me ? " *" : "")", m.name.isEmpty ? "-" : m.name,
                           m.address.isEmpty ? "-" : m.address, m.role == .voter ? "voter" : "learner",
                           m.addedAtIndex == 0 ? "-" : String(m.addedAtIndex)])
                }
                output.line(t.render(indent: "  "))
            }
            table("as of last index", r.asOfLast)
            output.line()
            table("as of commit index", r.asOfCommit)
            if let p = r.problem { output.line(); output.line(output.style.warn("membership: " + p)) }
        }
        if r.problem != nil && r.asOfLast == nil {
            output.err("raft-inspect: membership unknown: \(r.problem!)\n")
        }
        return noteDamage(a, output)
    }
}
