/// Reads one snapshot file, of either version, one chunk of data at a time,
/// verifying as it goes (read → verify CRC → decompress → count).
///
/// Version 2 (`docs/FORMAT.md` §8.2): the header, the membership (its own
/// checksum) and the footer are checked when the reader opens; each chunk's
/// checksum is checked before it is decompressed; the totals of the footer
/// (chunk count, sizes, the checksum of all the data) are checked after the
/// last chunk, so the data is valid only once ``next()`` has returned nil.
/// Memory: one chunk (at most ``SnapshotChunkFormat/maxChunkBytes``).
///
/// Version 1 (§8.1) is one block: it is read and verified whole when the
/// reader opens (its data is at most 0x7E000000 bytes) and handed out as one chunk.
final class SnapshotReader {
    let name: String
    private(set) var header: SnapshotFile.Header
    let membership: Membership
    private let handle: any FileHandle
    private let fileSize: UInt64
    private var footer: SnapshotChunkFormat.Footer?
    private var v1Data: [UInt8]?
    private var offset: UInt64 = 0
    private var chunks: UInt64 = 0
    private var rawBytes: UInt64 = 0
    private var storedBytes: UInt64 = 0
    private var crc: UInt32 = 0
    private(set) var finished = false

    init(fs: any FileSystem, directory: String, name: String) throws(WALError) {
        self.name = name
        let handle = try fs.open(joinPath(directory, name), access: .readOnly, create: false)
        self.handle = handle
        do throws(WALError) {
            fileSize = try handle.size()
            let head = try handle.read(at: 0, count: Int(min(fileSize, UInt64(SnapshotFile.headerBytes))))
            header = try SnapshotFile.decodeHeader(head, file: name, fileSize: fileSize)
            if header.version == 1 {
                guard fileSize <= UInt64(SnapshotFile.maxDataBytes) + UInt64(SnapshotFile.maxMembershipBytes) + 256 else {
                    throw WALError.corrupted(file: name, offset: nil, indexes: nil, reason: "snapshot file of \(fileSize) bytes exceeds the format's bound")
                }
                let (_, snapshot) = try SnapshotFile.decode(try handle.read(at: 0, count: Int(fileSize)), file: name)
                membership = snapshot.metadata.membership
                v1Data = snapshot.data
                return
            }
            let range = header.index...header.index
            let membershipEnd = UInt64(SnapshotFile.headerBytes + header.membershipLength)
            guard fileSize >= membershipEnd + UInt64(SnapshotChunkFormat.footerBytes) else {
                throw WALError.corrupted(file: name, offset: fileSize, indexes: range,
                                         reason: "snapshot file is \(fileSize) bytes, too short for its membership and footer")
            }
            let m = try handle.read(at: UInt64(SnapshotFile.headerBytes), count: header.membershipLength)
            guard SnapshotChunkFormat.membershipChecksum(index: header.index, term: header.term, membership: m) == header.membershipCRC else {
                throw WALError.corrupted(file: name, offset: 68, indexes: range, reason: "snapshot membership checksum mismatch")
            }
            do { membership = try Membership(decoding: m) } catch {
                throw WALError.corrupted(file: name, offset: UInt64(SnapshotFile.headerBytes), indexes: range, reason: "snapshot membership: \(error)")
            }
            let footerOffset = fileSize - UInt64(SnapshotChunkFormat.footerBytes)
            let tail = try handle.read(at: footerOffset, count: SnapshotChunkFormat.footerBytes)
            switch SnapshotChunkFormat.decodeFooter(tail, index: header.index, term: header.term) {
            case .success(let f):
                footer = f
                header.dataRawLength = f.dataRawLength
                header.dataStoredLength = f.dataStoredLength
            case .failure(let why):
                throw WALError.corrupted(file: name, offset: footerOffset + UInt64(why.offset), indexes: range, reason: "snapshot footer: " + why.reason)
            }
            offset = membershipEnd
        } catch {
            handle.close()
            throw error
        }
    }

    deinit { handle.close() }

