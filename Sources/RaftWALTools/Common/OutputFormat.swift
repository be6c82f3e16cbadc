/// How a command renders its result on stdout.
package enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned tables for people; colour only on a terminal.
    case text
    /// One JSON document (JSON Lines for `entries`); schemas in `docs/TOOLS.md`.
    case json
}

/// Where a command writes: data to `out`, diagnostics and progress to `err`.
/// Tests pass closures that collect; the executables pass stdout/stderr.
package struct Output: @unchecked Sendable {
    /// Receives data (stdout): tables, JSON.
    package var out: (String) -> Void
    /// Receives diagnostics and the progress bar (stderr).
    package var err: (String) -> Void
    /// Writes out what `out` buffered; called before the process exits.
    package var flush: () -> Void = {}
    /// Colour for `out`, decided by whether stdout is a terminal.
    package var style: Style
    /// True when stderr is a terminal: progress bars are drawn there only.
    package var progressEnabled: Bool

    package init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, style: Style = .plain,
                progressEnabled: Bool = false) {
        self.out = out
        self.err = err
        self.style = style
        self.progressEnabled = progressEnabled
    }

    /// Writes `line` and a newline to stdout.
    package func line(_ line: String = "") { out(line + "\n") }

    /// The process's real stdout and stderr, colour and progress decided by `isatty`.
    /// Stdout is buffered (64 KiB; a line at a time on a terminal) so that
    /// a million JSON Lines do not cost a million `write` calls; stderr is not.
    package static func standard() -> Output {
        let stdout = BufferedWriter(fd: 1, capacity: Terminal.isTerminal(1) ? 0 : 64 << 10)
        let stderr = BufferedWriter(fd: 2, capacity: 0)
        var o = Output(out: { stdout.write($0) }, err: { stdout.flush(); stderr.write($0) },
                       style: Terminal.isColorTerminal(1) ? .ansi : .plain, progressEnabled: Terminal.isTerminal(2))
        o.flush = { stdout.flush() }
        return o
    }
}

/// Collects output bytes and writes them to a file descriptor in large chunks.
final class BufferedWriter {
    let fd: Int32
    let capacity: Int
    var buffer: [UInt8] = []

    init(fd: Int32, capacity: Int) {
        self.fd = fd
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        Terminal.write(bytes: buffer, to: fd)
        buffer.removeAll(keepingCapacity: true)
    }
}
