import Foundation
import RaftWAL

/// Small helpers that damage files in a real directory, for fixtures and
/// tests: flip a bit, zero a range, cut a file, copy a directory.
public enum Damage {
    public static func flipBit(_ path: String, offset: UInt64, bit: UInt8 = 0) throws {
        let h = try FileHandleIO(path)
        defer { h.close() }
        var b = try h.read(offset, 1)
        precondition(b.count == 1, "offset \(offset) is beyond \(path)")
        b[0] ^= 1 << bit
        try h.write(b, at: offset)
    }

    public static func zero(_ path: String, range: Range<UInt64>) throws {
        let h = try FileHandleIO(path)
        defer { h.close() }
        try h.write([UInt8](repeating: 0, count: Int(range.count)), at: range.lowerBound)
    }

    public static func cut(_ path: String, to size: UInt64) throws {
        guard truncate(path, off_t(size)) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    public static func write(_ bytes: [UInt8], to path: String, at offset: UInt64) throws {
        let h = try FileHandleIO(path)
        defer { h.close() }
        try h.write(bytes, at: offset)
    }

    public static func read(_ path: String, at offset: UInt64, count: Int) throws -> [UInt8] {
        let h = try FileHandleIO(path)
        defer { h.close() }
        return try h.read(offset, count)
    }

    /// Copies a directory (files only, one level).
    public static func copyDirectory(_ from: String, to: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: to) { try fm.removeItem(atPath: to) }
        try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: from) where name != Layout.lockFileName {
            try fm.copyItem(atPath: from + "/" + name, toPath: to + "/" + name)
        }
    }

    /// Overwrites bytes of the record at `recordOffset` in a segment and
    /// recomputes its checksum, so the record verifies with the new contents:
    /// damage a checksum cannot catch (a writer bug, or a crafted file).
    public static func rewriteRecord(_ path: String, recordOffset: UInt64, recordBytes: Int,
                                     patch: [UInt8], at patchOffset: Int) throws {
        let header = try SegmentHeader(decoding: try read(path, at: 0, count: Layout.segmentHeaderBytes), file: path)
        var bytes = try read(path, at: recordOffset, count: recordBytes)
        bytes.replaceSubrange(patchOffset..<(patchOffset + patch.count), with: patch)
        guard Decoders.resealRecord(&bytes, salt: header.salt, offset: recordOffset) else {
            throw WALError.corrupted(file: path, offset: recordOffset, indexes: nil, reason: "no record to rewrite")
        }
        try write(bytes, to: path, at: recordOffset)
    }

    /// Valid records of a segment, in order (offset, size, index range).
    package static func records(directory: String, segment: String) throws -> [RecordInfo] {
        let inspector = try SegmentInspector(directory: directory, name: segment)
        defer { inspector.close() }
        var out: [RecordInfo] = []
        try inspector.scan { (event) throws(WALError) -> Bool in
            if case .record(let info, _) = event { out.append(info) }
            return true
        }
        return out
    }
}

/// pread/pwrite on a path, for damage helpers.
private final class FileHandleIO {
    let fd: Int32
    init(_ path: String) throws {
        fd = open(path, O_RDWR)
        if fd < 0 { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }
    func read(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
        var b = [UInt8](repeating: 0, count: count)
        let n = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        if n < 0 { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return Array(b[0..<n])
    }
    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, off_t(offset)) }
        if n != bytes.count { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }
    func close() { _ = Foundation.close(fd) }
}
