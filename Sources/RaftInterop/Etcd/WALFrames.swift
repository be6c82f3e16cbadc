import Foundation
import RaftWAL

/// Splits one etcd WAL file into frames.
///
/// Format: `{u64 LE length word}{walpb.Record, length bytes}{0-7 zero bytes}`
/// repeated, each frame 8-aligned. The word's low 56 bits are the record
/// size; its top byte is `0x80 | pad` when the record is padded. A zero word
/// or the end of the file ends the file's log.
///
/// A frame is valid if and only if: its length word is non-zero, the
/// record and its padding fit in the bytes left in the file, and the
/// record decodes (the CRC chain is checked by ``WALReader``).
struct WALFrames {
    struct Frame {
        var offset: UInt64
        var length: UInt64
        var padding: Int
        /// The encoded `Record` bytes.
        var record: Data
        var frameBytes: UInt64 { 8 + length + UInt64(padding) }
    }

    enum Stop: Equatable {
        /// A zero length word at `offset`: preallocated space follows.
        case zeros(offset: UInt64)
        /// The file ends exactly on a frame boundary.
        case eof(offset: UInt64)
        /// A frame that cannot be read: `why`, from `offset` to the end of the file.
        case bad(offset: UInt64, why: String)
    }

    let data: Data
    var offset: UInt64 = 0

    init(_ data: Data) { self.data = data }

    var size: UInt64 { UInt64(data.count) }

    /// The next frame, or why the file's log ends here.
    mutating func next() -> Result<Frame, StopError> {
        let left = size - offset
        if left == 0 { return .failure(StopError(.eof(offset: offset))) }
        if left < 8 {
            // A short length word: zeros are the end of preallocated space, anything else a torn word.
            if bytes(offset, left).allSatisfy({ $0 == 0 }) { return .failure(StopError(.zeros(offset: offset))) }
            return .failure(StopError(.bad(offset: offset, why: "a \(left)-byte length word at the end of the file")))
        }
        let word = u64(offset)
        if word == 0 { return .failure(StopError(.zeros(offset: offset))) }
        let length = word & 0x00FF_FFFF_FFFF_FFFF
        let top = UInt8(word >> 56)
        let padding = top & 0x80 != 0 ? Int(top & 0x07) : 0
        // Bounded by the bytes present before anything is sliced (etcd since 2022 does the same).
        guard length <= left - 8, UInt64(padding) <= left - 8 - length else {
            return .failure(StopError(.bad(offset: offset, why: "length word claims \(length) + \(padding) bytes; \(left - 8) left in the file")))
        }
        if top & 0x80 == 0 && top != 0 {
            return .failure(StopError(.bad(offset: offset, why: String(format: "length word has top byte 0x%02x (neither 0 nor 0x80|pad)", top))))
        }
        let start = data.startIndex + Int(offset) + 8
        let frame = Frame(offset: offset, length: length, padding: padding, record: data[start..<(start + Int(length))])
        offset += frame.frameBytes
        return .success(frame)
    }

    /// etcd's torn-write rule: a bad frame is torn when the bytes of its
    /// record and padding, split at 512-byte sector boundaries of the file,
    /// hold a chunk that is all zeros (the write never reached that sector).
    func isTorn(from frameOffset: UInt64, bytes frameBytes: UInt64) -> Bool {
        // As etcd's decoder: the chunks are of the record and its padding, after the length word.
        let end = min(size, frameOffset + frameBytes)
        return data.withUnsafeBytes { raw in
            var at = min(end, frameOffset + 8)
            while at < end {
                let sectorEnd = min(end, (at / 512 + 1) * 512)
                if !raw[Int(at)..<Int(sectorEnd)].contains(where: { $0 != 0 }) { return true }
                at = sectorEnd
            }
            return false
        }
    }

    /// The offset of the first frame after `offset` (8-aligned) that reads
    /// as a record of a type etcd writes, with a CRC and a decodable
    /// payload: evidence that the bytes at `offset` are damage, not the end
    /// of the log. Bounded: at most `probes` candidate decodes.
    func nextValidFrame(after offset: UInt64, probes: Int = 4096) -> UInt64? {
        var at = (offset / 8 + 1) * 8
        var tried = 0
        while at + 8 <= size && tried < probes {
            // Zero words (preallocated space) are skipped without decoding anything.
            let word = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: Int(at), as: UInt64.self)) }
            if word == 0 { at += 8; continue }
            let length = word & 0x00FF_FFFF_FFFF_FFFF
            let top = UInt8(word >> 56)
            let padding = top & 0x80 != 0 ? UInt64(top & 0x07) : 0
            if length > 0, length <= size - at - 8, padding <= size - at - 8 - length, top & 0x78 == 0 {
                tried += 1
                let s = data.startIndex + Int(at) + 8
                if let r = try? Raftinterop_Etcd_WalRecord(serializedBytes: data[s..<(s + Int(length))]),
                   r.hasType, r.hasCrc, (1...5).contains(r.type), plausible(r) {
                    return at
                }
            }
            at += 8
        }
        return nil
    }

    /// A record whose payload decodes as its type says.
    private func plausible(_ r: Raftinterop_Etcd_WalRecord) -> Bool {
        switch r.type {
        case 2: return (try? Raftinterop_Etcd_LogEntry(serializedBytes: r.data)).map { $0.hasIndex && $0.hasTerm } ?? false
        case 3: return (try? Raftinterop_Etcd_HardStateRecord(serializedBytes: r.data)).map { $0.hasTerm && $0.hasCommit } ?? false
        case 5: return (try? Raftinterop_Etcd_WalSnapshot(serializedBytes: r.data)) != nil
        case 4: return r.data.isEmpty
        default: return !r.data.isEmpty
        }
    }

    func bytes(_ at: UInt64, _ count: UInt64) -> Data {
        let s = data.startIndex + Int(at)
        return data[s..<(s + Int(count))]
    }

    func u64(_ at: UInt64) -> UInt64 {
        var v: UInt64 = 0
        let s = data.startIndex + Int(at)
        for k in 0..<8 { v |= UInt64(data[s + k]) << (8 * UInt64(k)) }
        return v
    }

    struct StopError: Error { var stop: Stop; init(_ s: Stop) { stop = s } }
}

/// CRC-32C through the project's one implementation (`RaftWAL.CRC32C`).
enum RunningCRC {
    static func extend(_ crc: UInt32, _ data: Data) -> UInt32 {
        data.withUnsafeBytes { CRC32C.extend(crc, $0) }
    }
}
