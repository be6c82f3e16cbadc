import Foundation
@_spi(Benchmarks) import RaftWAL
import Testing
@testable import RaftWALTools

/// Functional tests of raft-bench's library: what it writes, reads and
/// reports. No timing is asserted.
@Suite("Bench")
struct BenchTests {
    /// A fresh scratch path (not created) under the system's temp directory.
    private func scratch(_ name: String) -> String {
        NSTemporaryDirectory() + "raftwal-benchtest-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    @Test func payloadFileIsCutIntoConsecutivePiecesAndCycled() throws {
        let path = scratch("corpus")
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = try PayloadPool(file: path, sizeBytes: 128, entries: 100)
        #expect(pool.distinctPayloads == 7)  // 1000 / 128, the partial piece dropped
        #expect(pool.payload(0) == Array(bytes[0..<128]))
        #expect(pool.payload(6) == Array(bytes[768..<896]))
        #expect(pool.payload(7) == pool.payload(0))
    }

    @Test func payloadFileShorterThanOnePayloadIsAUsageError() throws {
        let path = scratch("short")
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try PayloadPool(file: path, sizeBytes: 128, entries: 10)
        } throws: { error in
            guard case BenchError.usage = error else { return false }
            return true
        }
    }

    @Test(arguments: PayloadKind.allCases)
    func generatedPayloadsHaveTheSizeAndAreDeterministic(kind: PayloadKind) {
        let a = PayloadPool(kind: kind, sizeBytes: 1000, entries: 50, seed: 3)
        let b = PayloadPool(kind: kind, sizeBytes: 1000, entries: 50, seed: 3)
        #expect(a.distinctPayloads == 50)
        for i in 0..<50 {
            #expect(a.payload(i).count == 1000)
            #expect(a.payload(i) == b.payload(i))
        }
        if kind != .zero { #expect(a.payload(0) != a.payload(1)) }
    }

    @Test func jsonPayloadsCompressAndRandomOnesDoNot() {
        func compressedBytes(_ kind: PayloadKind) -> Int {
            let pool = PayloadPool(kind: kind, sizeBytes: 1024, entries: 64, seed: 1)
            let block = (0..<64).flatMap { pool.payload($0) }
            var out: [UInt8] = []
            let ok = block.withUnsafeBytes { CodecBenchmarkSupport.lz4Compress($0, into: &out) }
            return ok ? out.count : block.count
        }
        #expect(compressedBytes(.json) * 2 < 65536)
        #expect(compressedBytes(.random) == 65536)
    }

    @Test func latencyPercentilesUseTheBaselinesNearestRank() {
        let s = LatencySummary(nanos: (1...100).map { UInt64($0) * 1000 }.shuffled())
        #expect(s.count == 100)
        #expect(s.p50Micros == 51)   // element round(0.5 × 99) = 50 of the sorted samples
        #expect(s.p90Micros == 90)
        #expect(s.p99Micros == 99)
        #expect(s.maxMicros == 100)
        #expect(s.meanMicros == 50.5)
    }

    @Test func usedBytesEndAtTheLastNonZeroByteRoundedToEight() throws {
        let dir = scratch("usage")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        bytes[4100] = 9
        #expect(FileManager.default.createFile(atPath: dir + "/a.seg", contents: Data(bytes)))
        let usage = try BenchFiles.diskUsage(dir)
        #expect(usage.files == 1 && usage.segments == 1)
        #expect(usage.apparentBytes == 8192)
        #expect(usage.usedBytes == 4104)
    }

    /// Runs a small append benchmark without syncs and returns its JSON line parsed.
    private func appendLine(writers: Int, batch: Int, entries: Int) throws -> (AppendResult, [String: Any]) {
        let dir = scratch("append")
        defer { BenchFiles.removeTree(dir) }
        let pool = PayloadPool(kind: .json, sizeBytes: 256, entries: entries, seed: 1)
        var bench = AppendBenchmark(directory: dir, entries: entries, sizeBytes: 256, batch: batch, pool: pool, payloadName: "json")
        bench.writers = writers
        bench.noSync = true
        bench.replayPasses = ["hot", "cold"]
        let result = try bench.run()
        let data = try JSONEncoder().encode(result)
        return (result, try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    @Test func appendLineHasTheEtcdBaselineKeys() throws {
        let (result, json) = try appendLine(writers: 1, batch: 10, entries: 205)
        for key in ["payload", "size", "batch", "n", "entries_per_s", "payload_MB_per_s", "saves_per_s", "save_latency",
                    "disk_used_bytes", "disk_allocated_bytes", "disk_apparent_bytes", "used_over_payload", "replay",
                    "wal_segments", "payload_bytes", "loadavg_start"] {
            #expect(json[key] != nil, "missing key \(key)")
        }
        let latency = try #require(json["save_latency"] as? [String: Any])
        for key in ["p50_us", "p90_us", "p99_us", "max_us", "count"] { #expect(latency[key] != nil, "missing save_latency.\(key)") }
        let replay = try #require(json["replay"] as? [[String: Any]])
        #expect(replay.map { $0["cache"] as? String } == ["hot", "cold"])
        for pass in replay {
            for key in ["open_ms", "readall_ms", "entries", "entries_per_s", "payload_MB_per_s", "verified", "peak_rss_bytes"] {
                #expect(pass[key] != nil, "missing replay[].\(key)")
            }
            #expect(pass["entries"] as? Int == 205)
            #expect(pass["verified"] as? Bool == true)
        }
        #expect(result.batches == 21)         // 20 full batches and one of 5
        #expect(result.saveLatency.count == 21)
        #expect(result.records == 21)
        #expect(result.payloadBytes == 205 * 256)
        #expect(result.diskUsedBytes > 0)
    }

    @Test func concurrentWritersAppendEveryIndexOnceInOrder() throws {
        // Replay verification checks every index and payload against the pool.
        let (result, _) = try appendLine(writers: 8, batch: 1, entries: 400)
        #expect(result.replay.allSatisfy { $0.entries == 400 && $0.verified })
        #expect(result.batches == 400)
        #expect(result.records >= 1 && result.records <= 400)
    }

    @Test func appendRefusesADirectoryThatIsNotEmpty() throws {
        let dir = scratch("busy")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dir + "/keep.txt", contents: Data([1])))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = PayloadPool(kind: .zero, sizeBytes: 16, entries: 4, seed: 1)
        let bench = AppendBenchmark(directory: dir, entries: 4, sizeBytes: 16, batch: 1, pool: pool, payloadName: "zero")
        #expect(throws: BenchError.self) { try bench.run() }
        #expect(FileManager.default.fileExists(atPath: dir + "/keep.txt"))
    }

    @Test func openAndReplayReportTheLogThatWasWritten() throws {
        let dir = scratch("open")
        defer { BenchFiles.removeTree(dir) }
        let log = try RaftLog.open(directory: dir, options: { var o = LogOptions(); o.sync = .none; return o }())
        let entries = (1...50).map { Entry(index: UInt64($0), term: 2, data: Array(repeating: UInt8($0), count: 100)) }
        try log.append(entries, hardState: HardState(term: 2, vote: 1, commit: 40))
        log.close()

        var open = OpenBenchmark(directory: dir, repetitions: 2)
        open.passes = ["hot"]
        let o = try open.run()
        #expect(o.firstIndex == 1 && o.lastIndex == 50)
        #expect(o.hardState == .init(term: 2, vote: 1, commit: 40))
        #expect(o.passes.count == 2)
        #expect(o.segments == 1)

        let r = try ReplayBenchmark(directory: dir, readOnly: true).run(passes: ["hot"])
        #expect(r.entryCount == 50)
        #expect(r.payloadBytes == 5000)
        #expect(r.replay.first?.verified == true)
    }

    @Test func recordCodecSupportRoundTripsAndRejectsAFlippedBit() throws {
        let pool = PayloadPool(kind: .json, sizeBytes: 512, entries: 32, seed: 5)
        let entries = (0..<32).map { Entry(index: UInt64(100 + $0), term: 4, data: pool.payload($0)) }
        var record = CodecBenchmarkSupport.encodeBatchRecord(entries, hardState: HardState(term: 4, vote: 2, commit: 110),
                                                             salt: 99, offset: 8192)
        #expect(record.count % 8 == 0)
        #expect(try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 99, offset: 8192) == entries)
        // The checksum binds the record to its offset and salt: read elsewhere, or with a flipped bit, it is corrupt.
        let moved = #expect(throws: WALError.self) { try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 99, offset: 8200) }
        #expect(moved?.isCorruption == true, "\(String(describing: moved))")
        record[record.count / 2] ^= 0x10
        let flipped = #expect(throws: WALError.self) { try CodecBenchmarkSupport.decodeBatchRecord(record, salt: 99, offset: 8192) }
        #expect(flipped?.isCorruption == true, "\(String(describing: flipped))")
    }
}
