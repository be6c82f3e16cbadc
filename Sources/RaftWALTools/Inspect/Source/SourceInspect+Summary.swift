import RaftInterop

extension Inspect {
    /// `summary` of an etcd or Swarm log: kind and version, identity, WAL
    /// files, index range, snapshots, hard state, membership, encryption, verdict.
    static func sourceSummary(_ s: LogSource, format: OutputFormat, strict: Bool, output: Output) -> ExitStatus {
        let status = s.status(strict: strict)
        let members = s.membership(at: s.lastIndex)
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)),
                ("source", sourceJSON(s)),
                ("firstIndex", .optional(s.firstIndex)),
                ("lastIndex", .uint(s.lastIndex)),
                ("lastTerm", .uint(s.lastTerm)),
                ("hardState", sourceHardStateJSON(s.hardState)),
                ("segments", .object([
                    ("count", .uint(UInt64(s.walFiles.count))), ("bytes", .uint(s.walBytes)),
                    ("files", .array(s.walFiles.map { f in
                        .object([("name", .string(f.name)), ("bytes", .uint(f.fileBytes)),
                                 ("indexes", .range(f.lowestIndex.flatMap { lo in f.highestIndex.map { lo...max(lo, $0) } })),
                                 ("state", .string(f.end))])
                    })),
                ])),
                ("snapshots", .array(s.snapshots.map { f in
                    .object([("name", .string(f.name)), ("index", .uint(f.index)), ("term", .uint(f.term)),
                             ("bytes", .uint(f.fileBytes)), ("valid", .bool(f.problem == nil))])
                })),
                // Same shape as a RaftWAL summary's: the member list, the index it is as of, why it may be incomplete.
                ("members", (sourceMembersJSON(members).objectValue("members")) ?? .array([])),
                ("membersAsOfIndex", .uint(members.index)),
                ("membersProblem", .optional(members.problem)),
                ("removedMembers", .array(members.removed.map { .uint($0) })),
                ("healthy", .bool(status == .healthy)),
                ("verdict", .string(s.verdict(strict: strict))),
                ("findings", .array(s.findings.map(\.json))),
            ]).pretty())
        case .text:
            let st = output.style
            var t = TextTable(["", ""])
            t.add(["directory", s.directory])
            t.add(["source", "\(s.kind.rawValue): \(s.version)"])
            let id = s.identity
            if s.kind == .swarm {
                t.add(["node", "\(id.nodeID ?? "?")  raft ID \(id.raftID.map(rid) ?? "?")  address \(id.address ?? "?")"])
                t.add(["cluster", "\(id.clusterID ?? "?")  (certificate: \(id.role ?? "?"))"])
                if let e = s.encryption {
                    let algos = e.algorithms.keys.sorted().map { "\($0) ×\(e.algorithms[$0]!)" }.joined(separator: ", ")
                    let opened = e.openedBy.keys.sorted().map { "\($0) ×\(e.openedBy[$0]!)" }.joined(separator: ", ")
                    t.add(["encryption", "\(algos.isEmpty ? "none seen" : algos); opened by \(opened.isEmpty ? "nothing" : opened)"
                        + (e.undecryptable > 0 ? "; \(e.undecryptable) entries undecryptable" : "")])
                    t.add(["keys", "\(e.keysTried.joined(separator: ", ")) from swarm-node.key, kek-version \(e.kekVersion ?? "?")"
                        + (e.autolocked ? ", autolocked (opened with --unlock-key)" : ", not autolocked")])
                    if let pk = e.privateKey { t.add(["private key", pk]) }
                }
            } else {
                t.add(["member", "\(id.raftID.map(rid) ?? "?")  cluster \(id.clusterID ?? "?")"])
            }
            if let first = s.firstIndex {
                t.add(["log", "indexes \(first)...\(s.entries.last!.index) (\(s.entries.count) entries), last term \(s.lastTerm)"
                    + (s.replaced.isEmpty ? "" : ", \(s.replaced.count) replaced")])
            } else {
                t.add(["log", "no entries; last index \(s.lastIndex), last term \(s.lastTerm)"])
            }
            if let h = s.hardState {
                t.add(["hard state", "term \(h.term)  vote \(h.vote == 0 ? "0" : rid(h.vote))  commit \(h.commit)"])
            } else {
                t.add(["hard state", "none"])
            }
            t.add(["WAL files", "\(s.walFiles.count), \(formatBytes(s.walBytes)) on disk"])
            if s.snapshots.isEmpty {
                t.add(["snapshots", "none"])
            } else {
                for (k, f) in s.snapshots.enumerated() {
                    t.add([k == 0 ? "snapshots" : "", "index \(f.index)  term \(f.term)  \(formatBytes(f.fileBytes))"
                        + (f.problem == nil ? "" : "  " + st.bad("DAMAGED"))])
                }
            }
            let voters = members.members.filter { !$0.learner }.count
            t.add(["members", "\(voters) voter\(voters == 1 ? "" : "s"): "
                + members.members.map { rid($0.raftID) + ($0.name.isEmpty ? "" : " (\($0.name))") }.joined(separator: ", ")
                + " (as of index \(members.index))" + (members.problem.map { "; " + $0 } ?? "")])
            let verdict = s.verdict(strict: strict)
            t.add(["verdict", status == .healthy ? st.good(verdict) : st.bad(verdict)])
            for line in t.lines().dropFirst() { output.line(line) }
        }
        return status
    }

    /// `hardstate` of an etcd or Swarm log.
    static func sourceHardState(_ s: LogSource, format: OutputFormat, output: Output) -> ExitStatus {
        let h = s.hardState
        let ok = (h?.commit ?? 0) <= s.lastIndex
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)), ("source", sourceBriefJSON(s)),
                ("term", .optional(h?.term)), ("vote", .optional(h?.vote)), ("commit", .optional(h?.commit)),
                ("file", .optional(h?.file)), ("offset", .optional(h?.offset)),
                ("lastIndex", .uint(s.lastIndex)), ("lastTerm", .uint(s.lastTerm)), ("commitWithinLog", .bool(ok)),
            ]).pretty())
        case .text:
            guard let h else {
                output.line("no hard state record in the WAL")
                return noteDamage(s, output)
            }
            var t = TextTable(["", ""])
            t.add(["term", String(h.term)])
            t.add(["vote", h.vote == 0 ? "0 (none)" : "\(h.vote) (\(rid(h.vote)))"])
            t.add(["commit", String(h.commit) + (ok ? "" : "  " + output.style.bad("beyond the last index \(s.lastIndex)"))])
            t.add(["last index", "\(s.lastIndex) (term \(s.lastTerm))"])
            t.add(["read from", "\(h.file) at offset \(h.offset)"])
            for line in t.lines().dropFirst() { output.line(line) }
        }
        return noteDamage(s, output)
    }
}
