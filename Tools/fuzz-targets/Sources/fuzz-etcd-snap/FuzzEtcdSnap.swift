import RaftInterop

/// .snap files: the snappb envelope, its CRC, the raft snapshot and its metadata.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEtcdSnap(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = InteropDecoders.snapFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
