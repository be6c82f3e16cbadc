import RaftWAL

/// Replays a log the way a restarting node does: open it, then read every
/// entry from the first to the last index in pages of ``pageBytes``
/// (etcd raft's `MaxCommittedSizePerReady` style), keeping nothing.
///
/// Only the time inside `open` and `entries(_:_:maxBytes:)` is counted:
/// the verification between pages (indexes consecutive, payload bytes equal
/// to what was written) is excluded, as the etcd baseline excludes its
/// check after `ReadAll`.
package struct ReplayBenchmark: Sendable {
    package var directory: String
    /// Read-only opens take no lock and change nothing (for live or copied
    /// directories); the default is a writer open, what a restart does.
    package var readOnly = false
    package var pageBytes = 4 << 20
    /// When set, every entry's payload is compared with `expected.payload(index - 1)`.
    package var expected: PayloadPool?

    package init(directory: String, readOnly: Bool = false, expected: PayloadPool? = nil) {
        self.directory = directory
        self.readOnly = readOnly
        self.expected = expected
    }

    var options: LogOptions { readOnly ? .readOnly : LogOptions() }

    /// One pass with the page cache `hot` or `cold`.
    package func run(cache: String) throws(BenchError) -> (pass: ReplayPass, payloadBytes: Int64) {
        switch cache {
        case "hot": BenchFiles.warm(directory: directory)
        case "cold":
            if !BenchFiles.evict(directory: directory) { throw .environment("could not evict \(directory) from the page cache") }
        default: throw .usage("unknown replay pass \(cache) (hot, cold or none)")
        }
        let idle = ProcessStats.residentBytes()
        ProcessStats.resetPeakResident()

        let t0 = MonotonicClock.nanos()
        let log: RaftLog
        do { log = try RaftLog.open(directory: directory, options: options) } catch {
            throw .environment("cannot open \(directory): \(error)")
        }
        defer { log.close() }
        let first = log.firstIndex, last = log.lastIndex
        let openNanos = MonotonicClock.nanos() - t0

        var readNanos: UInt64 = 0
        var payloadBytes: Int64 = 0
        var count = 0
        var index = first
        while index <= last {
            let t = MonotonicClock.nanos()
            let page: [Entry]
            do { page = try log.entries(index, last + 1, maxBytes: pageBytes) } catch {
                throw .verification("reading from index \(index): \(error)")
            }
            readNanos += MonotonicClock.nanos() - t
            for e in page {
                guard e.index == index else { throw .verification("expected index \(index), read \(e.index)") }
                if let expected, e.data != expected.payload(Int(index - 1)) {
                    throw .verification("entry \(index) does not carry the payload written")
                }
                payloadBytes += Int64(e.data.count)
                index += 1
            }
            count += page.count
        }
        let peak = max(ProcessStats.peakResidentBytes(), idle)
        let pass = ReplayPass(cache: cache, openMillis: Double(openNanos) / 1e6, readAllMillis: Double(readNanos) / 1e6,
                              entries: count, payloadBytes: payloadBytes, verified: true,
                              idleRSSBytes: idle, peakRSSBytes: peak)
        return (pass, payloadBytes)
    }

    /// `raft-bench replay`: the given passes over an existing log.
    package func run(passes: [String]) throws(BenchError) -> ReplayResult {
        var result = ReplayResult()
        result.directory = directory
        result.diskUsedBytes = try BenchFiles.diskUsage(directory).usedBytes
        for cache in passes {
            let (pass, bytes) = try run(cache: cache)
            result.replay.append(pass)
            result.entryCount = pass.entries
            result.payloadBytes = bytes
        }
        return result
    }
}
