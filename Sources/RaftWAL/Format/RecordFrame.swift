/// The fixed 32-byte header of every record.
///
/// Format (`docs/FORMAT.md` §3), little-endian:
/// `checksum u32 | type u8 | flags u8 | metaLength u16 | storedLength u32 | rawLength u32 |
///  firstIndex u64 | entryCount u32 | reserved u32 (=0)`
/// followed by `meta` (metaLength bytes, never compressed), the body
/// (storedLength bytes; LZ4 when flags bit 0 is set, else raw) and zero
/// padding to a multiple of 8.
///
/// `checksum` is `mask(CRC32C(salt u64 | offset u64 | bytes 4 ..< 32 + metaLength + storedLength))`:
/// it covers the header, the meta and the stored (compressed) bytes, and is
/// bound to the segment's salt and to the record's byte offset, so a record
/// that is misdirected (written at another offset or into another segment)
/// or left over from an older file never validates.
package struct RecordHeader: Equatable, Sendable {
    package var checksum: UInt32
    package var type: RecordType
    package var compressed: Bool
    package var metaLength: Int
    package var storedLength: Int
    package var rawLength: Int
    package var firstIndex: UInt64
    package var entryCount: Int

    static let flagLZ4: UInt8 = 1

    /// Bytes of the whole record on disk, padding included.
    package var recordBytes: Int { Layout.alignUp(Layout.recordHeaderBytes + metaLength + storedLength) }
    /// Bytes covered by the checksum (after the checksum field), padding excluded.
    var checkedBytes: Int { Layout.recordHeaderBytes - 4 + metaLength + storedLength }
}

/// Why bytes at an offset are not a valid record. The recovery decision
/// table (`docs/RECOVERY.md`) distinguishes these cases.
package enum RecordProblem: Error, Equatable, Sendable {
    /// The header bytes are all zero: unwritten (preallocated) space.
    case zeroed
    /// Fewer bytes remain in the file than the header says the record needs.
    case truncated(needed: Int, available: Int)
    /// A header field is impossible (unknown type, flags, reserved bits, lengths out of bounds).
    case badHeader(String)
    /// The checksum does not match.
    case checksumMismatch(stored: UInt32, computed: UInt32)

    package var description: String {
        switch self {
        case .zeroed: return "zeroed space"
        case let .truncated(needed, available): return "record needs \(needed) bytes, \(available) remain"
        case let .badHeader(why): return "bad record header: \(why)"
        case let .checksumMismatch(stored, computed): return "checksum mismatch (stored \(hex8(stored)), computed \(hex8(computed)))"
        }
    }
}

