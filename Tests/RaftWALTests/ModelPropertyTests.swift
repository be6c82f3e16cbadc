import Testing
import RaftWAL
import RaftWALTesting

/// Random sequences of append / conflicting append / hard state / snapshot /
/// install-snapshot / compact / truncate / close-and-reopen, checked after every step
/// against an in-memory model of what Raft was told is durable.
@Suite("Log matches an in-memory model")
struct ModelPropertyTests {
    struct Model {
        var entries: [UInt64: Entry] = [:]
        var last: UInt64 = 0
        var base: (index: UInt64, term: UInt64) = (0, 0)  // snapshot the log restarts after, if beyond entries
        var hardState = HardState()
        var snapshot: (index: UInt64, term: UInt64)?

        func term(_ i: UInt64) -> UInt64 {
            if i == base.index { return base.term }
            return entries[i]?.term ?? 0
        }
    }

    struct Rng {
        var source: SplitMix64
        init(state: UInt64) { source = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { source.next() }
        mutating func below(_ n: UInt64) -> UInt64 { source.below(n) }
        mutating func chance(_ percent: UInt64) -> Bool { below(100) < percent }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomOperationsKeepTheLogEqualToTheModel(seed: UInt64) throws {
        let dir = TempDir("model")
        var rng = Rng(state: seed)
        var options = testOptions(segmentSize: 16 << 10)
        options.compactionKeepEntries = rng.below(40)
        options.compression = seed % 2 == 0
        var log = try RaftLog.open(directory: dir.path, options: options)
        var model = Model()
        for step in 0..<250 {
            let op = rng.below(100)
            let context = "seed \(seed) step \(step) op \(op)"
            switch op {
            case 0..<55:  // append, possibly conflicting, with a hard state
                let low = max(model.base.index, model.hardState.commit, model.snapshot?.index ?? 0) + 1
                let first = low + rng.below(model.last + 2 - low)
                let count = rng.chance(10) ? 0 : 1 + rng.below(rng.chance(10) ? 300 : 12)
                var term = max(model.hardState.term, model.term(first - 1))
                if rng.chance(20) { term += 1 }
                let entries: [Entry] = (0..<count).map { k in
                    let size = Int(rng.below(rng.chance(5) ? 5000 : 200))
                    var data = [UInt8](repeating: 0, count: size)
                    for j in 0..<size { data[j] = UInt8(truncatingIfNeeded: rng.next()) }
                    if rng.chance(3) {
                        return Entry(index: first + k, term: term, confChange: ConfChange(type: .addVoter, raftID: rng.below(5) + 1, name: "m", address: "a"))
                    }
                    return Entry(index: first + k, term: term, data: data)
                }
                let newLast = count == 0 ? model.last : first + count - 1
                let hs = HardState(term: term, vote: 1, commit: min(newLast, model.hardState.commit + rng.below(20)))
                try log.append(entries, hardState: hs)
                if count > 0 {
                    for i in first...max(first, model.last) { model.entries[i] = nil }
                    for e in entries { model.entries[e.index] = e }
                    model.last = newLast
                }
                model.hardState = hs
            case 55..<65:  // snapshot of committed state
                let commit = model.hardState.commit
                let low = max(model.snapshot?.index ?? 0, log.firstIndex, 1)
                guard commit >= low else { continue }
                let index = low + rng.below(commit - low + 1)
                try log.saveSnapshot(Snapshot(index: index, term: model.term(index), membership: Membership(), data: [UInt8(index & 0xFF)]))
                model.snapshot = (index, model.term(index))
            case 65..<68:  // a snapshot installed from a leader, beyond the log
                let index = model.last + 1 + rng.below(20)
                let term = max(model.hardState.term, model.term(model.last)) + 1
                try log.saveSnapshot(Snapshot(index: index, term: term, membership: Membership(), data: []))
                model.snapshot = (index, term)
                model.base = (index, term)
                model.entries = [:]
                model.last = index
            case 68..<74:  // truncate the uncommitted tail (openraft truncate_after)
                let low = max(model.base.index, model.hardState.commit, model.snapshot?.index ?? 0, log.firstIndex - 1)
                guard model.last + 2 > low else { continue }
                let after = low + rng.below(model.last + 2 - low)  // model.last + 1: a no-op
                let recordsBefore = log.statistics.records
                try log.truncate(after: after)
                if after < model.last {
                    for i in (after + 1)...model.last { model.entries[i] = nil }
                    model.last = after
                    #expect(log.statistics.records == recordsBefore + 1, "\(context): one truncation record")
                } else {
                    #expect(log.statistics.records == recordsBefore, "\(context): nothing written for a no-op truncation")
                }
            case 74..<80:  // close and reopen
                log.close()
                log = try RaftLog.open(directory: dir.path, options: options)
                #expect(log.recoveryReport.labels == [.clean], "\(context): \(log.recoveryReport.labels)")
            default:  // read a random range
                let first = log.firstIndex
                guard model.last >= first else { continue }
                let lo = first + rng.below(model.last - first + 1)
                let hi = lo + 1 + rng.below(model.last - lo + 1)
                let got = try log.entries(lo, hi, maxBytes: rng.chance(30) ? 1000 : .max)
                #expect(!got.isEmpty, "\(context)")
                for e in got { #expect(e == model.entries[e.index], "\(context): entry \(e.index)") }
            }
            try check(log, model, context)
        }
        log.close()
    }

    func check(_ log: RaftLog, _ model: Model, _ context: String) throws {
        #expect(log.lastIndex == model.last, "\(context)")
        #expect(log.hardState == model.hardState, "\(context)")
        #expect(log.snapshotMetadata?.index == model.snapshot?.index, "\(context)")
        let first = log.firstIndex
        // Compaction never goes beyond the snapshot, and keeps everything after it.
        #expect(first <= (model.snapshot?.index ?? 0) + 1 || first == model.base.index + 1, "\(context): first \(first)")
        if model.last >= first {
            let all = try log.entries(first, model.last + 1)
            #expect(all.count == Int(model.last - first + 1), "\(context)")
            for e in all where e != model.entries[e.index] {
                Issue.record("\(context): entry \(e.index) differs from the model")
                break
            }
            let probe = first + (model.last - first) / 2
            #expect(try log.term(probe) == model.term(probe), "\(context)")
        }
    }
}
