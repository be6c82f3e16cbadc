import Foundation
import SwiftProtobuf

/// An etcd normal entry's request, decoded: a v3 `InternalRaftRequest`
/// (put, delete, txn, compaction, lease) or a v2 `Request` (method and
/// path; etcd itself uses one to publish a member's attributes).
public struct EtcdRequest: Sendable {
    /// `put`, `delete-range`, `range`, `txn`, `compaction`, `lease-grant`, `lease-revoke`, `alarm`, `v2`, `other`.
    public var operation: String
    public var id: UInt64
    /// The key (put, delete, range) or the v2 path.
    public var key: String?
    public var rangeEnd: String?
    /// The value's bytes (put) or the v2 value.
    public var value: Data?
    /// Method (v2), lease ID, TTL or revision, as text.
    public var detail: String?

    /// Decodes `plaintext`; nil when it is neither kind of request.
    public static func decode(_ plaintext: Data) -> EtcdRequest? {
        if let r = try? Raftinterop_Etcd_InternalRequest(serializedBytes: plaintext) {
            let id = r.hasHeader ? r.header.id : r.id
            if r.hasPut {
                return EtcdRequest(operation: "put", id: id, key: text(r.put.key), value: r.put.value,
                                   detail: r.put.lease == 0 ? nil : "lease \(String(r.put.lease, radix: 16))")
            }
            if r.hasDeleteRange {
                return EtcdRequest(operation: "delete-range", id: id, key: text(r.deleteRange.key),
                                   rangeEnd: r.deleteRange.rangeEnd.isEmpty ? nil : text(r.deleteRange.rangeEnd))
            }
            if r.hasRange {
                return EtcdRequest(operation: "range", id: id, key: text(r.range.key),
                                   rangeEnd: r.range.rangeEnd.isEmpty ? nil : text(r.range.rangeEnd))
            }
            if !r.txn.isEmpty { return EtcdRequest(operation: "txn", id: id, detail: "\(r.txn.count) bytes") }
            if r.hasCompaction { return EtcdRequest(operation: "compaction", id: id, detail: "revision \(r.compaction.revision)") }
            if r.hasLeaseGrant {
                return EtcdRequest(operation: "lease-grant", id: id,
                                   detail: "lease \(String(r.leaseGrant.id, radix: 16)) ttl \(r.leaseGrant.ttl)s")
            }
            if r.hasLeaseRevoke { return EtcdRequest(operation: "lease-revoke", id: id, detail: "lease \(String(r.leaseRevoke.id, radix: 16))") }
            if !r.alarm.isEmpty { return EtcdRequest(operation: "alarm", id: id) }
            if r.hasHeader { return EtcdRequest(operation: "other", id: id) }
        }
        if let v2 = try? Raftinterop_Etcd_V2Request(serializedBytes: plaintext), !v2.method.isEmpty,
           v2.method.count <= 16, v2.method.allSatisfy({ $0.isLetter }) {
            return EtcdRequest(operation: "v2", id: v2.id, key: v2.path, value: v2.val.isEmpty ? nil : Data(v2.val.utf8), detail: v2.method)
        }
        return nil
    }

    static func text(_ bytes: Data) -> String { String(decoding: bytes, as: UTF8.self) }
}
