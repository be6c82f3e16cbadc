import RaftWAL

/// Configuration-change and membership decoding (entry data and snapshot
/// metadata). Whatever decodes must decode again, unchanged, from its own
/// encoding (names are UTF-8 decoded with repair, so the bytes themselves
/// may differ).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfChange(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let change = try? ConfChange(decoding: bytes) {
        precondition((try? ConfChange(decoding: change.encoded())) == change, "conf change does not round-trip")
        var m = Membership()
        m.apply(change, at: 1)
    }
    if let membership = try? Membership(decoding: bytes) {
        precondition((try? Membership(decoding: membership.encoded())) == membership, "membership does not round-trip")
    }
    return 0
}
