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

    /// Compares `sources`, each member's log taken from `spans` when given
    /// (a RaftWAL directory streams its entries into spans), else from its
    /// ``LogSource/entries``. Memory and time grow with the members' term
    /// changes, never with their entry counts.
    public init(_ sources: [LogSource], spans given: [[TermSpan]]? = nil) {
        let spans = given ?? sources.map { TermSpan.of($0.entries) }
        precondition(spans.count == sources.count, "one span list per source")
        members = sources.indices.map { k in
            let s = sources[k], held = spans[k]
            // As ``LogSource/lastIndex`` and ``LogSource/lastTerm`` read the entries.
            var lastIndex = s.newestWALSnapshot?.index ?? 0, lastTerm = s.newestWALSnapshot?.term ?? 0
            if let span = held.last, span.indexes.upperBound >= lastIndex { (lastIndex, lastTerm) = (span.indexes.upperBound, span.term) }
            return Member(directory: s.directory, raftID: s.identity.raftID, name: s.identity.nodeID, firstIndex: held.first?.indexes.lowerBound,
                          lastIndex: lastIndex, lastTerm: lastTerm, commit: s.hardState?.commit ?? 0,
                          term: s.hardState?.term ?? 0, snapshotIndex: s.newestValidSnapshot?.index,
                          members: s.membership(at: lastIndex).members.map(\.raftID), damage: s.damage.count)
        }
        // Walk the pieces between span boundaries: on each piece every
        // member holds one term or nothing.
        var cuts: [UInt64] = []
        for held in spans {
            for span in held {
                cuts.append(span.indexes.lowerBound)
                if span.indexes.upperBound < .max { cuts.append(span.indexes.upperBound + 1) }
            }
        }
        cuts = Array(Set(cuts)).sorted()
        var cursor = [Int](repeating: 0, count: spans.count)
        var run: (lo: UInt64, hi: UInt64, holders: [Int])?
        for (k, a) in cuts.enumerated() {
            let b = k + 1 < cuts.count ? cuts[k + 1] - 1 : UInt64.max
            var here: [UInt64?] = []
            for m in spans.indices {
                while cursor[m] < spans[m].count && spans[m][cursor[m]].indexes.upperBound < a { cursor[m] += 1 }
                here.append(cursor[m] < spans[m].count && spans[m][cursor[m]].indexes.lowerBound <= a ? spans[m][cursor[m]].term : nil)
            }
            let holders = here.indices.filter { here[$0] != nil }
            if holders.isEmpty { continue }
            if firstDivergence == nil && Set(holders.map { here[$0]! }).count > 1 {
                firstDivergence = a
                divergenceTerms = here
            }
            if holders.count < sources.count {
                if let r = run, r.holders == holders, r.hi + 1 == a { run!.hi = b } else {
                    if let r = run { partial.append(Partial(indexes: r.lo...r.hi, holders: r.holders)) }
                    run = (a, b, holders)
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
        let committedTerm = mostCommitted.lazy.compactMap { spans[$0].term(at: maxCommit) }.first
        let order = members.indices.sorted {
            let a = members[$0], b = members[$1]
            return (a.lastTerm, a.lastIndex, a.commit, -a.damage) > (b.lastTerm, b.lastIndex, b.commit, -b.damage)
        }
        let holdsCommitted: (Int) -> Bool = { k in
            guard maxCommit > 0 else { return true }
            if let t = committedTerm { return spans[k].term(at: maxCommit) == t || (self.members[k].snapshotIndex ?? 0) >= maxCommit }
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
        if let pick = recommended, members[pick].damage > 0 {
            recommendationReason += "; but it has \(members[pick].damage) damage finding\(members[pick].damage == 1 ? "" : "s"): "
                + "run `raft-inspect verify` on it before recovering from it"
        }
    }
}
