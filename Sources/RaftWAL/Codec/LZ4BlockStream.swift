/// Decodes one LZ4 block into a sink piece by piece, holding only a window:
/// the bytes a match may copy from (64 KiB, the format's largest offset)
/// plus one piece. A checksum-valid batch may claim up to
/// `Layout.maxBodyBytes` (1 GiB) of raw body from a few megabytes stored;
/// readers of such a body pay for the window, not for the raw length.
///
/// The block grammar (LZ4 block format, the sequence rules liblz4's safe
/// decoder enforces): a sequence is `token u8 | literal length extension |
/// literals | offset u16 | match length extension`; a length nibble of 15 is
/// followed by bytes added to it while they are 255; a match copies
/// `4 + length` bytes from `offset` (1 ... 65535, never before the start)
/// bytes back. The last sequence is literals only, ends the input and the
/// output exactly; no match may start in the last 12 bytes of the output or
/// end in its last 5.
///
/// Used for bodies above ``streamThresholdBytes``; smaller ones go through
/// liblz4 in one call (``LZ4/decompress(_:rawLength:)``), the hot read path.
package enum LZ4BlockStream {
    /// Raw bodies above this are decoded as a stream.
    package static let streamThresholdBytes = 16 << 20
    /// The largest match offset the format allows, kept behind every piece.
    static let windowBytes = 1 << 16
    /// Bytes handed to the sink at a time (at most).
    static let pieceBytes = 1 << 20

    /// Decodes `source`, a block of exactly `rawLength` bytes, handing the
    /// output to `sink` in order in pieces of at most ``pieceBytes``; the
    /// sink returns false to stop (then this returns true without checking
    /// the rest). Returns false when `source` is not a valid block of
    /// `rawLength` bytes.
    package static func decode(_ source: UnsafeRawBufferPointer, rawLength: Int,
                       into sink: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard rawLength > 0 else { return source.isEmpty }
        guard let input = source.baseAddress, !source.isEmpty else { return false }
        let capacity = windowBytes + pieceBytes
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let inputEnd = source.count
        var ip = 0
        var filled = 0          // bytes in the buffer
        var handed = 0          // bytes of the buffer already given to the sink
        var produced = 0        // output bytes so far
        var stopped = false

        /// Hands the unhanded bytes to the sink and keeps the last window.
        func flush() {
            if handed < filled, !sink(UnsafeRawBufferPointer(start: buffer + handed, count: filled - handed)) { stopped = true }
            let keep = min(filled, windowBytes)
            if filled > keep { buffer.copyMemory(from: buffer + (filled - keep), byteCount: keep) }
            filled = keep
            handed = keep
        }
        /// Reads a length extension: bytes added while they are 255.
        func extend(_ base: Int) -> Int? {
            var n = base
            while true {
                guard ip < inputEnd else { return nil }
                let b = Int(input.load(fromByteOffset: ip, as: UInt8.self))
                ip += 1
                n += b
                if n > rawLength { return nil }  // longer than the whole block: invalid
                if b != 255 { return n }
            }
        }

        while true {
            guard ip < inputEnd else { return false }
            let token = Int(input.load(fromByteOffset: ip, as: UInt8.self))
            ip += 1
            var literals = token >> 4
            if literals == 15 { guard let n = extend(15) else { return false }; literals = n }
            guard literals <= inputEnd - ip, literals <= rawLength - produced else { return false }
            var left = literals
            while left > 0 {
                if filled == capacity { flush(); if stopped { return true } }
                let k = min(left, capacity - filled)
                (buffer + filled).copyMemory(from: input + ip, byteCount: k)
                filled += k; ip += k; left -= k
            }
            produced += literals
            if produced > rawLength - 12 || ip > inputEnd - 8 {
                // The last sequence: it must end the input and the output together.
                guard ip == inputEnd, produced == rawLength else { return false }
                flush()
                return true
            }
            let offset = Int(input.load(fromByteOffset: ip, as: UInt8.self)) | Int(input.load(fromByteOffset: ip + 1, as: UInt8.self)) << 8
            ip += 2
            guard offset > 0, offset <= produced else { return false }
            var match = token & 15
            if match == 15 { guard let n = extend(15) else { return false }; match = n }
            match += 4
            guard match <= rawLength - 5 - produced else { return false }
            produced += match
            // Copy in non-overlapping runs. Everything from the match's
            // source on repeats with period `offset`, so the copy may read
            // from any multiple of it back: the distance doubles as the
            // run grows, and a long run of a short pattern is few copies.
            var periodicFrom = filled - offset
            var distance = offset
            left = match
            while left > 0 {
                if filled == capacity {
                    let before = filled
                    flush(); if stopped { return true }
                    periodicFrom = max(0, periodicFrom - (before - filled))
                    distance = offset
                }
                let k = min(left, distance, capacity - filled)
                (buffer + filled).copyMemory(from: buffer + (filled - distance), byteCount: k)
                filled += k; left -= k
                while distance * 2 <= filled - periodicFrom { distance *= 2 }
            }
        }
    }
}
