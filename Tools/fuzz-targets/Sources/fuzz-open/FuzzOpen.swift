@_spi(Fuzzing) import RaftWALTesting

/// A whole read-only open (the recovery decision table) on a directory
/// whose segments come from the input, then every entry, term and the
/// membership read back. Input: segment files separated by the 8 bytes
/// "RWALNEXT"; the first becomes seq 1 at index 1, later ones follow on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpen(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.open(data, size)
}
