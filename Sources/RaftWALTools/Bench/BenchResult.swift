import RaftWAL

/// Latency percentiles in microseconds, computed as the etcd baseline does
/// (nearest rank: element `round(p × (n − 1))` of the sorted samples).
///
/// JSON keys: `count`, `mean_us`, `p50_us`, `p90_us`, `p99_us`, `p999_us`, `max_us`.
package struct LatencySummary: Codable, Sendable, Equatable {
    package var count = 0
    package var meanMicros = 0.0
    package var p50Micros = 0.0
    package var p90Micros = 0.0
    package var p99Micros = 0.0
    package var p999Micros = 0.0
    package var maxMicros = 0.0

    enum CodingKeys: String, CodingKey {
        case count, meanMicros = "mean_us", p50Micros = "p50_us", p90Micros = "p90_us", p99Micros = "p99_us"
        case p999Micros = "p999_us", maxMicros = "max_us"
    }

    package init() {}

    /// Summarizes samples given in nanoseconds.
    package init(nanos samples: [UInt64]) {
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted()
        func at(_ p: Double) -> Double { Double(sorted[Int(p * Double(sorted.count - 1) + 0.5)]) / 1e3 }
        count = sorted.count
        meanMicros = Double(sorted.reduce(0, +)) / Double(sorted.count) / 1e3
        p50Micros = at(0.50)
        p90Micros = at(0.90)
        p99Micros = at(0.99)
        p999Micros = at(0.999)
        maxMicros = Double(sorted.last!) / 1e3
    }
}

/// One replay pass: open the log and read every entry, with the page cache
/// `hot` (every file read just before) or `cold` (evicted with
/// `posix_fadvise(DONTNEED)`).
///
/// The keys up to `verified` are the etcd baseline's; the RSS keys are ours.
package struct ReplayPass: Codable, Sendable {
    package var cache: String
    package var openMillis: Double
    /// Time spent reading entries (the baseline's `ReadAll`), open excluded.
    package var readAllMillis: Double
    package var entries: Int
    package var entriesPerSecond: Double
    package var payloadMBPerSecond: Double
    /// Open and read together: what a restarting node pays.
    package var openReadAllEntriesPerSecond: Double
    package var verified: Bool
    /// RSS just before the pass, and the peak during it.
    package var idleRSSBytes: Int64
    package var peakRSSBytes: Int64
    package var rssGrowthBytes: Int64 { peakRSSBytes - idleRSSBytes }

    enum CodingKeys: String, CodingKey {
        case cache, openMillis = "open_ms", readAllMillis = "readall_ms", entries
        case entriesPerSecond = "entries_per_s", payloadMBPerSecond = "payload_MB_per_s"
        case openReadAllEntriesPerSecond = "open_readall_entries_per_s", verified
        case idleRSSBytes = "idle_rss_bytes", peakRSSBytes = "peak_rss_bytes", rssGrowth = "rss_growth_bytes"
    }

    package init(cache: String, openMillis: Double, readAllMillis: Double, entries: Int, payloadBytes: Int64,
                verified: Bool, idleRSSBytes: Int64, peakRSSBytes: Int64) {
        self.cache = cache
        self.openMillis = openMillis
        self.readAllMillis = readAllMillis
        self.entries = entries
        self.entriesPerSecond = readAllMillis > 0 ? Double(entries) / (readAllMillis / 1e3) : 0
        self.payloadMBPerSecond = readAllMillis > 0 ? Double(payloadBytes) / (readAllMillis / 1e3) / 1e6 : 0
        let total = openMillis + readAllMillis
        self.openReadAllEntriesPerSecond = total > 0 ? Double(entries) / (total / 1e3) : 0
        self.verified = verified
        self.idleRSSBytes = idleRSSBytes
        self.peakRSSBytes = peakRSSBytes
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cache = try c.decode(String.self, forKey: .cache)
        openMillis = try c.decode(Double.self, forKey: .openMillis)
        readAllMillis = try c.decode(Double.self, forKey: .readAllMillis)
        entries = try c.decode(Int.self, forKey: .entries)
        entriesPerSecond = try c.decode(Double.self, forKey: .entriesPerSecond)
        payloadMBPerSecond = try c.decode(Double.self, forKey: .payloadMBPerSecond)
        openReadAllEntriesPerSecond = try c.decode(Double.self, forKey: .openReadAllEntriesPerSecond)
        verified = try c.decode(Bool.self, forKey: .verified)
        idleRSSBytes = try c.decode(Int64.self, forKey: .idleRSSBytes)
        peakRSSBytes = try c.decode(Int64.self, forKey: .peakRSSBytes)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cache, forKey: .cache)
        try c.encode(openMillis, forKey: .openMillis)
        try c.encode(readAllMillis, forKey: .readAllMillis)
        try c.encode(entries, forKey: .entries)
        try c.encode(entriesPerSecond, forKey: .entriesPerSecond)
        try c.encode(payloadMBPerSecond, forKey: .payloadMBPerSecond)
        try c.encode(openReadAllEntriesPerSecond, forKey: .openReadAllEntriesPerSecond)
        try c.encode(verified, forKey: .verified)
        try c.encode(idleRSSBytes, forKey: .idleRSSBytes)
        try c.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try c.encode(rssGrowthBytes, forKey: .rssGrowth)
    }
}

