import RaftWAL

/// Record framing, batch meta, LZ4 bodies and batch decoding, behind a
/// resealed checksum (the first input byte's bit 0 off keeps the input's own
/// checksum, to fuzz the check itself). Any outcome but a crash is fine:
/// decoders must throw typed errors on bad bytes, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let reseal = data[0] & 1 == 0
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if let (info, entries) = try? Decoders.record(bytes, salt: 0x5EED, offset: 4096, resealChecksum: reseal) {
        // A record that decodes must be self-consistent.
        precondition(info.entryCount == entries.count || info.type != .batch, "batch decoded \(entries.count) of \(info.entryCount) entries")
        for (k, e) in entries.enumerated() { precondition(e.index == info.firstIndex + UInt64(k)) }
    }
    return 0
}
