import RaftWAL

/// Replays batch and reset records in file order with Raft's truncation
/// rule (a batch starting at `f` replaces every index ≥ `f`), as the
/// engine's `LogShape` does, and says why a record breaks the rules.
/// Optionally keeps the live batches (those whose entries are not
/// replaced later) so a second pass reads exactly the log's entries.
struct ShapeTracker {
    /// The last index held.
    var lastIndex: UInt64
    /// The lowest index held since the last reset (nil when none).
    var heldFrom: UInt64?
    var termRuns: [TermRun] = []
    var confChangeIndexes: [UInt64] = []
    var reset: (index: UInt64, term: UInt64)?
    var live: [LiveBatch]?

    init(continuingAfter lastIndex: UInt64, keepLive: Bool) {
        self.lastIndex = lastIndex
        live = keepLive ? [] : nil
    }

    /// Continues after `index` without a record saying so (the start of the
    /// log, or after damage): nothing below is known.
    mutating func rebase(after index: UInt64) {
        if index < lastIndex { truncate(after: index) } else { lastIndex = index }
    }

    mutating func truncate(after index: UInt64) {
        guard index < lastIndex else { return }
        lastIndex = index
        while let last = termRuns.last, last.firstIndex > index { termRuns.removeLast() }
        while let last = confChangeIndexes.last, last > index { confChangeIndexes.removeLast() }
        if let from = heldFrom, from > index { heldFrom = nil }
        if live != nil {
            while let last = live!.last, last.firstIndex > index { live!.removeLast() }
            if let last = live!.last, last.lastIndex > index { live![live!.count - 1].lastIndex = index }
        }
    }

    /// Applies a batch record; returns the problems it has (the batch is applied anyway, so one problem is reported once).
    mutating func applyBatch(_ info: RecordInfo, segment: Int) -> [String] {
        var problems: [String] = []
        guard info.entryCount > 0 else {
            if info.firstIndex > lastIndex + 1 {
                problems.append("hard-state record at index \(info.firstIndex) but the log ends at \(lastIndex)")
            } else if info.firstIndex == 0 {
                problems.append("truncation record at index 0")
            } else if info.firstIndex <= lastIndex {
                // A truncation record (FORMAT.md §5.2): drops every index ≥ firstIndex.
                if let reset, info.firstIndex <= reset.index {
                    problems.append("truncation at \(info.firstIndex) cuts into the snapshot base \(reset.index)")
                }
                truncate(after: info.firstIndex - 1)
            }
            return problems
        }
        let first = info.firstIndex, last = info.firstIndex + UInt64(info.entryCount) - 1
        if first > lastIndex + 1 {
            problems.append("index gap: entries start at \(first) but the log ends at \(lastIndex) (indexes \(lastIndex + 1)...\(first - 1) missing)")
        }
        if let reset, first <= reset.index {
            problems.append("entries at \(first) rewrite the snapshot base \(reset.index)")
        }
        truncate(after: first - 1)
        if heldFrom == nil { heldFrom = first }
        for run in info.termRuns {
            if let prev = termRuns.last {
                if run.term < prev.term {
                    problems.append("term decreases at index \(run.firstIndex): \(run.term) after \(prev.term)")
                }
                if run.term == prev.term { continue }
            } else if let reset, run.term < reset.term {
                problems.append("term decreases at index \(run.firstIndex): \(run.term) after the reset's \(reset.term)")
            }
            termRuns.append(run)
        }
        confChangeIndexes.append(contentsOf: info.confChangeIndexes)
        lastIndex = last
        live?.append(LiveBatch(segment: segment, offset: info.offset, firstIndex: first, lastIndex: last))
        return problems
    }

    mutating func applyReset(index: UInt64, term: UInt64) {
        reset = (index, term)
        heldFrom = nil
        termRuns = []
        confChangeIndexes = []
        live = live.map { _ in [] }
        lastIndex = index
    }

    /// The term of a held index.
    func term(of index: UInt64) -> UInt64? {
        guard let from = heldFrom, index >= from, index <= lastIndex else {
            if let reset, reset.index == index { return reset.term }
            return nil
        }
        var result: UInt64? = nil
        for run in termRuns {
            if run.firstIndex <= index { result = run.term } else { break }
        }
        return result
    }

    var lastTerm: UInt64 {
        if let t = termRuns.last?.term, heldFrom != nil { return t }
        return reset?.term ?? 0
    }
}

/// A batch record whose entries `firstIndex ... lastIndex` are part of the
/// log (later records did not replace them).
package struct LiveBatch: Sendable, Equatable {
    /// Position of the segment in ``LogAnalysis/segments``.
    package var segment: Int
    package var offset: UInt64
    package var firstIndex: UInt64
    package var lastIndex: UInt64
}
