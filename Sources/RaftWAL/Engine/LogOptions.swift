import Logging

/// How ``RaftLog/open(directory:options:)`` treats damage it finds.
public enum RecoveryMode: Sendable, Equatable {
    /// Cut a torn tail (the shape a crash leaves), refuse everything else.
    case strict
    /// For repair tools: cut the log at the first bad record, dropping it and
    /// everything after it, and report exactly what was dropped and whether
    /// any of it was at or below the persisted commit index. A writable open
    /// keeps a `.broken` copy of every byte it removes.
    case truncateAtFirstCorruption
}

/// Whether the log may be written.
public enum AccessMode: Sendable, Equatable {
    /// Takes the directory's writer lock; creates the log if the directory is new.
    case readWrite
    /// Takes no lock and changes nothing: works on a live directory and on
    /// a copy. A torn tail is reported, not cut.
    case readOnly
}

/// Options for opening a log.
public struct LogOptions: Sendable {
    /// Writer (the default) or read-only.
    public var access: AccessMode = .readWrite
    /// What an open does with damage (`docs/RECOVERY.md`).
    public var recovery: RecoveryMode = .strict
    /// Target size of a segment file, preallocated when it is created. A
    /// record larger than this gets a segment of its own.
    public var segmentSizeBytes: UInt64 = 64 << 20
    /// When the engine syncs; ``SyncPolicy/durable`` unless you keep nothing.
    public var sync: SyncPolicy = .durable
    /// Confirmed mode: after each record's `fdatasync`, after each durable
    /// snapshot and at the end of each writable open, the writer also
    /// writes and syncs the confirmation file `ACKED` (before an append
    /// returns: a second sync per append;
    /// its cost is in `docs/BENCHMARKS.md`). An open then reports row
    /// A1-acknowledged-missing (``RecoveryLabel/acknowledgedMissing``)
    /// whenever the directory holds less than was acknowledged: a lost,
    /// misdirected or zeroed last record, a lost segment or snapshot, which
    /// the default mode cannot tell from a torn write of an unacknowledged
    /// record (`docs/RECOVERY.md`). Every open checks an `ACKED` it finds,
    /// whatever this option says; the option only decides whether this
    /// writer keeps it up to date. Only under ``SyncPolicy/durable``.
    public var confirmAppends: Bool = false
    /// LZ4-compress batch bodies and snapshot data when that saves space.
    public var compression: Bool = true
    /// LZ4's acceleration for batch bodies (liblz4's `LZ4_compress_fast`;
    /// 1 is `LZ4_compress_default`): each step trades a little of the
    /// ratio for less CPU on the append path. On 1 KiB JSON entries the
    /// default, 3, takes 26 % fewer LZ4 instructions than 1 (27–30 % fewer
    /// per durable MiB appended) for 2.6 % more LZ4 output
    /// (`docs/BENCHMARKS.md`, "LZ4 acceleration and the incompressibility
    /// probe"). Any value writes plain LZ4 blocks that every reader decodes
    /// alike; values below 1 count as 1. Snapshot data is compressed at 1.
    public var compressionAcceleration: Int = 3
    /// How long, in microseconds, a blocking appender polls for its result
    /// before it sleeps, and the writer thread polls for the next request
    /// after a round before it sleeps. Each poll saves a thread wake-up
    /// (tens of microseconds on a small VM, as much as a fast `fdatasync`:
    /// `docs/BENCHMARKS.md`, "Where an append's time goes") for CPU spent
    /// polling. A blocking caller polls only while it is one of at most as
    /// many waiting callers as there are CPUs less one, so many proposers
    /// never poll together; async callers never poll. 0 turns polling off.
    public var spinWaitMicroseconds: Int = 200
    /// Reserve segment space with `posix_fallocate` when a segment is created.
    public var preallocate: Bool = true
    /// Entries kept below a snapshot's index when compacting, for followers
    /// that lag a little (etcd's `SnapshotCatchUpEntries` is 5000).
    public var compactionKeepEntries: UInt64 = 5000
    /// Number of valid snapshot files kept; older ones are deleted after a
    /// newer one is durable. Damaged snapshot files are never deleted.
    public var snapshotRetention: Int = 2
    /// Raw data bytes per chunk of a streamed (version-2) snapshot file: the
    /// memory a snapshot write or read holds at once (1 byte ... 64 MiB).
    public var snapshotChunkBytes: Int = 1 << 20
    /// Raft ID of the local member, for a log being created.
    public var memberID: UInt64 = 1
    /// Cluster identifier for a log being created (random when nil).
    public var clusterID: ClusterID? = nil
    /// Epoch for a log being created.
    public var epoch: UInt64 = 1
    /// Bytes of decoded batches cached for reads.
    public var readCacheBytes: Int = 8 << 20
    /// Receives recovery and compaction events (at info level or below).
    public var logger: Logger = Logger(label: "raftwal", factory: { _ in SwiftLogNoOpLogHandler() })
    /// The file system; POSIX unless a test or fuzzer injects another.
    public var fileSystem: any FileSystem = POSIXFileSystem()

    /// Test hook: derives segment salts from the sequence number instead of
    /// the system's random generator, so fixtures are byte-for-byte reproducible.
    package var deterministicSalt: (@Sendable (UInt64) -> UInt64)? = nil
    /// Test hook: false keeps a clean close from writing the tail hint
    /// `TAIL` (FORMAT.md §8.4), for fixtures that show what a crash leaves.
    package var leavesTailHint = true
    /// Test hook: the largest tail hint a clean close writes and an open
    /// reads (one bound, both sides: `TailHint.isWithinBound`).
    package var tailHintMaxBytes: UInt64 = TailHint.maxFileBytes
    /// Test hook: the clock written into segment headers (nanoseconds since 1970).
    package var clock: (@Sendable () -> UInt64)? = nil

    /// The defaults: a durable writer with strict recovery.
    public init() {}

    /// ``compressionAcceleration`` as liblz4 takes it (at least 1).
    var lz4Acceleration: Int32 { Int32(clamping: max(compressionAcceleration, 1)) }

    /// Options for tools: read-only, no lock, nothing changed on disk.
    public static var readOnly: LogOptions {
        var o = LogOptions()
        o.access = .readOnly
        return o
    }
}
