import RaftWAL
import RaftWALTesting

/// A whole read-only open (the recovery decision table) on a directory
/// whose segments come from the input, then every entry, term and the
/// membership read back. Input: segment files separated by the 8 bytes
/// "RWALNEXT"; the first becomes seq 1 at index 1, later ones follow on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpen(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let separator = Array("RWALNEXT".utf8)
    var files: [[UInt8]] = [[]]
    var k = 0
    while k < bytes.count {
        if k + 8 <= bytes.count && Array(bytes[k..<(k + 8)]) == separator && files.count < 4 {
            files.append([])
            k += 8
        } else {
            files[files.count - 1].append(bytes[k])
            k += 1
        }
    }
    let fs = SimFileSystem(seed: 1)
    do {
        try fs.createDirectory("/d")
        for (n, file) in files.enumerated() {
            // The name must match the header: take seq and first index from it when it is there.
            func field(_ at: Int) -> UInt64? {
                guard file.count >= at + 8 else { return nil }
                var v: UInt64 = 0
                for b in 0..<8 { v |= UInt64(file[at + b]) << (8 * UInt64(b)) }
                return v
            }
            let name = hex16(field(48) ?? UInt64(n + 1)) + "-" + hex16(field(56) ?? 1) + ".seg"
            guard !fs.fileExists("/d/" + name) else { continue }
            let h = try fs.open("/d/" + name, access: .readWrite, create: true)
            try h.write(file, at: 0)
            h.close()
        }
        for mode in [RecoveryMode.strict, .truncateAtFirstCorruption] {
            var options = LogOptions.readOnly
            options.fileSystem = fs
            options.recovery = mode
            guard let log = try? RaftLog.open(directory: "/d", options: options) else { continue }
            defer { log.close() }
            if log.firstIndex <= log.lastIndex {
                let hi = min(log.lastIndex, log.firstIndex + 10_000)
                _ = try? log.entries(log.firstIndex, hi + 1)
                _ = try? log.term(hi)
            }
            _ = try? log.membership()
            _ = try? log.latestSnapshot()
        }
    } catch {}
    return 0
}
