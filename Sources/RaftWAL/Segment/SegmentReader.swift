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

/// A record read and checked, with its meta and stored body.
struct RecordView {
    var offset: UInt64
    var header: RecordHeader
    /// The whole record (header, meta, stored body), padding excluded.
    var bytes: UnsafeRawBufferPointer
    var meta: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Layout.recordHeaderBytes..<(Layout.recordHeaderBytes + header.metaLength)])
    }
    var storedBody: UnsafeRawBufferPointer {
        let start = Layout.recordHeaderBytes + header.metaLength
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + header.storedLength)])
    }
}

/// Reads one segment file: its header, records at given offsets, its seal,
/// and full scans. Never writes.
///
/// Thread safety: random reads (``withRecord(at:_:)``) serialize on the
/// reader's own lock, so the log can read entries without holding its state
/// lock across I/O and decompression. A reader in use is *pinned*; the log
/// *retires* it (compaction, close) instead of closing it, and the descriptor
/// is closed when the last pin goes, so a read in flight never meets a
/// closed (or reused) descriptor.
final class SegmentReader: @unchecked Sendable {
    let handle: any FileHandle
    let name: String
    let header: SegmentHeader
    /// Guards the read-ahead chunk across a random read (held during I/O).
    private let ioLock = ConditionLock()
    /// Guards the file size, pins and retirement; never held during I/O, so
    /// the writer can publish a new size while a read waits on the disk.
    private let stateLock = ConditionLock()
    private var knownSize: UInt64
    private var pins = 0
    private var retired = false
    /// The file's size as the log knows it (the writer grows it as it appends).
    var fileSize: UInt64 {
        get { stateLock.withLock { knownSize } }
        set { stateLock.withLock { knownSize = newValue } }
    }
    /// Read-ahead for ``withRecord(at:_:)``: one `pread` of up to
    /// `readAheadBytes` serves the small records that follow it, so a replay
    /// of small batches costs one syscall per chunk instead of two per
    /// record. Only bytes that verify (checksum bound to salt and offset)
    /// are ever used from it, and anything else is read again, so stale
    /// bytes (the tail grows after a load) never surface. Guarded by `ioLock`.
    private var chunkStart: UInt64 = 0
    private var chunk: [UInt8] = []
    private var bypassReadAhead = false
    static let readAheadBytes = 256 << 10

    /// Opens and checks the header. `expected` is the log identity the
    /// segment must belong to (nil to accept any, for tools).
    init(handle: any FileHandle, name: String) throws(WALError) {
        self.handle = handle
        self.name = name
        self.knownSize = try handle.size()
        let bytes = try handle.read(at: 0, count: Layout.segmentHeaderBytes)
        self.header = try SegmentHeader(decoding: bytes, file: name)
    }

    private func corrupted(_ offset: UInt64, _ reason: String, _ indexes: ClosedRange<UInt64>? = nil) -> WALError {
        .corrupted(file: name, offset: offset, indexes: indexes, reason: reason)
    }

    // MARK: Random access

    /// Keeps the descriptor open until ``unpin()``, even if the log retires the reader meanwhile.
    func pin() { stateLock.withLock { pins += 1 } }

    /// Releases a pin; closes the descriptor when the reader was retired and this was the last pin.
    func unpin() {
        let close = stateLock.withLock { () -> Bool in
            pins -= 1
            return retired && pins == 0
        }
        if close { handle.close() }
    }

    /// The log no longer uses this segment: close now, or when the last pin goes.
    func retire() {
        let close = stateLock.withLock { () -> Bool in
            retired = true
            return pins == 0
        }
        if close { handle.close() }
    }

    /// Reads and verifies the record at `offset`, passing it to `body`.
    func withRecord<T>(at offset: UInt64, _ body: (RecordView) throws(WALError) -> T) throws(WALError) -> T {
        ioLock.lock()
        defer { ioLock.unlock() }
        return try withRecordLocked(at: offset, body)
    }

