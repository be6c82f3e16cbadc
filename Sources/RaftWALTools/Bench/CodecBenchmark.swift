@_spi(Benchmarks) import RaftWAL

/// `raft-bench codec`: throughput of the engine's own CPU stages, measured
/// on the same inputs as the machine-limit probes so the ratios are fair:
/// CRC32C on the buffers `limits/crc32c.c` uses, LZ4 on independent blocks
/// of the corpus file `lz4 -b1 -B<block>` reads, and a batch record's
/// encode (encode → LZ4 → frame + CRC) and decode (verify → LZ4 → decode).
///
/// Each figure is the best of a few timed rounds of at least `seconds`
/// seconds each (1 GB = 1e9 bytes, MB = 1e6 bytes).
package struct CodecBenchmark: Sendable {
    package var seconds = 0.5
    package var crcBufferSizes = [128, 1024, 16384, 1 << 20]
    package var lz4BlockBytes = 65536
    package var corpus: [UInt8]
    package var recordPool: PayloadPool
    package var recordBatch: Int
    /// Which figures to measure: `crc32c`, `lz4`, `record`.
    package var parts: Set<String> = ["crc32c", "lz4", "record"]

    package init(corpus: [UInt8], recordPool: PayloadPool, recordBatch: Int) {
        self.corpus = corpus
        self.recordPool = recordPool
        self.recordBatch = recordBatch
    }

    package struct CRCFigure: Codable, Sendable {
        package var bufferBytes: Int
        package var gigabytesPerSecond: Double
        enum CodingKeys: String, CodingKey { case bufferBytes = "buf_bytes", gigabytesPerSecond = "GB_per_s" }
    }

    package struct LZ4Figure: Codable, Sendable {
        package var blockBytes: Int
        package var inputBytes: Int
        package var ratio: Double
        package var compressMBPerSecond: Double
        package var decompressMBPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case blockBytes = "block_bytes", inputBytes = "input_bytes", ratio
            case compressMBPerSecond = "compress_MB_per_s", decompressMBPerSecond = "decompress_MB_per_s"
        }
    }

    package struct RecordFigure: Codable, Sendable {
        package var sizeBytes: Int
        package var batch: Int
        package var recordBytes: Int
        package var encodeMBPerSecond: Double
        package var decodeMBPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case sizeBytes = "size", batch, recordBytes = "record_bytes"
            case encodeMBPerSecond = "encode_payload_MB_per_s", decodeMBPerSecond = "decode_payload_MB_per_s"
        }
    }

    package struct Result: Codable, Sendable {
        package var tool = "raft-bench"
        package var command = "codec"
        package var crc32cHardware = CRC32C.isHardwareAccelerated
        package var crc32c: [CRCFigure] = []
        package var lz4: LZ4Figure?
        package var record: RecordFigure?
        enum CodingKeys: String, CodingKey { case tool, command, crc32cHardware = "crc32c_hardware", crc32c, lz4, record }
    }

    /// Runs `body` (which processes `bytes` bytes) repeatedly for `seconds`;
    /// returns the best rate of three rounds in bytes per second.
    func rate(bytes: Int, _ body: () -> Void) -> Double {
        var best = 0.0
        for _ in 0..<3 {
            let deadline = UInt64(seconds / 3 * 1e9)
            let t0 = MonotonicClock.nanos()
            var rounds = 0
            var elapsed: UInt64 = 0
            repeat {
                body()
                rounds += 1
                elapsed = MonotonicClock.nanos() - t0
            } while elapsed < deadline
            best = max(best, Double(rounds) * Double(bytes) / (Double(elapsed) / 1e9))
        }
        return best
    }

    package func run() throws(BenchError) -> Result {
        var result = Result()
        for n in crcBufferSizes where parts.contains("crc32c") {
            // The same fill as limits/crc32c.c.
            let buffer = (0..<n).map { i in UInt8(truncatingIfNeeded: (UInt32(truncatingIfNeeded: i) &* 2_654_435_761) >> 13) }
            var sink: UInt32 = 0
            let r = buffer.withUnsafeBytes { raw in rate(bytes: n) { sink ^= CRC32C.extend(0, raw) } }
            if sink == 1 { print("") }  // keeps the checksum observable
            result.crc32c.append(CRCFigure(bufferBytes: n, gigabytesPerSecond: r / 1e9))
        }

        if parts.contains("lz4") && corpus.count >= lz4BlockBytes {
            let blocks = stride(from: 0, to: corpus.count - lz4BlockBytes + 1, by: lz4BlockBytes).map {
                Array(corpus[$0..<($0 + lz4BlockBytes)])
            }
            let input = blocks.count * lz4BlockBytes
            var compressed: [[UInt8]] = []
            var storedBytes = 0
            for b in blocks {
                var out: [UInt8] = []
                let ok = b.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &out) }
                compressed.append(ok ? out : [])
                storedBytes += ok ? out.count : b.count
            }
            var scratch: [UInt8] = []
            let c = rate(bytes: input) {
                for b in blocks { _ = b.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &scratch) } }
            }
            var sink = 0
            let d = rate(bytes: input) {
                for (k, c) in compressed.enumerated() where !c.isEmpty {
                    sink &+= c.withUnsafeBytes { CodecBenchmarkSupport.lz4Decompress($0, rawLength: blocks[k].count)?.count ?? 0 }
                }
            }
            if sink == 1 { print("") }
            result.lz4 = LZ4Figure(blockBytes: lz4BlockBytes, inputBytes: input, ratio: Double(input) / Double(storedBytes),
                                   compressMBPerSecond: c / 1e6, decompressMBPerSecond: d / 1e6)
        }

        guard parts.contains("record") else { return result }
        let entries = (0..<recordBatch).map { k in Entry(index: UInt64(k + 1), term: 1, data: recordPool.payload(k)) }
        let payloadBytes = recordBatch * recordPool.sizeBytes
        let hs = HardState(term: 1, vote: 1, commit: UInt64(recordBatch))
        let record = CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: hs, salt: 7, offset: 4096)
        do {
            let back = try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 7, offset: 4096)
            guard back == entries else { throw BenchError.verification("record decode returned other entries") }
        } catch let error as BenchError { throw error } catch { throw .verification("record decode: \(error)") }
        var size = 0
        let e = rate(bytes: payloadBytes) {
            size &+= CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: hs, salt: 7, offset: 4096).count
        }
        let dec = rate(bytes: payloadBytes) {
            size &+= (try? CodecBenchmarkSupport.decodeBatchRecord(record, salt: 7, offset: 4096).count) ?? 0
        }
        if size == 1 { print("") }
        result.record = RecordFigure(sizeBytes: recordPool.sizeBytes, batch: recordBatch, recordBytes: record.count,
                                     encodeMBPerSecond: e / 1e6, decodeMBPerSecond: dec / 1e6)
        return result
    }
}
