/// What a tool's exit code means. One meaning per code, for every tool
/// (`docs/TOOLS.md`): scripts can branch on it without parsing output.
package enum ExitStatus: Int32, Sendable, Comparable {
    /// Nothing wrong was found.
    case healthy = 0
    /// Damage was found (or, with `--strict`, a crash shape such as a torn tail).
    case damage = 1
    /// The command could not run: bad arguments, a missing directory, no permission.
    case usage = 2

    package static func < (a: ExitStatus, b: ExitStatus) -> Bool { a.rawValue < b.rawValue }
}

/// A failure that stops a command before it can report: always exit 2.
package struct ToolFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for stderr (the executable prefixes `raft-inspect: `).
    package var message: String
    /// The exit status to end with (2 unless a caller says otherwise).
    package var status: ExitStatus

    package init(_ message: String, status: ExitStatus = .usage) {
        self.message = message
        self.status = status
    }

    package var description: String { message }
}
