import RaftWAL
import RaftWALTesting

/// Snapshot files: header, membership, LZ4 data and checksums — both as
/// given and with the checksums resealed, to reach the decoders behind them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshot(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Decoders.snapshotFile(bytes, resealChecksums: true)
    let fs = SimFileSystem(seed: 1)
    let name = "snap-0000000000000010-0000000000000002.snap"
    do {
        try fs.createDirectory("/d")
        let h = try fs.open("/d/" + name, access: .readWrite, create: true)
        try h.write(bytes, at: 0)
        h.close()
        _ = try? SnapshotInspector.list(directory: "/d", fileSystem: fs)
        _ = try SnapshotInspector.read(directory: "/d", name: name, fileSystem: fs)
    } catch {}
    return 0
}
