import RaftWAL

/// Times `RaftLog.open` until the first and last index and the hard state
/// are known, with the page cache hot and cold, `repetitions` times each.
package struct OpenBenchmark: Sendable {
    package var directory: String
    package var readOnly = false
    package var repetitions = 5
    package var passes = ["hot", "cold"]

    package init(directory: String, readOnly: Bool = false, repetitions: Int = 5) {
        self.directory = directory
        self.readOnly = readOnly
        self.repetitions = repetitions
    }

    package func run() throws(BenchError) -> OpenResult {
        var result = OpenResult()
        result.directory = directory
        let usage = try BenchFiles.diskUsage(directory)
        result.segments = usage.segments
        result.diskUsedBytes = usage.usedBytes
        if let tail = BenchFiles.regularFiles(directory).filter({ $0.hasSuffix(".seg") }).last {
            let path = directory + "/" + tail
            result.tailSegmentUsedBytes = try BenchFiles.usedPrefix(path, size: try BenchFiles.fileSize(path))
        }
        let options: LogOptions = readOnly ? .readOnly : LogOptions()
        for _ in 0..<max(1, repetitions) {
            for cache in passes {
                switch cache {
                case "hot": BenchFiles.warm(directory: directory)
                case "cold":
                    if !BenchFiles.evict(directory: directory) { throw .environment("could not evict \(directory) from the page cache") }
                default: throw .usage("unknown open pass \(cache) (hot or cold)")
                }
                let t0 = MonotonicClock.nanos()
                let log: RaftLog
                do { log = try RaftLog.open(directory: directory, options: options) } catch {
                    throw .environment("cannot open \(directory): \(error)")
                }
                let first = log.firstIndex, last = log.lastIndex, hs = log.hardState
                let elapsed = MonotonicClock.nanos() - t0
                result.tailHint = log.recoveryReport.tailHint.description
                log.close()
                result.firstIndex = first
                result.lastIndex = last
                result.hardState = .init(term: hs.term, vote: hs.vote, commit: hs.commit)
                result.passes.append(.init(cache: cache, openMillis: Double(elapsed) / 1e6))
            }
        }
        result.hotOpenMillis = median(result.passes.filter { $0.cache == "hot" }.map(\.openMillis))
        result.coldOpenMillis = median(result.passes.filter { $0.cache == "cold" }.map(\.openMillis))
        return result
    }
}
