import RaftWAL

/// The bodies of the libFuzzer targets in `Tools/fuzz-targets` (a separate
/// package, so that the root build never links fuzzer binaries). They live
/// here so that they can reach the engine's package-level decoders without
/// making those public; each target's `LLVMFuzzerTestOneInput` calls one.
/// Any outcome but a crash is fine: decoders must throw typed errors on bad
/// bytes, never trap.
@_spi(Fuzzing) public enum FuzzTargets {
    /// Record framing, batch meta, LZ4 bodies and batch decoding, behind a
    /// resealed checksum (the first input byte's bit 0 off keeps the input's own
    /// checksum, to fuzz the check itself). Any outcome but a crash is fine:
    /// decoders must throw typed errors on bad bytes, never trap.
    public static func record(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        guard size > 0 else { return 0 }
        let reseal = data[0] & 1 == 0
        let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
        if let (info, entries) = try? Decoders.record(bytes, salt: 0x5EED, offset: 4096, resealChecksum: reseal) {
            // A record that decodes must be self-consistent.
            precondition(info.entryCount == entries.count || info.type != .batch, "batch decoded \(entries.count) of \(info.entryCount) entries")
            for (k, e) in entries.enumerated() { precondition(e.index == info.firstIndex + UInt64(k)) }
        }
        return 0
    }

    /// The segment scanner: header, record framing, damage resynchronization,
    /// seal and batch table, and the entries of every record it accepts.
    public static func segment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
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

    /// Snapshot files: header, membership, LZ4 data and checksums — both as
    /// given and with the checksums resealed, to reach the decoders behind them.
    public static func snapshot(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
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

    /// Configuration-change and membership decoding (entry data and snapshot
    /// metadata). Whatever decodes must decode again, unchanged, from its own
    /// encoding (names are UTF-8 decoded with repair, so the bytes themselves
    /// may differ).
    public static func confChange(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
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

    /// A whole read-only open (the recovery decision table) on a directory
    /// whose segments come from the input, then every entry, term and the
    /// membership read back. Input: segment files separated by the 8 bytes
    /// "RWALNEXT"; the first becomes seq 1 at index 1, later ones follow on.
    public static func open(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
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
}
