/// Creates segment files and seals them.
///
/// Roll-over order (`docs/FORMAT.md` §7): the successor is created and made
/// durable (file and directory) *before* the predecessor is sealed, so a
/// sealed segment always has a successor on disk, and a sealed last segment
/// means the successor was lost (label C5).
struct SegmentFactory {
    let durability: Durability
    let options: LogOptions

    /// `previousTerm`: the term of `firstIndex − 1`, when known (written into the header).
    func create(identity: LogIdentity, seq: UInt64, firstIndex: UInt64, hardState: HardState,
                previousTerm: UInt64?) throws(WALError) -> SegmentState {
        var g = SystemRandomNumberGenerator()
        let salt = options.deterministicSalt?(seq) ?? g.next()
        let header = SegmentHeader(identity: identity, seq: seq, firstIndex: firstIndex, salt: salt,
                                   hardState: hardState, createdNanos: options.clock?() ?? currentTimeNanos(),
                                   previousTerm: previousTerm)
        let name = FileNames.segment(seq: seq, firstIndex: firstIndex)
        let handle = try durability.createFile(name, contents: header.encoded(),
                                               allocate: options.preallocate ? options.segmentSizeBytes : 0)
        let reader: SegmentReader
        do { reader = try SegmentReader(handle: handle, name: name) } catch {
            handle.close()
            throw error
        }
        var state = SegmentState(name: name, reader: reader, shape: LogShape(continuingAfter: firstIndex - 1),
                                 endOffset: UInt64(Layout.segmentHeaderBytes))
        state.index = SegmentIndex([])
        return state
    }

    /// The bytes that seal a segment whose records end at `segment.endOffset`:
    /// the batch table record, the seal record and the trailer.
    /// Nil when the summary does not fit a record's meta (a segment spanning
    /// thousands of terms or conf changes): the segment then stays unsealed
    /// and is scanned at open, which is slower but equally correct.
    static func sealBytes(for segment: SegmentState) -> (bytes: [UInt8], sealOffset: UInt64)? {
        let sealMeta = SealMeta(shape: segment.shape, batchTableOffset: segment.endOffset, batchCount: segment.rows.count).encoded()
        guard sealMeta.count <= Int(UInt16.max),
              segment.rows.count * BatchTableCodec.rowBytes <= Layout.maxBodyBytes else { return nil }
        let salt = segment.header.salt
        let tableOffset = segment.endOffset
        var out: [UInt8] = []
        let table = BatchTableCodec.encode(segment.rows)
        table.withUnsafeBytes { body in
            RecordFrame.encode(type: .batchTable, firstIndex: segment.header.firstIndex, entryCount: 0, meta: [],
                               body: body, rawLength: body.count, compressed: false, salt: salt, offset: tableOffset, into: &out)
        }
        let sealOffset = tableOffset + UInt64(out.count)
        RecordFrame.encode(type: .seal, firstIndex: segment.header.firstIndex, entryCount: 0, meta: sealMeta,
                           body: UnsafeRawBufferPointer(start: nil, count: 0), rawLength: 0, compressed: false,
                           salt: salt, offset: sealOffset, into: &out)
        var trailer = ByteWriter(capacity: Layout.trailerBytes)
        trailer.u64(sealOffset)
        trailer.raw(Layout.trailerMagic)
        out.append(contentsOf: trailer.bytes)
        return (out, sealOffset)
    }
}
