/// The bytes of a version-1 snapshot file (one block; version 2, chunked, is ``SnapshotChunkFormat``).
///
/// Format (`docs/FORMAT.md` §8), little-endian, a 96-byte header then the body:
/// `magic "RWALSNP1" | version u16 | headerBytes u16 (=96) | flags u32 (bit 0: data is LZ4) |
///  clusterID 16B | memberID u64 | epoch u64 | index u64 | term u64 |
///  membershipLength u32 | reserved u32 | dataStoredLength u64 | dataRawLength u64 |
///  reserved u32 | headerCRC u32 (masked CRC32C of bytes 0..<92)`
/// then `membership (membershipLength bytes) | data (dataStoredLength bytes) |
/// bodyCRC u32 (masked CRC32C of index u64, term u64, membership and stored data) | zero u32`.
enum SnapshotFile {
    static let headerBytes = 96
    static let maxMembershipBytes = 16 << 20
    /// The largest snapshot data this build reads into memory (LZ4's block limit).
    static let maxDataBytes = 0x7E00_0000

    static func encode(_ snapshot: Snapshot, identity: LogIdentity, compress: Bool) -> [UInt8] {
        let membership = snapshot.metadata.membership.encoded()
        var stored: [UInt8] = []
        var compressed = false
        if compress && snapshot.data.count <= maxDataBytes {
            compressed = snapshot.data.withUnsafeBytes { LZ4.compress($0, into: &stored) }
        }
        let dataStored = compressed ? stored : snapshot.data
        var w = ByteWriter(capacity: headerBytes + membership.count + dataStored.count + 8)
        w.raw(Layout.snapshotMagic)
        w.u16(Layout.formatVersion)
        w.u16(UInt16(headerBytes))
        w.u32(compressed ? 1 : 0)
        w.u64(identity.clusterID.high); w.u64(identity.clusterID.low)
        w.u64(identity.memberID); w.u64(identity.epoch)
        w.u64(snapshot.metadata.index); w.u64(snapshot.metadata.term)
        w.u32(UInt32(membership.count)); w.u32(0)
        w.u64(UInt64(dataStored.count)); w.u64(UInt64(snapshot.data.count))
        w.u32(0)
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        w.raw(membership)
        w.raw(dataStored)
        var crc = CRC32C.extend(0, u64: snapshot.metadata.index)
        crc = CRC32C.extend(crc, u64: snapshot.metadata.term)
        crc = w.bytes.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[headerBytes...])) }
        w.u32(CRC32C.mask(crc))
        w.u32(0)
        return w.bytes
    }

    /// What the header says; checked without reading the body. For version
    /// 2 the data lengths come from the footer (``SnapshotReader``).
    struct Header: Equatable {
        var version: UInt16 = Layout.formatVersion
        var identity: LogIdentity
        var index: UInt64
        var term: UInt64
        var compressed: Bool
        var membershipLength: Int
        var dataStoredLength: UInt64
        var dataRawLength: UInt64
        /// Version 2: raw bytes per chunk at most, and the membership's checksum.
        var chunkBytes = 0
        var membershipCRC: UInt32 = 0
        /// The file's size (version 1: determined by the header).
        var fileBytes: UInt64 = 0
    }

    static func decodeHeader(_ bytes: [UInt8], file: String, fileSize: UInt64) throws(WALError) -> Header {
        func bad(_ offset: UInt64, _ why: String) -> WALError {
            .corrupted(file: file, offset: offset, indexes: nil, reason: "snapshot header: " + why)
        }
        guard bytes.count >= headerBytes else { throw bad(0, "file is \(bytes.count) bytes, shorter than a header") }
        guard Array(bytes[0..<8]) == Layout.snapshotMagic else { throw bad(0, "bad magic (not a RaftWAL snapshot)") }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 92, as: UInt32.self)) }
        let computed = CRC32C.mask(bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[0..<92])) })
        guard stored == computed else { throw bad(92, "checksum mismatch (stored \(hex8(stored)), computed \(hex8(computed)))") }
        let header: Header
        do {
            header = try bytes.decode { (r) throws(DecodeFailure) -> Header in
                try r.skip(8)
                let version = try r.u16()
                guard version == Layout.formatVersion || version == SnapshotChunkFormat.version else {
                    throw DecodeFailure(offset: 8, reason: "format version \(version)")
                }
                guard Int(try r.u16()) == headerBytes else { throw DecodeFailure(offset: 10, reason: "header size") }
                let flags = try r.u32()
                guard flags <= 1 else { throw DecodeFailure(offset: 12, reason: "unknown flags \(flags)") }
                let identity = LogIdentity(clusterID: ClusterID(high: try r.u64(), low: try r.u64()), memberID: try r.u64(), epoch: try r.u64())
                let index = try r.u64(), term = try r.u64()
                guard index <= Layout.maxIndex else { throw DecodeFailure(offset: 48, reason: "index \(index) exceeds \(Layout.maxIndex)") }
                let mlen = Int(try r.u32())
                if version == SnapshotChunkFormat.version {
                    let membershipCRC = try r.u32()
                    let chunkBytes = Int(try r.u32())
                    guard mlen <= maxMembershipBytes else { throw DecodeFailure(offset: 64, reason: "membership length \(mlen) exceeds \(maxMembershipBytes)") }
                    guard chunkBytes >= 1 && chunkBytes <= SnapshotChunkFormat.maxChunkBytes else {
                        throw DecodeFailure(offset: 72, reason: "chunk size \(chunkBytes) (1...\(SnapshotChunkFormat.maxChunkBytes))")
                    }
                    return Header(version: version, identity: identity, index: index, term: term, compressed: flags == 1,
                                  membershipLength: mlen, dataStoredLength: 0, dataRawLength: 0, chunkBytes: chunkBytes,
                                  membershipCRC: membershipCRC, fileBytes: fileSize)
                }
                try r.skip(4)
                let dstored = try r.u64(), draw = try r.u64()
                guard mlen <= maxMembershipBytes else { throw DecodeFailure(offset: 64, reason: "membership length \(mlen) exceeds \(maxMembershipBytes)") }
                guard draw <= UInt64(maxDataBytes), dstored <= UInt64(maxDataBytes) else { throw DecodeFailure(offset: 72, reason: "data length exceeds \(maxDataBytes)") }
                if flags == 0 && dstored != draw { throw DecodeFailure(offset: 72, reason: "raw data with stored \(dstored) != raw \(draw)") }
                return Header(identity: identity, index: index, term: term, compressed: flags == 1,
                              membershipLength: mlen, dataStoredLength: dstored, dataRawLength: draw,
                              fileBytes: UInt64(headerBytes + mlen) + dstored + 8)
            }
        } catch {
            throw bad(UInt64(error.offset), error.reason)
        }
        guard header.version == SnapshotChunkFormat.version || header.fileBytes == fileSize else {
            throw .corrupted(file: file, offset: fileSize, indexes: header.index...header.index,
                             reason: "snapshot file is \(fileSize) bytes, its header says \(header.fileBytes)")
        }
        return header
    }

    /// Decodes and verifies a whole snapshot file.
    static func decode(_ bytes: [UInt8], file: String) throws(WALError) -> (Header, Snapshot) {
        let header = try decodeHeader(Array(bytes.prefix(headerBytes)), file: file, fileSize: UInt64(bytes.count))
        guard header.version == Layout.formatVersion else {
            throw .corrupted(file: file, offset: 8, indexes: header.index...header.index,
                             reason: "a version-2 (chunked) snapshot is read with SnapshotReader, not decoded whole")
        }
        let bodyEnd = bytes.count - 8
        let range = header.index...header.index
        var crc = CRC32C.extend(0, u64: header.index)
        crc = CRC32C.extend(crc, u64: header.term)
        crc = bytes.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[headerBytes..<bodyEnd])) }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: bodyEnd, as: UInt32.self)) }
        guard CRC32C.mask(crc) == stored else {
            throw .corrupted(file: file, offset: UInt64(bodyEnd), indexes: range, reason: "snapshot body checksum mismatch")
        }
        let mEnd = headerBytes + header.membershipLength
        let membership: Membership
        do { membership = try Membership(decoding: Array(bytes[headerBytes..<mEnd])) } catch {
            throw .corrupted(file: file, offset: UInt64(headerBytes), indexes: range, reason: "snapshot membership: \(error)")
        }
        var data = Array(bytes[mEnd..<bodyEnd])
        if header.compressed {
            guard let raw = data.withUnsafeBytes({ LZ4.decompress($0, rawLength: Int(header.dataRawLength)) }) else {
                throw .corrupted(file: file, offset: UInt64(mEnd), indexes: range, reason: "snapshot data is not valid LZ4 of \(header.dataRawLength) bytes")
            }
            data = raw
        }
        return (header, Snapshot(index: header.index, term: header.term, membership: membership, data: data))
    }
}
