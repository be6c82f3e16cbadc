@_spi(Fuzzing) import RaftWALTesting

/// Snapshot files: header, membership, LZ4 data and checksums — both as
/// given and with the checksums resealed, to reach the decoders behind them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshot(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.snapshot(data, size)
}
