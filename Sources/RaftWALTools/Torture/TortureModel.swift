import RaftWAL

/// What the log must hold: the acknowledged entries, hard state and
/// snapshot, updated only when an operation returns successfully.
///
/// An operation interrupted by a crash may or may not have become durable,
/// so the checker accepts the model before it or after it (``TortureChecker``).
struct TortureModel: Sendable {
    var entries: [UInt64: Entry] = [:]
    var lastIndex: UInt64 = 0
    var hardState = HardState()
    var snapshot: SnapshotMetadata? = nil
    var snapshotFingerprint: UInt64 = 0
    /// Entries at or below this index left the log with a reset (a snapshot
    /// the log did not hold).
    var resetIndex: UInt64 = 0
    /// Every version each index has held or was being written with (for the
    /// weak check after a storage fault: never bytes that were not written).
    var history: [UInt64: Set<UInt64>] = [:]

    /// The term of `index` as the model knows it.
    func term(_ index: UInt64) -> UInt64? {
        if let e = entries[index] { return e.term }
        if let s = snapshot, s.index == index { return s.term }
        if index == 0 { return 0 }
        return nil
    }

    /// The lowest index an append may start at (entries above the commit
    /// index and the snapshot may be replaced, as Raft does).
    var lowestReplaceable: UInt64 { max(hardState.commit, snapshot?.index ?? 0, resetIndex) + 1 }

    mutating func recordHistory(_ entries: [Entry]) {
        for e in entries { history[e.index, default: []].insert(TorturePayload.fingerprint(e)) }
    }

    /// Applies an append of `entries` and `hardState` (in place: the model
    /// is large, and a copy per operation made runs quadratic).
    mutating func append(_ new: [Entry], hardState hs: HardState?) {
        if let first = new.first?.index {
            if first <= lastIndex {
                for i in first...lastIndex { entries[i] = nil }
            }
            for e in new { entries[e.index] = e }
            lastIndex = new.last!.index
        }
        if let hs { hardState = hs }
    }

    /// Applies a truncation: every entry after `index` is gone.
    mutating func truncate(after index: UInt64) {
        guard index < lastIndex else { return }
        for i in (index + 1)...lastIndex { entries[i] = nil }
        lastIndex = index
    }

    /// Applies a saved snapshot: when the log does not hold its (index,
    /// term), the log restarts after it.
    mutating func save(_ s: Snapshot, fingerprint: UInt64, holds: Bool) {
        snapshot = s.metadata
        snapshotFingerprint = fingerprint
        if !holds {
            entries = [:]
            lastIndex = s.metadata.index
            resetIndex = s.metadata.index
        }
    }
}
