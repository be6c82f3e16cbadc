/// Several members' logs side by side: where they diverge, what only some
/// hold, and which one to recover from after losing quorum.
public struct LogComparison: Sendable {
    public struct Member: Sendable {
        public var directory: String
        public var raftID: UInt64?
        public var name: String?
        public var firstIndex: UInt64?
        public var lastIndex: UInt64
        public var lastTerm: UInt64
        public var commit: UInt64
        public var term: UInt64
        public var snapshotIndex: UInt64?
        public var members: [UInt64]
        public var damage: Int
    }

    /// Indexes held by only some members.
    public struct Partial: Sendable {
        public var indexes: ClosedRange<UInt64>
        public var holders: [Int]
    }

    public var members: [Member] = []
    /// The first index where two members hold entries of different terms.
    public var firstDivergence: UInt64?
    /// Term at `firstDivergence` per member (nil: not held).
    public var divergenceTerms: [UInt64?] = []
    public var partial: [Partial] = []
    /// Members with the highest commit index.
    public var mostCommitted: [Int] = []
    /// The member to recover from: the most up-to-date log (last term, then
    /// last index, then commit) that holds every entry any member committed.
    public var recommended: Int?
    public var recommendationReason = ""

    public init(_ sources: [LogSource]) {
        members = sources.map { s in
            Member(directory: s.directory, raftID: s.identity.raftID, name: s.identity.nodeID, firstIndex: s.firstIndex,
                   lastIndex: s.lastIndex, lastTerm: s.lastTerm, commit: s.hardState?.commit ?? 0, term: s.hardState?.term ?? 0,
                   snapshotIndex: s.newestValidSnapshot?.index, members: s.membership(at: s.lastIndex).members.map(\.raftID),
                   damage: s.damage.count)
        }
        let terms: [[UInt64: UInt64]] = sources.map { s in Dictionary(s.entries.map { ($0.index, $0.term) }, uniquingKeysWith: { _, b in b }) }
        let all = Set(terms.flatMap(\.keys)).sorted()
        var run: (lo: UInt64, hi: UInt64, holders: [Int])?
        for i in all {
            let holders = terms.indices.filter { terms[$0][i] != nil }
            let distinct = Set(holders.map { terms[$0][i]! })
            if firstDivergence == nil && distinct.count > 1 {
                firstDivergence = i
                divergenceTerms = terms.map { $0[i] }
            }
            if holders.count < sources.count {
                if let r = run, r.holders == holders, r.hi + 1 == i { run!.hi = i } else {
                    if let r = run { partial.append(Partial(indexes: r.lo...r.hi, holders: r.holders)) }
                    run = (i, i, holders)
                }
            } else if let r = run {
                partial.append(Partial(indexes: r.lo...r.hi, holders: r.holders))
                run = nil
            }
        }
        if let r = run { partial.append(Partial(indexes: r.lo...r.hi, holders: r.holders)) }

        let maxCommit = members.map(\.commit).max() ?? 0
        mostCommitted = members.indices.filter { members[$0].commit == maxCommit }
        // The committed prefix's term at maxCommit, as a member that committed it holds it.
        let committedTerm = mostCommitted.lazy.compactMap { terms[$0][maxCommit] }.first
        let order = members.indices.sorted {
            let a = members[$0], b = members[$1]
            return (a.lastTerm, a.lastIndex, a.commit, -a.damage) > (b.lastTerm, b.lastIndex, b.commit, -b.damage)
        }
        let holdsCommitted: (Int) -> Bool = { k in
            guard maxCommit > 0 else { return true }
            if let t = committedTerm { return terms[k][maxCommit] == t || (self.members[k].snapshotIndex ?? 0) >= maxCommit }
            return self.members[k].lastIndex >= maxCommit
        }
        if let pick = order.first(where: holdsCommitted) {
            recommended = pick
            let m = members[pick]
            recommendationReason = "most up-to-date log (last entry \(m.lastIndex), term \(m.lastTerm)) holding every entry any member committed (up to \(maxCommit))"
        } else if let pick = order.first {
            recommended = pick
            recommendationReason = "no member holds every committed entry; this one has the most up-to-date log"
        }
    }
}
