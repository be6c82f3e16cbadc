import Foundation
import Testing
import RaftWALTesting
@testable import RaftWAL

/// The engine's one zero scan (`Segment/ZeroScan.swift`), used by the tail
/// hint's check, a bad record's tail classification and the torn-write
/// test: word at a time, exact byte index.
@Suite("SegmentScanner zero scan")
struct SegmentScannerTests {
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 63, 64, 513])
    func firstNonZeroFindsTheFirstNonZeroByteAtEveryPositionAndNilForZeros(count: Int) {
        var bytes = [UInt8](repeating: 0, count: count)
        #expect(bytes.withUnsafeBytes { firstNonZero($0) } == nil)
        for position in 0..<count {
            for value: UInt8 in [0x01, 0x80] {
                bytes[position] = value
                if position + 1 < count { bytes[count - 1] = 0xFF }  // a later non-zero byte does not win
                #expect(bytes.withUnsafeBytes { firstNonZero($0) } == position, "count \(count), byte \(position)")
                bytes = [UInt8](repeating: 0, count: count)
            }
        }
    }

    /// Views that start at every offset of a word (the scan loads words
    /// unaligned): the index is counted from the view's start.
    @Test(arguments: 0..<8)
    func firstNonZeroCountsFromAnUnalignedViewsStart(start: Int) {
        var bytes = [UInt8](repeating: 0, count: 40)
        bytes[start + 17] = 0x40
        bytes[39] = 1
        let found = bytes.withUnsafeBytes { firstNonZero(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        #expect(found == 17)
        // Non-zero bytes before the view are not seen.
        bytes[0] = 1
        let empty = bytes.withUnsafeBytes { firstNonZero(UnsafeRawBufferPointer(rebasing: $0[(start + 1)..<(start + 1)])) }
        #expect(empty == nil)
    }

    /// A copy of the `healthy` fixture, its tail segment's path, and the
    /// scan of that segment (it ends clean: zeros after the last record).
    static func healthyTail(_ label: String) throws -> (TempDir, String, SegmentScan) {
        let tmp = TempDir(label)
        try Damage.copyDirectory(RecoveryTableTests.fixture("healthy"), to: tmp.path)
        let tail = try #require(try DirectoryListing(directory: tmp.path).segments.last).name
        let scan = try scanSegment(tmp.file(tail))
        #expect(scan.end == .clean)
        return (tmp, tmp.file(tail), scan)
    }

    static func scanSegment(_ path: String) throws -> SegmentScan {
        let reader = try SegmentReader(handle: POSIXFileSystem().open(path, access: .readOnly, create: false),
                                       name: (path as NSString).lastPathComponent)
        defer { reader.handle.close() }
        return try reader.scan { _ in }
    }

    /// One non-zero byte in the zeros after the last record, at the first,
    /// a middle and the last byte: the scan ends torn, and the garbage runs
    /// to the end of the 8-byte word (of the file) holding that byte, or to
    /// the end of the file.
    @Test(arguments: ["first", "middle", "last"])
    func aNonZeroByteAfterTheLastRecordMakesATornEndThroughItsWord(position: String) throws {
        let (tmp, path, clean) = try Self.healthyTail("scan-\(position)")
        defer { withExtendedLifetime(tmp) {} }
        let end = clean.endOffset, size = clean.fileSize
        #expect(size > end + 64)
        let at: UInt64 = switch position {
        case "first": end
        case "middle": end + (size - end) / 2 + 3
        default: size - 1
        }
        try Damage.write([0x5A], to: path, at: at)
        let scan = try Self.scanSegment(path)
        #expect(scan.endOffset == end)
        guard case .torn(_, let garbage) = scan.end else {
            Issue.record("expected a torn end, got \(scan.end)")
            return
        }
        #expect(garbage == min((at & ~7) + 8, size) - end)
    }

    /// A file whose size is not a multiple of 8: a non-zero byte in the last,
    /// partial word is found, and the garbage ends at the file's end.
    @Test func aNonZeroByteInAPartialLastWordIsFound() throws {
        let (tmp, path, clean) = try Self.healthyTail("scan-partial")
        defer { withExtendedLifetime(tmp) {} }
        let size = clean.fileSize - 3
        try Damage.cut(path, to: size)
        try Damage.write([0x01], to: path, at: size - 2)
        let scan = try Self.scanSegment(path)
        guard case .torn(_, let garbage) = scan.end else {
            Issue.record("expected a torn end, got \(scan.end)")
            return
        }
        #expect(garbage == size - clean.endOffset)
    }
}
