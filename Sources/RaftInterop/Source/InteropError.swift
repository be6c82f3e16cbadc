/// Why a foreign data directory could not be read at all (exit 2), as
/// opposed to damage found inside it (a ``SourceFinding``).
public enum InteropError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The directory holds neither an etcd nor a Docker Swarm raft log.
    case notASource(directory: String, why: String)
    /// A file could not be listed or read (permission, vanished, not a regular file).
    case unreadable(file: String, why: String)
    /// The Swarm is autolocked and no `--unlock-key` was given.
    case locked(keyFile: String)
    /// The unlock key is malformed (not `SWMKEY-1-` + 43 base64 characters).
    case badUnlockKey(why: String)
    /// The unlock key does not open the key file's `raft-dek` header.
    case wrongUnlockKey(keyFile: String)
    /// The key file's PEM or headers are not what swarmkit writes.
    case badKeyFile(file: String, why: String)

    public var description: String {
        switch self {
        case let .notASource(d, why): return "\(d): not an etcd or Docker Swarm data directory: \(why)"
        case let .unreadable(f, why): return "cannot read \(f): \(why)"
        case let .locked(k):
            return "the swarm is autolocked: \(k) holds an encrypted raft-dek; pass --unlock-key SWMKEY-1-... (from `docker swarm unlock-key`)"
        case let .badUnlockKey(why): return "--unlock-key is not a swarm unlock key: \(why)"
        case let .wrongUnlockKey(k): return "--unlock-key does not open \(k): wrong unlock key (or an older one, rotated since)"
        case let .badKeyFile(f, why): return "\(f): \(why)"
        }
    }
}

/// A problem found in the data, with where it is: the same shape as the
/// RaftWAL inspector's findings, so the tools render both alike.
public struct SourceFinding: Sendable, Equatable {
    public enum Severity: String, Sendable { case damage, notice }

    public var severity: Severity
    /// A short stable name for the kind of problem (`torn-tail`, `crc-mismatch`, ...).
    public var kind: String
    /// Path of the file relative to the inspected directory (nil: the directory).
    public var file: String?
    public var offset: UInt64?
    public var bytes: UInt64?
    public var indexes: ClosedRange<UInt64>?
    public var message: String

    public init(_ severity: Severity, _ kind: String, file: String?, offset: UInt64? = nil, bytes: UInt64? = nil,
                indexes: ClosedRange<UInt64>? = nil, _ message: String) {
        self.severity = severity
        self.kind = kind
        self.file = file
        self.offset = offset
        self.bytes = bytes
        self.indexes = indexes
        self.message = message
    }
}
