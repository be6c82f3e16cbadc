@_spi(Fuzzing) import RaftWALTesting

/// Record framing, batch meta, LZ4 bodies and batch decoding, behind a
/// resealed checksum (the first input byte's bit 0 off keeps the input's own
/// checksum, to fuzz the check itself). Any outcome but a crash is fine:
/// decoders must throw typed errors on bad bytes, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.record(data, size)
}
