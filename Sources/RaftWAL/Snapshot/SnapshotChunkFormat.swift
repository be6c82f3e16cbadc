/// The chunked snapshot file, version 2: written and read one chunk at a
/// time, so neither side holds the data in memory and its size has no
/// 2 GiB cap.
///
/// Format (`docs/FORMAT.md` §8.2), little-endian:
/// header (96 bytes) `magic "RWALSNP1" | version u16 (=2) | headerBytes u16 (=96) | flags u32 (bit 0: chunks may be LZ4) |
///  clusterID 16B | memberID u64 | epoch u64 | index u64 | term u64 | membershipLength u32 |
///  membershipCRC u32 | chunkBytes u32 | reserved 16B | headerCRC u32 (masked CRC32C of bytes 0..<92)`,
/// then the membership, then chunks `checksum u32 | flags u32 (bit 0: LZ4) | storedLength u32 |
///  rawLength u32 | stored bytes` (checksum = masked CRC32C of `index u64 | term u64 | offset u64 |
///  chunk bytes 4 ..< 16 + storedLength`), then the footer (40 bytes) `chunkCount u64 | dataRawLength u64 |
///  dataStoredLength u64 | dataCRC u32 (masked CRC32C of the raw data) | footerCRC u32 (masked CRC32C of
///  index u64 | term u64 | footer bytes 0..<28) | "RWALSNPE"`.
enum SnapshotChunkFormat {
    static let version: UInt16 = 2
    static let chunkHeaderBytes = 16
    static let footerBytes = 40
    static let footerMagic: [UInt8] = Array("RWALSNPE".utf8)
    /// Raw bytes per chunk the writer uses.
    static let defaultChunkBytes = 1 << 20
    /// The largest `chunkBytes` a reader accepts (bounds every allocation).
    static let maxChunkBytes = 64 << 20
    /// The largest data a v2 file may declare (bounds the arithmetic).
    static let maxDataBytes: UInt64 = 1 << 50

    /// The header's fields, as written.
    static func encodeHeader(identity: LogIdentity, index: UInt64, term: UInt64, membership: [UInt8],
                             chunkBytes: Int, compress: Bool) -> [UInt8] {
        var w = ByteWriter(capacity: SnapshotFile.headerBytes + membership.count)
        w.raw(Layout.snapshotMagic)
        w.u16(version)
        w.u16(UInt16(SnapshotFile.headerBytes))
        w.u32(compress ? 1 : 0)
        w.u64(identity.clusterID.high); w.u64(identity.clusterID.low)
        w.u64(identity.memberID); w.u64(identity.epoch)
        w.u64(index); w.u64(term)
        w.u32(UInt32(membership.count))
        w.u32(membershipChecksum(index: index, term: term, membership: membership))
        w.u32(UInt32(chunkBytes))
        w.zeros(16)
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        w.raw(membership)
        return w.bytes
    }

    static func membershipChecksum(index: UInt64, term: UInt64, membership: [UInt8]) -> UInt32 {
        var crc = CRC32C.extend(0, u64: index)
        crc = CRC32C.extend(crc, u64: term)
        crc = membership.withUnsafeBytes { CRC32C.extend(crc, $0) }
        return CRC32C.mask(crc)
    }

    /// One framed chunk of `raw` data at file offset `offset`; LZ4 when
    /// `compress` and the block is strictly smaller.
    static func encodeChunk(_ raw: UnsafeRawBufferPointer, index: UInt64, term: UInt64, offset: UInt64,
                            compress: Bool) -> [UInt8] {
        var stored: [UInt8] = []
        let lz4 = compress && LZ4.compress(raw, into: &stored)
        var w = ByteWriter(capacity: chunkHeaderBytes + (lz4 ? stored.count : raw.count))
        w.u32(0)
        w.u32(lz4 ? 1 : 0)
        w.u32(UInt32(lz4 ? stored.count : raw.count))
        w.u32(UInt32(raw.count))
        if lz4 { w.raw(stored) } else { w.raw(raw) }
        w.setU32(chunkChecksum(w.bytes, index: index, term: term, offset: offset), at: 0)
        return w.bytes
    }

