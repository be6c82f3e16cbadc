import Foundation
import RaftWAL

/// How `entries` shows payloads.
package enum DataRendering: String, Sendable, CaseIterable {
    case none, hex, utf8, base64

    /// The payload rendered, cut to `width` characters (0: no limit) with
    /// `…` marking the cut.
    package func render(_ data: [UInt8], width: Int) -> String? {
        let full: String
        switch self {
        case .none: return nil
        case .hex:
            // Render only what can be shown: a 1 MiB payload must not become a 2 MiB string.
            let limit = width > 0 ? min(data.count, width / 2 + 1) : data.count
            full = data[..<limit].map { b in let h = String(b, radix: 16); return b < 16 ? "0" + h : h }.joined()
                + (limit < data.count ? "…" : "")
        case .utf8:
            let limit = width > 0 ? min(data.count, width * 4 + 4) : data.count
            full = Self.printable(String(decoding: data[..<limit], as: UTF8.self))
        case .base64:
            let limit = width > 0 ? min(data.count, (width / 4 + 1) * 3) : data.count
            full = Data(data[..<limit]).base64EncodedString() + (limit < data.count ? "…" : "")
        }
        return Self.cut(full, width)
    }

    static func cut(_ s: String, _ width: Int) -> String {
        guard width > 0, s.count > width else { return s }
        return String(s.prefix(max(width - 1, 0))) + "…"
    }

    /// Control characters escaped, so a payload cannot move the terminal's cursor.
    static func printable(_ s: String) -> String {
        // Fast path: no byte below 0x20, no DEL, no C1 control (encoded as 0xC2 0x80...0x9F).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) { return s }
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
                    out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

/// Readable forms of conf-change entries.
enum ConfChangeText {
    static func typeName(_ t: ConfChange.ChangeType) -> String {
        switch t {
        case .addVoter: return "add-voter"
        case .addLearner: return "add-learner"
        case .promoteLearner: return "promote-learner"
        case .remove: return "remove"
        }
    }

    static func text(_ c: ConfChange) -> String {
        var s = "\(typeName(c.type)) id=\(c.raftID)"
        if !c.name.isEmpty { s += " name=\(DataRendering.printable(c.name))" }
        if !c.address.isEmpty { s += " address=\(DataRendering.printable(c.address))" }
        return s
    }

    static func json(_ c: ConfChange) -> JSON {
        .object([("type", .string(typeName(c.type))), ("raftID", .uint(c.raftID)), ("name", .string(c.name)),
                 ("address", .string(c.address))])
    }
}