    private func withRecordLocked<T>(at offset: UInt64, _ body: (RecordView) throws(WALError) -> T) throws(WALError) -> T {
        let fileSize = self.fileSize
        guard offset >= UInt64(Layout.segmentHeaderBytes), offset < fileSize else {
            throw corrupted(offset, "record offset outside the file (size \(fileSize))")
        }
        let available = Int(min(fileSize - offset, UInt64(Int.max)))
        if let header = try readAhead(at: offset, available: available) {
            let lo = Int(offset - chunkStart)
            return try chunk.withBytes { (raw) throws(WALError) -> T in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[lo..<(lo + Layout.recordHeaderBytes + header.metaLength + header.storedLength)])
                return try body(RecordView(offset: offset, header: header, bytes: bytes))
            }
        }
        let head = try handle.read(at: offset, count: min(Layout.recordHeaderBytes, available))
        let header: RecordHeader
        switch head.withUnsafeBytes({ RecordFrame.parseHeader($0, available: available) }) {
        case .success(let h): header = h
        case .failure(let p): throw corrupted(offset, p.description)
        }
        let total = Layout.recordHeaderBytes + header.metaLength + header.storedLength
        var n = 0
        // Uninitialized: every byte kept is read from the file just below.
        // Large records bypass the read-ahead until a small one comes along.
        bypassReadAhead = total > Self.readAheadBytes
        var readError: WALError? = nil
        let buffer = [UInt8](unsafeUninitializedCapacity: total) { dst, initialized in
            // (The initializer's rethrows would erase the typed error.)
            do throws(WALError) { n = try handle.read(into: UnsafeMutableRawBufferPointer(dst), at: offset) } catch {
                readError = error
                n = 0
            }
            initialized = n
        }
        if let readError { throw readError }
        guard n == total else { throw corrupted(offset, RecordProblem.truncated(needed: total, available: n).description) }
        return try buffer.withBytes { (raw) throws(WALError) -> T in
            if let problem = RecordFrame.verify(header, record: raw, salt: self.header.salt, offset: offset) {
                let range = header.entryCount > 0 ? header.firstIndex...(header.firstIndex + UInt64(header.entryCount) - 1) : nil
                throw corrupted(offset, problem.description, range)
            }
            return try body(RecordView(offset: offset, header: header, bytes: raw))
        }
    }

    /// The header of the record at `offset` when the read-ahead chunk holds
    /// all of it and it verifies, (re)loading the chunk at `offset` once if
    /// needed. Nil sends the caller to a direct read: the record is larger
    /// than the chunk, or it does not verify (the direct read then reports
    /// what is wrong with the bytes actually on disk).
    private func readAhead(at offset: UInt64, available: Int) throws(WALError) -> RecordHeader? {
        enum Lookup { case hit(RecordHeader), tooLarge, miss }
        func lookup() -> Lookup {
            guard offset >= chunkStart, offset + UInt64(Layout.recordHeaderBytes) <= chunkStart + UInt64(chunk.count) else { return .miss }
            let lo = Int(offset - chunkStart)
            return chunk.withUnsafeBytes { raw -> Lookup in
                guard case .success(let h) = RecordFrame.parseHeader(UnsafeRawBufferPointer(rebasing: raw[lo..<(lo + Layout.recordHeaderBytes)]), available: available) else { return .miss }
                let total = Layout.recordHeaderBytes + h.metaLength + h.storedLength
                if total > Self.readAheadBytes { return .tooLarge }
                guard lo + total <= raw.count else { return .miss }
                let record = UnsafeRawBufferPointer(rebasing: raw[lo..<(lo + total)])
                return RecordFrame.verify(h, record: record, salt: header.salt, offset: offset) == nil ? .hit(h) : .miss
            }
        }
        if bypassReadAhead { return nil }
        switch lookup() {
        case .hit(let h): return h
        case .tooLarge: return nil
        case .miss: break
        }
        let count = min(Self.readAheadBytes, available)
        if chunk.count != count { chunk = [UInt8](repeating: 0, count: count) }
        let n = try chunk.withMutableBytes { (raw) throws(WALError) in try handle.read(into: raw, at: offset) }
        if n < count { chunk.removeLast(count - n) }
        chunkStart = offset
        switch lookup() {
        case .hit(let h): return h
        case .tooLarge: bypassReadAhead = true; return nil
        case .miss: return nil
        }
    }

    /// Reads the seal through the trailer. Nil when the segment has no valid
    /// trailer or seal (never sealed, or the seal was interrupted or damaged).
    func readSeal() -> (offset: UInt64, meta: SealMeta)? {
        let fileSize = self.fileSize
        guard fileSize >= UInt64(Layout.segmentHeaderBytes + Layout.recordHeaderBytes + Layout.trailerBytes),
              let trailer = try? handle.read(at: fileSize - UInt64(Layout.trailerBytes), count: Layout.trailerBytes),
              trailer.count == Layout.trailerBytes, Array(trailer[8..<16]) == Layout.trailerMagic else { return nil }
        let sealOffset = trailer.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard sealOffset >= UInt64(Layout.segmentHeaderBytes), sealOffset < fileSize - UInt64(Layout.trailerBytes) else { return nil }
        return try? withRecord(at: sealOffset) { (view) throws(WALError) -> (offset: UInt64, meta: SealMeta)? in
            guard view.header.type == .seal,
                  sealOffset + UInt64(view.header.recordBytes) + UInt64(Layout.trailerBytes) == fileSize,
                  let meta = try? SealMeta.decode(view.meta, startingAfter: header.firstIndex - 1) else { return nil }
            return (sealOffset, meta)
        }
    }

    /// Reads the batch table a seal points to.
    func readBatchTable(_ seal: SealMeta) throws(WALError) -> [BatchRef] {
        try withRecord(at: seal.batchTableOffset) { (view) throws(WALError) -> [BatchRef] in
            guard view.header.type == .batchTable, !view.header.compressed else {
                throw corrupted(view.offset, "seal points to a \(view.header.type.name) record, not a batch table")
            }
            do throws(DecodeFailure) { return try BatchTableCodec.decode(view.storedBody, count: seal.batchCount) } catch {
                throw corrupted(view.offset, "batch table: " + error.reason)
            }
        }
    }

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

    // MARK: Scanning

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
private struct Window {
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
            let found: Int? = bytes.withUnsafeBytes { raw in
                var i = r.lowerBound
                while i + 8 <= r.upperBound {
                    if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return i }
                    i += 8
                }
                while i < r.upperBound {
                    if raw[i] != 0 { return i }
                    i += 1
                }
                return nil
            }
            guard let idx = found else { p += UInt64(r.count); continue }
            let q = start + UInt64(idx)
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
