import Foundation
import Testing
@_spi(Benchmarks) import RaftWAL
import RaftWALTesting

/// Issue 14, item 4: a batch body above `LZ4BlockStream.streamThresholdBytes`
/// is decoded through a 64 KiB window, never whole; it must decode exactly
/// what liblz4 decodes, and refuse what liblz4 refuses.
@Suite struct BatchStreamDecodeTests {
    /// Bytes mixing runs (long matches, short periods), text-like repeats
    /// and random stretches (literals), so every sequence shape occurs.
    static func mixedBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let n = min(count - out.count, 1 + rng.below(70_000))
            switch rng.below(4) {
            case 0: out.append(contentsOf: repeatElement(UInt8(rng.below(256)), count: n))
            case 1:
                let period = (0..<(1 + rng.below(300))).map { _ in UInt8(rng.below(256)) }
                for k in 0..<n { out.append(period[k % period.count]) }
            case 2: for _ in 0..<n { out.append(UInt8(rng.below(256))) }
            default: for _ in 0..<n { out.append(UInt8(97 + rng.below(6))) }
            }
        }
        return out
    }

    static func streamed(_ stored: [UInt8], rawLength: Int) -> [UInt8]? {
        var out: [UInt8] = []
        let ok = stored.withUnsafeBytes { LZ4BlockStream.decode($0, rawLength: rawLength) { out.append(contentsOf: $0); return true } }
        return ok ? out : nil
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func streamedDecodeMatchesLiblz4AcrossPieceBoundaries(_ seed: UInt64) throws {
        let raw = Self.mixedBytes((3 << 20) + Int(seed) * 12_345, seed: seed)
        var stored: [UInt8] = []
        #expect(raw.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &stored) })
        let streamed = try #require(Self.streamed(stored, rawLength: raw.count))
        #expect(streamed == raw)
    }

    /// Every mutation of a valid block (a byte changed, the block cut or
    /// grown, the raw length off by one) is accepted or refused alike by
    /// liblz4 and by the stream, with the same bytes when accepted.
    @Test func streamedDecodeAcceptsAndRefusesExactlyWhatLiblz4Does() throws {
        var rng = SplitMix64(seed: 14)
        let raw = Self.mixedBytes(200_000, seed: 7)
        var stored: [UInt8] = []
        #expect(raw.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &stored) })
        var refused = 0
        for trial in 0..<600 {
            var bytes = stored
            var rawLength = raw.count
            switch trial % 4 {
            case 0, 1: bytes[rng.below(bytes.count)] = UInt8(rng.below(256))
            case 2: bytes.removeLast(1 + rng.below(20))
            default: rawLength += rng.below(2) == 0 ? 1 : -1
            }
            let reference = bytes.withUnsafeBytes { CodecBenchmarkSupport.lz4Decompress($0, rawLength: rawLength) }
            let streamed = Self.streamed(bytes, rawLength: rawLength)
            #expect(streamed == reference, "trial \(trial): liblz4 \(reference == nil ? "refuses" : "accepts"), the stream \(streamed == nil ? "refuses" : "accepts")")
            if reference == nil { refused += 1 }
        }
        #expect(refused > 100, "the mutations must reach refusals")
    }

    /// Entries above the threshold, of every size from empty to several
    /// pieces, straddling piece boundaries: decoded as they were encoded.
    @Test func largeBatchDecodesEntryByEntryAsEncoded() throws {
        var rng = SplitMix64(seed: 5)
        var entries: [Entry] = []
        var bytes = 0
        var index: UInt64 = 40
        while bytes <= LZ4BlockStream.streamThresholdBytes + (1 << 20) {
            let size = [0, 1, 4, 5, 1000, 65_536, 1 << 20, 3 << 20][rng.below(8)]
            let data = Self.mixedBytes(size, seed: index)
            let term: UInt64 = index < 100 ? 2 : 3
            entries.append(index % 7 == 0 ? Entry(index: index, term: term, confChange: ConfChange(type: .addVoter, raftID: index))
                                            : Entry(index: index, term: term, data: data))
            bytes += 5 + entries.last!.data.count
            index += 1
        }
        let record = CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: nil, salt: 9, offset: 4096)
        #expect(try CodecBenchmarkSupport.batchRecordStreams(record), "the read path must take the stream for this record")
        #expect(try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 9, offset: 4096) == entries)
        #expect(try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 9, offset: 4096, streamAbove: .max) == entries,
                "the whole-body path decodes the same entries")
    }

    /// The same entry shapes in a small record, decoded both ways (the
    /// stream forced with a threshold of 0): the two paths agree entry by
    /// entry (refusals are compared with liblz4's above).
    @Test func streamAndWholeBodyDecodeAgreeOnEveryEntryShape() throws {
        var entries: [Entry] = []
        for (k, size) in [0, 1, 4, 5, 1000, 65_535, 65_536, 65_537, 200_000].enumerated() {
            let index = 10 + UInt64(k)
            entries.append(k == 3 ? Entry(index: index, term: 1, confChange: ConfChange(type: .addLearner, raftID: 9))
                                  : Entry(index: index, term: 1 + UInt64(k / 4), data: Self.mixedBytes(size, seed: index)))
        }
        let record = CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: nil, salt: 3, offset: 8192)
        #expect(try !CodecBenchmarkSupport.batchRecordStreams(record), "small: the read path decodes it whole")
        #expect(try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 3, offset: 8192, streamAbove: 0) == entries)
        #expect(try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 3, offset: 8192) == entries)
    }

    /// 2^20 entries of 12 zero bytes (17 MiB raw from a 70 KB record):
    /// decoded through the stream, every entry as the header says.
    @Test func uniformBatchAboveTheThresholdDecodesEveryEntry() throws {
        let count = 1 << 20
        let record = CodecBenchmarkSupport.encodeUniformBatchRecord(count: count, dataBytes: 12, firstIndex: 7, term: 4, salt: 1, offset: 4096)
        #expect(try CodecBenchmarkSupport.batchRecordStreams(record), "the read path must take the stream for this record")
        let entries = try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 1, offset: 4096)
        #expect(entries.count == count)
        #expect(entries.first == Entry(index: 7, term: 4, data: [UInt8](repeating: 0, count: 12)))
        #expect(entries.last == Entry(index: 7 + UInt64(count) - 1, term: 4, data: [UInt8](repeating: 0, count: 12)))
    }
}
