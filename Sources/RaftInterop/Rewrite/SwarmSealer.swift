import Foundation

/// Seals the data of entries `raft-recover` adds to a Docker Swarm
/// manager's log, the way swarmkit does: a `MaybeEncryptedRecord` with
/// algorithm 1 (NaCl secretbox), a fresh random 24-byte nonce and the
/// node's current data encryption key (`raft-dek` in `swarm-node.key`,
/// unsealed with the unlock key on an autolocked swarm).
public struct SwarmSealer: Sendable {
    let dek: [UInt8]
    /// Which header the key came from (`raft-dek`).
    public let keyName: String

    /// Reads the key file under `swarmRoot/certificates/swarm-node.key`.
    ///
    /// - Throws: ``InteropError/locked(keyFile:)`` without `unlockKey` on an
    ///   autolocked swarm, ``InteropError/wrongUnlockKey(keyFile:)``,
    ///   ``InteropError/badKeyFile(file:why:)``.
    public static func load(swarmRoot: String, unlockKey: String?) throws(InteropError) -> SwarmSealer {
        let keys = try SwarmKeys.load(keyFile: swarmRoot + "/certificates/swarm-node.key",
                                      label: "certificates/swarm-node.key", unlockKey: unlockKey)
        // swarmkit writes with the current DEK; a pending one only becomes current once a rotation snapshot is taken.
        guard let current = keys.deks.first(where: { $0.name == "raft-dek" }) ?? keys.deks.first else {
            throw .badKeyFile(file: "certificates/swarm-node.key", why: "no raft-dek header")
        }
        return SwarmSealer(dek: current.key, keyName: current.name)
    }

    /// The serialized `MaybeEncryptedRecord` holding `plaintext`.
    public func seal(_ plaintext: Data) -> Data { Sealing.secretboxRecord(plaintext, key: dek) }

    /// Opens what ``seal(_:)`` (or swarmkit) sealed with this key; nil when it does not open.
    public func open(_ envelope: Data) -> Data? {
        SwarmKeys(deks: [(keyName, dek)]).open(envelope).plaintext
    }
}

/// Encodes the plaintext of raft configuration changes (`raftpb.ConfChange`, v1).
public enum ConfChangeEncoding {
    /// `ConfChange{ID 0, Type RemoveNode, NodeID}` with no context: what
    /// Docker's force-new-cluster writes for each other member.
    public static func removeNode(_ raftID: UInt64) -> Data {
        var c = PBConfChange()
        c.id = 0
        c.type = 1
        c.nodeID = raftID
        return try! c.serializedData()
    }

    /// `ConfChange{ID 0, Type AddNode, NodeID, Context}`: this member added
    /// back when it is not in the membership (`context` is its serialized `RaftMember`).
    public static func addNode(_ raftID: UInt64, context: Data) -> Data {
        var c = PBConfChange()
        c.id = 0
        c.type = 0
        c.nodeID = raftID
        c.context = context
        return try! c.serializedData()
    }
}
