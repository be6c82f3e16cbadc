/// A member of the Raft group.
public struct Member: Equatable, Hashable, Sendable, Codable {
    /// Whether a member votes.
    public enum Role: UInt8, Sendable, Codable {
        /// Votes in elections and counts towards quorum.
        case voter = 1
        /// Replicates the log without voting.
        case learner = 2
    }

    /// The member's Raft ID.
    public var raftID: UInt64
    /// Its node ID or host name, as the conf change that added it said.
    public var name: String
    /// Where it listens (`host:port`).
    public var address: String
    /// Voter or learner.
    public var role: Role
    /// The log index of the configuration change that added it (0 when unknown,
    /// for example a member present when the cluster was bootstrapped).
    public var addedAtIndex: UInt64

    /// A member added at `addedAtIndex`.
    public init(raftID: UInt64, name: String, address: String, role: Role, addedAtIndex: UInt64) {
        self.raftID = raftID
        self.name = name
        self.address = address
        self.role = role
        self.addedAtIndex = addedAtIndex
    }
}

/// The cluster's configuration: who votes and who learns.
///
/// Format (`docs/FORMAT.md` §6): `count u32` then, sorted by Raft ID, per member
/// `raftID u64 | role u8 | reserved u8 ×7 | addedAtIndex u64 | name (u16 len + UTF-8) | address (u16 len + UTF-8)`.
public struct Membership: Equatable, Hashable, Sendable {
    /// Members keyed by Raft ID.
    public private(set) var members: [UInt64: Member]

    /// A membership of `members` (empty by default).
    public init(_ members: [Member] = []) {
        self.members = [:]
        for m in members { self.members[m.raftID] = m }
    }

    /// Members sorted by Raft ID.
    public var sorted: [Member] { members.values.sorted { $0.raftID < $1.raftID } }
    /// The voters, by Raft ID.
    public var voters: [Member] { sorted.filter { $0.role == .voter } }
    /// The learners, by Raft ID.
    public var learners: [Member] { sorted.filter { $0.role == .learner } }
    /// True when there is no member.
    public var isEmpty: Bool { members.isEmpty }

    /// Applies a configuration change made at log index `index`.
    /// Applying is total: removing an absent member or promoting an unknown one
    /// leaves the set unchanged (Raft implementations reject such changes
    /// before they commit; replay must not fail on them).
    public mutating func apply(_ change: ConfChange, at index: UInt64) {
        switch change.type {
        case .addVoter, .addLearner:
            let role: Member.Role = change.type == .addVoter ? .voter : .learner
            if var existing = members[change.raftID] {
                existing.role = role
                if !change.name.isEmpty { existing.name = change.name }
                if !change.address.isEmpty { existing.address = change.address }
                members[change.raftID] = existing
            } else {
                members[change.raftID] = Member(raftID: change.raftID, name: change.name, address: change.address,
                                                role: role, addedAtIndex: index)
            }
        case .promoteLearner:
            members[change.raftID]?.role = .voter
        case .remove:
            members[change.raftID] = nil
        }
    }

    func encode(into w: inout ByteWriter) {
        let list = sorted
        w.u32(UInt32(list.count))
        for m in list {
            w.u64(m.raftID)
            w.u8(m.role.rawValue)
            w.zeros(7)
            w.u64(m.addedAtIndex)
            w.string16(m.name)
            w.string16(m.address)
        }
    }

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    static let maxMembers: UInt32 = 1 << 16

    static func decode(from r: inout ByteReader) throws(DecodeFailure) -> Membership {
        let count = try r.u32("member count")
        guard count <= maxMembers else { throw DecodeFailure(offset: r.offset - 4, reason: "member count \(count) exceeds \(maxMembers)") }
        var result = Membership()
        for _ in 0..<count {
            let id = try r.u64("member raft ID")
            let roleRaw = try r.u8("member role")
            guard let role = Member.Role(rawValue: roleRaw) else {
                throw DecodeFailure(offset: r.offset - 1, reason: "unknown member role \(roleRaw)")
            }
            try r.skip(7)
            let added = try r.u64("member addedAtIndex")
            let name = try r.string16("member name")
            let address = try r.string16("member address")
            guard result.members[id] == nil else { throw DecodeFailure(offset: r.offset, reason: "duplicate member \(id)") }
            result.members[id] = Member(raftID: id, name: name, address: address, role: role, addedAtIndex: added)
        }
        return result
    }

    /// Decodes ``encoded()`` bytes.
    public init(decoding bytes: [UInt8]) throws(WALError) {
        do {
            self = try bytes.decode { (r) throws(DecodeFailure) -> Membership in
                let m = try Membership.decode(from: &r)
                try r.expectEnd("membership")
                return m
            }
        } catch {
            throw WALError.corrupted(file: "<memory>", offset: UInt64(error.offset), indexes: nil, reason: error.reason)
        }
    }
}
