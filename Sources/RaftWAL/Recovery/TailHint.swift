/// The tail hint `TAIL`: the tail segment's summary as a clean close left
/// it, so the next open reads one small file instead of scanning the tail's
/// records and the preallocated zeros after them (`docs/FORMAT.md` §8.4,
/// `docs/RECOVERY.md`, "The tail hint").
///
/// Format: `magic "RWALTAIL" | version u32 (1) | metaLength u32 | seq u64 | salt u64 |
/// endOffset u64 | rowCount u32 | reserved u32 | meta (a seal's meta, §7, with
/// batchTableOffset = endOffset, batchCount = rowCount) | rows (32 B each, §7) | checksum u32`
/// (checksum = `mask(CRC32C(every byte before it))`, as `META`).
///
/// A hint is never trusted on its word. It is used only when every check of
/// ``rejection(reader:)`` holds: it names the tail segment (seq and salt), its
/// rows are contiguous from the segment header to `endOffset`, the last row's
/// record verifies at its offset (checksum bound to salt and offset) and
/// matches the row, and the `zeroWindowBytes` after `endOffset` are zeros or
/// the end of the file. Anything else (a stale hint, one past the end, one
/// into garbage, a damaged file) sends the open to the full scan. A writer's
/// open removes the hint before anything is written (`RaftLog+OpenRepairs`),
/// and a clean close writes it again, so a hint on disk always describes the
/// tail as a session left it with every record synced.
package struct TailHint: Equatable, Sendable {
    package static let fileName = "TAIL"
    static let magic: [UInt8] = Array("RWALTAIL".utf8)
    static let version: UInt32 = 1
    static let fixedBytes = 48
    /// Bytes after `endOffset` that must be zeros (or the end of the file).
    package static let zeroWindowBytes = 1 << 20
    /// A hint larger than this is refused before it is read (a 64 MiB
    /// segment of 128-byte records holds ~500 k rows: 16 MiB of them), and
    /// a writer does not write one (`RaftLog+TailHint`): the same
    /// ``isWithinBound(_:maxFileBytes:)`` on both sides.
    static let maxFileBytes: UInt64 = 64 << 20

    /// Whether a hint of `byteCount` bytes is one a reader would read: the
    /// one test the writer and the reader apply (`LogOptions.tailHintMaxBytes`,
    /// ``maxFileBytes`` unless a test lowers it).
    static func isWithinBound(_ byteCount: UInt64, maxFileBytes: UInt64 = maxFileBytes) -> Bool {
        byteCount <= maxFileBytes
    }

    package var seq: UInt64
    package var salt: UInt64
    package var endOffset: UInt64
    package var shape: LogShape
    package var rows: [BatchRef]

    package init(seq: UInt64, salt: UInt64, endOffset: UInt64, shape: LogShape, rows: [BatchRef]) {
        self.seq = seq
        self.salt = salt
        self.endOffset = endOffset
        self.shape = shape
        self.rows = rows
    }

    package func encoded() -> [UInt8] {
        let meta = SealMeta(shape: shape, batchTableOffset: endOffset, batchCount: rows.count).encoded()
        let table = BatchTableCodec.encode(rows)
        var w = ByteWriter(capacity: Self.fixedBytes + meta.count + table.count + 4)
        w.bytes.append(contentsOf: Self.magic)
        w.u32(Self.version)
        w.u32(UInt32(meta.count))
        w.u64(seq)
        w.u64(salt)
        w.u64(endOffset)
        w.u32(UInt32(rows.count))
        w.u32(0)
        w.bytes.append(contentsOf: meta)
        w.bytes.append(contentsOf: table)
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        return w.bytes
    }

    /// Decodes a hint for a segment whose first index is `firstIndex`.
    static func decode(_ bytes: [UInt8], firstIndex: UInt64) -> Result<TailHint, DecodeFailure> {
        guard bytes.count >= fixedBytes + 4 else { return .failure(DecodeFailure(offset: 0, reason: "\(bytes.count) bytes, shorter than a hint")) }
        let body = bytes.count - 4
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: body, as: UInt32.self)) }
        let crc = bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[..<body])) }
        guard CRC32C.mask(crc) == stored else { return .failure(DecodeFailure(offset: body, reason: "checksum mismatch")) }
        return bytes.withUnsafeBytes { raw -> Result<TailHint, DecodeFailure> in
            do throws(DecodeFailure) {
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[..<body]))
                guard try r.raw(8, "magic") == magic else { throw DecodeFailure(offset: 0, reason: "bad magic") }
                let version = try r.u32("version")
                guard version == Self.version else { throw DecodeFailure(offset: 8, reason: "version \(version)") }
                let metaLength = Int(try r.u32("meta length"))
                let seq = try r.u64("seq"), salt = try r.u64("salt"), end = try r.u64("endOffset")
                let rowCount = Int(try r.u32("row count"))
                try r.skip(4)
                guard metaLength <= r.remaining, rowCount <= (r.remaining - metaLength) / BatchTableCodec.rowBytes,
                      metaLength + rowCount * BatchTableCodec.rowBytes == r.remaining else {
                    throw DecodeFailure(offset: 12, reason: "meta of \(metaLength) bytes and \(rowCount) rows do not fill \(r.remaining) bytes")
                }
                let at = r.offset
                let meta = try SealMeta.decode(UnsafeRawBufferPointer(rebasing: raw[at..<(at + metaLength)]), startingAfter: firstIndex - 1)
                guard meta.batchTableOffset == end, meta.batchCount == rowCount else {
                    throw DecodeFailure(offset: at, reason: "meta disagrees with the hint's end offset or row count")
                }
                let rows = try BatchTableCodec.decode(UnsafeRawBufferPointer(rebasing: raw[(at + metaLength)..<body]), count: rowCount)
                return .success(TailHint(seq: seq, salt: salt, endOffset: end, shape: meta.shape, rows: rows))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Reads `TAIL` from `directory`: nil when it is missing, not a regular
    /// file or unreadable; a failure when it is larger than `maxFileBytes`
    /// or does not decode.
    static func read(directory: String, fs: any FileSystem, firstIndex: UInt64,
                     maxFileBytes: UInt64 = maxFileBytes) -> Result<TailHint, DecodeFailure>? {
        let path = joinPath(directory, fileName)
        guard fs.fileKind(path) == .regular, let handle = try? fs.open(path, access: .readOnly, create: false) else { return nil }
        defer { handle.close() }
        guard let size = try? handle.size() else { return nil }
        guard isWithinBound(size, maxFileBytes: maxFileBytes) else { return .failure(DecodeFailure(offset: 0, reason: "\(size) bytes, more than \(maxFileBytes)")) }
        guard let bytes = try? handle.read(at: 0, count: Int(size)) else { return nil }
        return decode(bytes, firstIndex: firstIndex)
    }

    /// Why this hint does not describe `reader`'s segment as it is on disk
    /// (nil: it does, and the open may take its rows and shape instead of a scan).
    func rejection(reader: SegmentReader) -> String? {
        let header = UInt64(Layout.segmentHeaderBytes)
        let fileSize = reader.fileSize
        guard seq == reader.header.seq, salt == reader.header.salt else { return "names another segment (seq \(seq))" }
        guard endOffset >= header, endOffset <= fileSize else { return "end offset \(endOffset) outside the file (size \(fileSize))" }
        // Rows in write order, contiguous from the header to the end offset.
        var expected = header
        for row in rows {
            guard row.offset == expected, row.recordBytes > 0, row.recordBytes % Layout.recordAlignment == 0 else {
                return "rows are not contiguous at offset \(row.offset)"
            }
            expected += UInt64(row.recordBytes)
        }
        guard expected == endOffset else { return "rows end at \(expected), not at the end offset \(endOffset)" }
        if let last = rows.last {
            let matches = try? reader.withRecord(at: last.offset) { (view) throws(WALError) -> Bool in
                view.header.type == last.type && view.header.firstIndex == last.firstIndex
                    && Int(view.header.entryCount) == last.entryCount && view.header.recordBytes == last.recordBytes
            }
            guard matches == true else { return "the record at offset \(last.offset) does not verify or does not match the hint" }
        }
        let window = Int(min(UInt64(Self.zeroWindowBytes), fileSize - endOffset))
        guard window > 0 else { return nil }
        guard let after = try? reader.handle.read(at: endOffset, count: window), after.count == window else {
            return "the bytes after the end offset could not be read"
        }
        let zero = after.withUnsafeBytes { firstNonZero($0) == nil }
        return zero ? nil : "bytes after the end offset \(endOffset) are not zero (records written after the hint)"
    }
}
