/// Entry points (SPI `Benchmarks`) into the engine's codec stages, so that benchmarks
/// (`raft-bench codec`, `Tools/benchmarks`) measure exactly the code the
/// append and read paths run, stage by stage. Not needed to use the log.
///
/// Write path: ``encodeBatchRecord(_:hardState:compression:salt:offset:)``
/// = encode → LZ4 (when it saves space) → frame + CRC32C.
/// Read path: ``decodeBatchRecord(_:salt:offset:)`` = parse header → verify
/// CRC32C → LZ4 decompress → decode.
@_spi(Benchmarks) public enum CodecBenchmarkSupport {
    /// CRC32C of `bytes` (unmasked), as every record checksum starts.
    public static func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.extend(0, bytes)
    }

    /// LZ4-compresses `source` into `destination` as the engine does for a
    /// batch body. Returns false when the result would not be smaller (the
    /// engine then stores the body raw).
    public static func lz4Compress(_ source: UnsafeRawBufferPointer, into destination: inout [UInt8]) -> Bool {
        LZ4.compress(source, into: &destination)
    }

    /// True when the engine's sampled incompressibility probe would store a
    /// batch body of these bytes raw without trying LZ4 on the whole of it.
    public static func lz4ProbeSkips(_ source: UnsafeRawBufferPointer) -> Bool {
        LZ4.looksIncompressible(source)
    }

    /// Decompresses exactly `rawLength` bytes; nil when `source` is not a
    /// valid LZ4 block of that size.
    public static func lz4Decompress(_ source: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8]? {
        LZ4.decompress(source, rawLength: rawLength)
    }

    /// The LZ4 acceleration the append path uses by default (``LogOptions/compressionAcceleration``).
    static let defaultAcceleration = LogOptions().lz4Acceleration

    /// The framed batch record (header, meta, body, padding) the append path
    /// would write for `entries` at `offset` of a segment salted with `salt`.
    /// `entries` must be consecutive with non-decreasing terms and not empty.
    public static func encodeBatchRecord(_ entries: [Entry], hardState: HardState?, compression: Bool = true,
                                         salt: UInt64, offset: UInt64) -> [UInt8] {
        precondition(!entries.isEmpty, "a batch record carries at least one entry")
        let batch = BatchRecordCodec.prepare(entries, hardState: hardState, compression: compression,
                                             acceleration: defaultAcceleration, emptyAt: 0)
        var out: [UInt8] = []
        out.reserveCapacity(batch.recordBytes)
        batch.frame(salt: salt, offset: offset, into: &out)
        return out
    }

    /// A checksum-valid, LZ4-compressed batch record of `count` entries of
    /// `dataBytes` zero bytes each, in one term, built without materializing
    /// the entries: how a test crafts the largest batch the format admits
    /// (2^24 entries) to prove readers' memory does not grow with the count.
    public static func encodeUniformBatchRecord(count: Int, dataBytes: Int, firstIndex: UInt64, term: UInt64,
                                                salt: UInt64, offset: UInt64) -> [UInt8] {
        precondition(count > 0 && count <= Layout.maxEntriesPerBatch)
        var one = [UInt8](repeating: 0, count: 5 + dataBytes)
        withUnsafeBytes(of: UInt32(dataBytes).littleEndian) { for k in 0..<4 { one[1 + k] = $0[k] } }
        var body: [UInt8] = []
        body.reserveCapacity(one.count * count)
        for _ in 0..<count { body.append(contentsOf: one) }
        precondition(body.count <= Layout.maxBodyBytes)
        let meta = BatchMeta(hardState: nil, termRuns: [TermRun(firstIndex: firstIndex, term: term)], confChangeIndexes: []).encoded()
        var stored: [UInt8] = []
        let compressed = body.withUnsafeBytes { LZ4.compress($0, into: &stored) }
        precondition(compressed, "a uniform body compresses")
        body = []
        var out: [UInt8] = []
        stored.withUnsafeBytes { p in
            RecordFrame.encode(type: .batch, firstIndex: firstIndex, entryCount: count, meta: meta,
                               body: p, rawLength: one.count * count, compressed: true, salt: salt, offset: offset, into: &out)
        }
        return out
    }

    /// Verifies and decodes a batch record as the read path does.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)`` when the
    ///   header, checksum, compression or body is not valid.
    ///
    /// - Parameter streamAbove: the raw body size above which a compressed body
    ///   is decoded through the 64 KiB stream (nil: the read path's own threshold;
    ///   0: always; `Int.max`: never), so tests can run both paths on one record.
    public static func decodeBatchRecord(_ record: [UInt8], salt: UInt64, offset: UInt64,
                                         streamAbove: Int? = nil) throws(WALError) -> [Entry] {
        let file = "<benchmark record>"
        return try record.withBytes { (raw) throws(WALError) -> [Entry] in
            let header = try batchHeader(raw, file: file, offset: offset)
            let exact = UnsafeRawBufferPointer(rebasing: raw[0..<(Layout.recordHeaderBytes + header.metaLength + header.storedLength)])
            if let problem = RecordFrame.verify(header, record: exact, salt: salt, offset: offset) {
                throw WALError.corrupted(file: file, offset: offset, indexes: nil, reason: problem.description)
            }
            return try BatchRecordCodec.decode(RecordView(offset: offset, header: header, bytes: exact), file: file,
                                               streamAbove: streamAbove ?? LZ4BlockStream.streamThresholdBytes)
        }
    }

    /// True when the read path decodes this record's body through the 64 KiB
    /// stream (compressed, and above the threshold), never whole.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)`` when the header does not parse.
    public static func batchRecordStreams(_ record: [UInt8]) throws(WALError) -> Bool {
        try record.withBytes { (raw) throws(WALError) -> Bool in
            BatchRecordCodec.streams(try batchHeader(raw, file: "<benchmark record>", offset: 0))
        }
    }

    private static func batchHeader(_ raw: UnsafeRawBufferPointer, file: String, offset: UInt64) throws(WALError) -> RecordHeader {
        switch RecordFrame.parseHeader(raw, available: raw.count) {
        case .success(let h): return h
        case .failure(let p): throw WALError.corrupted(file: file, offset: offset, indexes: nil, reason: p.description)
        }
    }
}
