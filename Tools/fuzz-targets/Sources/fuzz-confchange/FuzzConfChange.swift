@_spi(Fuzzing) import RaftWALTesting

/// Configuration-change and membership decoding (entry data and snapshot
/// metadata). Whatever decodes must decode again, unchanged, from its own
/// encoding (names are UTF-8 decoded with repair, so the bytes themselves
/// may differ).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfChange(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.confChange(data, size)
}
