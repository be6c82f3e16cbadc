import RaftInterop

/// swarm-node.key (PEM headers, raft-dek, with and without an unlock key) and node certificates (X.509 DER subject).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSwarmKeyfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = InteropDecoders.swarmKeyFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
