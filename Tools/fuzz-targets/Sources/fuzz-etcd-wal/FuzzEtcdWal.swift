import RaftInterop

/// etcd WAL files: frames, length words, records, the CRC chain, entries, hard states, snapshot records; the torn-tail rule and the resynchronisation after damage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEtcdWal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = InteropDecoders.etcdWALFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
