/// How a command renders its result on stdout.
package enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned tables for people; colour only on a terminal.
    case text
    /// One JSON document (JSON Lines for `entries`); schemas in `docs/TOOLS.md`.
    case json
}

/// Where a command writes: data to `out`, diagnostics and progress to `err`.
/// Tests pass closures that collect; the executables pass stdout/stderr.
///
/// A progress bar drawn on `err` is erased before anything is written to
/// `out` (and redrawn by the next update), so when stdout and stderr are the
/// same terminal a table row never lands on the bar's line.
package struct Output: @unchecked Sendable {
    /// Receives data (stdout): tables, JSON.
    package var out: (String) -> Void
    /// Receives raw bytes for stdout (`snapshots --extract N --output -`).
    package var outBytes: ([UInt8]) -> Void
    /// Receives diagnostics and the progress bar (stderr).
    package var err: (String) -> Void
    /// Whether a progress bar is on screen (shared by copies of this value).
    let bar: ProgressBarState
    /// Writes out what `out` buffered; called before the process exits.
    package var flush: () -> Void = {}
    /// Colour for `out`, decided by whether stdout is a terminal.
    package var style: Style
    /// True when stderr is a terminal: progress bars are drawn there only.
    package var progressEnabled: Bool

    package init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, style: Style = .plain,
                progressEnabled: Bool = false, outBytes: (([UInt8]) -> Void)? = nil) {
        let bar = ProgressBarState()
        self.bar = bar
        let erase = { if bar.drawn { err(ProgressBarState.eraseLine); bar.drawn = false } }
        self.out = { erase(); out($0) }
        self.outBytes = { bytes in
            erase()
            if let outBytes { outBytes(bytes) } else { out(String(decoding: bytes, as: UTF8.self)) }
        }
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
                       style: Terminal.isColorTerminal(1) ? .ansi : .plain, progressEnabled: Terminal.isTerminal(2),
                       outBytes: { stdout.write(bytes: $0) })
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

    func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        Terminal.write(bytes: buffer, to: fd)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Whether a progress bar is drawn on stderr; a reference so that every copy
/// of an ``Output`` and its ``Progress`` agree.
final class ProgressBarState: @unchecked Sendable {
    var drawn = false
    /// Carriage return and "erase the line" (ANSI EL 2).
    static let eraseLine = "\r\u{1B}[2K"
}
