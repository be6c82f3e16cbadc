import Crypto
import Foundation
import SwiftProtobuf

typealias PBRequest = Raftinterop_Swarm_RaftRequest
typealias PBNode = Raftinterop_Swarm_Node
typealias PBMember = Raftinterop_Swarm_Member
typealias PBStateSnapshot = Raftinterop_Swarm_StateSnapshot

/// Secret material shown as its length and a hash unless the user asks
/// for it (`--show-secrets`).
public struct SensitiveBytes: Sendable, Equatable {
    public var bytes: Int
    /// First 16 hex digits of SHA-256, enough to tell two values apart.
    public var sha256Prefix: String
    /// The value itself: set only when revealing was asked for.
    public var revealed: Data?

    init(_ data: Data, reveal: Bool) {
        bytes = data.count
        sha256Prefix = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
        revealed = reveal ? data : nil
    }

    public var redactedText: String { "<redacted: \(bytes) bytes, sha256 \(sha256Prefix)…>" }
}

/// A Swarm node as the store holds it (the columns of `docker node ls`).
public struct SwarmNode: Sendable, Equatable {
    public var id: String
    public var hostname: String
    /// `ready`, `down`, `unknown`, `disconnected`.
    public var status: String
    /// `active`, `pause`, `drain`.
    public var availability: String
    /// `manager` or `worker`.
    public var role: String
    public var desiredRole: String
    public var address: String
    public var labels: [String: String]
    public var engineVersion: String

    init(_ n: PBNode) {
        id = n.id
        hostname = n.description_p.hostname
        status = ["unknown", "down", "ready", "disconnected"][safe: Int(n.status.state)] ?? "state(\(n.status.state))"
        availability = ["active", "pause", "drain"][safe: Int(n.spec.availability)] ?? "availability(\(n.spec.availability))"
        role = n.role == 1 ? "manager" : n.role == 0 ? "worker" : "role(\(n.role))"
        desiredRole = n.spec.desiredRole == 1 ? "manager" : "worker"
        address = n.status.addr
        labels = n.spec.annotations.labels
        engineVersion = n.description_p.engine.engineVersion
    }
}

extension Array {
    subscript(safe k: Int) -> Element? { k >= 0 && k < count ? self[k] : nil }
}

/// One create/update/remove of a store object, decoded from a normal entry.
public struct StoreChange: Sendable {
    /// `create`, `update`, `remove`.
    public var action: String
    /// `node`, `service`, `task`, `network`, `cluster`, `secret`, `resource`, `extension`, `config`, `volume`.
    public var collection: String
    public var id: String
    public var name: String
    /// The node's store fields, for node changes.
    public var node: SwarmNode?
    /// Other readable fields (`service`, `slot`, `state` of a task, labels), in order.
    public var details: [(String, String)] = []
    /// A secret's or config's data, or the cluster's keys (CA key, tokens, unlock keys).
    public var sensitive: [(String, SensitiveBytes)] = []
}

/// The decoded plaintext of a Swarm normal entry.
public struct SwarmRequest: Sendable {
    public var id: UInt64
    public var changes: [StoreChange]

    static func actionName(_ k: Int32) -> String {
        switch k { case 1: return "create"; case 2: return "update"; case 3: return "remove"; default: return "action(\(k))" }
    }

    /// Decodes `InternalRaftRequest`; nil when the bytes are not one.
    public static func decode(_ plaintext: Data, reveal: Bool) -> SwarmRequest? {
        guard let r = try? PBRequest(serializedBytes: plaintext) else { return nil }
        return SwarmRequest(id: r.id, changes: r.action.map { change($0, reveal: reveal) })
    }

    static func labels(_ l: [String: String]) -> String {
        l.keys.sorted().map { "\($0)=\(l[$0]!)" }.joined(separator: ",")
    }

