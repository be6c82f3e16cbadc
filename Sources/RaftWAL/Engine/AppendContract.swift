/// The contract of an append (``RaftLog/append(_:hardState:)``): what a
/// request may ask of the log as the requests before it leave it. Every rule
/// here exists so that a sequence of accepted appends never leaves a
/// directory that a strict open refuses, nor one that breaks Raft's
/// guarantees (a committed entry replaced, a commit index that decreases).
struct AppendContract {
    /// The log's indexes, terms and conf changes as earlier requests leave it.
    let shape: LogShape
    /// The hard state as earlier requests leave it (persisted or in this round).
    let hardState: HardState
    /// The rest of the log's state (snapshot, first index).
    let state: LogState

    /// Why `request` breaks the contract; nil when it keeps it.
    func violation(_ request: PendingAppend) -> String? {
        let entries = request.entries
        var newLast = shape.lastIndex
        if let first = entries.first {
            if let why = shapeViolation(entries, metaBytes: request.metaBytes) { return why }
            if let why = positionViolation(first: first, count: UInt64(entries.count)) { return why }
            newLast = entries.last!.index
        }
        if let hs = request.hardState {
            if hs.term < hardState.term { return "hard state term \(hs.term) is lower than the persisted \(hardState.term)" }
            if hs.commit < hardState.commit {
                return "commit \(hs.commit) is lower than the persisted \(hardState.commit): Raft's commit index never decreases"
            }
            let limit = max(newLast, state.snapshot?.index ?? 0)
            if hs.commit > limit { return "commit \(hs.commit) is beyond the last index \(limit)" }
        }
        return nil
    }

    /// The batch on its own: consecutive, terms not decreasing, within the
    /// format's limits, conf changes in the log's encoding.
    private func shapeViolation(_ entries: [Entry], metaBytes: Int) -> String? {
        let first = entries[0]
        var bodyBytes = 0
        for (k, e) in entries.enumerated() {
            if e.index != first.index + UInt64(k) { return "entries are not consecutive: \(e.index) follows \(first.index + UInt64(k) - 1)" }
            if k > 0 && e.term < entries[k - 1].term { return "term decreases at index \(e.index)" }
            if e.data.count > Layout.maxEntryBytes { return "entry \(e.index) has \(e.data.count) bytes, more than \(Layout.maxEntryBytes)" }
            if e.kind == .confChange, let why = ConfChange.encodingProblem(e.data) {
                return "conf-change entry \(e.index) is not a ConfChange encoding (\(why)): build it with Entry(index:term:confChange:)"
            }
            bodyBytes += 5 + e.data.count
        }
        if bodyBytes > Layout.maxBodyBytes { return "batch of \(bodyBytes) bytes exceeds \(Layout.maxBodyBytes): split it" }
        if entries.count > Layout.maxEntriesPerBatch {
            return "batch of \(entries.count) entries exceeds \(Layout.maxEntriesPerBatch): split it"
        }
        if metaBytes > Int(UInt16.max) {
            return "batch spans too many terms and conf changes for one record (\(metaBytes) meta bytes, at most 65535): split it"
        }
        return nil
    }

    /// Where the batch goes: no gap, nothing committed or snapshotted
    /// replaced, terms not below the entry before it.
    private func positionViolation(first: Entry, count: UInt64) -> String? {
        if first.index == 0 { return "index 0 is reserved" }
        if first.index > Layout.maxIndex - count {
            return "index \(first.index) with \(count) entries exceeds \(Layout.maxIndex), the largest index the format reads back"
        }
        if first.index > shape.lastIndex + 1 {
            return "append at \(first.index) would leave a gap after the last index \(shape.lastIndex)"
        }
        let base = max(state.snapshot?.index ?? 0, shape.reset?.index ?? 0)
        if first.index <= base { return "append at \(first.index) rewrites entries covered by the snapshot at \(base)" }
        if first.index < state.firstIndex { return "append at \(first.index) is below the first index \(state.firstIndex)" }
        // Raft never replaces a committed entry; a log that did would hold a
        // commit index beyond its last entry (C7) and refuse to open.
        if first.index <= hardState.commit {
            return "append at \(first.index) rewrites committed entries (commit index \(hardState.commit))"
        }
        let previous = first.index - 1
        let prevTerm = shape.term(of: previous) ?? state.baseTerm(at: previous)
        if let prevTerm, first.term < prevTerm {
            return "entry \(first.index) has term \(first.term), lower than the term \(prevTerm) of entry \(previous)"
        }
        return nil
    }
}
