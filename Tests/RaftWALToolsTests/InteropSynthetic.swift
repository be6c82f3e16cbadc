import Foundation
@testable import RaftInterop
import RaftWAL
import SwiftProtobuf

/// Writes etcd-format WAL and snap files and Swarm key files from the
/// format's grammar, so tests can build every shape (torn tails, broken
/// chains, rewrites, gaps, rotated keys) that real daemons leave rarely.
struct SyntheticWAL {
    var bytes = Data()
    /// The running CRC-32C over every non-crc record's data.
    var crc: UInt32

    init(seed: UInt32 = 0) {
        crc = seed
        record(type: 4, data: Data(), crcValue: seed)
    }

    /// Appends one frame: `{u64 length | 0x80|pad << 56}{Record}{pad}`.
    mutating func record(type: Int64, data: Data, crcValue: UInt32? = nil, corruptCRC: Bool = false) {
        var r = Raftinterop_Etcd_WalRecord()
        r.type = type
        if type != 4 {
            crc = data.withUnsafeBytes { CRC32C.extend(crc, $0) }
            r.data = data
        }
        r.crc = (crcValue ?? crc) ^ (corruptCRC ? 1 : 0)
        let encoded = try! r.serializedData()
        let pad = (8 - encoded.count % 8) % 8
        var word = UInt64(encoded.count)
        if pad > 0 { word |= UInt64(0x80 | pad) << 56 }
        withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(encoded)
        bytes.append(Data(repeating: 0, count: pad))
    }

    mutating func metadata(_ data: Data) { record(type: 1, data: data) }

    mutating func entry(index: UInt64, term: UInt64, type: Int32 = 0, data: Data) {
        var e = Raftinterop_Etcd_LogEntry()
        e.index = index
        e.term = term
        e.type = type
        e.data = data
        record(type: 2, data: try! e.serializedData())
    }

    mutating func hardState(term: UInt64, vote: UInt64, commit: UInt64) {
        var h = Raftinterop_Etcd_HardStateRecord()
        h.term = term
        h.vote = vote
        h.commit = commit
        record(type: 3, data: try! h.serializedData())
    }

    mutating func snapshot(index: UInt64, term: UInt64) {
        var s = Raftinterop_Etcd_WalSnapshot()
        s.index = index
        s.term = term
        record(type: 5, data: try! s.serializedData())
    }

    static func etcdMetadata(node: UInt64, cluster: UInt64) -> Data {
        var m = Raftinterop_Etcd_MemberMetadata()
        m.nodeID = node
        m.clusterID = cluster
        return try! m.serializedData()
    }

    static func confChange(type: Int32, node: UInt64, context: Data) -> Data {
        var c = Raftinterop_Etcd_ConfChangeV1()
        c.type = type
        c.nodeID = node
        c.context = context
        return try! c.serializedData()
    }

    static func snapFile(index: UInt64, term: UInt64, voters: [UInt64], data: Data) -> Data {
        var raft = Raftinterop_Etcd_RaftSnapshot()
        raft.data = data
        raft.metadata.index = index
        raft.metadata.term = term
        raft.metadata.confState.voters = voters
        let body = try! raft.serializedData()
        var f = Raftinterop_Etcd_SnapFile()
        f.data = body
        f.crc = body.withUnsafeBytes { CRC32C.extend(0, $0) }
        return try! f.serializedData()
    }

    static func walName(seq: UInt64, index: UInt64) -> String { String(format: "%016llx-%016llx.wal", seq, index) }
    static func snapName(term: UInt64, index: UInt64) -> String { String(format: "%016llx-%016llx.snap", term, index) }
}

/// Swarm messages for synthetic managers.
enum SyntheticSwarm {
    static func member(raftID: UInt64, nodeID: String, addr: String) -> Data {
        var m = Raftinterop_Swarm_Member()
        m.raftID = raftID
        m.nodeID = nodeID
        m.addr = addr
        m.status = Raftinterop_Swarm_MemberStatus()
        return try! m.serializedData()
    }

    static func nodeAction(kind: Int32, id: String, hostname: String, role: Int32, labels: [String: String] = [:]) -> Raftinterop_Swarm_StoreAction {
        var n = Raftinterop_Swarm_Node()
        n.id = id
        n.description_p.hostname = hostname
        n.role = role
        n.status.state = 2
        n.spec.annotations.labels = labels
        var a = Raftinterop_Swarm_StoreAction()
        a.kind = kind
        a.target = .node(n)
        return a
    }

    static func secretAction(id: String, name: String, value: String, config: Bool = false) -> Raftinterop_Swarm_StoreAction {
        var s = Raftinterop_Swarm_Secret()
        s.id = id
        s.spec.annotations.name = name
        s.spec.data = Data(value.utf8)
        var a = Raftinterop_Swarm_StoreAction()
        a.kind = 1
        a.target = config ? .config(s) : .secret(s)
        return a
    }

    static func request(_ actions: [Raftinterop_Swarm_StoreAction], id: UInt64 = 0xa22a_7aca_4501) -> Data {
        var r = Raftinterop_Swarm_RaftRequest()
        r.id = id
        r.action = actions
        return try! r.serializedData()
    }

    /// `swarm-node.key` with `raft-dek` (sealed with `kek` when given).
    static func keyFile(dek: [UInt8], kek: [UInt8]? = nil, pending: [UInt8]? = nil) -> String {
        func header(_ key: [UInt8]) -> String {
            (kek.map { Sealing.secretboxRecord(Data(key), key: $0) } ?? Sealing.plainRecord(Data(key))).base64EncodedString()
        }
        var text = "-----BEGIN \(kek == nil ? "" : "ENCRYPTED ")PRIVATE KEY-----\nkek-version: 0\nraft-dek: \(header(dek))\n"
        if let pending { text += "raft-dek-pending: \(header(pending))\n" }
        return text + "\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
    }

    static func unlockKey(_ kek: [UInt8]) -> String {
        var b64 = Data(kek).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SWMKEY-1-" + b64
    }
}
