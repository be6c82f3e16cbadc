import ArgumentParser
import Foundation
import RaftWALTools
import ToolMain

/// `raft-bench`: measures RaftWAL with the same workloads and JSON keys as
/// the etcd 3.4 WAL baseline (`etcdwal-bench`), one JSON line per run on
/// stdout. Exit status: 0 measured, 1 a replay did not return what was
/// written, 2 usage or environment error.
@main
struct RaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-bench",
        abstract: "Measure RaftWAL: durable appends, replay and open time, as JSON lines.",
        discussion: """
            Each command prints one JSON line on stdout with the keys of the etcd WAL baseline \
            (entries_per_s, payload_MB_per_s, save_latency.p50_us, disk_used_bytes, replay[].entries_per_s, ...), \
            so one summarizer tabulates both. Units: MB = 1e6 bytes, latencies in microseconds. \
            Compare figures only within one run of the same machine (see docs/BENCHMARKS.md and Tools/bench-compare).
            """,
        version: raftWALVersion,
        subcommands: [Append.self, Replay.self, Open.self, Codec.self])

    /// Runs the command with the tools' conventions (`runAsTool`).
    static func main() { runAsTool("raft-bench") }

    /// Maps the library's errors to the tools' exit statuses: a replay that
    /// did not return what was written is 1, anything else 2 (`runAsTool`
    /// prints `raft-bench: <message>`).
    static func failure(_ error: BenchError) -> ToolFailure {
        if case .verification = error { return ToolFailure("\(error)", status: .damage) }
        return ToolFailure("\(error)")
    }

    static func printJSON<T: Encodable>(_ value: T) throws(BenchError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { throw .environment("cannot encode the result") }
        Terminal.write(bytes: Array(data) + [0x0A], to: 1)
    }

    static func passes(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "none" }
    }
}

extension PayloadKind: ExpressibleByArgument {}
extension AppendBenchmark.AppendAPI: ExpressibleByArgument {}

struct Append: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Durable appends into a new log, then replay it (hot and cold page cache).",
        discussion: """
            Writes --entries entries of --size payload bytes, --batch entries per append call (one record and one \
            fdatasync each), every call carrying a hard state, into the new log directory --dir (missing or empty). \
            With --writers W, W threads append concurrently and group commit coalesces them. The log is kept \
            for `replay` and `open` unless --remove-after is given.
            """)

    @Option(name: [.customShort("n"), .long], help: "Number of entries to append.")
    var entries = 10_000
    @Option(help: "Payload bytes per entry.")
    var size = 1024
    @Option(help: "Entries per append call (one sync per call).")
    var batch = 64
    @Option(help: "Concurrent writer threads, each appending --batch entries per call.")
    var writers = 1
    @Option(help: "Payload kind: json, random or zero.")
    var payload: PayloadKind = .json
    @Option(help: "Cut consecutive --size-byte payloads from this file and cycle them (e.g. etcdwal-bench -emit-corpus output).")
    var payloadFile: String?
    @Option(help: "Seed of the payload generator.")
    var seed: UInt64 = 1
    @Option(help: "Most bytes of distinct payloads kept in memory and cycled (the baseline's -pool-bytes).")
    var poolBytes = PayloadPool.defaultMaxPoolBytes
    @Option(help: "Log directory to create (must be missing or empty).")
    var dir: String
    @Option(help: "Segment size in bytes.")
    var segmentBytes: UInt64 = 64 << 20
    @Flag(help: "Store batch bodies uncompressed.")
    var noCompression = false
    @Option(help: "LZ4 acceleration for batch bodies (LogOptions.compressionAcceleration; default: the engine's).")
    var lz4Acceleration: Int?
    @Option(help: "Microseconds a blocking caller and the writer poll before sleeping (LogOptions.spinWaitMicroseconds; default: the engine's; 0: never poll).")
    var spinWaitMicroseconds: Int?
    @Flag(help: "Skip every sync (measures the CPU path only; never for data you keep).")
    var unsafeNoFsync = false
    @Flag(help: "Confirmed mode (LogOptions.confirmAppends): ACKED written and synced after each record, a second sync per append.")
    var confirmed = false
    @Option(help: "Replay passes after appending, comma separated: hot, cold, or none.")
    var replay = "hot,cold"
    @Flag(help: "Remove the log directory after measuring.")
    var removeAfter = false
    @Option(help: "How writers call the log: append (each computes its indexes; every call carries a hard state), at-end (the public appendAtEnd from --writers threads) or at-end-async (appendAtEndAsync from --writers tasks). With at-end*, replay checks indexes and sizes, not each payload's bytes.")
    var api: AppendBenchmark.AppendAPI = .append

    func validate() throws {
        guard entries > 0, size > 0, batch > 0, writers > 0, poolBytes > 0 else {
            throw ValidationError("--entries, --size, --batch, --writers and --pool-bytes must be positive")
        }
        for p in RaftBench.passes(replay) where p != "hot" && p != "cold" {
            throw ValidationError("unknown replay pass '\(p)': use hot, cold or none")
        }
    }

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        do throws(BenchError) {
            let pool: PayloadPool
            if let payloadFile {
                pool = try PayloadPool(file: payloadFile, sizeBytes: size, entries: entries, maxPoolBytes: poolBytes)
            } else {
                pool = PayloadPool(kind: payload, sizeBytes: size, entries: entries, seed: seed, maxPoolBytes: poolBytes)
            }
            var bench = AppendBenchmark(directory: dir, entries: entries, sizeBytes: size, batch: batch, pool: pool,
                                        payloadName: payload.rawValue)
            bench.writers = writers
            bench.seed = seed
            bench.segmentSizeBytes = segmentBytes
            bench.compression = !noCompression
            if let lz4Acceleration { bench.lz4Acceleration = lz4Acceleration }
            if let spinWaitMicroseconds { bench.spinWaitMicroseconds = spinWaitMicroseconds }
            bench.noSync = unsafeNoFsync
            bench.confirmed = confirmed
            bench.replayPasses = RaftBench.passes(replay)
            bench.api = api
            try bench.validate()
            let result: AppendResult
            do throws(BenchError) { result = try bench.run() } catch {
                if removeAfter { BenchFiles.removeTree(dir) }
                throw error
            }
            if removeAfter { BenchFiles.removeTree(dir) }
            try RaftBench.printJSON(result)
        } catch {
            throw RaftBench.failure(error)
        }
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open an existing log and read every entry, page cache hot and cold.",
        discussion: """
            Reports entries/s and payload MB/s of reading (open excluded, as the baseline's ReadAll), open time, \
            and the process's RSS before the pass and its peak during it. The cold pass evicts the log's files \
            with posix_fadvise(DONTNEED), which needs no privileges.
            """)

    @Option(help: "Log directory.")
    var dir: String
    @Option(help: "Passes, comma separated: hot, cold.")
    var passes = "hot,cold"
    @Flag(help: "Open as a writer, as a restarting node does (takes the lock, and recovery may cut a torn tail): only on a log you may change. The default is read-only: no lock, nothing changed.")
    var writable = false

    func validate() throws {
        let list = RaftBench.passes(passes)
        guard !list.isEmpty else { throw ValidationError("--passes needs hot, cold or both") }
        for p in list where p != "hot" && p != "cold" { throw ValidationError("unknown pass '\(p)': use hot or cold") }
    }

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        do throws(BenchError) {
            let bench = ReplayBenchmark(directory: dir, readOnly: !writable)
            try RaftBench.printJSON(try bench.run(passes: RaftBench.passes(passes)))
        } catch {
            throw RaftBench.failure(error)
        }
    }
}

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time until the first and last index and the hard state of an existing log are known.",
        discussion: "Opens the log --reps times with the page cache hot and --reps times cold; reports each and the medians.")

    @Option(help: "Log directory.")
    var dir: String
    @Option(help: "Repetitions per cache state.")
    var reps = 5
    @Flag(help: "Open as a writer, as a restarting node does (takes the lock, and recovery may cut a torn tail): only on a log you may change. The default is read-only: no lock, nothing changed.")
    var writable = false

    func validate() throws {
        guard reps > 0 else { throw ValidationError("--reps must be positive") }
    }

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        do throws(BenchError) {
            let bench = OpenBenchmark(directory: dir, readOnly: !writable, repetitions: reps)
            try RaftBench.printJSON(try bench.run())
        } catch {
            throw RaftBench.failure(error)
        }
    }
}

