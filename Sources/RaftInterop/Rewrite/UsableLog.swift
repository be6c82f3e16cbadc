/// The part of a foreign raft log that a rewrite can carry, judged from a
/// ``LogSource``: the newest snapshot file that verified (and, for Swarm,
/// decrypted), then the live entries after it, contiguous, each readable
/// (CRC-valid record; Swarm: opened with a key). Everything after the first
/// entry that breaks this is dropped.
///
/// Entries read after damage (the reader resynchronizes on the next valid
/// frame and reseeds the CRC chain) are carried when they continue the
/// sequence: damage in a record the snapshot covers loses nothing.
public struct UsableLog: Sendable {
    /// The snapshot the rewritten log starts from (nil: the log starts at index 1).
    public var snapshot: SnapshotFile?
    public var baseIndex: UInt64 { snapshot?.index ?? 0 }
    public var baseTerm: UInt64 { snapshot?.term ?? 0 }
    /// Entries baseIndex+1 … carried, in order.
    public var kept: [SourceEntry] = []
    /// Readable entries after the kept ones (dropped).
    public var dropped: [SourceEntry] = []
    /// Index ranges after the kept ones that no readable record holds.
    public var missing: [ClosedRange<UInt64>] = []
    /// Why carrying stopped before the log's last index (nil: nothing stopped it).
    public var stop: String?
    /// Snapshot files newer than ``snapshot`` that could not be used, with why.
    public var unusableSnapshots: [SnapshotFile] = []

    public var lastIndex: UInt64 { kept.last?.index ?? baseIndex }
    public var lastTerm: UInt64 { kept.last?.term ?? baseTerm }
}

extension LogSource {
    /// What a rewrite of this log can carry (see ``UsableLog``).
    public func usableLog() -> UsableLog {
        var usable = UsableLog()
        usable.snapshot = newestValidSnapshot
        usable.unusableSnapshots = snapshots.filter { $0.problem != nil && $0.index > usable.baseIndex }
        var expected = usable.baseIndex + 1
        var stopped = false
        for e in entries where e.index > usable.baseIndex {
            if !stopped {
                if e.index != expected {
                    usable.stop = "entr\(e.index - expected > 1 ? "ies \(expected)...\(e.index - 1) are" : "y \(expected) is") missing (no readable record holds \(e.index - expected > 1 ? "them" : "it"))"
                    usable.missing.append(expected...(e.index - 1))
                    stopped = true
                } else if e.plaintext == nil {
                    usable.stop = "entry \(e.index) cannot be opened: \(e.problem ?? "no plaintext")"
                    stopped = true
                } else {
                    usable.kept.append(e)
                    expected += 1
                    continue
                }
            }
            usable.dropped.append(e)
        }
        // Indexes the WAL names (a later snapshot record) that no entry holds.
        let beyond = max(usable.dropped.last?.index ?? usable.lastIndex, usable.lastIndex)
        if let s = newestWALSnapshot, s.index > beyond, s.index > usable.baseIndex {
            usable.missing.append((beyond + 1)...s.index)
            if usable.stop == nil { usable.stop = "the WAL records a snapshot at \(s.index) but no usable snapshot file holds it" }
        }
        return usable
    }
}
