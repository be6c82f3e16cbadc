/// The shape of a log, or of one segment's contribution to it: which indexes
/// it holds, their terms, where its conf changes are, and the last hard
/// state. Built by replaying records in order, without decompressing bodies.
///
/// Replay rules (`docs/FORMAT.md` §5):
/// - a batch with entries starting at `f` first drops every index ≥ `f`
///   (Raft log truncation), then appends; `f` must be ≤ lastIndex + 1
///   (no gap) and > the reset base (never rewrite what a snapshot covers);
/// - a batch without entries at `firstIndex` = lastIndex + 1 carries only a
///   hard state; one at `f` ≤ lastIndex is a *truncation record*: it drops
///   every index ≥ `f` (``RaftLog/truncate(after:)``), with the same bounds
///   as a batch with entries (no gap, nothing a reset covers);
/// - a reset record empties the log: it restarts after (index, term).
package struct LogShape: Equatable, Sendable {
    /// The latest reset: the log restarted after this snapshot position.
    package var reset: ResetPoint?
    /// The lowest index written since the last reset (nil when none was).
    package var rewriteFrom: UInt64?
    package var lastIndex: UInt64
    /// Term runs covering `rewriteFrom ... lastIndex`.
    package var termRuns: [TermRun]
    package var confChangeIndexes: [UInt64]
    package var hardState: HardState?

    package struct ResetPoint: Equatable, Sendable {
        package var index: UInt64
        package var term: UInt64
    }

    /// A shape that continues a log whose last index is `lastIndex`.
    init(continuingAfter lastIndex: UInt64) {
        self.lastIndex = lastIndex
        termRuns = []
        confChangeIndexes = []
    }

    /// Drops every index above `index`.
    mutating func truncate(after index: UInt64) {
        guard index < lastIndex else { return }
        lastIndex = index
        while let last = termRuns.last, last.firstIndex > index { termRuns.removeLast() }
        while let last = confChangeIndexes.last, last > index { confChangeIndexes.removeLast() }
        if let from = rewriteFrom, from > index { rewriteFrom = index + 1 }
    }

    /// Applies entries `first ... last` carrying `runs` and `confs`. Returns a
    /// reason when the batch would leave a gap or rewrite a reset's base.
    mutating func applyEntries(first: UInt64, last: UInt64, runs: [TermRun], confs: [UInt64]) -> String? {
        guard last >= first else { return nil }
        if first > lastIndex + 1 { return "index gap: entries start at \(first) but the log ends at \(lastIndex)" }
        if let reset, first <= reset.index { return "entries at \(first) rewrite the snapshot base \(reset.index)" }
        truncate(after: first - 1)
        rewriteFrom = min(rewriteFrom ?? first, first)
        for run in runs {
            if let prev = termRuns.last {
                if run.term < prev.term { return "term decreases at index \(run.firstIndex): \(run.term) after \(prev.term)" }
                if run.term == prev.term { continue }
            }
            termRuns.append(run)
        }
        confChangeIndexes.append(contentsOf: confs)
        lastIndex = last
        return nil
    }

    /// Drops every index ≥ `first` (a truncation record, FORMAT.md §5.2).
    /// `rewriteFrom` records it even when nothing follows, so a segment's
    /// summary (`rewriteFrom` = `lastIndex` + 1) replays the cut in an
    /// earlier segment. Returns a reason when `first` leaves a gap or cuts
    /// into a reset's base.
    mutating func applyTruncation(from first: UInt64) -> String? {
        if first > lastIndex + 1 { return "truncation at \(first) but the log ends at \(lastIndex)" }
        if first == 0 { return "truncation at index 0" }
        if let reset, first <= reset.index { return "truncation at \(first) cuts into the snapshot base \(reset.index)" }
        truncate(after: first - 1)
        rewriteFrom = min(rewriteFrom ?? first, first)
        return nil
    }

    mutating func applyBatch(firstIndex: UInt64, entryCount: Int, meta: BatchMeta) -> String? {
        if entryCount == 0 {
            if firstIndex <= lastIndex, let why = applyTruncation(from: firstIndex) { return why }
            if firstIndex > lastIndex + 1 { return "hard-state record at \(firstIndex) but the log ends at \(lastIndex)" }
        } else if let why = applyEntries(first: firstIndex, last: firstIndex + UInt64(entryCount) - 1,
                                         runs: meta.termRuns, confs: meta.confChangeIndexes) {
            return why
        }
        if let hs = meta.hardState { hardState = hs }
        return nil
    }

    mutating func applyReset(index: UInt64, term: UInt64) {
        reset = ResetPoint(index: index, term: term)
        rewriteFrom = nil
        termRuns = []
        confChangeIndexes = []
        lastIndex = index
    }

    /// Applies another shape (a later segment's contribution).
    mutating func apply(_ later: LogShape) -> String? {
        if let r = later.reset { applyReset(index: r.index, term: r.term) }
        if let from = later.rewriteFrom, later.lastIndex >= from {
            if let why = applyEntries(first: from, last: later.lastIndex, runs: later.termRuns, confs: later.confChangeIndexes) {
                return why
            }
        } else if let from = later.rewriteFrom {
            // The later shape ends with a truncation that nothing re-filled
            // (rewriteFrom = its lastIndex + 1): cut this one there too.
            if let why = applyTruncation(from: from) { return why }
        }
        if let hs = later.hardState { hardState = hs }
        return nil
    }

    /// The term of `index` if a run covers it.
    func term(of index: UInt64) -> UInt64? {
        guard let from = rewriteFrom, index >= from, index <= lastIndex else { return nil }
        var lo = 0, hi = termRuns.count - 1
        guard hi >= 0 else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if termRuns[mid].firstIndex <= index { lo = mid } else { hi = mid - 1 }
        }
        return termRuns[lo].firstIndex <= index ? termRuns[lo].term : nil
    }

    /// Drops runs and conf changes below `index` (after compaction), keeping
    /// the run that covers it.
    mutating func forget(below index: UInt64) {
        guard let from = rewriteFrom, index > from else { return }
        while termRuns.count > 1 && termRuns[1].firstIndex <= index { termRuns.removeFirst() }
        if !termRuns.isEmpty { termRuns[0].firstIndex = max(termRuns[0].firstIndex, index) }
        confChangeIndexes.removeAll { $0 < index }
        rewriteFrom = index
    }
}