/// The JSON line of `raft-bench append`: the etcd baseline's keys
/// (`entries_per_s`, `payload_MB_per_s`, `saves_per_s`, `save_latency`,
/// `disk_used_bytes`, `used_over_payload`, `replay`, ...) plus ours
/// (`writers`, `syncs_per_s`, `allocated_over_payload`, ...), so that
/// `etcdwal/summarize.py` tabulates both tools' lines.
package struct AppendResult: Codable, Sendable {
    package var tool = "raft-bench"
    package var engine = "RaftWAL"
    package var directory = ""
    package var payload = ""
    package var payloadSource = ""
    package var size = 0
    package var batch = 0
    package var entryCount = 0
    package var writers = 1
    /// Append calls made (one per batch per writer).
    package var batches = 0
    package var seed: UInt64 = 1
    package var segmentBytes: UInt64 = 0
    package var compression = true
    /// LZ4 acceleration of batch bodies (`LogOptions.compressionAcceleration`).
    package var lz4Acceleration = 1
    /// `LogOptions.spinWaitMicroseconds` of the run.
    package var spinWaitMicroseconds = 0
    package var noSync = false
    /// Confirmed mode: ACKED written and synced after each record.
    package var confirmed = false
    package var createMillis = 0.0
    package var appendSeconds = 0.0
    package var entriesPerSecond = 0.0
    package var payloadMBPerSecond = 0.0
    /// Append calls per second (the baseline's `wal.Save` calls).
    package var savesPerSecond = 0.0
    /// Records written (each one `fdatasync`) per second: below
    /// `saves_per_s` when group commit coalesced concurrent appends.
    package var syncsPerSecond = 0.0
    package var records = 0
    package var saveLatency = LatencySummary()
    package var closeMillis = 0.0
    package var payloadBytes: Int64 = 0
    package var segments = 0
    package var diskApparentBytes: Int64 = 0
    package var diskAllocatedBytes: Int64 = 0
    package var diskUsedBytes: Int64 = 0
    package var usedOverPayload = 0.0
    package var allocatedOverPayload = 0.0
    package var replay: [ReplayPass] = []
    package var loadAverageStart = ""
    package var loadAverageEnd = ""
    /// How the writers called the log: `append` (each computes its indexes),
    /// `at-end` (``RaftLog/appendAtEnd(_:term:hardState:)`` from threads) or
    /// `at-end-async` (``RaftLog/appendAtEndAsync(_:term:hardState:)`` from tasks).
    package var api = "append"
    /// The log's ``LogStatistics`` after the appends.
    package var roundsPreparedAhead: UInt64 = 0
    package var rollOvers: UInt64 = 0
    package var rollOversOnSpare: UInt64 = 0
    /// RSS before the appends (log open, payloads built) and its peak while appending.
    package var appendIdleRSSBytes: Int64 = 0
    package var appendPeakRSSBytes: Int64 = 0
    /// Where an append's time went (the log's stage timings, per append).
    package var time = AppendTime()
    /// CPU time of the process while appending (all threads), and that over
    /// the wall-clock time: 2.0 is both cores of this machine busy.
    package var cpuUserSeconds = 0.0
    package var cpuSystemSeconds = 0.0
    package var cpuCoresBusy = 0.0

    package init() {}

    enum CodingKeys: String, CodingKey {
        case time, cpuUserSeconds = "cpu_user_s", cpuSystemSeconds = "cpu_system_s", cpuCoresBusy = "cpu_cores_busy"
        case api, roundsPreparedAhead = "rounds_prepared_ahead", rollOvers = "roll_overs", rollOversOnSpare = "roll_overs_on_spare"
        case appendIdleRSSBytes = "append_idle_rss_bytes", appendPeakRSSBytes = "append_peak_rss_bytes"
        case tool, engine, directory = "dir", payload, payloadSource = "payload_source", size, batch, entryCount = "n", writers
        case batches, seed, segmentBytes = "segment_bytes", compression,
             lz4Acceleration = "lz4_acceleration", spinWaitMicroseconds = "spin_wait_us", noSync = "unsafe_no_fsync", confirmed
        case createMillis = "create_ms", appendSeconds = "append_s", entriesPerSecond = "entries_per_s"
        case payloadMBPerSecond = "payload_MB_per_s", savesPerSecond = "saves_per_s", syncsPerSecond = "syncs_per_s"
        case records, saveLatency = "save_latency", closeMillis = "close_ms", payloadBytes = "payload_bytes"
        case segments = "wal_segments", diskApparentBytes = "disk_apparent_bytes", diskAllocatedBytes = "disk_allocated_bytes"
        case diskUsedBytes = "disk_used_bytes", usedOverPayload = "used_over_payload"
        case allocatedOverPayload = "allocated_over_payload", replay
        case loadAverageStart = "loadavg_start", loadAverageEnd = "loadavg_end"
    }
}