    static func change(_ a: Raftinterop_Swarm_StoreAction, reveal: Bool) -> StoreChange {
        let action = actionName(a.kind)
        func named(_ c: String, _ o: Raftinterop_Swarm_NamedObject) -> StoreChange {
            var s = StoreChange(action: action, collection: c, id: o.id, name: o.spec.annotations.name)
            if !o.spec.annotations.labels.isEmpty { s.details.append(("labels", labels(o.spec.annotations.labels))) }
            return s
        }
        switch a.target {
        case .node(let n)?:
            let node = SwarmNode(n)
            var s = StoreChange(action: action, collection: "node", id: n.id, name: node.hostname, node: node)
            s.details = [("hostname", node.hostname), ("role", node.role), ("availability", node.availability),
                         ("status", node.status)]
            if !node.labels.isEmpty { s.details.append(("labels", labels(node.labels))) }
            return s
        case .service(let o)?: return named("service", o)
        case .network(let o)?: return named("network", o)
        case .resource(let o)?: return named("resource", o)
        case .extension(let o)?: return named("extension", o)
        case .volume(let o)?: return named("volume", o)
        case .task(let t)?:
            var s = StoreChange(action: action, collection: "task", id: t.id, name: "")
            s.details = [("service", t.serviceID), ("slot", String(t.slot)), ("node", t.nodeID),
                         ("state", String(t.status.state)), ("desired", String(t.desiredState))]
            return s
        case .cluster(let c)?:
            var s = StoreChange(action: action, collection: "cluster", id: c.id, name: c.spec.annotations.name)
            if !c.rootCa.caKey.isEmpty { s.sensitive.append(("rootCA.caKey", SensitiveBytes(c.rootCa.caKey, reveal: reveal))) }
            if !c.rootCa.joinTokens.worker.isEmpty {
                s.sensitive.append(("joinTokens.worker", SensitiveBytes(Data(c.rootCa.joinTokens.worker.utf8), reveal: reveal)))
                s.sensitive.append(("joinTokens.manager", SensitiveBytes(Data(c.rootCa.joinTokens.manager.utf8), reveal: reveal)))
            }
            for (k, key) in c.networkBootstrapKeys.enumerated() {
                s.sensitive.append(("networkBootstrapKeys[\(k)]", SensitiveBytes(key.key, reveal: reveal)))
            }
            for (k, key) in c.unlockKeys.enumerated() {
                s.sensitive.append(("unlockKeys[\(k)]", SensitiveBytes(key.key, reveal: reveal)))
            }
            return s
        case .secret(let o)?, .config(let o)?:
            let collection: String
            if case .secret? = a.target { collection = "secret" } else { collection = "config" }
            var s = StoreChange(action: action, collection: collection, id: o.id, name: o.spec.annotations.name)
            if !o.spec.annotations.labels.isEmpty { s.details.append(("labels", labels(o.spec.annotations.labels))) }
            s.sensitive.append(("data", SensitiveBytes(o.spec.data, reveal: reveal)))
            return s
        case nil:
            return StoreChange(action: action, collection: "unknown", id: "", name: "")
        }
    }
}

/// Swarm-specific payloads: the WAL metadata, conf change contexts and snapshots.
enum SwarmPayloads {
    static func member(_ data: Data) -> PBMember? { try? PBMember(serializedBytes: data) }

    static func memberContext(_ data: Data) -> (name: String, address: String) {
        guard !data.isEmpty, let m = member(data) else { return ("", "") }
        return (m.nodeID, m.addr)
    }

    /// Fills a snapshot file's membership and per-collection counts from
    /// its plaintext; returns the nodes of its store.
    static func fill(_ file: inout SnapshotFile, plaintext: Data) -> [SwarmNode]? {
        guard let s = try? PBStateSnapshot(serializedBytes: plaintext) else {
            file.problem = "decrypted snapshot data does not decode as a Swarm snapshot"
            return nil
        }
        file.members = s.membership.members.map { SourceMember(raftID: $0.raftID, name: $0.nodeID, address: $0.addr) }
        file.removed = s.membership.removed
        let st = s.store
        file.objectCounts = [("nodes", st.nodes.count), ("services", st.services.count), ("networks", st.networks.count),
                             ("tasks", st.tasks.count), ("clusters", st.clusters.count), ("secrets", st.secrets.count),
                             ("configs", st.configs.count), ("volumes", st.volumes.count),
                             ("resources", st.resources.count), ("extensions", st.extensions.count)]
        return st.nodes.map(SwarmNode.init)
    }
}
