/// A scan of a segment's records from the first one, and how it ends: the
/// recovery decision table's raw inputs (`docs/RECOVERY.md`, "Scan end").
/// Memory stays bounded by the largest record plus a 1 MiB window.

/// How a scan of a segment ended.
package enum ScanEnd: Equatable, Sendable {
    /// After the last valid record there are only zeros (or the end of file).
    case clean
    /// The segment ends with a seal record and trailer.
    case sealed(sealOffset: UInt64)
    /// A bad record at the end offset, followed by no valid record: the
    /// shape a crash leaves. `garbageBytes` bytes from the end offset are not zero.
    case torn(problem: RecordProblem, garbageBytes: UInt64)
    /// A bad record at the end offset, followed by a valid one at `nextValidOffset`:
    /// damage, never the result of a crash.
    case corrupt(problem: RecordProblem, nextValidOffset: UInt64)
}

/// The result of scanning a segment.
package struct SegmentScan: Sendable {
    /// Offset just past the last valid record (where the next record would go).
    package var endOffset: UInt64
    package var end: ScanEnd
    package var fileSize: UInt64
}

extension SegmentReader {
    /// Every record that validates at or after `from`, with the hard state a
    /// batch carries, found by trying each 8-byte-aligned offset (damage is
    /// skipped, never trusted). For reports of what a repair drops; not for
    /// reading entries.
    func validRecords(from: UInt64) -> [(header: RecordHeader, hardState: HardState?)] {
        var window = Window(handle: handle, fileSize: fileSize)
        var found: [(header: RecordHeader, hardState: HardState?)] = []
        var p = Layout.alignUp(from)
        while p + UInt64(Layout.recordHeaderBytes) <= fileSize {
            if case .success(let (h, bytes))? = try? window.record(at: p, salt: header.salt) {
                let view = RecordView(offset: p, header: h, bytes: bytes)
                let hs = h.type == .batch ? (try? BatchMeta.decode(view.meta, firstIndex: h.firstIndex, entryCount: h.entryCount))?.hardState : nil
                found.append((h, hs))
                p += UInt64(h.recordBytes)
            } else {
                p += UInt64(Layout.recordAlignment)
            }
        }
        return found
    }

    /// Bytes of the unit a crash tears a write by (a disk sector): a torn
    /// write leaves each such piece of a record either written or as it was.
    package static let tearUnitBytes: UInt64 = 512

    /// True when the bad record at `offset` (the last bytes of a scan that
    /// ends torn) bears no sign of an interrupted write, so it was written
    /// whole and damaged afterwards, and may have been acknowledged
    /// (`docs/RECOVERY.md`, T5): its header parses as a batch whose first
    /// index lies in `indexes` (the segment's first index through the next
    /// index: an append, an overwrite or a truncation record), the checksum
    /// is what fails, its full length is in the file, and neither its last
    /// checked byte nor any 512-byte piece of it (aligned in the file) is
    /// all zeros. The engine writes records only over zeros (preallocated
    /// space, a cut tail it zeroed), and a crash leaves a piece of a write
    /// as it was or stops it at a byte, so every torn record shows one of
    /// those zero signs. Reads the record in 1 MiB pieces.
    func writtenWhole(at offset: UInt64, problem: RecordProblem, indexes: ClosedRange<UInt64>) -> Bool {
        guard case .checksumMismatch = problem, offset < fileSize else { return false }
        guard let head = try? handle.read(at: offset, count: Layout.recordHeaderBytes),
              head.count == Layout.recordHeaderBytes else { return false }
        let available = Int(min(fileSize - offset, UInt64(Int.max)))
        let parsed = head.withUnsafeBytes { RecordFrame.parseHeader($0, available: available) }
        guard case .success(let h) = parsed, h.type == .batch, indexes.contains(h.firstIndex) else { return false }
        let end = offset + UInt64(Layout.recordHeaderBytes + h.metaLength + h.storedLength)
        let unit = Self.tearUnitBytes, readBytes = UInt64(1 << 20)
        var p = offset
        while p < end {
            let readEnd = min(end, (p / unit) * unit + readBytes)
            guard let bytes = try? handle.read(at: p, count: Int(readEnd - p)), bytes.count == Int(readEnd - p) else { return false }
            // Each piece: up to the next 512-byte boundary of the file, or the record's end.
            var lo = 0
            while lo < bytes.count {
                let at = p + UInt64(lo)
                let hi = Int(min(readEnd, (at / unit + 1) * unit) - p)
                if bytes.withUnsafeBytes({ firstNonZero(UnsafeRawBufferPointer(rebasing: $0[lo..<hi])) }) == nil { return false }
                lo = hi
            }
            if readEnd == end && bytes.last == 0 { return false }
            p = readEnd
        }
        return true
    }

    /// Scans records from the first one, calling `visit` for each valid
    /// record in order, then classifies what follows the last valid record
    /// (the recovery decision table's inputs). Memory stays bounded by the
    /// largest record plus a 1 MiB window.
    func scan(_ visit: (RecordView) throws(WALError) -> Void) throws(WALError) -> SegmentScan {
        try scan(from: UInt64(Layout.segmentHeaderBytes)) { (view) throws(WALError) -> Bool in
            try visit(view)
            return true
        }
    }

