/// The first 4 KiB of every segment file.
///
/// Format (`docs/FORMAT.md` §2), little-endian, 128 bytes of fields then zeros to 4096:
/// `magic "RWALSEG1" | version u16 | headerBytes u16 (=4096) | flags u32 (=0) |
///  clusterID 16B | memberID u64 | epoch u64 | seq u64 | firstIndex u64 | salt u64 |
///  hardState.term u64 | hardState.vote u64 | hardState.commit u64 | createdNanos u64 |
///  previousTerm u64 | present u32 | reserved 8B (=0) | headerCRC u32`
/// where headerCRC is the masked CRC32C of bytes 0..<124.
///
/// `firstIndex` is the log's last index + 1 when the segment was created;
/// `salt` is random and binds every record checksum of this segment, so a
/// record from another segment, another log, or a stale earlier file with
/// the same name never validates here. The hard state is the one in force
/// when the segment was created, so it survives the removal of older segments.
/// `previousTerm` is the term of `firstIndex − 1` at creation (bit 0 of
/// `present` says it was written; segments of older builds lack it), so the
/// log still knows the term of its first index − 1 after the segments before
/// it are compacted away (etcd's `Storage.Term(FirstIndex() − 1)`).
package struct SegmentHeader: Equatable, Sendable {
    package var identity: LogIdentity
    package var seq: UInt64
    package var firstIndex: UInt64
    package var salt: UInt64
    package var hardState: HardState
    package var createdNanos: UInt64
    /// The term of `firstIndex − 1` when the segment was created; nil in
    /// segments written before this field existed.
    package var previousTerm: UInt64?
    /// Where `previousTerm` lies in the header (what a C6 about it names).
    package static let previousTermOffset: UInt64 = 104

    package init(identity: LogIdentity, seq: UInt64, firstIndex: UInt64, salt: UInt64, hardState: HardState, createdNanos: UInt64,
                previousTerm: UInt64? = nil) {
        self.identity = identity
        self.seq = seq
        self.firstIndex = firstIndex
        self.salt = salt
        self.hardState = hardState
        self.createdNanos = createdNanos
        self.previousTerm = previousTerm
    }

    /// The full 4096-byte block.
    package func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Layout.segmentHeaderBytes)
        w.raw(Layout.segmentMagic)
        w.u16(Layout.formatVersion)
        w.u16(UInt16(Layout.segmentHeaderBytes))
        w.u32(0)
        w.u64(identity.clusterID.high)
        w.u64(identity.clusterID.low)
        w.u64(identity.memberID)
        w.u64(identity.epoch)
        w.u64(seq)
        w.u64(firstIndex)
        w.u64(salt)
        w.u64(hardState.term)
        w.u64(hardState.vote)
        w.u64(hardState.commit)
        w.u64(createdNanos)
        w.u64(previousTerm ?? 0)
        w.u32(previousTerm == nil ? 0 : 1)
        w.zeros(8)
        precondition(w.bytes.count == 124)
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        w.zeros(Layout.segmentHeaderBytes - Layout.segmentHeaderFieldBytes)
        return w.bytes
    }

    /// Decodes and checks a header block. `file` names the file in errors.
    package init(decoding bytes: [UInt8], file: String) throws(WALError) {
        func bad(_ offset: UInt64, _ why: String) -> WALError {
            .corrupted(file: file, offset: offset, indexes: nil, reason: "segment header: " + why)
        }
        guard bytes.count >= Layout.segmentHeaderFieldBytes else {
            throw bad(0, "file is \(bytes.count) bytes, shorter than a header")
        }
        if bytes[0..<Layout.segmentHeaderFieldBytes].allSatisfy({ $0 == 0 }) {
            throw bad(0, "header is all zeros (file created but never written)")
        }
        guard Array(bytes[0..<8]) == Layout.segmentMagic else { throw bad(0, "bad magic (not a RaftWAL segment)") }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 124, as: UInt32.self)) }
        let computed = CRC32C.mask(bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[0..<124])) })
        guard stored == computed else { throw bad(124, "checksum mismatch (stored \(hex8(stored)), computed \(hex8(computed)))") }
        do {
            self = try bytes.decode { (r) throws(DecodeFailure) -> SegmentHeader in
                try r.skip(8)
                let version = try r.u16()
                guard version == Layout.formatVersion else { throw DecodeFailure(offset: 8, reason: "format version \(version), this build reads \(Layout.formatVersion)") }
                let size = try r.u16()
                guard Int(size) == Layout.segmentHeaderBytes else { throw DecodeFailure(offset: 10, reason: "header size \(size)") }
                guard try r.u32() == 0 else { throw DecodeFailure(offset: 12, reason: "unknown flags") }
                let cluster = ClusterID(high: try r.u64(), low: try r.u64())
                let member = try r.u64()
                let epoch = try r.u64()
                let seq = try r.u64()
                guard seq >= 1 && seq <= Layout.maxIndex else { throw DecodeFailure(offset: 48, reason: "sequence number \(seq) out of range") }
                let first = try r.u64()
                guard first >= 1 && first <= Layout.maxIndex else { throw DecodeFailure(offset: 56, reason: "first index \(first) out of range") }
                let salt = try r.u64()
                let hs = HardState(term: try r.u64(), vote: try r.u64(), commit: try r.u64())
                let created = try r.u64()
                let previousTerm = try r.u64()
                let present = try r.u32()
                return SegmentHeader(identity: LogIdentity(clusterID: cluster, memberID: member, epoch: epoch),
                                     seq: seq, firstIndex: first, salt: salt, hardState: hs, createdNanos: created,
                                     previousTerm: present & 1 != 0 ? previousTerm : nil)
            }
        } catch {
            throw bad(UInt64(error.offset), error.reason)
        }
    }
}

/// 8 lowercase hex digits.
func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
