/// Writes a version-2 snapshot file (`docs/FORMAT.md` §8.2) in pieces:
/// header and membership, then the data re-cut into chunks of
/// `chunkBytes` (each LZ4-compressed when that saves space, framed and
/// checksummed), then the footer. Holds at most one chunk.
///
/// Durable steps (through ``Durability``): the file is written under a
/// unique `*.tmp` name, then ``publish()`` syncs it, renames it to its
/// `snap-…` name and syncs the directory; ``discard()`` drops it.
struct SnapshotWriter {
    let name: String
    let temporaryName: String
    private let durability: Durability
    private let handle: any FileHandle
    private let index: UInt64
    private let term: UInt64
    private let compress: Bool
    private let chunkBytes: Int
    private var offset: UInt64
    private var pending: [UInt8] = []
    private var footer = SnapshotChunkFormat.Footer(chunkCount: 0, dataRawLength: 0, dataStoredLength: 0, dataCRC: 0)
    private var crc: UInt32 = 0

    init(durability: Durability, identity: LogIdentity, metadata: SnapshotMetadata, compress: Bool,
         chunkBytes: Int = SnapshotChunkFormat.defaultChunkBytes) throws(WALError) {
        precondition(chunkBytes >= 1 && chunkBytes <= SnapshotChunkFormat.maxChunkBytes)
        name = FileNames.snapshot(index: metadata.index, term: metadata.term)
        var g = SystemRandomNumberGenerator()
        temporaryName = name + "." + hex16(g.next()) + Layout.temporarySuffix
        self.durability = durability
        index = metadata.index
        term = metadata.term
        self.compress = compress
        self.chunkBytes = chunkBytes
        handle = try durability.beginFile(temporaryName)
        let head = SnapshotChunkFormat.encodeHeader(identity: identity, index: index, term: term,
                                                    membership: metadata.membership.encoded(), chunkBytes: chunkBytes, compress: compress)
        offset = 0
        do { try durability.writePiece(handle, head, at: 0) } catch {
            durability.discardFile(handle, temporaryName)
            throw error
        }
        offset = UInt64(head.count)
        pending.reserveCapacity(chunkBytes)
    }

    /// Adds data; full chunks are written as they fill.
    mutating func write(_ bytes: [UInt8]) throws(WALError) {
        var start = 0
        if !pending.isEmpty {
            let take = min(chunkBytes - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            start = take
            if pending.count == chunkBytes {
                let full = pending
                pending.removeAll(keepingCapacity: true)
                try emit(full[...])
            }
        }
        while bytes.count - start >= chunkBytes {
            try emit(bytes[start..<(start + chunkBytes)])
            start += chunkBytes
        }
        pending.append(contentsOf: bytes[start...])
    }

    private mutating func emit(_ raw: ArraySlice<UInt8>) throws(WALError) {
        let frame = raw.withUnsafeBytes { SnapshotChunkFormat.encodeChunk($0, index: index, term: term, offset: offset, compress: compress) }
        try durability.writePiece(handle, frame, at: offset)
        crc = raw.withUnsafeBytes { CRC32C.extend(crc, $0) }
        footer.chunkCount += 1
        footer.dataRawLength += UInt64(raw.count)
        footer.dataStoredLength += UInt64(frame.count - SnapshotChunkFormat.chunkHeaderBytes)
        offset += UInt64(frame.count)
    }

    /// Writes the last chunk and the footer (the file is complete, not yet durable).
    mutating func finish() throws(WALError) {
        if !pending.isEmpty {
            let last = pending
            pending = []
            try emit(last[...])
        }
        footer.dataCRC = CRC32C.mask(crc)
        try durability.writePiece(handle, SnapshotChunkFormat.encodeFooter(footer, index: index, term: term), at: offset)
        offset += UInt64(SnapshotChunkFormat.footerBytes)
    }

    /// The data bytes written so far.
    var dataBytes: UInt64 { footer.dataRawLength + UInt64(pending.count) }

    /// Syncs the file, renames it to ``name`` and syncs the directory.
    func publish() throws(WALError) {
        try durability.publishFile(handle, from: temporaryName, to: name)
    }

    /// Drops the temporary file (the source failed or the snapshot was refused).
    func discard() {
        durability.discardFile(handle, temporaryName)
    }
}
