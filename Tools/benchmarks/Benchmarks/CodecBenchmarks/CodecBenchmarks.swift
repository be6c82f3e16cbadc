// Micro-benchmarks of the engine's CPU stages against C baselines.
//
// Every benchmark's iteration processes one buffer; names carry the buffer
// size, so bytes/s = throughput × size. Pairs to compare (same input, same run):
//   CRC32C/RaftWAL/<size>        vs CRC32C/C SSE4.2 loop/<size>
//   LZ4 compress/RaftWAL/64 KiB  vs LZ4 compress/liblz4 direct/64 KiB
//   LZ4 decompress/...           likewise
//   Record encode / decode       (encode → LZ4 → frame + CRC; verify → LZ4 → decode)
// Inputs: the json payload generator of raft-bench (deterministic, seed 1),
// or a corpus file given in RAFTWAL_BENCH_CORPUS (etcdwal-bench -emit-corpus).
import Benchmark
import CBaselines
import RaftWAL
import RaftWALTools

#if canImport(Glibc)
import Glibc
#endif

/// 1 MiB of json payload text (the corpus file's first MiB when given).
let corpus: [UInt8] = {
    if let path = getenv("RAFTWAL_BENCH_CORPUS").map({ String(cString: $0) }),
       let pool = try? PayloadPool(file: path, sizeBytes: 1024, entries: 1024) {
        return (0..<1024).flatMap { pool.payload($0) }
    }
    let pool = PayloadPool(kind: .json, sizeBytes: 1024, entries: 1024, seed: 1)
    return (0..<1024).flatMap { pool.payload($0) }
}()

let config = Benchmark.Configuration(
    metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal],
    scalingFactor: .one,
    maxDuration: .seconds(2),
    maxIterations: 1_000_000)

let benchmarks: @Sendable () -> Void = {
    for size in [1024, 65536, 1 << 20] {
        let buffer = Array(corpus[0..<size])
        let label = size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
        Benchmark("CRC32C/RaftWAL/\(label)", configuration: config) { benchmark in
            buffer.withUnsafeBytes { raw in
                for _ in benchmark.scaledIterations { blackHole(CRC32C.extend(0, raw)) }
            }
        }
        Benchmark("CRC32C/C SSE4.2 loop/\(label)", configuration: config) { benchmark in
            buffer.withUnsafeBytes { raw in
                for _ in benchmark.scaledIterations { blackHole(baseline_crc32c(0, raw.baseAddress, raw.count)) }
            }
        }
    }

    let block = Array(corpus[0..<65536])
    var compressedBlock: [UInt8] = []
    _ = block.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &compressedBlock) }
    let compressed = compressedBlock

    Benchmark("LZ4 compress/RaftWAL/64 KiB json", configuration: config) { benchmark in
        var out: [UInt8] = []
        block.withUnsafeBytes { raw in
            for _ in benchmark.scaledIterations { blackHole(CodecBenchmarkSupport.lz4Compress(raw, into: &out)) }
        }
    }
    Benchmark("LZ4 compress/liblz4 direct/64 KiB json", configuration: config) { benchmark in
        var out = [UInt8](repeating: 0, count: Int(baseline_lz4_bound(Int32(block.count))))
        block.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                for _ in benchmark.scaledIterations {
                    blackHole(baseline_lz4_compress(raw.baseAddress, dst.baseAddress, Int32(raw.count), Int32(dst.count)))
                }
            }
        }
    }
    Benchmark("LZ4 decompress/RaftWAL/64 KiB json", configuration: config) { benchmark in
        compressed.withUnsafeBytes { raw in
            for _ in benchmark.scaledIterations { blackHole(CodecBenchmarkSupport.lz4Decompress(raw, rawLength: block.count)) }
        }
    }
    Benchmark("LZ4 decompress/liblz4 direct/64 KiB json", configuration: config) { benchmark in
        var out = [UInt8](repeating: 0, count: block.count)
        compressed.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                for _ in benchmark.scaledIterations {
                    blackHole(baseline_lz4_decompress(raw.baseAddress, dst.baseAddress, Int32(raw.count), Int32(dst.count)))
                }
            }
        }
    }

    for (size, batch) in [(128, 1024), (1024, 64), (1024, 1024)] {
        let entries = (0..<batch).map { k in
            Entry(index: UInt64(k + 1), term: 1, data: Array(corpus[(k * size) % (corpus.count - size)..<((k * size) % (corpus.count - size) + size)]))
        }
        let hs = HardState(term: 1, vote: 1, commit: UInt64(batch))
        let record = CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: hs, salt: 7, offset: 4096)
        Benchmark("Record encode/\(batch) × \(size) B json", configuration: config) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: hs, salt: 7, offset: 4096))
            }
        }
        Benchmark("Record decode/\(batch) × \(size) B json", configuration: config) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try? CodecBenchmarkSupport.decodeBatchRecord(record, salt: 7, offset: 4096))
            }
        }
    }
}
