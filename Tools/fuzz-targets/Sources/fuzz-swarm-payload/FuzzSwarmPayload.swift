import RaftInterop

/// Swarm plaintexts and envelopes: raft requests (store actions), snapshots, conf changes and their contexts, secretbox and Fernet records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSwarmPayload(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = InteropDecoders.swarmPayload(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
