/// A JSON value with ordered object keys, so documents render the same
/// bytes on every run (golden tests compare them) and read in a sensible order.
package indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    package static func == (a: JSON, b: JSON) -> Bool { a.render() == b.render() }

    /// Compact rendering (one line), as JSON Lines need.
    package func render() -> String {
        var s = ""
        write(into: &s, indent: nil, level: 0)
        return s
    }

    /// Two-space indented rendering, for one-document outputs.
    package func pretty() -> String {
        var s = ""
        write(into: &s, indent: "  ", level: 0)
        return s
    }

    func write(into s: inout String, indent: String?, level: Int) {
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .int(let i): s += String(i)
        case .uint(let u): s += String(u)
        case .double(let d): s += d.isFinite ? formatFixed(d, digits: 3) : "null"
        case .string(let str): JSON.quote(str, into: &s)
        case .array(let items):
            if items.isEmpty { s += "[]"; return }
            s += "["
            for (k, item) in items.enumerated() {
                if k > 0 { s += "," }
                JSON.newline(&s, indent, level + 1)
                item.write(into: &s, indent: indent, level: level + 1)
            }
            JSON.newline(&s, indent, level)
            s += "]"
        case .object(let fields):
            if fields.isEmpty { s += "{}"; return }
            s += "{"
            for (k, (key, value)) in fields.enumerated() {
                if k > 0 { s += "," }
                JSON.newline(&s, indent, level + 1)
                JSON.quote(key, into: &s)
                s += indent == nil ? ":" : ": "
                value.write(into: &s, indent: indent, level: level + 1)
            }
            JSON.newline(&s, indent, level)
            s += "}"
        }
    }

    static func newline(_ s: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        s += "\n" + String(repeating: indent, count: level)
    }

    static func quote(_ str: String, into s: inout String) {
        s += "\""
        // Fast path: most strings (base64 payloads, names) need no escaping.
        if !str.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) {
            s += str
            s += "\""
            return
        }
        for u in str.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let h = String(u.value, radix: 16)
                    s += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    s.unicodeScalars.append(u)
                }
            }
        }
        s += "\""
    }
}

extension JSON {
    /// The value of `key` when this is an object that has it.
    package func objectValue(_ key: String) -> JSON? {
        guard case let .object(fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// `nil` becomes `null`.
    package static func optional(_ v: UInt64?) -> JSON { v.map { .uint($0) } ?? .null }
    package static func optional(_ v: String?) -> JSON { v.map { .string($0) } ?? .null }

    /// `{"first": lo, "last": hi}` or null.
    package static func range(_ r: ClosedRange<UInt64>?) -> JSON {
        guard let r else { return .null }
        return .object([("first", .uint(r.lowerBound)), ("last", .uint(r.upperBound))])
    }
}
