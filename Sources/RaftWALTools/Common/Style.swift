/// Colour for text output. `.plain` on pipes and files, so golden outputs
/// and `grep` never see escape codes.
public struct Style: Sendable {
    public var enabled: Bool

    public static let plain = Style(enabled: false)
    public static let ansi = Style(enabled: true)

    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m" + s + "\u{1B}[0m" : s }

    public func good(_ s: String) -> String { wrap(s, "32") }
    public func bad(_ s: String) -> String { wrap(s, "1;31") }
    public func warn(_ s: String) -> String { wrap(s, "33") }
    public func dim(_ s: String) -> String { wrap(s, "2") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
}
