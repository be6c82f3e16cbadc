/// Everything the engine knows about an open log. Owned by ``RaftLog`` and
/// guarded by its state lock.
struct LogState {
    var identity: LogIdentity
    var segments: [SegmentState]
    /// The whole log's shape: indexes, term runs, conf-change indexes.
    var shape: LogShape
    var hardState: HardState
    /// The newest valid snapshot.
    var snapshot: SnapshotMetadata?
    /// Valid snapshot files, newest first (for retention).
    var snapshotNames: [String]
    /// Set when a write or sync failed: no further append is accepted.
    var failStop: String?
    /// An S2/S3 reset record the writable open could not write (the disk was
    /// full): written before the next record, so nothing lands on top of the
    /// stale suffix. Until then the snapshot on disk re-derives the same reset.
    var pendingReset: LogShape.ResetPoint?
    var closed = false

    /// First index held in the log (the first live entry), or lastIndex + 1 when empty.
    var firstIndex: UInt64 {
        for s in segments where s.hasLiveEntries { return s.liveFirst }
        return shape.lastIndex + 1
    }

    var lastIndex: UInt64 { shape.lastIndex }

    /// The term of an index the log's first entry follows, if known: the
    /// snapshot's or reset's, or the first segment's `previousTerm` (kept so
    /// that compaction does not forget the term of first index − 1).
    func baseTerm(at index: UInt64) -> UInt64? {
        if index == 0 { return 0 }
        if let r = shape.reset, r.index == index { return r.term }
        if let s = snapshot, s.index == index { return s.term }
        if let s = segments.first(where: \.hasLiveEntries), s.liveFirst == index + 1, s.liveFirst == s.header.firstIndex,
           let t = s.header.previousTerm {
            return t
        }
        return nil
    }

    /// The segment whose live range holds `index`.
    func segmentPosition(holding index: UInt64) -> Int? {
        var lo = 0, hi = segments.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let s = segments[mid]
            if !s.hasLiveEntries {
                // Dead segments hold nothing; search linearly around them.
                for k in lo...hi where segments[k].hasLiveEntries && segments[k].liveFirst <= index && index <= segments[k].liveLast { return k }
                return nil
            }
            if index < s.liveFirst { hi = mid - 1 } else if index > s.liveLast { lo = mid + 1 } else { return mid }
        }
        return nil
    }
}
