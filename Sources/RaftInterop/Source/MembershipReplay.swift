/// Raft membership at an index: the newest usable snapshot's members, then
/// every conf change after it up to the index.
public struct MembershipView: Sendable {
    public var index: UInt64
    public var snapshotIndex: UInt64?
    public var changesApplied = 0
    public var members: [SourceMember] = []
    public var removed: [UInt64] = []
    /// Why the view may be incomplete (a conf change that does not decrypt, a gap).
    public var problem: String?

    /// A membership as of `index`, replayed from the snapshot at
    /// `snapshotIndex` (nil: from the start of the log) plus `changesApplied`
    /// conf changes (RaftWAL's replay enters the common model through this).
    public init(index: UInt64, snapshotIndex: UInt64? = nil, changesApplied: Int = 0, members: [SourceMember] = []) {
        self.index = index
        self.snapshotIndex = snapshotIndex
        self.changesApplied = changesApplied
        self.members = members
    }
}

extension LogSource {
    /// The conf changes an entry holds (nil for normal entries and for
    /// plaintext that does not decode).
    public func confChanges(_ e: SourceEntry) -> [DecodedConfChange]? {
        guard e.kind != .normal, let p = e.plaintext else { return nil }
        return DecodedConfChange.decode(p, kind: e.kind, context: kind == .swarm ? SwarmPayloads.memberContext : EtcdPayloads.memberContext)
    }

    /// The membership as of `index` (clamped to what the log knows).
    public func membership(at index: UInt64) -> MembershipView {
        var view = MembershipView(index: index)
        let base = snapshots.first { $0.problem == nil && $0.index <= index }
        // Names and addresses from every conf change in the files, for members a snapshot lists by ID only (etcd).
        var known: [UInt64: (String, String)] = [:]
        for e in replaced + entries where e.kind != .normal {
            for c in confChanges(e) ?? [] where !c.name.isEmpty || !c.address.isEmpty { known[c.raftID] = (c.name, c.address) }
        }
        if let base {
            view.snapshotIndex = base.index
            view.removed = base.removed
            if !base.members.isEmpty {
                view.members = base.members
                for id in base.learners { if let k = view.members.firstIndex(where: { $0.raftID == id }) { view.members[k].learner = true } }
            } else {
                view.members = base.voters.map { SourceMember(raftID: $0, name: known[$0]?.0 ?? "", address: known[$0]?.1 ?? "") }
                    + base.learners.map { SourceMember(raftID: $0, name: known[$0]?.0 ?? "", address: known[$0]?.1 ?? "", learner: true) }
            }
        }
        let from = (base?.index ?? 0) + 1
        if from <= index, let first = firstIndex, first > from {
            view.problem = "entries \(from)...\(first - 1) are neither in the log nor in a usable snapshot: conf changes there are unknown"
        }
        for e in entries where e.index >= from && e.index <= index && e.kind != .normal {
            guard let changes = confChanges(e) else {
                view.problem = "the conf change at index \(e.index) cannot be read (\(e.problem ?? "does not decode"))"
                continue
            }
            for c in changes { apply(c, at: e.index, to: &view) }
            view.changesApplied += 1
        }
        view.members.sort { $0.raftID < $1.raftID }
        return view
    }

    private func apply(_ c: DecodedConfChange, at index: UInt64, to view: inout MembershipView) {
        let existing = view.members.firstIndex { $0.raftID == c.raftID }
        switch c.type {
        case .add, .addLearner:
            let m = SourceMember(raftID: c.raftID, name: c.name, address: c.address, learner: c.type == .addLearner, addedAt: index)
            if let k = existing {
                view.members[k].learner = m.learner
                if !c.name.isEmpty { view.members[k].name = c.name }
                if !c.address.isEmpty { view.members[k].address = c.address }
            } else {
                view.members.append(m)
            }
        case .remove:
            if let k = existing { view.members.remove(at: k) }
            if !view.removed.contains(c.raftID) { view.removed.append(c.raftID) }
        case .update:
            if let k = existing, !c.address.isEmpty { view.members[k].address = c.address }
        case .unknown:
            break
        }
    }
}
