import RaftWAL

/// Bounds on indexes read from disk. A header or record with a valid
/// checksum can still carry any 64-bit value (a crafted or foreign file);
/// the tools must report it, never trap on `index + 1` or `index - 1`.
enum IndexBounds {
    /// Larger than any real log will reach, small enough that `+ count` cannot overflow.
    static let maxIndex: UInt64 = UInt64.max / 2

    static func plausible(_ index: UInt64) -> Bool { index >= 1 && index <= maxIndex }
}

extension RecordInfo {
    /// ``RecordInfo/indexes`` without the overflow trap: nil when the
    /// record holds no entries or its first index is implausible.
    var safeIndexes: ClosedRange<UInt64>? {
        guard entryCount > 0, IndexBounds.plausible(firstIndex) else { return nil }
        return firstIndex...(firstIndex + UInt64(entryCount) - 1)
    }
}
