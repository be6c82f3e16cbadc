/// One row of `docker node ls`, rebuilt offline from the store.
public struct SwarmNodeRow: Sendable {
    public var node: SwarmNode
    /// The raft member whose node ID is this node's (nil: none).
    public var raftMember: SourceMember?
    /// A manager in the store with no raft member: its member was removed
    /// (force-new-cluster, or `node demote` that never finished).
    public var managerWithoutMember: Bool { node.role == "manager" && raftMember == nil }
}

extension LogSource {
    /// The store's nodes as of the last readable entry (the newest snapshot's
    /// nodes, then every node change after it), joined with `membership`.
    /// Nil when the source is not Swarm or no snapshot/entry holds nodes.
    public func swarmNodeRows(membership: MembershipView) -> (rows: [SwarmNodeRow], asOf: UInt64, problem: String?)? {
        guard kind == .swarm else { return nil }
        var nodes: [String: SwarmNode] = [:]
        var order: [String] = []
        let base = swarmNodesIndex ?? 0
        for n in swarmNodes ?? [] { nodes[n.id] = n; order.append(n.id) }
        var asOf = base
        var problem: String?
        for e in entries where e.index > base && e.kind == .normal {
            guard let p = e.plaintext else {
                problem = "entry \(e.index) cannot be decrypted: node changes in it are unknown"
                continue
            }
            guard let r = SwarmRequest.decode(p, reveal: false) else { continue }
            asOf = e.index
            for c in r.changes where c.collection == "node" {
                if c.action == "remove" {
                    nodes[c.id] = nil
                } else if let n = c.node {
                    if nodes[c.id] == nil { order.append(c.id) }
                    nodes[c.id] = n
                }
            }
        }
        if swarmNodes == nil && asOf == 0 { return ([], 0, problem ?? "no snapshot or entry holds the store's nodes") }
        let rows = order.compactMap { id -> SwarmNodeRow? in
            guard let n = nodes[id] else { return nil }
            return SwarmNodeRow(node: n, raftMember: membership.members.first { $0.name == id })
        }
        var seen = Set<String>()
        return (rows.filter { seen.insert($0.node.id).inserted }.sorted { $0.node.hostname == $1.node.hostname ? $0.node.id < $1.node.id : $0.node.hostname < $1.node.hostname }, asOf, problem)
    }
}