    /// Scans from `from` (a record boundary). `visit` returns false to stop
    /// (the result then ends `.clean` at the stop point).
    func scan(from: UInt64, _ visit: (RecordView) throws(WALError) -> Bool) throws(WALError) -> SegmentScan {
        var window = Window(handle: handle, fileSize: fileSize)
        var offset = from
        while true {
            switch try window.record(at: offset, salt: header.salt) {
            case .success(let (header, bytes)):
                let view = RecordView(offset: offset, header: header, bytes: bytes)
                if header.type == .seal {
                    let after = offset + UInt64(header.recordBytes)
                    if !(try visit(view)) { return SegmentScan(endOffset: after, end: .clean, fileSize: fileSize) }
                    if after + UInt64(Layout.trailerBytes) == fileSize {
                        return SegmentScan(endOffset: after, end: .sealed(sealOffset: offset), fileSize: fileSize)
                    }
                    // A seal not followed by its trailer: the seal was interrupted.
                    offset = after
                    continue
                }
                if !(try visit(view)) { return SegmentScan(endOffset: offset + UInt64(header.recordBytes), end: .clean, fileSize: fileSize) }
                offset += UInt64(header.recordBytes)
            case .failure(let problem):
                let end = try window.classifyTail(from: offset, problem: problem, salt: header.salt)
                return SegmentScan(endOffset: offset, end: end, fileSize: fileSize)
            }
        }
    }
}


/// A read window over a file, so scans issue large reads.
fileprivate struct Window {
    let handle: any FileHandle
    var fileSize: UInt64
    var start: UInt64 = 0
    var bytes: [UInt8] = []
    static let chunk = 1 << 20

    init(handle: any FileHandle, fileSize: UInt64) {
        self.handle = handle
        self.fileSize = fileSize
    }

    /// Ensures `[offset, offset + count)` (clipped to the file) is in the window.
    mutating func load(_ offset: UInt64, _ count: Int) throws(WALError) {
        let want = UInt64(count)
        if offset >= start && offset + want <= start + UInt64(bytes.count) { return }
        if offset >= fileSize { bytes = []; start = offset; return }
        let n = Int(min(UInt64(max(count, Self.chunk)), fileSize - offset))
        if bytes.count != n { bytes = [UInt8](repeating: 0, count: n) }
        let got = try bytes.withMutableBytes { (raw) throws(WALError) in try handle.read(into: raw, at: offset) }
        if got < n { bytes.removeLast(n - got) }
        start = offset
    }

    /// The bytes at `offset ..< offset + count` (fewer at end of file).
    func slice(_ offset: UInt64, _ count: Int) -> Range<Int> {
        let lo = Int(offset - start)
        return lo..<min(lo + count, bytes.count)
    }

    /// Reads and verifies a record. The returned buffer is valid until the next call.
    mutating func record(at offset: UInt64, salt: UInt64) throws(WALError) -> Result<(RecordHeader, UnsafeRawBufferPointer), RecordProblem> {
        guard offset < fileSize else { return .failure(.zeroed) }
        let available = Int(min(fileSize - offset, UInt64(Int.max)))
        try load(offset, Layout.recordHeaderBytes)
        let headRange = slice(offset, Layout.recordHeaderBytes)
        let parsed = bytes.withUnsafeBytes { RecordFrame.parseHeader(UnsafeRawBufferPointer(rebasing: $0[headRange]), available: available) }
        guard case .success(let header) = parsed else {
            if case .failure(let p) = parsed { return .failure(p) }
            fatalError("unreachable")
        }
        let total = Layout.recordHeaderBytes + header.metaLength + header.storedLength
        try load(offset, total)
        let range = slice(offset, total)
        guard range.count == total else { return .failure(.truncated(needed: total, available: range.count)) }
        // The buffer outlives this call only until the next load; callers copy what they keep.
        let base = bytes.withUnsafeBytes { $0.baseAddress! }
        let view = UnsafeRawBufferPointer(start: base + range.lowerBound, count: total)
        if let problem = RecordFrame.verify(header, record: view, salt: salt, offset: offset) { return .failure(problem) }
        return .success((header, view))
    }

    /// After a bad record at `offset`: is there any valid record later in the
    /// file, and are the bytes from `offset` on all zero? Zero runs are
    /// skipped a word at a time; only non-zero words are tried as records.
    mutating func classifyTail(from offset: UInt64, problem: RecordProblem, salt: UInt64) throws(WALError) -> ScanEnd {
        var lastNonZero: UInt64? = nil
        var p = offset
        while p < fileSize {
            try load(p, Self.chunk)
            let r = slice(p, Self.chunk)
            if r.isEmpty { break }
            guard let first = bytes.withUnsafeBytes({ firstNonZero(UnsafeRawBufferPointer(rebasing: $0[r])) }) else {
                p += UInt64(r.count)
                continue
            }
            // The start of the 8-byte word (counted from p, which is aligned)
            // holding it: record candidates are aligned. A byte in the last,
            // partial word stands alone.
            let wholeWords = r.count & ~7
            let q = p + UInt64(first < wholeWords ? first & ~7 : first)
            lastNonZero = min(q + 7, fileSize - 1)
            if q > offset && q % UInt64(Layout.recordAlignment) == 0 && q + UInt64(Layout.recordHeaderBytes) <= fileSize {
                if case .success = try record(at: q, salt: salt) {
                    return .corrupt(problem: problem, nextValidOffset: q)
                }
            }
            p = (q + 8) & ~7
        }
        guard let lastNonZero else {
            if case .zeroed = problem { return .clean }
            return .torn(problem: problem, garbageBytes: 0)
        }
        return .torn(problem: problem, garbageBytes: lastNonZero + 1 - offset)
    }
}
