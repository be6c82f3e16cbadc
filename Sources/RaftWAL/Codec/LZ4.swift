import CLZ4

/// LZ4 block compression through Debian's liblz4.
enum LZ4 {
    /// Compresses `source` into `destination` (which is resized to fit).
    /// Returns false when the result would not be smaller than `source`
    /// (the caller then stores the bytes raw).
    static func compress(_ source: UnsafeRawBufferPointer, into destination: inout [UInt8]) -> Bool {
        guard source.count > 0, source.count <= Int(LZ4_MAX_INPUT_SIZE) else { return false }
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        if destination.count < bound { destination = [UInt8](repeating: 0, count: bound) }
        let n = destination.withUnsafeMutableBytes { dst in
            LZ4_compress_default(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                 dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                 Int32(source.count), Int32(dst.count))
        }
        guard n > 0, Int(n) < source.count else { return false }
        destination.removeSubrange(Int(n)...)
        return true
    }

    /// Decompresses exactly `rawLength` bytes; nil when the input is not a
    /// valid LZ4 block of that size (liblz4's safe decoder never reads or
    /// writes outside the buffers).
    static func decompress(_ source: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8]? {
        guard rawLength > 0 else { return source.count == 0 ? [] : nil }
        guard source.count > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: rawLength)
        let n = out.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                Int32(source.count), Int32(rawLength))
        }
        return n == Int32(rawLength) ? out : nil
    }
}
