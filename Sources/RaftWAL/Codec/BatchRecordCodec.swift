/// The batch record's two pipelines, in one place for the append path, the
/// read path, the inspector, benchmarks and fuzzers:
///
/// - write: encode entries (``BatchCodec``) → LZ4 when it saves space →
///   frame + CRC32C (``RecordFrame``), in ``Prepared/frame(salt:offset:into:)``;
/// - read: (the record already verified by ``RecordFrame``) → batch meta →
///   LZ4 decompress → decode entries, in ``decode(_:file:streamAbove:)``.
///
/// Format: `docs/FORMAT.md` §3 (framing) and §4 (batch meta and body).
enum BatchRecordCodec {
    /// A batch encoded and compressed, ready to be framed at a position.
    struct Prepared {
        let firstIndex: UInt64
        let entryCount: Int
        let meta: BatchMeta
        let metaBytes: [UInt8]
        /// The stored body: LZ4 when `compressed`, else the raw body.
        let payload: [UInt8]
        let rawLength: Int
        let compressed: Bool

        /// The record's size on disk, padding included.
        var recordBytes: Int { Layout.alignUp(Layout.recordHeaderBytes + metaBytes.count + payload.count) }

        /// Appends the framed record (checksum bound to `salt` and `offset`) to `out`.
        func frame(salt: UInt64, offset: UInt64, into out: inout [UInt8]) {
            payload.withUnsafeBytes { p in
                RecordFrame.encode(type: .batch, firstIndex: firstIndex, entryCount: entryCount, meta: metaBytes,
                                   body: p, rawLength: rawLength, compressed: compressed, salt: salt, offset: offset, into: &out)
            }
        }
    }

    /// Encodes `entries` (consecutive, non-decreasing terms) with `hardState`;
    /// an empty batch (a hard state alone) is placed at `emptyAt`.
    /// `acceleration`: LZ4's (``LogOptions/compressionAcceleration``).
    static func prepare(_ entries: [Entry], hardState: HardState?, compression: Bool, acceleration: Int32,
                        emptyAt: UInt64) -> Prepared {
        var body: [UInt8] = []
        let meta = BatchCodec.encode(entries[...], hardState: hardState, body: &body)
        var stored: [UInt8] = []
        let compressed = compression && body.count >= 64 && body.withUnsafeBytes {
            !LZ4.looksIncompressible($0) && LZ4.compress($0, into: &stored, acceleration: acceleration)
        }
        return Prepared(firstIndex: entries.first?.index ?? emptyAt, entryCount: entries.count, meta: meta,
                        metaBytes: meta.encoded(), payload: compressed ? stored : body, rawLength: body.count,
                        compressed: compressed)
    }

    /// Decodes a verified batch record's entries.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)``
    ///   naming `file` when the meta, the LZ4 body or the entries do not decode.
    static func decode(_ view: RecordView, file: String, streamAbove: Int = LZ4BlockStream.streamThresholdBytes) throws(WALError) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(min(view.header.entryCount, 1 << 16))
        try visit(view, file: file, streamAbove: streamAbove) { entries.append($0); return true }
        return entries
    }

    /// True when a batch with this header is decoded through ``LZ4BlockStream``
    /// (a compressed body of more than `threshold` raw bytes), never whole.
    static func streams(_ header: RecordHeader, above threshold: Int = LZ4BlockStream.streamThresholdBytes) -> Bool {
        header.compressed && header.rawLength > threshold
    }

    /// Decodes a verified batch record's entries one at a time into `visit`
    /// (return false to stop), keeping none: a reader that only looks at each
    /// entry (verify, stats, a listing with a limit) pays for one entry, not
    /// for the 2^24 a checksum-valid header may claim.
    ///
    /// - Parameter streamAbove: the raw body size above which a compressed
    ///   body is streamed (``streams(_:above:)``); tests move it to run either path.
    /// - Throws: as ``decode(_:file:streamAbove:)``.
    static func visit(_ view: RecordView, file: String, streamAbove: Int = LZ4BlockStream.streamThresholdBytes,
                      _ visit: (consuming Entry) -> Bool) throws(WALError) {
        let h = view.header
        let range = h.entryCount > 0 ? h.firstIndex...(h.firstIndex + UInt64(h.entryCount) - 1) : nil
        func bad(_ why: String) -> WALError { .corrupted(file: file, offset: view.offset, indexes: range, reason: why) }
        guard h.type == .batch else { throw bad("expected a batch record, found \(h.type.name)") }
        let meta: BatchMeta
        do { meta = try BatchMeta.decode(view.meta, firstIndex: h.firstIndex, entryCount: h.entryCount) } catch {
            throw bad("batch meta: \(error.reason)")
        }
        if Self.streams(h, above: streamAbove) {
            // A large raw body (up to 1 GiB behind a few stored megabytes):
            // decoded through a 64 KiB window, never whole in memory.
            var stream = BatchBodyStream(firstIndex: h.firstIndex, count: h.entryCount, runs: meta.termRuns, rawLength: h.rawLength)
            let valid = LZ4BlockStream.decode(view.storedBody, rawLength: h.rawLength) { stream.feed($0, visit) }
            if let error = stream.failure ?? (valid ? stream.finish() : nil) {
                throw bad("batch body at byte \(error.offset): \(error.reason)")
            }
            if !valid { throw bad("body is not valid LZ4 of \(h.rawLength) bytes") }
            return
        }
        var raw: [UInt8]? = nil
        if h.compressed {
            raw = LZ4.decompress(view.storedBody, rawLength: h.rawLength)
            if raw == nil { throw bad("body is not valid LZ4 of \(h.rawLength) bytes") }
        }
        let decoded: Result<Int, DecodeFailure>
        if let raw {
            decoded = raw.withUnsafeBytes { b in
                Result { () throws(DecodeFailure) in try BatchCodec.visit(b, firstIndex: h.firstIndex, count: h.entryCount, runs: meta.termRuns, visit) }
            }
        } else {
            decoded = Result { () throws(DecodeFailure) in
                try BatchCodec.visit(view.storedBody, firstIndex: h.firstIndex, count: h.entryCount, runs: meta.termRuns, visit)
            }
        }
        if case .failure(let error) = decoded { throw bad("batch body at byte \(error.offset): \(error.reason)") }
    }
}
