/// Decoders for bytes as read from disk, given a buffer instead of a file:
/// the same code paths the engine runs, for fuzzers and tools.
///
/// Random bytes almost never carry a valid CRC32C, so a fuzzer would stop at
/// the checksum and never reach the meta, LZ4 and batch decoders behind it.
/// With `resealChecksum`, the checksum is recomputed over the input first;
/// everything after it is checked exactly as on a real read.
package enum Decoders {
    /// Decodes one record framed for byte `offset` of a segment salted with
    /// `salt`: header bounds, checksum, then by type the batch meta, LZ4 body
    /// and entries, the reset meta, the seal meta or the batch table.
    ///
    /// - Returns: the record's summary and, for a batch, its entries.
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)`` naming
    ///   `file` and `offset` for any bytes that are not a valid record.
    package static func record(_ input: [UInt8], salt: UInt64 = 0, offset: UInt64 = UInt64(Layout.segmentHeaderBytes),
                              resealChecksum: Bool = false, file: String = "<bytes>") throws(WALError) -> (RecordInfo, [Entry]) {
        func bad(_ why: String) -> WALError { .corrupted(file: file, offset: offset, indexes: nil, reason: why) }
        var bytes = input
        let parsed = bytes.withUnsafeBytes { RecordFrame.parseHeader($0, available: $0.count) }
        var header: RecordHeader
        switch parsed {
        case .success(let h): header = h
        case .failure(let problem): throw bad(problem.description)
        }
        let length = Layout.recordHeaderBytes + header.metaLength + header.storedLength
        if resealChecksum { header.checksum = reseal(&bytes, header: header, salt: salt, offset: offset) }
        let checked = header
        return try bytes.withBytes { (all) throws(WALError) -> (RecordInfo, [Entry]) in
            let raw = UnsafeRawBufferPointer(rebasing: all[0..<length])
            if let problem = RecordFrame.verify(checked, record: raw, salt: salt, offset: offset) { throw bad(problem.description) }
            let view = RecordView(offset: offset, header: checked, bytes: raw)
            let info = SegmentInspector.info(view)
            switch checked.type {
            case .batch:
                return (info, try BatchRecordCodec.decode(view, file: file))
            case .reset:
                do throws(DecodeFailure) { _ = try ResetMeta.decode(view.meta) } catch { throw bad("reset meta: \(error.reason)") }
            case .seal:
                do throws(DecodeFailure) { _ = try SealMeta.decode(view.meta, startingAfter: 0) } catch { throw bad("seal meta: \(error.reason)") }
            case .batchTable:
                guard !checked.compressed, checked.storedLength % BatchTableCodec.rowBytes == 0 else {
                    throw bad("batch table of \(checked.storedLength) bytes")
                }
                do throws(DecodeFailure) { _ = try BatchTableCodec.decode(view.storedBody, count: checked.storedLength / BatchTableCodec.rowBytes) } catch {
                    throw bad("batch table: \(error.reason)")
                }
            }
            return (info, [])
        }
    }

    /// Decodes a whole snapshot file's bytes (header, membership, LZ4 data,
    /// checksums). With `resealChecksums`, the header and body checksums are
    /// recomputed over the input first, when the input is long enough to hold them.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)`` naming `file`.
    package static func snapshotFile(_ input: [UInt8], resealChecksums: Bool = false, file: String = "<bytes>") throws(WALError) -> Snapshot {
        var bytes = input
        let headerBytes = SnapshotFile.headerBytes
        if resealChecksums && bytes.count >= headerBytes + 8 {
            func put(_ v: UInt32, at o: Int) { for k in 0..<4 { bytes[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) } }
            put(CRC32C.mask(bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[0..<92])) }), at: 92)
            let index = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 48, as: UInt64.self)) }
            let term = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 56, as: UInt64.self)) }
            let end = bytes.count - 8
            var crc = CRC32C.extend(0, u64: index)
            crc = CRC32C.extend(crc, u64: term)
            crc = bytes.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[headerBytes..<end])) }
            put(CRC32C.mask(crc), at: end)
        }
        return try SnapshotFile.decode(bytes, file: file).1
    }

    /// Rewrites the checksum of the record at the start of `bytes` so that it
    /// verifies at `offset` in a segment salted with `salt`: for fuzzers and
    /// for fixtures that need a checksum-valid record with bad contents.
    /// Returns false when the bytes do not frame a whole record.
    package static func resealRecord(_ bytes: inout [UInt8], salt: UInt64, offset: UInt64) -> Bool {
        guard case .success(let header) = bytes.withUnsafeBytes({ RecordFrame.parseHeader($0, available: $0.count) }) else { return false }
        _ = reseal(&bytes, header: header, salt: salt, offset: offset)
        return true
    }

    private static func reseal(_ bytes: inout [UInt8], header: RecordHeader, salt: UInt64, offset: UInt64) -> UInt32 {
        let crc = bytes.withUnsafeBytes {
            RecordFrame.checksum(record: $0, checkedBytes: header.checkedBytes, salt: salt, offset: offset)
        }
        for k in 0..<4 { bytes[k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        return crc
    }
}
