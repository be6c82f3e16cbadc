/// The metadata file `META`: a few named byte strings a state machine keeps
/// with the log (its applied index, for one), replaced as a whole and
/// atomically.
///
/// Format (`docs/FORMAT.md` §8.3), little-endian: `magic "RWALMETA" | version u16 (=1) |
/// reserved u16 (0, checked) | count u32 (≤ 4096) | count × (key string16, valueLength u32, value) |
/// checksum u32 (masked CRC32C of every byte before it)`. Keys are sorted, unique and non-empty;
/// the whole file is at most 1 MiB.
enum MetadataFile {
    static let name = "META"
    static let magic: [UInt8] = Array("RWALMETA".utf8)
    static let version: UInt16 = 1
    static let maxEntries = 4096
    static let maxFileBytes = 1 << 20

    /// The bytes of `values`, or why they do not fit the format.
    static func encode(_ values: [String: [UInt8]]) -> Result<[UInt8], WALError> {
        guard values.count <= maxEntries else { return .failure(.invalidArgument("\(values.count) metadata keys, at most \(maxEntries)")) }
        var w = ByteWriter(capacity: 64)
        w.raw(magic)
        w.u16(version)
        w.u16(0)
        w.u32(UInt32(values.count))
        for key in values.keys.sorted() {
            guard !key.isEmpty else { return .failure(.invalidArgument("a metadata key is empty")) }
            let value = values[key]!
            w.string16(key)
            guard value.count <= maxFileBytes else { return .failure(.invalidArgument("metadata value of \(value.count) bytes")) }
            w.u32(UInt32(value.count))
            w.raw(value)
            if w.bytes.count > maxFileBytes - 4 {
                return .failure(.invalidArgument("metadata exceeds \(maxFileBytes) bytes"))
            }
        }
        w.u32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        return .success(w.bytes)
    }

    /// The values in `bytes`, checked (size, magic, version, checksum, then
    /// every length bounded before it is used).
    static func decode(_ bytes: [UInt8]) throws(WALError) -> [String: [UInt8]] {
        func bad(_ offset: Int, _ why: String) -> WALError {
            .corrupted(file: name, offset: UInt64(offset), indexes: nil, reason: "metadata file: " + why)
        }
        guard bytes.count >= 20 else { throw bad(0, "\(bytes.count) bytes, shorter than the smallest file") }
        guard bytes.count <= maxFileBytes else { throw bad(0, "\(bytes.count) bytes, more than \(maxFileBytes)") }
        guard Array(bytes[0..<8]) == magic else { throw bad(0, "bad magic") }
        let end = bytes.count - 4
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: end, as: UInt32.self).littleEndian }
        let computed = CRC32C.mask(bytes.withUnsafeBytes { CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: $0[0..<end])) })
        guard stored == computed else { throw bad(end, "checksum mismatch (stored \(hex8(stored)), computed \(hex8(computed)))") }
        do {
            return try Array(bytes[0..<end]).decode { (r) throws(DecodeFailure) -> [String: [UInt8]] in
                try r.skip(8)
                let v = try r.u16()
                guard v == version else { throw DecodeFailure(offset: 8, reason: "version \(v)") }
                guard try r.u16() == 0 else { throw DecodeFailure(offset: 10, reason: "reserved field is not zero") }
                let count = Int(try r.u32())
                guard count <= maxEntries else { throw DecodeFailure(offset: 12, reason: "\(count) keys, at most \(maxEntries)") }
                var out: [String: [UInt8]] = [:]
                var previous: String? = nil
                for _ in 0..<count {
                    let at = r.offset
                    let key = try r.string16("key")
                    guard !key.isEmpty, previous.map({ $0 < key }) ?? true else {
                        throw DecodeFailure(offset: at, reason: "keys are not sorted, unique and non-empty")
                    }
                    previous = key
                    let length = Int(try r.u32("valueLength"))
                    guard length <= r.remaining else { throw DecodeFailure(offset: r.offset - 4, reason: "value of \(length) bytes, \(r.remaining) remain") }
                    out[key] = try r.raw(length, "value")
                }
                guard r.remaining == 0 else { throw DecodeFailure(offset: r.offset, reason: "\(r.remaining) trailing bytes") }
                return out
            }
        } catch {
            throw bad(error.offset, error.reason)
        }
    }
}

/// The metadata file for tools.
package enum MetadataInspector {
    /// Why the directory's `META` fails its checks; nil when it is absent or valid.
    package static func problem(directory: String, fileSystem: any FileSystem = POSIXFileSystem()) -> WALError? {
        let path = joinPath(directory, MetadataFile.name)
        guard fileSystem.fileKind(path) != nil else { return nil }
        do throws(WALError) {
            let handle = try fileSystem.open(path, access: .readOnly, create: false)
            defer { handle.close() }
            let size = try handle.size()
            guard size <= UInt64(MetadataFile.maxFileBytes) else {
                return .corrupted(file: MetadataFile.name, offset: 0, indexes: nil, reason: "metadata file: \(size) bytes, more than \(MetadataFile.maxFileBytes)")
            }
            _ = try MetadataFile.decode(try handle.read(at: 0, count: Int(size)))
            return nil
        } catch {
            return error
        }
    }
}
