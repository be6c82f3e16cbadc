import Foundation
import Testing
import RaftInterop
import RaftWALTesting

/// `compare` holds each member's log as term spans (issue 14 item 4: a
/// batch of 2^24 entries must not cost memory per entry). The span walk
/// must answer exactly what a walk over every index answers.
@Suite struct LogComparisonSpanTests {
    /// The answer of a walk over every index (the algorithm the spans replaced).
    struct Reference: Equatable {
        var firstDivergence: UInt64?
        var divergenceTerms: [UInt64?]
        var partial: [String]

        init(_ logs: [[UInt64: UInt64]]) {
            firstDivergence = nil
            divergenceTerms = []
            partial = []
            var run: (lo: UInt64, hi: UInt64, holders: [Int])?
            for i in Set(logs.flatMap(\.keys)).sorted() {
                let holders = logs.indices.filter { logs[$0][i] != nil }
                if firstDivergence == nil && Set(holders.map { logs[$0][i]! }).count > 1 {
                    firstDivergence = i
                    divergenceTerms = logs.map { $0[i] }
                }
                if holders.count < logs.count {
                    if let r = run, r.holders == holders, r.hi + 1 == i { run!.hi = i } else {
                        if let r = run { partial.append("\(r.lo)...\(r.hi) \(r.holders)") }
                        run = (i, i, holders)
                    }
                } else if let r = run {
                    partial.append("\(r.lo)...\(r.hi) \(r.holders)")
                    run = nil
                }
            }
            if let r = run { partial.append("\(r.lo)...\(r.hi) \(r.holders)") }
        }
    }

    static func source(_ log: [(index: UInt64, term: UInt64)], commit: UInt64, name: String) -> LogSource {
        var s = LogSource(kind: .etcd, version: "test", directory: name, walDirectory: ".", snapDirectory: nil, identity: SourceIdentity())
        s.entries = log.map { SourceEntry(index: $0.index, term: $0.term, kind: .normal, file: "", offset: 0, storedBytes: 0, plaintext: nil, problem: nil) }
        s.hardState = SourceHardState(term: log.last?.term ?? 0, vote: 0, commit: commit, file: "", offset: 0)
        return s
    }

    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func theSpanWalkAnswersWhatAWalkOverEveryIndexAnswers(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let members = 2 + rng.below(3)
        var logs: [[(index: UInt64, term: UInt64)]] = []
        // A common prefix, then each member's own suffix (diverging terms, gaps, different ends).
        let shared = UInt64(rng.below(30))
        let start = UInt64(1 + rng.below(5))
        for _ in 0..<members {
            var log: [(index: UInt64, term: UInt64)] = []
            var term: UInt64 = 1
            var index = start + UInt64(rng.below(3))
            while index < start + shared { log.append((index, 1 + (index - start) / 7)); index += 1 }
            term = log.last?.term ?? 1
            for _ in 0..<rng.below(40) {
                if rng.below(5) == 0 { term += UInt64(1 + rng.below(2)) }
                log.append((index, term))
                index += 1
            }
            logs.append(log)
        }
        let sources = logs.enumerated().map { k, log in Self.source(log, commit: UInt64(rng.below(40)), name: "m\(k)") }
        let c = LogComparison(sources)
        let want = Reference(logs.map { Dictionary($0.map { ($0.index, $0.term) }, uniquingKeysWith: { _, b in b }) })
        #expect(c.firstDivergence == want.firstDivergence)
        #expect(c.divergenceTerms == want.divergenceTerms)
        #expect(c.partial.map { "\($0.indexes.lowerBound)...\($0.indexes.upperBound) \($0.holders)" } == want.partial)
        for (k, log) in logs.enumerated() {
            #expect(c.members[k].firstIndex == log.first?.index)
            #expect(c.members[k].lastIndex == log.last?.index ?? 0)
            #expect(c.members[k].lastTerm == log.last?.term ?? 0)
        }
    }

    /// Two members of 2^32 entries each, given as spans: compared from their
    /// handful of spans (a walk over every index would not finish).
    @Test func membersGivenAsSpansAreComparedWithoutAnEntryEach() {
        let big: UInt64 = 1 << 32
        let a = [TermSpan(indexes: 1...big, term: 3)]
        let b = [TermSpan(indexes: 1...1000, term: 3), TermSpan(indexes: 1001...(big + 5), term: 4)]
        let sources = [Self.source([], commit: 900, name: "a"), Self.source([], commit: 1000, name: "b")]
        let c = LogComparison(sources, spans: [a, b])
        #expect(c.firstDivergence == 1001)
        #expect(c.divergenceTerms == [3, 4])
        #expect(c.partial.map(\.indexes) == [(big + 1)...(big + 5)])
        #expect(c.partial.map(\.holders) == [[1]])
        #expect(c.members.map(\.lastIndex) == [big, big + 5])
        #expect(c.members.map(\.lastTerm) == [3, 4])
        #expect(c.recommended == 1)
        #expect(!c.recommendationReason.contains("damage"))
    }

    /// The member recommended for recovery says so when it has damage.
    @Test func aRecommendedMemberWithDamageIsNamedAsDamaged() {
        var damaged = Self.source([(1, 1), (2, 1), (3, 2)], commit: 3, name: "a")
        damaged.findings.append(SourceFinding(.damage, "C1-corrupt-record", file: "x.seg", "checksum mismatch"))
        let c = LogComparison([damaged, Self.source([(1, 1), (2, 1)], commit: 2, name: "b")])
        #expect(c.recommended == 0)
        #expect(c.recommendationReason.hasSuffix("but it has 1 damage finding: run `raft-inspect verify` on it before recovering from it"))
    }
}
