import RaftWAL

/// One thing an inspection found on disk, with where it is.
///
/// `damage` findings make the tools exit 1. `notice` findings are shapes a
/// crash leaves and the engine handles on its own (a torn tail it cuts, a
/// temporary file it removes, ...): exit 0, unless `--strict`.
package struct Finding: Sendable, Equatable {
    package enum Severity: String, Sendable {
        case damage
        case notice
    }

    package var severity: Severity
    /// The recovery decision-table row (`docs/RECOVERY.md`) this finding is, when it is one.
    package var label: RecoveryLabel?
    /// File name inside the data directory (nil: the directory as a whole).
    package var file: String?
    /// Byte offset in `file`, when the finding has one.
    package var offset: UInt64?
    /// Bytes affected from `offset`, when known.
    package var bytes: UInt64?
    /// Raft indexes affected, when known.
    package var indexes: ClosedRange<UInt64>?
    package var message: String

    package init(_ severity: Severity, _ label: RecoveryLabel?, file: String?, offset: UInt64? = nil, bytes: UInt64? = nil,
                indexes: ClosedRange<UInt64>? = nil, _ message: String) {
        self.severity = severity
        self.label = label
        self.file = file
        self.offset = offset
        self.bytes = bytes
        self.indexes = indexes
        self.message = message
    }

    /// The finding as the engine's error type (file, offset, indexes, message).
    package var error: WALError {
        .corrupted(file: file ?? "<directory>", offset: offset, indexes: indexes, reason: message)
    }

    /// `file at offset N (indexes a...b): message`, one line.
    package var line: String {
        var s = file ?? "<directory>"
        if let offset { s += " at offset \(offset)" }
        if let bytes, bytes > 0 { s += " (\(bytes) bytes)" }
        if let indexes { s += " indexes \(formatRange(indexes))" }
        return s + ": " + message
    }

    package var json: JSON {
        .object([
            ("severity", .string(severity.rawValue)),
            ("label", .optional(label?.rawValue)),
            ("file", .optional(file)),
            ("offset", .optional(offset)),
            ("bytes", .optional(bytes)),
            ("indexes", .range(indexes)),
            ("message", .string(message)),
        ])
    }
}

extension WALError {
    /// The byte offset a `corrupted` error names.
    var offset: UInt64? {
        if case let .corrupted(_, offset, _, _, _) = self { return offset }
        return nil
    }

    /// The reason of a `corrupted` error without the file prefix, else the description.
    var reason: String {
        if case let .corrupted(_, _, _, reason, _) = self { return reason }
        return description
    }

    var indexes: ClosedRange<UInt64>? {
        if case let .corrupted(_, _, indexes, _, _) = self { return indexes }
        return nil
    }
}
