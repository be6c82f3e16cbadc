/// Constants of the on-disk format. `docs/FORMAT.md` is the normative spec;
/// this file is that spec's numbers in code.
package enum Layout {
    /// Segment file magic, "RWALSEG1".
    static let segmentMagic: [UInt8] = Array("RWALSEG1".utf8)
    /// Snapshot file magic, "RWALSNP1".
    static let snapshotMagic: [UInt8] = Array("RWALSNP1".utf8)
    /// Trailer magic at the very end of a sealed segment, "RWALEND1".
    static let trailerMagic: [UInt8] = Array("RWALEND1".utf8)

    package static let formatVersion: UInt16 = 1

    /// The segment header occupies its own 4 KiB block, so a torn record
    /// write can never share a sector with it.
    package static let segmentHeaderBytes = 4096
    /// Bytes of the header that carry fields (the rest of the block is zero).
    static let segmentHeaderFieldBytes = 128
    /// Records start 8-byte aligned, so no header field ever straddles a
    /// sector boundary: a length field is never torn across two sectors.
    package static let recordAlignment = 8
    package static let recordHeaderBytes = 32
    /// A sealed segment ends with a 16-byte trailer: `sealOffset u64 | "RWALEND1"`.
    static let trailerBytes = 16

    /// Upper bound on a record's body, raw or stored: a length read from disk
    /// above it is rejected before anything is allocated.
    package static let maxBodyBytes = 1 << 30
    /// Upper bound on a batch's entry count.
    package static let maxEntriesPerBatch = 1 << 24
    /// Bound on every Raft index and segment sequence number read from disk
    /// (2^62): index arithmetic (`first + count`, `index + 1`) can then never
    /// overflow, whatever a damaged or crafted file says (found by the fuzzers).
    package static let maxIndex: UInt64 = 1 << 62
    /// Bound on a single entry's data (the body bound also applies).
    package static let maxEntryBytes = 1 << 30

    /// Segment file names: `<seq: 16 hex>-<firstIndex: 16 hex>.seg`.
    static let segmentSuffix = ".seg"
    /// Snapshot file names: `snap-<index: 16 hex>-<term: 16 hex>.snap`.
    static let snapshotPrefix = "snap-"
    static let snapshotSuffix = ".snap"
    /// Files being written; ignored by readers, removed by the writer on open.
    static let temporarySuffix = ".tmp"
    /// Copies of cut or dropped bytes kept by repairs.
    static let brokenSuffix = ".broken"
    /// The writer's lock file.
    package static let lockFileName = "LOCK"
    /// Left by a writer whose write or sync failed: the page cache may show
    /// bytes the disk never got, so the next writable open rewrites and syncs
    /// the tail before trusting it, then removes the marker.
    package static let syncFailedMarkerName = "SYNC-FAILED"

    static func alignUp(_ n: Int) -> Int { (n + recordAlignment - 1) & ~(recordAlignment - 1) }
    static func alignUp(_ n: UInt64) -> UInt64 { (n + UInt64(recordAlignment) - 1) & ~UInt64(recordAlignment - 1) }
}

/// Record types (`docs/FORMAT.md` §3).
package enum RecordType: UInt8, Sendable, CaseIterable {
    /// The entries (and optionally the hard state) of one append.
    case batch = 1
    /// Written when a segment is sealed: the segment's summary.
    case seal = 2
    /// The log restarts after a snapshot that the log did not contain.
    case reset = 3
    /// Written when a segment is sealed, before the seal: offsets of every batch.
    case batchTable = 4

    package var name: String {
        switch self {
        case .batch: return "batch"
        case .seal: return "seal"
        case .reset: return "reset"
        case .batchTable: return "batch-table"
        }
    }
}

/// Segment and snapshot file names.
package enum FileNames {
    package static func segment(seq: UInt64, firstIndex: UInt64) -> String {
        hex16(seq) + "-" + hex16(firstIndex) + Layout.segmentSuffix
    }

    /// Parses a segment file name into (seq, firstIndex).
    package static func parseSegment(_ name: String) -> (seq: UInt64, firstIndex: UInt64)? {
        guard name.hasSuffix(Layout.segmentSuffix), name.utf8.count == 33 + Layout.segmentSuffix.utf8.count else { return nil }
        let parts = name.dropLast(Layout.segmentSuffix.count).split(separator: "-")
        guard parts.count == 2, let seq = UInt64(parts[0], radix: 16), let first = UInt64(parts[1], radix: 16) else { return nil }
        return (seq, first)
    }

    package static func snapshot(index: UInt64, term: UInt64) -> String {
        Layout.snapshotPrefix + hex16(index) + "-" + hex16(term) + Layout.snapshotSuffix
    }

    package static func parseSnapshot(_ name: String) -> (index: UInt64, term: UInt64)? {
        guard name.hasPrefix(Layout.snapshotPrefix), name.hasSuffix(Layout.snapshotSuffix) else { return nil }
        let core = name.dropFirst(Layout.snapshotPrefix.count).dropLast(Layout.snapshotSuffix.count)
        let parts = core.split(separator: "-")
        guard parts.count == 2, parts[0].count == 16, parts[1].count == 16,
              let index = UInt64(parts[0], radix: 16), let term = UInt64(parts[1], radix: 16) else { return nil }
        return (index, term)
    }
}
