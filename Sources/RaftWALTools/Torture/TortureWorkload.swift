import RaftWAL
import RaftWALTesting

/// One operation of a simulated Raft node on its log.
enum TortureOp {
    case append([Entry], HardState?)
    case setHardState(HardState)
    /// `holds`: the log holds the snapshot's (index, term), so it is kept;
    /// otherwise the log restarts after the snapshot.
    case snapshot(Snapshot, holds: Bool)
    case compact(through: UInt64)
    /// `RaftLog.truncate(after:)`: the uncommitted tail removed without an append.
    case truncate(after: UInt64)

    var name: String {
        switch self {
        case let .append(e, hs): return "append \(e.first.map { "\($0.index)...\(e.last!.index) term \($0.term)" } ?? "nothing")\(hs.map { " hs \($0.term)/\($0.vote)/\($0.commit)" } ?? "")"
        case let .setHardState(hs): return "hard state \(hs.term)/\(hs.vote)/\(hs.commit)"
        case let .snapshot(s, holds): return "snapshot \(s.metadata.index)/\(s.metadata.term)\(holds ? "" : " (reset)")"
        case let .compact(i): return "compact through \(i)"
        case let .truncate(i): return "truncate after \(i)"
        }
    }
}

/// Random Raft-shaped operations: appends of 0 bytes to several MiB in
/// batches of 1 to thousands, conflicting appends that replace the
/// uncommitted suffix, hard-state updates, snapshots taken locally or
/// installed from a leader, compaction, and truncations of the uncommitted
/// tail without an append.
struct TortureWorkload {
    let seed: UInt64

    /// The next operation, valid for a log in state `m` whose first index is `first`.
    func next(_ m: TortureModel, firstIndex first: UInt64, random r: inout SimRandom) -> TortureOp {
        let lastTerm = m.term(m.lastIndex) ?? 0
        let term = max(m.hardState.term, lastTerm, 1)
        let roll = r.below(100)
        if roll < 10, m.lowestReplaceable <= m.lastIndex {
            // A new leader overwrote the uncommitted suffix.
            let lo = max(m.lowestReplaceable, first)
            if lo <= m.lastIndex {
                let from = UInt64(r.int(in: Int(lo)...Int(m.lastIndex)))
                return appendOp(m, from: from, term: term + 1, random: &r)
            }
        }
        if roll < 20 {
            var hs = m.hardState
            if r.chance(0.3) { hs.term = term + UInt64(r.below(2)); hs.vote = UInt64(r.int(in: 1...3)) }
            let limit = max(m.lastIndex, m.snapshot?.index ?? 0)
            if hs.commit < limit { hs.commit = UInt64(r.int(in: Int(hs.commit)...Int(limit))) }
            return .setHardState(hs)
        }
        if roll < 27 {
            let lo = max(first > 0 ? first - 1 : 0, (m.snapshot?.index ?? 0) + 1, m.resetIndex, 1)
            let hi = min(m.hardState.commit, m.lastIndex)
            if lo <= hi {
                let index = UInt64(r.int(in: Int(lo)...Int(hi)))
                if let t = m.term(index) { return .snapshot(snapshot(index: index, term: t, random: &r), holds: true) }
            }
        }
        if roll < 29 {
            // Installed from the leader, beyond the log.
            let index = m.lastIndex + UInt64(r.int(in: 1...40))
            return .snapshot(snapshot(index: index, term: term + UInt64(r.below(2)), random: &r), holds: false)
        }
        if roll < 33, let s = m.snapshot {
            return .compact(through: UInt64(r.int(in: 0...Int(s.index))))
        }
        if roll < 37 {
            // A follower drops its uncommitted tail (openraft truncate_after).
            let lo = max(m.lowestReplaceable - 1, first > 0 ? first - 1 : 0)
            if lo < m.lastIndex { return .truncate(after: UInt64(r.int(in: Int(lo)...Int(m.lastIndex - 1)))) }
        }
        return appendOp(m, from: m.lastIndex + 1, term: term, random: &r)
    }

