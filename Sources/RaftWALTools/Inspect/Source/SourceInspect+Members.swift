import Foundation
import RaftInterop

extension Inspect {
    typealias SwarmNodes = (rows: [SwarmNodeRow], asOf: UInt64, problem: String?)

    /// Swarm's part of `members` (JSON): the store's nodes like `docker node
    /// ls`, each joined with its raft member; a manager whose raft member was
    /// removed (force-new-cluster) is flagged.
    static func swarmNodesJSON(_ nodes: SwarmNodes) -> JSON {
        .object([
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
        ])
    }

    /// Swarm's part of `members` (text): the nodes table, the local node marked `*`.
    static func swarmNodesText(_ nodes: SwarmNodes, _ s: LogSource, _ output: Output) {
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
