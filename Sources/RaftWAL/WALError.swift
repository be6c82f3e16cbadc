/// Every error the engine throws.
///
/// Errors say *where*: the file, the byte offset, the index range and what
/// was expected. A torn tail is not an error (recovery cuts it and reports it
/// in ``RecoveryReport``); damage that recovery may not silently repair is
/// ``corrupted(file:offset:indexes:reason:label:)``.
public enum WALError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The requested index is below the first index still held (it was
    /// compacted into a snapshot). Mirrors etcd's `ErrCompacted`.
    case compacted(requested: UInt64, firstIndex: UInt64)
    /// The requested index is above the last index. Mirrors etcd's `ErrUnavailable`.
    case unavailable(requested: UInt64, lastIndex: UInt64)
    /// Bytes on disk fail a check. `offset` is the byte offset in `file`
    /// (nil when the problem concerns the whole file or the directory);
    /// `indexes` names the Raft indexes affected when they are known;
    /// `label` is the row of the recovery decision table (`docs/RECOVERY.md`)
    /// when an open refused the directory (nil for a single record or file read).
    case corrupted(file: String, offset: UInt64?, indexes: ClosedRange<UInt64>?, reason: String, label: RecoveryLabel? = nil)
    /// A system call failed. `errno` is the C error number, `operation` the call.
    case io(errno: Int32, operation: String, path: String)
    /// Another process holds the writer lock of the directory.
    case locked(path: String, by: String)
    /// The caller broke the API's contract (for example an append that
    /// leaves a gap, or a commit index beyond the last entry).
    case invalidArgument(String)
    /// ``RaftLog/truncate(after:)`` was asked to remove entries at or below
    /// the persisted commit index `commit` (Raft never removes a committed
    /// entry). Nothing was written.
    case truncationBelowCommit(after: UInt64, commit: UInt64)
    /// The directory is not a RaftWAL data directory, or belongs to another log.
    case notALog(path: String, reason: String)
    /// A sync failed earlier: the log refuses further writes until it is
    /// reopened, because the page cache may have dropped the dirty data
    /// ("fsyncgate": retrying the fsync would lie).
    case failStopped(cause: String)
    /// The log was opened read-only (``AccessMode/readOnly``): it does not write.
    case readOnly
    /// The log was closed (``RaftLog/close()``).
    case closed
    /// The file system is full (ENOSPC / EDQUOT).
    case noSpace(path: String)
    /// A conf-change entry whose bytes are intact (its record's checksum
    /// holds) but are not a ``ConfChange`` encoding: written by a program that
    /// stored its own encoding under ``EntryKind/confChange``. This is not
    /// damage; the membership cannot be replayed past that entry. Appends
    /// refuse such entries, so only logs written elsewhere hold them.
    case foreignConfChange(index: UInt64?, reason: String)

    /// One line naming what failed, where, and why.
    public var description: String {
        switch self {
        case let .compacted(requested, first):
            return "index \(requested) is compacted (first index is \(first))"
        case let .unavailable(requested, last):
            return "index \(requested) is unavailable (last index is \(last))"
        case let .corrupted(file, offset, indexes, reason, _):
            var s = "corrupted: \(file)"
            if let offset { s += " at offset \(offset)" }
            if let indexes { s += " (indexes \(indexes.lowerBound)...\(indexes.upperBound))" }
            return s + ": \(reason)"
        case let .io(errno, operation, path):
            return "\(operation)(\(path)) failed: \(errnoName(errno))"
        case let .locked(path, by):
            return "\(path) is locked by another writer (\(by))"
        case let .invalidArgument(why):
            return "invalid argument: \(why)"
        case let .truncationBelowCommit(after, commit):
            return "truncation after index \(after) would remove committed entries \(after + 1)...\(commit) (commit index \(commit))"
        case let .notALog(path, reason):
            return "\(path) is not a RaftWAL log: \(reason)"
        case let .failStopped(cause):
            return "log is fail-stopped after a failed sync (\(cause)); reopen it to recover"
        case .readOnly:
            return "log is opened read-only"
        case .closed:
            return "log is closed"
        case let .noSpace(path):
            return "no space left on device writing \(path)"
        case let .foreignConfChange(index, reason):
            let at = index.map { " at index \($0)" } ?? ""
            return "conf-change entry\(at) is not a RaftWAL ConfChange encoding (intact bytes, not damage): \(reason)"
        }
    }

    /// The recovery decision table's row when an open refused the directory.
    public var recoveryLabel: RecoveryLabel? {
        if case let .corrupted(_, _, _, _, label) = self { return label }
        return nil
    }

    /// This error with the table row `label` (a `corrupted` error only).
    func labeled(_ label: RecoveryLabel) -> WALError {
        if case let .corrupted(file, offset, indexes, reason, _) = self {
            return .corrupted(file: file, offset: offset, indexes: indexes, reason: reason, label: label)
        }
        return self
    }

    /// True for damage found in bytes on disk.
    public var isCorruption: Bool {
        if case .corrupted = self { return true }
        return false
    }
}
