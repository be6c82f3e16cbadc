import Foundation
import SwiftProtobuf

typealias PBConfChange = Raftinterop_Etcd_ConfChangeV1
typealias PBConfChangeV2 = Raftinterop_Etcd_ConfChangeV2

/// A raft configuration change, decoded from a conf-change entry's plaintext.
public struct DecodedConfChange: Sendable, Equatable {
    public enum ChangeType: String, Sendable { case add, remove, update, addLearner = "add-learner", unknown }

    public var id: UInt64
    public var type: ChangeType
    public var raftID: UInt64
    /// From the context: Swarm's RaftMember (node ID, address), etcd's member JSON (name, peer URLs).
    public var name: String
    public var address: String
    /// True when the context was empty (Docker's force-new-cluster writes RemoveNode with none).
    public var noContext: Bool

    static func type(_ raw: Int32) -> ChangeType {
        switch raw {
        case 0: return .add
        case 1: return .remove
        case 2: return .update
        case 3: return .addLearner
        default: return .unknown
        }
    }

    /// Decodes a v1 conf change; `context` interprets its context bytes.
    static func decode(_ plaintext: Data, kind: SourceEntry.Kind,
                       context: (Data) -> (name: String, address: String)) -> [DecodedConfChange]? {
        switch kind {
        case .normal: return nil
        case .confChange:
            guard let c = try? PBConfChange(serializedBytes: plaintext) else { return nil }
            let ctx = context(c.context)
            return [DecodedConfChange(id: c.id, type: type(c.type), raftID: c.nodeID, name: ctx.name, address: ctx.address,
                                      noContext: c.context.isEmpty)]
        case .confChangeV2:
            guard let c = try? PBConfChangeV2(serializedBytes: plaintext) else { return nil }
            let ctx = context(c.context)
            return c.changes.map {
                DecodedConfChange(id: 0, type: type($0.type), raftID: $0.nodeID, name: ctx.name, address: ctx.address,
                                  noContext: c.context.isEmpty)
            }
        }
    }
}

/// etcd-specific payloads: the WAL metadata and the member JSON in conf changes.
enum EtcdPayloads {
    static func metadata(_ data: Data) -> (nodeID: UInt64, clusterID: UInt64)? {
        guard let m = try? Raftinterop_Etcd_MemberMetadata(serializedBytes: data) else { return nil }
        return (m.nodeID, m.clusterID)
    }

    /// etcd's conf change context: `{"id":…,"peerURLs":[…],"name":…}` (JSON).
    static func memberContext(_ data: Data) -> (name: String, address: String) {
        guard !data.isEmpty, data.count <= 1 << 20,
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return ("", "") }
        let name = obj["name"] as? String ?? ""
        let urls = (obj["peerURLs"] as? [String] ?? []).joined(separator: ",")
        return (name, urls)
    }
}
