/// How a command renders its result on stdout.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned tables for people; colour only on a terminal.
    case text
    /// One JSON document (JSON Lines for `entries`); schemas in `docs/TOOLS.md`.
    case json
}

/// Where a command writes: data to `out`, diagnostics and progress to `err`.
/// Tests pass closures that collect; the executables pass stdout/stderr.
public struct Output: @unchecked Sendable {
    public var out: (String) -> Void
    public var err: (String) -> Void
    public var style: Style
    /// True when stderr is a terminal: progress bars are drawn there only.
    public var progressEnabled: Bool

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, style: Style = .plain,
                progressEnabled: Bool = false) {
        self.out = out
        self.err = err
        self.style = style
        self.progressEnabled = progressEnabled
    }

    /// Writes `line` and a newline to stdout.
    public func line(_ line: String = "") { out(line + "\n") }

    /// The process's real stdout and stderr, colour and progress decided by `isatty`.
    public static func standard() -> Output {
        Output(out: { Terminal.write($0, to: 1) }, err: { Terminal.write($0, to: 2) },
               style: Terminal.isColorTerminal(1) ? .ansi : .plain, progressEnabled: Terminal.isTerminal(2))
    }
}
