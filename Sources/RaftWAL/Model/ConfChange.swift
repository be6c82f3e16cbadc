/// A change to the cluster's membership, carried by a ``EntryKind/confChange`` entry.
///
/// Format (`docs/FORMAT.md` §6), little-endian:
/// `version u8 (=1) | type u8 | reserved u16 (=0) | raftID u64 | name: u16 len + UTF-8 | address: u16 len + UTF-8`
/// `name` is the member's node ID or host name, `address` where it listens.
public struct ConfChange: Equatable, Hashable, Sendable {
    /// What the change does to the member ``raftID``.
    public enum ChangeType: UInt8, Sendable, CaseIterable, Codable {
        /// Adds a voter (or updates its name and address when it is one).
        case addVoter = 1
        /// Adds a learner: a member that replicates but does not vote.
        case addLearner = 2
        /// Makes a learner a voter.
        case promoteLearner = 3
        /// Removes the member.
        case remove = 4
    }

    /// What the change does.
    public var type: ChangeType
    /// The member it applies to.
    public var raftID: UInt64
    /// The member's node ID or host name (empty for a removal).
    public var name: String
    /// Where the member listens, `host:port` (empty for a removal).
    public var address: String

    /// A change of `type` for member `raftID`.
    public init(type: ChangeType, raftID: UInt64, name: String = "", address: String = "") {
        self.type = type
        self.raftID = raftID
        self.name = name
        self.address = address
    }

    static let version: UInt8 = 1

    /// The encoded bytes (entry data).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + name.utf8.count + address.utf8.count)
        w.u8(Self.version)
        w.u8(type.rawValue)
        w.u16(0)
        w.u64(raftID)
        w.string16(name)
        w.string16(address)
        return w.bytes
    }

    /// Why `bytes` are not a conf change in this encoding; nil when they are.
    /// The append path uses it to refuse a conf-change entry whose payload the
    /// log could not replay into a membership later.
    static func encodingProblem(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ConfChange(decoding: bytes)
            return nil
        } catch {
            if case let .foreignConfChange(_, reason) = error { return reason }
            return error.description
        }
    }

    /// Decodes entry data. Throws ``WALError/foreignConfChange(index:reason:)``
    /// naming `index` when the bytes are not a conf change in this encoding:
    /// the bytes passed their record's checksum, so this is never reported
    /// as damage.
    public init(decoding bytes: [UInt8], index: UInt64? = nil) throws(WALError) {
        do {
            self = try bytes.decode { (r) throws(DecodeFailure) -> ConfChange in
                let version = try r.u8("conf change version")
                guard version == Self.version else {
                    throw DecodeFailure(offset: 0, reason: "conf change version \(version), expected \(Self.version)")
                }
                let rawType = try r.u8("conf change type")
                guard let type = ChangeType(rawValue: rawType) else {
                    throw DecodeFailure(offset: 1, reason: "unknown conf change type \(rawType)")
                }
                guard try r.u16("reserved") == 0 else { throw DecodeFailure(offset: 2, reason: "reserved bytes are not zero") }
                let id = try r.u64("raft ID")
                let name = try r.string16("name")
                let address = try r.string16("address")
                try r.expectEnd("conf change")
                return ConfChange(type: type, raftID: id, name: name, address: address)
            }
        } catch {
            throw WALError.foreignConfChange(index: index, reason: "byte \(error.offset): \(error.reason)")
        }
    }
}
