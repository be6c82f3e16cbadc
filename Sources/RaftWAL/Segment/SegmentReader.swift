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

    func corrupted(_ offset: UInt64, _ reason: String, _ indexes: ClosedRange<UInt64>? = nil) -> WALError {
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
}