    /// The next piece of data, verified; nil once the data is complete and
    /// the footer's totals hold (only then is the snapshot valid).
    func next() throws(WALError) -> [UInt8]? {
        guard !finished else { return nil }
        if let data = v1Data {
            v1Data = nil
            if data.isEmpty { finished = true; return nil }
            return data
        }
        guard let footer else { finished = true; return nil }
        let range = header.index...header.index
        func bad(_ at: UInt64, _ why: String) -> WALError { .corrupted(file: name, offset: at, indexes: range, reason: why) }
        let end = fileSize - UInt64(SnapshotChunkFormat.footerBytes)
        if offset == end {
            guard chunks == footer.chunkCount, rawBytes == footer.dataRawLength, storedBytes == footer.dataStoredLength,
                  CRC32C.mask(crc) == footer.dataCRC else {
                throw bad(end, "snapshot data does not match its footer (\(chunks) chunks, \(rawBytes) bytes read; the footer says \(footer.chunkCount) chunks, \(footer.dataRawLength) bytes, or the data checksum differs)")
            }
            finished = true
            return nil
        }
        guard chunks < footer.chunkCount else { throw bad(offset, "more chunks than the footer's \(footer.chunkCount)") }
        let headerBytes = UInt64(SnapshotChunkFormat.chunkHeaderBytes)
        guard end - offset >= headerBytes else { throw bad(offset, "a chunk header runs into the footer") }
        let head = try handle.read(at: offset, count: SnapshotChunkFormat.chunkHeaderBytes)
        let chunk: SnapshotChunkFormat.ChunkHeader
        switch SnapshotChunkFormat.parseChunkHeader(head, chunkBytes: header.chunkBytes) {
        case .success(let c): chunk = c
        case .failure(let why): throw bad(offset + UInt64(why.offset), "snapshot chunk: " + why.reason)
        }
        guard end - offset - headerBytes >= UInt64(chunk.storedLength) else { throw bad(offset, "a chunk runs into the footer") }
        let frame = head + (try handle.read(at: offset + headerBytes, count: chunk.storedLength))
        guard SnapshotChunkFormat.chunkChecksum(frame, index: header.index, term: header.term, offset: offset) == chunk.checksum else {
            throw bad(offset, "snapshot chunk checksum mismatch")
        }
        var data: [UInt8]
        if chunk.compressed {
            guard let raw = frame.withUnsafeBytes({ LZ4.decompress(UnsafeRawBufferPointer(rebasing: $0[SnapshotChunkFormat.chunkHeaderBytes...]),
                                                                   rawLength: chunk.rawLength) }) else {
                throw bad(offset, "snapshot chunk is not valid LZ4 of \(chunk.rawLength) bytes")
            }
            data = raw
        } else {
            data = Array(frame[SnapshotChunkFormat.chunkHeaderBytes...])
        }
        crc = data.withUnsafeBytes { CRC32C.extend(crc, $0) }
        chunks += 1
        rawBytes += UInt64(data.count)
        storedBytes += UInt64(chunk.storedLength)
        offset += headerBytes + UInt64(chunk.storedLength)
        return data
    }

    /// Reads to the end, verifying, keeping nothing.
    func verifyAll() throws(WALError) {
        while try next() != nil {}
    }

    /// Reads the whole data into memory (``RaftLog/latestSnapshot()``).
    func readAll() throws(WALError) -> [UInt8] {
        // The footer's length is checked against the chunks read, but it is
        // bounded here first: a version-2 file may hold more than memory.
        guard header.dataRawLength <= UInt64(SnapshotFile.maxDataBytes) else {
            throw .invalidArgument("\(name): \(header.dataRawLength) bytes of snapshot data, more than \(SnapshotFile.maxDataBytes) "
                                   + "read into memory; read it with RaftLog.latestSnapshotStream()")
        }
        var out: [UInt8] = []
        out.reserveCapacity(Int(header.dataRawLength))
        while let chunk = try next() { out.append(contentsOf: chunk) }
        return out
    }
}
