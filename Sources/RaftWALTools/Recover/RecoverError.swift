import RaftWAL

/// Why a `raft-recover` command stopped without producing a result.
///
/// Each case maps to one exit status (``exitCode``): 2 for usage and
/// environment problems (the operator can fix the invocation or stop the
/// process holding the directory), 1 for damage the command cannot safely use.
package enum RecoverError: Error, Sendable, CustomStringConvertible {
    /// The arguments cannot be honoured (an index outside the log, an unknown member, ...).
    case usage(String)
    /// The directory is missing, not a RaftWAL directory, locked by a running
    /// process, or an output path is taken.
    case environment(WALError)
    /// The source has damage the command cannot safely use.
    case damage(WALError, advice: String)
    /// Writing the result failed (I/O error, no space); the source is untouched
    /// and no result was presented.
    case writeFailed(WALError)
    /// `heal`: the peer cannot prove its entries are the lost ones (``HealRefusal``).
    case healRefused(HealRefusal)

    /// The process exit status: 1 damage, 2 usage or environment.
    package var exitCode: Int32 {
        switch self {
        case .damage: return 1
        case .usage, .environment, .writeFailed: return 2
        case .healRefused(let refusal): return refusal.exitCode
        }
    }

    package var description: String {
        switch self {
        case let .usage(why): return why
        case let .environment(error): return "\(error)"
        case let .damage(error, advice): return "damage: \(error)" + (advice.isEmpty ? "" : "\n\(advice)")
        case let .writeFailed(error): return "writing the result failed: \(error) (the source is untouched; re-run the command)"
        case let .healRefused(refusal): return "heal refused: \(refusal)"
        }
    }

    /// Classifies an engine error met while reading the source.
    static func reading(_ error: WALError, advice: String = "") -> RecoverError {
        switch error {
        case .corrupted: return .damage(error, advice: advice)
        default: return .environment(error)
        }
    }
}