struct Codec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Throughput of the engine's CRC32C, LZ4 and record encode/decode, on the limit probes' inputs.",
        discussion: """
            CRC32C on the buffers of limits/crc32c.c; LZ4 on independent --lz4-block-bytes blocks of --payload-file \
            (compare with `lz4 -b1 -B<block> FILE`); a record of --batch entries of --size bytes cut from the same file, \
            encoded and decoded as the append and read paths do.
            """)

    @Option(help: "Corpus file (e.g. etcdwal-bench -emit-corpus output); generated json payloads when omitted.")
    var payloadFile: String?
    @Option(help: "Payload bytes per entry of the record benchmark.")
    var size = 1024
    @Option(help: "Entries in the record benchmark's batch.")
    var batch = 64
    @Option(help: "LZ4 block size.")
    var lz4BlockBytes = 65536
    @Option(help: "Seconds per figure.")
    var seconds = 1.0
    @Option(help: "Figures to measure, comma separated: crc32c, lz4, record.")
    var parts = "crc32c,lz4,record"
    @Option(help: "CRC32C buffer sizes in bytes, comma separated.")
    var crcSizes = "128,1024,16384,1048576"

    func validate() throws {
        let known: Set<String> = ["crc32c", "lz4", "record"]
        for p in parts.split(separator: ",") where !known.contains(String(p)) {
            throw ValidationError("unknown part '\(p)': use crc32c, lz4 or record")
        }
        guard crcSizes.split(separator: ",").allSatisfy({ Int($0).map { $0 > 0 } ?? false }) else {
            throw ValidationError("--crc-sizes takes positive byte counts, comma separated")
        }
        guard size > 0, batch > 0, lz4BlockBytes > 0, seconds > 0 else {
            throw ValidationError("--size, --batch, --lz4-block-bytes and --seconds must be positive")
        }
    }

    func run() throws {
        do throws(BenchError) {
            let corpus: [UInt8]
            let pool: PayloadPool
            if let payloadFile {
                pool = try PayloadPool(file: payloadFile, sizeBytes: size, entries: 1 << 30)
                corpus = (0..<pool.distinctPayloads).flatMap { pool.payload($0) }
            } else {
                pool = PayloadPool(kind: .json, sizeBytes: size, entries: (16 << 20) / size, seed: 1)
                corpus = (0..<pool.distinctPayloads).flatMap { pool.payload($0) }
            }
            var bench = CodecBenchmark(corpus: corpus, recordPool: pool, recordBatch: batch)
            bench.seconds = seconds
            bench.lz4BlockBytes = lz4BlockBytes
            bench.parts = Set(parts.split(separator: ",").map(String.init))
            bench.crcBufferSizes = crcSizes.split(separator: ",").compactMap { Int($0) }
            try RaftBench.printJSON(try bench.run())
        } catch {
            throw RaftBench.failure(error)
        }
    }
}
