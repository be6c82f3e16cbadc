import CLZ4
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// LZ4 block compression through Debian's liblz4.
enum LZ4 {
    /// Compresses `source` into `destination` (which is resized to fit).
    /// Returns false when the result would not be smaller than `source`
    /// (the caller then stores the bytes raw). `acceleration` is liblz4's
    /// (`LZ4_compress_fast`; 1 is `LZ4_compress_default`): any value writes a
    /// plain LZ4 block, read back by the same decoder.
    static func compress(_ source: UnsafeRawBufferPointer, into destination: inout [UInt8], acceleration: Int32 = 1) -> Bool {
        guard source.count > 0, source.count <= Int(LZ4_MAX_INPUT_SIZE) else { return false }
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        // Uninitialized storage: zero-filling `bound` bytes first cost as
        // much as a tenth of the compression itself (measured by raft-bench codec).
        var n: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
            n = LZ4_compress_fast(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                  UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                  Int32(source.count), Int32(bound), acceleration)  // liblz4 takes < 1 as 1
            initialized = n > 0 ? Int(n) : 0
        }
        guard n > 0, Int(n) < source.count else { return false }
        destination = out
        return true
    }

    /// Decompresses exactly `rawLength` bytes; nil when the input is not a
    /// valid LZ4 block of that size (liblz4's safe decoder never reads or
    /// writes outside the buffers).
    static func decompress(_ source: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8]? {
        guard rawLength > 0 else { return source.count == 0 ? [] : nil }
        guard source.count > 0 else { return nil }
        var n: Int32 = 0
        // Uninitialized storage (no zero fill); only the bytes the decoder
        // wrote are kept, and a short or failed decode returns nil.
        let out = [UInt8](unsafeUninitializedCapacity: rawLength) { dst, initialized in
            n = LZ4_decompress_safe(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    Int32(source.count), Int32(rawLength))
            initialized = n > 0 ? Int(n) : 0
        }
        return n == Int32(rawLength) ? out : nil
    }

    /// Bodies at least this large are probed before being compressed whole.
    static let probeThresholdBytes = 32 << 10
    /// The probe's windows: three of this size (start, middle, end).
    static let probeWindowBytes = 1024
    /// Byte entropy (bits per byte) of the windows at or above which a body
    /// is taken for incompressible: uniform random bytes measure ≈ 7.93 on
    /// 3 KiB, JSON ≈ 5, protobuf with text fields ≈ 6.
    static let probeEntropyBits = 7.5

    /// The sampled incompressibility probe: true when `source` (at least
    /// ``probeThresholdBytes``) is very likely not worth compressing, judged
    /// by the byte entropy of three 1 KiB windows (its start, middle and end).
    /// Random or already compressed payloads then skip the whole-body LZ4
    /// attempt, whose output would be discarded. A histogram, not a trial
    /// compression: LZ4 would first clear its 16 KiB table, a cost the
    /// compressible bodies that pass the probe would pay for nothing. A
    /// wrong guess costs only ratio (the body is stored raw), never bytes.
    static func looksIncompressible(_ source: UnsafeRawBufferPointer) -> Bool {
        guard source.count >= probeThresholdBytes else { return false }
        let w = probeWindowBytes
        // A histogram on the stack: this runs before every large append.
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            let last = source.count - w
            for start in [0, last / 2, last] {  // start, middle, end
                for k in start..<(start + w) { counts[Int(source[k])] &+= 1 }
            }
            let n = Double(3 * w)
            var bits = 0.0
            for c in counts where c > 0 {
                let p = Double(c) / n
                bits -= p * log2(p)
            }
            return bits >= probeEntropyBits
        }
    }
}
