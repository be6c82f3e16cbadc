import RaftInterop

extension Inspect {
    /// `members` of an etcd or Swarm log: raft membership as of the last
    /// index and the commit index; for Swarm, a `docker node ls` rebuilt from
    /// the store, each node joined with its raft member.
    static func sourceMembers(_ s: LogSource, format: OutputFormat, output: Output) -> ExitStatus {
        let last = s.membership(at: s.lastIndex)
        let commit = s.membership(at: min(s.hardState?.commit ?? s.lastIndex, s.lastIndex))
        let nodes = s.swarmNodeRows(membership: last)
        switch format {
        case .json:
            var fields: [(String, JSON)] = [
                ("directory", .string(s.directory)), ("source", sourceBriefJSON(s)),
                ("self", .optional(s.identity.raftID)),
                ("asOfLastIndex", sourceMembersJSON(last)), ("asOfCommitIndex", sourceMembersJSON(commit)),
            ]
            if let nodes {
                fields.append(("nodes", .object([
                    ("asOfIndex", .uint(nodes.asOf)), ("problem", .optional(nodes.problem)),
                    ("rows", .array(nodes.rows.map { r in
                        .object([
                            ("id", .string(r.node.id)), ("hostname", .string(r.node.hostname)), ("status", .string(r.node.status)),
                            ("availability", .string(r.node.availability)), ("role", .string(r.node.role)),
                            ("labels", .object(r.node.labels.keys.sorted().map { ($0, .string(r.node.labels[$0]!)) })),
                            ("engineVersion", .string(r.node.engineVersion)),
                            ("raftID", .optional(r.raftMember?.raftID)), ("raftIDHex", .optional(r.raftMember.map { rid($0.raftID) })),
                            ("raftAddress", .optional(r.raftMember?.address)),
                            ("raftMember", .bool(r.raftMember != nil)),
                            ("managerWithoutRaftMember", .bool(r.managerWithoutMember)),
                        ])
                    })),
                ])))
            }
            output.line(JSON.object(fields).pretty())
        case .text:
            let me = s.identity.raftID
            func table(_ title: String, _ v: MembershipView) {
                var origin = v.snapshotIndex.map { "snapshot \($0)" } ?? "the start of the log"
                origin += " + \(v.changesApplied) conf change\(v.changesApplied == 1 ? "" : "s")"
                output.line("\(title) \(v.index) (from \(origin)):")
                var t = TextTable(["RAFT ID", s.kind == .swarm ? "NODE ID" : "NAME", "ADDRESS", "ROLE", "ADDED AT"],
                                  alignments: [.left, .left, .left, .left, .right])
                for m in v.members {
                    t.add([rid(m.raftID) + (m.raftID == me ? " *" : ""), m.name.isEmpty ? "-" : m.name, m.address.isEmpty ? "-" : m.address,
                           m.learner ? "learner" : "voter", m.addedAt == 0 ? "-" : String(m.addedAt)])
                }
                output.line(t.render(indent: "  "))
                if !v.removed.isEmpty { output.line("  removed: " + v.removed.map(rid).joined(separator: ", ")) }
                if let p = v.problem { output.line("  " + output.style.warn(p)) }
            }
            table("raft members as of last index", last)
            output.line()
            table("raft members as of commit index", commit)
            if let nodes {
                output.line()
                output.line("nodes (the store as of index \(nodes.asOf), like `docker node ls`):")
                var t = TextTable(["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "ROLE", "RAFT ID", "ADDRESS", "RAFT MEMBER"])
                for r in nodes.rows {
                    t.add([r.node.id + (r.node.id == s.identity.nodeID ? " *" : ""), r.node.hostname.isEmpty ? "-" : r.node.hostname,
                           r.node.status.capitalized, r.node.availability.capitalized, r.node.role,
                           r.raftMember.map { rid($0.raftID) } ?? "-", r.raftMember?.address ?? "-",
                           r.raftMember != nil ? "yes" : (r.managerWithoutMember ? output.style.bad("NO: manager removed from raft") : "no")])
                }
                output.line(t.render(indent: "  "))
                if let p = nodes.problem { output.line("  " + output.style.warn(p)) }
            }
        }
        return noteDamage(s, output)
    }
}
