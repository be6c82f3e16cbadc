/// Creates segment files and seals them.
///
/// Roll-over order (`docs/FORMAT.md` §7): the successor is created and made
/// durable (file and directory) *before* the predecessor is sealed, so a
/// sealed segment always has a successor on disk, and a sealed last segment
/// means the successor was lost (label C5).
struct SegmentFactory {
    let durability: Durability
    let options: LogOptions

    /// The name of the spare segment a writer creates ahead (`docs/FORMAT.md`
    /// §1.3): a temporary, so recovery removes it like any other. `id` is the
    /// writer's own: a writer that outlives a crash of its file system (the
    /// crash simulator's old log object, closed after the new one opened)
    /// never touches its successor's spare.
    static func spareName(id: UInt64) -> String { "next-segment-" + hex16(id) + Layout.temporarySuffix }

    /// Creates the spare segment `name`: preallocated and synced, no header
    /// yet. ``create(identity:seq:firstIndex:hardState:previousTerm:spare:)``
    /// later gives it its header and name, which is all a roll-over then costs.
    func createSpare(name: String) throws(WALError) -> any FileHandle {
        try durability.createSpare(name, allocate: options.preallocate ? options.segmentSizeBytes : 0)
    }

    /// `previousTerm`: the term of `firstIndex − 1`, when known (written into
    /// the header). `spare`: a spare from ``createSpare()`` to use instead of
    /// creating and preallocating a file now.
    func create(identity: LogIdentity, seq: UInt64, firstIndex: UInt64, hardState: HardState,
                previousTerm: UInt64?, spare: (handle: any FileHandle, name: String)? = nil) throws(WALError) -> SegmentState {
        var g = SystemRandomNumberGenerator()
        let salt = options.deterministicSalt?(seq) ?? g.next()
        let header = SegmentHeader(identity: identity, seq: seq, firstIndex: firstIndex, salt: salt,
                                   hardState: hardState, createdNanos: options.clock?() ?? currentTimeNanos(),
                                   previousTerm: previousTerm)
        let name = FileNames.segment(seq: seq, firstIndex: firstIndex)
        let handle: any FileHandle
        if let spare {
            handle = try durability.adoptSpare(spare.handle, spareName: spare.name, as: name, contents: header.encoded())
        } else {
            handle = try durability.createFile(name, contents: header.encoded(),
                                               allocate: options.preallocate ? options.segmentSizeBytes : 0)
        }
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
