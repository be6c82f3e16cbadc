/// Colour for text output. `.plain` on pipes and files, so golden outputs
/// and `grep` never see escape codes.
package struct Style: Sendable {
    /// True to emit ANSI escape codes.
    package var enabled: Bool

    /// No escape codes (pipes, files, `NO_COLOR`).
    package static let plain = Style(enabled: false)
    /// ANSI colours (a terminal).
    package static let ansi = Style(enabled: true)

    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m" + s + "\u{1B}[0m" : s }

    /// Green: healthy.
    package func good(_ s: String) -> String { wrap(s, "32") }
    /// Bold red: damage.
    package func bad(_ s: String) -> String { wrap(s, "1;31") }
    /// Yellow: a notice (a crash shape the engine handles).
    package func warn(_ s: String) -> String { wrap(s, "33") }
    /// Faint: secondary detail.
    package func dim(_ s: String) -> String { wrap(s, "2") }
    /// Bold: emphasis.
    package func bold(_ s: String) -> String { wrap(s, "1") }
}