    private func appendOp(_ m: TortureModel, from: UInt64, term: UInt64, random r: inout SimRandom) -> TortureOp {
        let count: Int, size: () -> Int
        let shape = r.below(100)
        if shape < 2 {
            // A few MiB in a handful of entries.
            count = r.int(in: 1...3)
            let each = r.int(in: 256 << 10 ... 2 << 20)
            size = { each }
        } else if shape < 10 {
            count = r.int(in: 200...3000)
            size = { 16 }
        } else if shape < 30 {
            count = r.int(in: 9...200)
            size = { 100 }
        } else {
            count = r.int(in: 1...8)
            let big = r.chance(0.1)
            let zero = r.chance(0.15)
            size = { zero ? 0 : (big ? 4000 : 300) }
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for k in 0..<count {
            let index = from + UInt64(k)
            if r.chance(0.02) {
                let id = UInt64(r.int(in: 1...5))
                let change = ConfChange(type: r.chance(0.8) ? .addVoter : .remove, raftID: id, name: "manager-\(id)",
                                        address: "10.0.0.\(id):2377")
                entries.append(Entry(index: index, term: term, confChange: change))
            } else {
                let n = size() == 0 ? 0 : r.int(in: 0...size())
                entries.append(Entry(index: index, term: term, data: TorturePayload.bytes(seed: seed, index: index, term: term, count: n)))
            }
        }
        var hs: HardState? = nil
        if r.chance(0.6) {
            var h = m.hardState
            h.term = max(h.term, term)
            let newLast = entries.last!.index
            // Raft commits only what it holds: never beyond the new last index.
            if h.commit < newLast && r.chance(0.8) { h.commit = UInt64(r.int(in: Int(h.commit)...Int(newLast))) }
            hs = h
        }
        return .append(entries, hs)
    }

    private func snapshot(index: UInt64, term: UInt64, random r: inout SimRandom) -> Snapshot {
        var members: [Member] = []
        for id in 1...UInt64(r.int(in: 1...3)) {
            members.append(Member(raftID: id, name: "manager-\(id)", address: "10.0.0.\(id):2377", role: .voter, addedAtIndex: 0))
        }
        let data = TorturePayload.bytes(seed: seed ^ 0x5A, index: index, term: term, count: r.chance(0.2) ? r.int(in: 0...200_000) : r.int(in: 0...3000))
        return Snapshot(index: index, term: term, membership: Membership(members), data: data)
    }

    /// Runs `op` on `log`; on success applies it to the model.
    static func apply(_ op: TortureOp, to log: RaftLog, model m: inout TortureModel) throws(WALError) {
        switch op {
        case let .append(entries, hs):
            try log.append(entries, hardState: hs)
        case let .setHardState(hs):
            try log.setHardState(hs)
        case let .snapshot(s, _):
            if s.metadata.index % 3 == 0 {
                // Streamed (a chunked, version-2 file), in pieces of 7000 bytes.
                let pieces = stride(from: 0, to: s.data.count, by: 7000).map { Array(s.data[$0..<min($0 + 7000, s.data.count)]) }
                try log.saveSnapshot(s.metadata, chunks: pieces)
            } else {
                try log.saveSnapshot(s)
            }
        case let .compact(i):
            try log.compact(through: i)
        case let .truncate(i):
            try log.truncate(after: i)
        }
        effect(op, on: &m)
    }

    /// What `op` does to the model when it takes effect.
    static func effect(_ op: TortureOp, on m: inout TortureModel) {
        switch op {
        case let .append(entries, hs): m.append(entries, hardState: hs)
        case let .setHardState(hs): m.append([], hardState: hs)
        case let .snapshot(s, holds):
            m.save(s, fingerprint: TorturePayload.fingerprint(term: s.metadata.term, kind: .normal, data: s.data), holds: holds)
        case .compact: break
        case let .truncate(i): m.truncate(after: i)
        }
    }

    /// The model if `op` takes effect (for an operation a crash interrupts).
    static func expected(_ op: TortureOp, model m: TortureModel) -> TortureModel {
        var after = m
        effect(op, on: &after)
        return after
    }
}
