import Logging
import Synchronization

/// A durable Raft log: entries, hard state and snapshots in one directory.
///
/// The semantics follow etcd's `raft.Storage` and `wal.Save`:
/// ``append(_:hardState:)`` persists one Raft "ready" (entries and hard state
/// together, atomically) and returns only when it is durable; an append whose
/// first index is at or below ``lastIndex`` replaces the conflicting suffix,
/// and the replaced entries never come back, even after a crash. Reads
/// (``entries(_:_:maxBytes:)``, ``term(_:)``) never see an unacknowledged entry.
///
/// Thread safety: every method may be called from any thread or task.
/// Appends are written by the log's own writer thread: concurrent appends
/// are coalesced into one record and one `fdatasync` (group commit) and
/// applied in the order they were queued; callers only wait.
///
/// ```swift
/// let log = try RaftLog.open(directory: "/var/lib/app/raft")
/// try log.append([Entry(index: 1, term: 1, data: Array("hello".utf8))],
///                hardState: HardState(term: 1, vote: 1, commit: 1))
/// let entries = try log.entries(1, log.lastIndex + 1)
/// ```
public final class RaftLog: @unchecked Sendable {
    /// The data directory.
    public let directory: String
    /// The options the log was opened with.
    public let options: LogOptions
    /// What opening the log found and did (torn tail cut, damaged snapshots, ...).
    public let recoveryReport: RecoveryReport

    let stateLock = ConditionLock()
    /// Guarded by `stateLock`.
    var state: LogState
    var readCache: ReadCache
    /// Guarded by `stateLock`.
    var stats = LogStatistics()
    /// ``LogStatistics/wakeNanoseconds``: added by the callers themselves, so
    /// kept outside `stateLock` (64 proposers would queue on it).
    let wakeNanoseconds = Atomic<UInt64>(0)

    /// Serializes everything that writes: group-commit rounds, snapshots,
    /// compaction and close. Taken before `stateLock`, never after.
    let writerLock = ConditionLock()
    /// The append queue and its writer and preparer threads.
    let pipeline: WriterPipeline
    /// The name of this writer's spare segment (`docs/FORMAT.md` §1.3).
    let spareName: String
    /// A writer's open used the tail hint `TAIL` and left it: removed before
    /// this session's first write (`RaftLog+TailHint`), kept (and not
    /// rewritten) by a close that wrote nothing. Guarded by `writerLock`
    /// (only the write path and close touch it), so the append path reads
    /// it without taking `stateLock`.
    var tailHintOnDisk: Bool
    /// Confirmed mode's `ACKED` (``LogOptions/confirmAppends``). Guarded by `writerLock`.
    var confirmation: ConfirmationFile
    /// Planning passes of the read path (``readPlan(_:_:maxBytes:)``), for
    /// tests: a read over many cold sealed segments must not re-plan once
    /// per segment. Guarded by `stateLock`.
    package internal(set) var readPlanPasses = 0

    var lock: (any DirectoryLock)?
    var durability: Durability {
        Durability(fs: options.fileSystem, directory: directory, policy: options.sync)
    }
    var logger: Logger { options.logger }

    private init(directory: String, options: LogOptions, opened: LogOpener.Result) {
        self.directory = directory
        self.options = options
        self.recoveryReport = opened.report
        self.state = opened.state
        self.lock = opened.lock
        self.readCache = ReadCache(capacityBytes: options.readCacheBytes)
        self.pipeline = WriterPipeline(inlineSpares: options.deterministicSalt != nil,
                                       spinNanos: UInt64(max(0, options.spinWaitMicroseconds)) * 1000)
        self.spareName = SegmentFactory.spareName(id: RaftLog.spareID(options))
        self.tailHintOnDisk = opened.repairs?.keepTailHint ?? false
        self.confirmation = ConfirmationFile(handle: nil, counter: opened.ackMarker?.counter ?? 0, snapshot: opened.state.snapshot)
    }

    /// Opens the log in `directory`, creating an empty one when the
    /// directory is new (or missing) and the access mode is read-write.
    ///
    /// Recovery follows the decision table in `docs/RECOVERY.md`: a torn
    /// tail is cut (and reported in ``recoveryReport``); any other damage
    /// throws ``WALError/corrupted(file:offset:indexes:reason:label:)`` in
    /// ``RecoveryMode/strict`` mode.
    ///
    /// - Throws: ``WALError/locked(path:by:)`` when another writer holds the
    ///   directory, ``WALError/corrupted(file:offset:indexes:reason:label:)``,
    ///   ``WALError/notALog(path:reason:)``, ``WALError/io(errno:operation:path:)``.
    public static func open(directory: String, options: LogOptions = LogOptions()) throws(WALError) -> RaftLog {
        var opened = try LogOpener(directory: directory, options: options).open()
        if let repairs = opened.repairs {
            do { try repairBeforeUse(&opened, repairs, directory: directory, options: options) } catch {
                for s in opened.state.segments { s.reader.handle.close() }
                opened.lock?.release()
                throw error
            }
        }
        let log = RaftLog(directory: directory, options: options, opened: opened)
        for label in opened.report.labels where label != .clean {
            options.logger.info("recovery: \(label.rawValue)", metadata: ["directory": "\(directory)"])
        }
        if let repairs = opened.repairs {
            do {
                try log.appendRecords(repairs)
                try log.confirmAtOpen()
            } catch {
                log.close()
                throw error
            }
        }
        return log
    }

    /// Closes the files and releases the writer lock. Idempotent. Appends
    /// queued behind a running one complete first.
    public func close() {
        pipeline.stop()
        writerLock.withLock {
            writeTailHint()
            confirmation.handle?.close()
            confirmation.handle = nil
            if let spare = pipeline.discardSpare() {
                spare.close()
                // Only while it is still ours: after a crash of a simulated
                // file system, the next open already removed it.
                if options.fileSystem.fileExists(durability.path(spareName)) { try? durability.remove([spareName]) }
            }
            stateLock.withLock {
                guard !state.closed else { return }
                state.closed = true
                for s in state.segments { s.reader.retire() }
                readCache.removeAll()
            }
            lock?.release()
            lock = nil
        }
    }

    deinit { close() }

    // MARK: Positions

    /// Whose log this is: member, cluster and epoch.
    public var identity: LogIdentity { stateLock.withLock { state.identity } }

    /// The first index still held (etcd's `FirstIndex`): entries below it are
    /// compacted into a snapshot. Equal to ``lastIndex`` + 1 when the log is empty.
    public var firstIndex: UInt64 { stateLock.withLock { state.firstIndex } }

    /// The last index appended (or the snapshot index, when the log restarted after one).
    public var lastIndex: UInt64 { stateLock.withLock { state.lastIndex } }

    /// The last hard state appended.
    public var hardState: HardState { stateLock.withLock { state.hardState } }

    /// The newest valid snapshot's metadata.
    public var snapshotMetadata: SnapshotMetadata? { stateLock.withLock { state.snapshot } }

    /// True after a failed write or sync: the log accepts no more appends
    /// until it is reopened.
    public var isFailStopped: Bool { stateLock.withLock { state.failStop != nil } }
}