/// Where an append's time went, from the log's ``LogStatistics`` stage
/// timings. Per append call, in microseconds: `queued` (to the writer
/// starting its round), `round` (the whole round it rode in), `wake` (the
/// round published → the caller running), and `other`: the measured mean
/// latency minus those three (the caller's own work, the log's validation
/// before queueing). Per record: the round's stages, `encode` (on the
/// writer; zero for a round prepared ahead), `frame`, `write`, `sync` and
/// `roll_over`; `appends_per_record` says how many appends shared each.
package struct AppendTime: Codable, Sendable {
    package var latency = 0.0
    package var queued = 0.0
    package var round = 0.0
    package var wake = 0.0
    package var other = 0.0
    package var appendsPerRecord = 0.0
    package var encode = 0.0
    package var frame = 0.0
    package var write = 0.0
    package var sync = 0.0
    package var rollOver = 0.0

    package init() {}

    /// From the log's counters after `appends` calls whose latencies sum to `latencyNanos`.
    package init(_ s: LogStatistics, appends: Int, latencyNanos: UInt64) {
        let a = Double(max(appends, 1)) * 1000
        let r = Double(max(s.records, 1)) * 1000
        latency = Double(latencyNanos) / a
        queued = Double(s.queuedNanoseconds) / a
        round = Double(s.roundNanoseconds) / a
        wake = Double(s.wakeNanoseconds) / a
        other = latency - (queued + round + wake)
        appendsPerRecord = Double(appends) / Double(max(s.records, 1))
        encode = Double(s.encodeNanoseconds) / r
        frame = Double(s.frameNanoseconds) / r
        write = Double(s.writeNanoseconds) / r
        sync = Double(s.syncNanoseconds) / r
        rollOver = Double(s.rollOverNanoseconds) / r
    }

    enum CodingKeys: String, CodingKey {
        case latency = "latency_us", queued = "queued_us", round = "round_us", wake = "wake_us", other = "other_us"
        case appendsPerRecord = "appends_per_record"
        case encode = "record_encode_us", frame = "record_frame_us", write = "record_write_us", sync = "record_sync_us"
        case rollOver = "record_roll_over_us"
    }
}

/// The JSON line of `raft-bench open`: how long until the first and last
/// index and the hard state are known, per pass.
package struct OpenResult: Codable, Sendable {
    package struct Pass: Codable, Sendable {
        package var cache: String
        package var openMillis: Double
        enum CodingKeys: String, CodingKey { case cache, openMillis = "open_ms" }
    }
    package var tool = "raft-bench"
    package var command = "open"
    package var directory = ""
    package var firstIndex: UInt64 = 0
    package var lastIndex: UInt64 = 0
    package var hardState = HardStateJSON(term: 0, vote: 0, commit: 0)
    package var segments = 0
    package var diskUsedBytes: Int64 = 0
    /// Bytes of the tail (unsealed) segment that open scans.
    package var tailSegmentUsedBytes: Int64 = 0
    package var passes: [Pass] = []
    /// What the last open did with the tail hint `TAIL` (FORMAT.md §8.4):
    /// `TailHintOutcome.description`: "absent", "not consulted", "used", or
    /// "rejected: " and why.
    package var tailHint = "none"
    /// Medians over the passes of each cache state.
    package var hotOpenMillis = 0.0
    package var coldOpenMillis = 0.0

    package struct HardStateJSON: Codable, Sendable, Equatable {
        package var term: UInt64, vote: UInt64, commit: UInt64
    }

    package init() {}

    enum CodingKeys: String, CodingKey {
        case tool, command, directory = "dir", firstIndex = "first_index", lastIndex = "last_index"
        case hardState = "hardstate", segments = "wal_segments", diskUsedBytes = "disk_used_bytes"
        case tailSegmentUsedBytes = "tail_segment_used_bytes", passes, tailHint = "tail_hint"
        case hotOpenMillis = "hot_open_ms", coldOpenMillis = "cold_open_ms"
    }
}

/// The JSON line of `raft-bench replay --dir D` on an existing log.
package struct ReplayResult: Codable, Sendable {
    package var tool = "raft-bench"
    package var command = "replay"
    package var directory = ""
    package var entryCount = 0
    package var payloadBytes: Int64 = 0
    package var diskUsedBytes: Int64 = 0
    package var replay: [ReplayPass] = []

    package init() {}

    enum CodingKeys: String, CodingKey {
        case tool, command, directory = "dir", entryCount = "n", payloadBytes = "payload_bytes"
        case diskUsedBytes = "disk_used_bytes", replay
    }
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
