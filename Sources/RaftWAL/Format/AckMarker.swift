/// The confirmation file `ACKED` (`docs/FORMAT.md` §8.5): where the last
/// acknowledged record ends, written and synced after that record's own
/// sync when ``LogOptions/confirmAppends`` is on. It is the redundancy that
/// tells a lost, misdirected or zeroed last record (or a lost segment or
/// snapshot) from a torn write of an unacknowledged one: an open that finds
/// less than the marker confirms reports row A1 (`docs/RECOVERY.md`).
///
/// Two 512-byte slots, written alternately (slot `counter % 2`): a torn or
/// lost write of one leaves the other, which names an older acknowledged
/// state. An older marker is a lower bound of what was acknowledged, so it
/// can miss a loss but never raise a false one.
///
/// Slot: `magic "RWALACKD" | version u32 (1) | reserved u32 | counter u64 | seq u64 |
/// salt u64 | endOffset u64 | lastIndex u64 | snapshotIndex u64 | snapshotTerm u64 |
/// checksum u32` (checksum = `mask(CRC32C(the 72 bytes before it))`), zeros to 512.
package struct AckMarker: Equatable, Sendable {
    package static let fileName = "ACKED"
    static let magic: [UInt8] = Array("RWALACKD".utf8)
    static let version: UInt32 = 1
    package static let slotBytes = 512
    package static let fileBytes = 2 * slotBytes
    static let checkedBytes = 72

    /// Orders the slots: the valid slot with the larger counter is the marker.
    package var counter: UInt64
    /// The segment holding the last acknowledged record, and its salt.
    package var seq: UInt64
    package var salt: UInt64
    /// The offset just past that record in that segment.
    package var endOffset: UInt64
    /// The log's last index once that record is applied.
    package var lastIndex: UInt64
    /// The newest durable snapshot (0 and 0: none).
    package var snapshotIndex: UInt64
    package var snapshotTerm: UInt64

    package init(counter: UInt64, seq: UInt64, salt: UInt64, endOffset: UInt64, lastIndex: UInt64,
                 snapshotIndex: UInt64, snapshotTerm: UInt64) {
        self.counter = counter
        self.seq = seq
        self.salt = salt
        self.endOffset = endOffset
        self.lastIndex = lastIndex
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
    }

    /// Where this marker's slot lives in the file.
    package var slotOffset: UInt64 { (counter % 2) * UInt64(Self.slotBytes) }

    /// The 512 bytes of this marker's slot.
    package func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.slotBytes)
        w.bytes.append(contentsOf: Self.magic)
        w.u32(Self.version)
        w.u32(0)
        for v in [counter, seq, salt, endOffset, lastIndex, snapshotIndex, snapshotTerm] { w.u64(v) }
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        w.bytes.append(contentsOf: [UInt8](repeating: 0, count: Self.slotBytes - w.bytes.count))
        return w.bytes
    }

    /// One slot's marker, or why the slot is not valid.
    static func decodeSlot(_ slot: ArraySlice<UInt8>) -> Result<AckMarker, DecodeFailure> {
        let bytes = Array(slot)
        guard bytes.count >= checkedBytes + 4 else { return .failure(DecodeFailure(offset: 0, reason: "\(bytes.count) bytes, shorter than a slot")) }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: checkedBytes, as: UInt32.self)) }
        let crc = bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[..<checkedBytes])) }
        guard CRC32C.mask(crc) == stored else {
            return .failure(DecodeFailure(offset: checkedBytes, reason: "checksum mismatch"))
        }
        return bytes.withUnsafeBytes { raw -> Result<AckMarker, DecodeFailure> in
            do throws(DecodeFailure) {
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[..<checkedBytes]))
                guard try r.raw(8, "magic") == magic else { throw DecodeFailure(offset: 0, reason: "bad magic") }
                let version = try r.u32("version")
                guard version == Self.version else { throw DecodeFailure(offset: 8, reason: "version \(version)") }
                try r.skip(4)
                let m = AckMarker(counter: try r.u64("counter"), seq: try r.u64("seq"), salt: try r.u64("salt"),
                                  endOffset: try r.u64("end offset"), lastIndex: try r.u64("last index"),
                                  snapshotIndex: try r.u64("snapshot index"), snapshotTerm: try r.u64("snapshot term"))
                return .success(m)
            } catch {
                return .failure(error)
            }
        }
    }

    /// The marker a file's bytes hold: the valid slot with the larger
    /// counter; nil when neither slot is valid.
    package static func decode(_ bytes: [UInt8]) -> AckMarker? {
        var best: AckMarker? = nil
        for k in 0..<2 {
            let start = k * slotBytes
            guard bytes.count >= start + checkedBytes + 4 else { continue }
            let slot = bytes[start..<min(bytes.count, start + slotBytes)]
            if case .success(let m) = decodeSlot(slot), m.slotOffset == UInt64(start), m.counter > (best?.counter ?? 0) { best = m }
        }
        return best
    }

    /// What `ACKED` in a directory holds.
    package enum Presence: Equatable, Sendable {
        /// No regular file of that name.
        case absent
        /// A file without a valid slot (torn at its creation, or damaged): no check.
        case unreadable(String)
        case marker(AckMarker)

        package var marker: AckMarker? {
            if case .marker(let m) = self { return m }
            return nil
        }
    }

    /// Reads `ACKED` from `directory` (never anything but a regular file,
    /// and never more than ``fileBytes``).
    package static func read(directory: String, fs: any FileSystem) -> Presence {
        let path = joinPath(directory, fileName)
        guard fs.fileKind(path) == .regular else { return .absent }
        guard let handle = try? fs.open(path, access: .readOnly, create: false) else { return .unreadable("cannot be opened") }
        defer { handle.close() }
        guard let bytes = try? handle.read(at: 0, count: fileBytes) else { return .unreadable("cannot be read") }
        guard let m = decode(bytes) else { return .unreadable("no valid slot in \(bytes.count) bytes") }
        return .marker(m)
    }
}