    /// The checksum of a framed chunk (`bytes` from its first byte; the
    /// first 4 bytes are not covered).
    static func chunkChecksum(_ bytes: [UInt8], index: UInt64, term: UInt64, offset: UInt64) -> UInt32 {
        var crc = CRC32C.extend(0, u64: index)
        crc = CRC32C.extend(crc, u64: term)
        crc = CRC32C.extend(crc, u64: offset)
        crc = bytes.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        return CRC32C.mask(crc)
    }

    /// What a chunk header says, checked against the bounds before anything is allocated.
    struct ChunkHeader {
        var checksum: UInt32
        var compressed: Bool
        var storedLength: Int
        var rawLength: Int
    }

    static func parseChunkHeader(_ b: [UInt8], chunkBytes: Int) -> Result<ChunkHeader, DecodeFailure> {
        let fields = b.withUnsafeBytes { p in (0..<4).map { p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian } }
        let flags = fields[1], stored = Int(fields[2]), raw = Int(fields[3])
        guard flags <= 1 else { return .failure(DecodeFailure(offset: 4, reason: "chunk flags \(flags)")) }
        guard raw >= 1, raw <= chunkBytes else {
            return .failure(DecodeFailure(offset: 12, reason: "chunk of \(raw) raw bytes (1...\(chunkBytes))"))
        }
        if flags == 0 && stored != raw { return .failure(DecodeFailure(offset: 8, reason: "raw chunk with stored \(stored) != raw \(raw)")) }
        if flags == 1 && (stored < 1 || stored >= raw) {
            return .failure(DecodeFailure(offset: 8, reason: "LZ4 chunk of \(stored) stored bytes for \(raw) raw"))
        }
        return .success(ChunkHeader(checksum: fields[0], compressed: flags == 1, storedLength: stored, rawLength: raw))
    }

    /// The totals that close the file.
    struct Footer: Equatable {
        var chunkCount: UInt64
        var dataRawLength: UInt64
        var dataStoredLength: UInt64
        var dataCRC: UInt32
    }

    static func encodeFooter(_ f: Footer, index: UInt64, term: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: footerBytes)
        w.u64(f.chunkCount); w.u64(f.dataRawLength); w.u64(f.dataStoredLength); w.u32(f.dataCRC)
        var crc = CRC32C.extend(0, u64: index)
        crc = CRC32C.extend(crc, u64: term)
        crc = w.bytes.withUnsafeBytes { CRC32C.extend(crc, $0) }
        w.u32(CRC32C.mask(crc))
        w.raw(footerMagic)
        return w.bytes
    }

    static func decodeFooter(_ b: [UInt8], index: UInt64, term: UInt64) -> Result<Footer, DecodeFailure> {
        guard b.count == footerBytes else { return .failure(DecodeFailure(offset: 0, reason: "footer of \(b.count) bytes")) }
        guard Array(b[32..<40]) == footerMagic else { return .failure(DecodeFailure(offset: 32, reason: "no footer magic (an incomplete file)")) }
        var crc = CRC32C.extend(0, u64: index)
        crc = CRC32C.extend(crc, u64: term)
        crc = b.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[0..<28])) }
        let u64 = { (o: Int) in b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian } }
        let u32 = { (o: Int) in b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian } }
        guard u32(28) == CRC32C.mask(crc) else { return .failure(DecodeFailure(offset: 28, reason: "footer checksum mismatch")) }
        let f = Footer(chunkCount: u64(0), dataRawLength: u64(8), dataStoredLength: u64(16), dataCRC: u32(24))
        guard f.dataRawLength <= maxDataBytes, f.dataStoredLength <= maxDataBytes else {
            return .failure(DecodeFailure(offset: 8, reason: "data length exceeds \(maxDataBytes)"))
        }
        return .success(f)
    }
}
