/// What the engine keeps in memory about one segment file.
///
/// Memory per sealed segment is constant (its summary); its batch table is
/// read from the seal on demand and cached. The tail segment, and unsealed
/// segments found at open, keep their batch table in memory.
struct SegmentState {
    let name: String
    let reader: SegmentReader
    var header: SegmentHeader { reader.header }
    /// The seal's offset when the segment is sealed.
    var sealOffset: UInt64?
    var batchTableOffset: UInt64 = 0
    var batchCount: Int = 0
    /// Rows in write order: kept for the tail (to seal it) and for unsealed segments.
    var rows: [BatchRef] = []
    /// The lookup index; nil for a sealed segment whose table is not loaded.
    var index: SegmentIndex?
    /// This segment's own contribution to the log.
    var shape: LogShape
    /// Indexes of this segment still in the log (later segments may have
    /// truncated or reset it); empty when `liveFirst > liveLast`.
    var liveFirst: UInt64
    var liveLast: UInt64
    /// End of the valid records (where the next record goes, for the tail).
    var endOffset: UInt64

    var isSealed: Bool { sealOffset != nil }
    var hasLiveEntries: Bool { liveFirst <= liveLast }

    init(name: String, reader: SegmentReader, shape: LogShape, endOffset: UInt64) {
        self.name = name
        self.reader = reader
        self.shape = shape
        self.endOffset = endOffset
        if let from = shape.rewriteFrom, shape.lastIndex >= from {
            liveFirst = from
            liveLast = shape.lastIndex
        } else {
            liveFirst = 1
            liveLast = 0
        }
    }

    /// A later record rewrote the log from `index`: drop this segment's indexes ≥ it.
    mutating func clip(before index: UInt64) {
        if liveLast >= index { liveLast = index - 1 }
    }

    mutating func kill() {
        liveFirst = 1
        liveLast = 0
    }
}