/// Frames records: header + meta + body + checksum + padding.
enum RecordFrame {
    /// Parses the 32 header bytes without checking the checksum.
    /// `available` is the number of bytes from the record's start to the end
    /// of the file: lengths are bounded by it before anything is allocated.
    static func parseHeader(_ h: UnsafeRawBufferPointer, available: Int) -> Result<RecordHeader, RecordProblem> {
        guard h.count >= Layout.recordHeaderBytes else {
            // Zeros shorter than a header at the end of a full segment are its
            // unused end, not a torn record (FORMAT.md §10; the Python reader agrees).
            if h.allSatisfy({ $0 == 0 }) { return .failure(.zeroed) }
            return .failure(.truncated(needed: Layout.recordHeaderBytes, available: h.count))
        }
        if h[0..<Layout.recordHeaderBytes].allSatisfy({ $0 == 0 }) { return .failure(.zeroed) }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: h.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: h.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: h.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        guard let type = RecordType(rawValue: h[4]) else { return .failure(.badHeader("unknown type \(h[4])")) }
        let flags = h[5]
        guard flags & ~RecordHeader.flagLZ4 == 0 else { return .failure(.badHeader("unknown flags \(flags)")) }
        let meta = Int(u16(6)), stored = Int(u32(8)), raw = Int(u32(12))
        let count = Int(u32(24))
        guard u32(28) == 0 else { return .failure(.badHeader("reserved field is not zero")) }
        guard stored <= Layout.maxBodyBytes, raw <= Layout.maxBodyBytes else {
            return .failure(.badHeader("body length \(max(stored, raw)) exceeds \(Layout.maxBodyBytes)"))
        }
        let compressed = flags & RecordHeader.flagLZ4 != 0
        if !compressed && stored != raw { return .failure(.badHeader("uncompressed body with stored \(stored) != raw \(raw)")) }
        if compressed && (stored == 0 || raw == 0) { return .failure(.badHeader("compressed body of zero length")) }
        guard count <= Layout.maxEntriesPerBatch else { return .failure(.badHeader("entry count \(count) exceeds \(Layout.maxEntriesPerBatch)")) }
        guard u64(16) <= Layout.maxIndex - UInt64(count) else {
            return .failure(.badHeader("first index \(u64(16)) with \(count) entries exceeds \(Layout.maxIndex)"))
        }
        let header = RecordHeader(checksum: u32(0), type: type, compressed: compressed, metaLength: meta,
                                  storedLength: stored, rawLength: raw, firstIndex: u64(16), entryCount: count)
        let needed = Layout.recordHeaderBytes + meta + stored
        if needed > available { return .failure(.truncated(needed: needed, available: available)) }
        return .success(header)
    }

    /// The checksum of a record whose bytes (header first) are in `record`.
    static func checksum(record: UnsafeRawBufferPointer, checkedBytes: Int, salt: UInt64, offset: UInt64) -> UInt32 {
        var crc = CRC32C.extend(0, u64: salt)
        crc = CRC32C.extend(crc, u64: offset)
        crc = CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: record[4..<(4 + checkedBytes)]))
        return CRC32C.mask(crc)
    }

    /// Verifies the checksum of a whole record (header, meta, stored body).
    static func verify(_ header: RecordHeader, record: UnsafeRawBufferPointer, salt: UInt64, offset: UInt64) -> RecordProblem? {
        let computed = checksum(record: record, checkedBytes: header.checkedBytes, salt: salt, offset: offset)
        return computed == header.checksum ? nil : .checksumMismatch(stored: header.checksum, computed: computed)
    }

    /// Frames a record for `offset` in a segment salted with `salt`, appending
    /// it (padded to 8 bytes) to `out`.
    static func encode(type: RecordType, firstIndex: UInt64, entryCount: Int, meta: [UInt8],
                       body: UnsafeRawBufferPointer, rawLength: Int, compressed: Bool,
                       salt: UInt64, offset: UInt64, into out: inout [UInt8]) {
        precondition(meta.count <= Int(UInt16.max), "record meta too large")
        precondition(body.count <= Layout.maxBodyBytes && rawLength <= Layout.maxBodyBytes, "record body too large")
        let start = out.count
        precondition(start % Layout.recordAlignment == 0, "records start 8-byte aligned")
        var w = ByteWriter()
        swap(&w.bytes, &out)
        w.u32(0)
        w.u8(type.rawValue)
        w.u8(compressed ? RecordHeader.flagLZ4 : 0)
        w.u16(UInt16(meta.count))
        w.u32(UInt32(body.count))
        w.u32(UInt32(rawLength))
        w.u64(firstIndex)
        w.u32(UInt32(entryCount))
        w.u32(0)
        w.raw(meta)
        w.raw(body)
        let checked = w.bytes.count - start - 4
        let crc = w.bytes.withUnsafeBytes { all in
            checksum(record: UnsafeRawBufferPointer(rebasing: all[start...]), checkedBytes: checked, salt: salt, offset: offset)
        }
        w.setU32(crc, at: start)
        w.pad(toMultipleOf: Layout.recordAlignment)
        swap(&w.bytes, &out)
    }
}
