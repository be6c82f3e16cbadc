/// Read-only views of a directory a writer may be appending to
/// (`docs/RECOVERY.md`, "A live directory").
///
/// A reader and a writer share the page cache but not a lock, so a scan can
/// meet bytes in the middle of being written: a record whose first pages are
/// copied and the rest still zero (a "torn" tail, or a "corrupt" record when
/// the same read already shows the next record), or a seal whose file was
/// truncated after the reader took its size. A writer never leaves such
/// shapes in place: it cuts a torn tail when it opens, refuses a corrupt
/// record, and writes each record with one `pwrite`. So bytes that change
/// while a reader looks at them are the writer's, not damage, and a read-only
/// view ends its consistent cut before them.
extension SegmentReader {
    /// How long a suspicious tail is watched before it is called damage.
    static let liveRecheckNanos: UInt64 = 50_000_000

    /// True when the bytes at `offset`, where a scan met an invalid record,
    /// were being written while they were read: the record there verifies
    /// now, the file's size is no longer the size this reader was opened
    /// with, or the bytes from `offset` change within ``liveRecheckNanos``.
    /// False when they stay as they are: the damage is on disk.
    func wasWrittenDuringRead(at offset: UInt64) -> Bool {
        func moved() -> Bool {
            if let size = try? handle.size(), size != fileSize { return true }
            return offset < fileSize && ((try? withRecord(at: offset) { _ in true }) ?? false)
        }
        if moved() { return true }
        let count = Int(min(fileSize - min(offset, fileSize), 64 << 10))
        let before = try? handle.read(at: offset, count: count)
        pause(nanos: Self.liveRecheckNanos)
        if moved() { return true }
        return (try? handle.read(at: offset, count: count)) != before
    }
}

extension ScanEnd {
    /// True for the ends a live writer's bytes can produce in a reader's
    /// view: a torn or a corrupt record (never a clean or sealed end).
    package var endsInBadBytes: Bool {
        switch self {
        case .torn, .corrupt: return true
        case .clean, .sealed: return false
        }
    }
}

/// True when `directory` now lists a segment with sequence number `seq`:
/// a successor that appeared after the listing a read-only view started
/// from, so a sealed last segment was sealed during the read, not orphaned
/// by a lost successor (C5).
func segmentListed(seq: UInt64, in directory: String, fileSystem: any FileSystem) -> Bool {
    guard let names = try? fileSystem.listDirectory(directory) else { return false }
    return names.contains { FileNames.parseSegment($0)?.seq == seq }
}
