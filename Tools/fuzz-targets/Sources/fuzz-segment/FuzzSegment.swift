@_spi(Fuzzing) import RaftWALTesting

/// The segment scanner: header, record framing, damage resynchronization,
/// seal and batch table, and the entries of every record it accepts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.segment(data, size)
}
