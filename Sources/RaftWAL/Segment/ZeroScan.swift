/// The index of the first non-zero byte of `bytes`, or nil when every byte
/// is zero (or there are none). The one zero scan of the engine: what
/// follows a tail hint's end (`TailHint.rejection`), a bad record's tail
/// (`SegmentScanner`'s `classifyTail`) and a torn write's 512-byte pieces
/// (`writtenWhole`). Zero runs are skipped a word at a time: a 64 MiB
/// preallocated tail is mostly zeros.
func firstNonZero(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    while i + 8 <= bytes.count {
        let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        if word != 0 { return i + word.trailingZeroBitCount / 8 }
        i += 8
    }
    while i < bytes.count {
        if bytes[i] != 0 { return i }
        i += 1
    }
    return nil
}
