import RaftWAL
import RaftWALTesting

/// The real-process half of the crash fuzzer: a writer that a test kills
/// with SIGKILL, and a checker that verifies every acknowledged byte.
///
/// The payload of each index derives from the seed alone
/// (``entry(seed:index:)``), so the checker needs nothing but the seed and
/// the highest index the writer acknowledged.
package enum ProcessTorture {
    /// Entry `index` of the writer run `seed` (term 1).
    package static func entry(seed: UInt64, index: UInt64) -> Entry {
        var r = SimRandom(seed: seed ^ (index &* 0x9E37_79B9_7F4A_7C15))
        let roll = r.below(1000)
        let size = roll < 900 ? r.below(301) : (roll < 990 ? r.int(in: 300...8000) : r.int(in: 64 << 10 ... 512 << 10))
        return Entry(index: index, term: 1, data: TorturePayload.bytes(seed: seed, index: index, term: 1, count: size))
    }

    /// The number of entries of the batch starting at `first`.
    static func batchSize(seed: UInt64, first: UInt64) -> Int {
        var r = SimRandom(seed: seed ^ 0xBA7C ^ (first &* 0xC2B2_AE3D_27D4_EB4F))
        return r.chance(0.8) ? r.int(in: 1...4) : r.int(in: 5...64)
    }

    /// Options of the writer and the checker.
    package static func options(segmentSizeBytes: UInt64, readOnly: Bool) -> LogOptions {
        var o = readOnly ? LogOptions.readOnly : LogOptions()
        o.segmentSizeBytes = segmentSizeBytes
        return o
    }

    /// `raft-torture writer`: opens (or creates) `directory`, continues after
    /// its last index, and appends batches until `entries` entries exist in
    /// total (forever when nil). After each append returns, `acked(lastIndex)`
    /// is called (the CLI prints `acked <lastIndex>` and flushes).
    package static func write(directory: String, seed: UInt64, entries limit: UInt64?, segmentSizeBytes: UInt64,
                             confirmed: Bool = false, acked: (UInt64) -> Void) throws(WALError) {
        var o = options(segmentSizeBytes: segmentSizeBytes, readOnly: false)
        o.confirmAppends = confirmed
        let log = try RaftLog.open(directory: directory, options: o)
        defer { log.close() }
        while true {
            let first = log.lastIndex + 1
            if let limit, first > limit { return }
            var last = first + UInt64(batchSize(seed: seed, first: first)) - 1
            if let limit { last = min(last, limit) }
            let batch = (first...last).map { entry(seed: seed, index: $0) }
            try log.append(batch, hardState: HardState(term: 1, vote: 1, commit: last))
            acked(last)
        }
    }

    /// What `check` found on a directory that passed.
    package struct CheckSummary: Sendable {
        package var lastIndex: UInt64
        package var commit: UInt64
        package var labels: [RecoveryLabel]
    }

    /// `raft-torture check`: the directory opens (read-only, changing
    /// nothing), entries 1...`acked` are present and byte-exact, every entry
    /// beyond is one the writer could have written, and the hard state's
    /// commit is at least `acked`.
    ///
    /// `from` skips the byte comparison of entries below it (the kill loop
    /// compares only the recent entries on most rounds and everything on every
    /// hundredth; a full check reads the whole log).
    package static func check(directory: String, seed: UInt64, acked: UInt64, segmentSizeBytes: UInt64,
                             from: UInt64 = 1) -> Result<CheckSummary, TortureViolation> {
        let log: RaftLog
        do { log = try RaftLog.open(directory: directory, options: options(segmentSizeBytes: segmentSizeBytes, readOnly: true)) } catch {
            if acked == 0, case .notALog = error { return .success(CheckSummary(lastIndex: 0, commit: 0, labels: [])) }
            return .failure(TortureViolation(reason: "opening \(directory) failed: \(error)"))
        }
        defer { log.close() }
        if log.lastIndex < acked {
            return .failure(TortureViolation(reason: "last index \(log.lastIndex) but \(acked) was acknowledged: entries \(log.lastIndex + 1)...\(acked) are lost"))
        }
        if log.firstIndex != 1 { return .failure(TortureViolation(reason: "first index is \(log.firstIndex), expected 1")) }
        if log.hardState.commit < acked {
            return .failure(TortureViolation(reason: "hard state commit \(log.hardState.commit) is below the acknowledged \(acked)"))
        }
        var i: UInt64 = max(1, min(from, log.lastIndex))
        while i <= log.lastIndex {
            let chunk: [Entry]
            do { chunk = try log.entries(i, log.lastIndex + 1, maxBytes: 8 << 20) } catch {
                return .failure(TortureViolation(reason: "reading entries from \(i): \(error)"))
            }
            for e in chunk where e != entry(seed: seed, index: e.index) {
                let what = e.index <= acked ? "acknowledged entry" : "entry (beyond the acknowledged ones)"
                return .failure(TortureViolation(reason: "\(what) \(e.index) differs from what the writer wrote (term \(e.term), \(e.data.count) bytes)"))
            }
            i = (chunk.last?.index ?? i) + 1
        }
        return .success(CheckSummary(lastIndex: log.lastIndex, commit: log.hardState.commit, labels: log.recoveryReport.labels))
    }
}
