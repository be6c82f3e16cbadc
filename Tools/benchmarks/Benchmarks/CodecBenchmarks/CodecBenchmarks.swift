// Micro-benchmarks of the engine's CPU stages against C baselines.
//
// Every benchmark's iteration processes one buffer; names carry the buffer
// size, so bytes/s = throughput × size. Pairs to compare (same input, same run):
//   CRC32C/RaftWAL/<size>        vs CRC32C/C SSE4.2 loop/<size>
//   LZ4 compress/RaftWAL/64 KiB  vs LZ4 compress/liblz4 direct/64 KiB
//   LZ4 decompress/...           likewise
//   Record encode / decode       (encode → LZ4 → frame + CRC; verify → LZ4 → decode)
// Inputs: a corpus file given in RAFTWAL_BENCH_CORPUS (for example
// `etcdwal-bench -emit-corpus F -payload json -size 1024`, the bytes
// bench-compare feeds both engines), else JSON-like task records generated here.
import Benchmark
import CBaselines
@_spi(Benchmarks) import RaftWAL

#if canImport(Glibc)
import Glibc
#endif

/// 1 MiB of payload text.
let corpus: [UInt8] = {
    let size = 1 << 20
    if let path = getenv("RAFTWAL_BENCH_CORPUS"), let file = fopen(path, "rb") {
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: size)
        if fread(&bytes, 1, size, file) == size { return bytes }
    }
    // Swarm-like task records: ids from small populations, hex digests, timestamps.
    var state: UInt64 = 1
    func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
    func token(_ n: Int, _ alphabet: [UInt8]) -> String { String(decoding: (0..<n).map { _ in alphabet[next(alphabet.count)] }, as: UTF8.self) }
    let ids = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8), hex = Array("0123456789abcdef".utf8)
    let services = (0..<40).map { _ in token(25, ids) }, nodes = (0..<12).map { _ in token(25, ids) }
    let states = ["pending", "assigned", "running", "complete", "shutdown", "failed"]
    var out: [UInt8] = []
    var version = 1000
    while out.count < size {
        version += 1
        let st = states[next(states.count)]
        out += Array("{\"action\":\"update\",\"kind\":\"task\",\"task\":{\"id\":\"\(token(25, ids))\",\"meta\":{\"version\":{\"index\":\(version)},\"created_at\":\"2024-0\(1 + next(9))-1\(next(10))T1\(next(10)):\(10 + next(50)):\(10 + next(50)).\(100_000_000 + next(900_000_000))Z\"},\"service_id\":\"\(services[next(40)])\",\"slot\":\(1 + next(12)),\"node_id\":\"\(nodes[next(12)])\",\"desired_state\":\"running\",\"status\":{\"state\":\"\(st)\",\"message\":\"\(st)\",\"container_status\":{\"container_id\":\"\(token(64, hex))\",\"pid\":\(1000 + next(60000))}}}}\n".utf8)
    }
    return Array(out[0..<size])
}()

nonisolated(unsafe) let config = Benchmark.Configuration(  // read-only after initialization
    metrics: [.wallClock, .throughput, .mallocCountTotal],
    scalingFactor: .one,
    maxDuration: .seconds(2),
    maxIterations: 1_000_000)

let benchmarks: @Sendable () -> Void = {
    for size in [1024, 65536, 1 << 20] {
        let buffer = Array(corpus[0..<size])
        let label = size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
        Benchmark("CRC32C/RaftWAL/\(label)", configuration: config) { benchmark in
            buffer.withUnsafeBytes { raw in
                for _ in benchmark.scaledIterations { blackHole(CodecBenchmarkSupport.crc32c(raw)) }
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
