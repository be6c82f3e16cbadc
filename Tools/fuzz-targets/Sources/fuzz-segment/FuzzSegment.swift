import RaftWAL
import RaftWALTesting

/// The segment scanner: header, record framing, damage resynchronization,
/// seal and batch table, and the entries of every record it accepts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fs = SimFileSystem(seed: 1)
    let name = "0000000000000001-0000000000000001.seg"
    do {
        try fs.createDirectory("/d")
        let h = try fs.open("/d/" + name, access: .readWrite, create: true)
        try h.write(bytes, at: 0)
        h.close()
        let inspector = try SegmentInspector(directory: "/d", name: name, fileSystem: fs)
        defer { inspector.close() }
        _ = inspector.sealedShape
        var records = 0
        try inspector.scan { (event) throws(WALError) -> Bool in
            if case let .record(info, entries) = event {
                records += 1
                if info.type == .batch, let decoded = try? entries() {
                    precondition(decoded.count == info.entryCount, "batch decoded \(decoded.count) of \(info.entryCount) entries")
                }
            }
            return records < 100_000
        }
    } catch {}
    return 0
}
