/// An aligned text table: columns padded to their widest cell, numbers
/// right-aligned, two spaces between columns, like `docker node ls`.
package struct TextTable {
    package enum Alignment: Sendable { case left, right }

    package var headers: [String]
    package var alignments: [Alignment]
    package private(set) var rows: [[String]] = []

    package init(_ headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.map { _ in .left }
    }

    /// Appends a row; it must have one cell per column.
    package mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "table row has \(row.count) cells for \(headers.count) columns")
        rows.append(row)
    }

    /// The rendered lines (header first), trailing spaces trimmed.
    /// `indent` prefixes every line.
    package func lines(indent: String = "") -> [String] {
        var widths = headers.map(\.count)
        for row in rows {
            for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            var parts: [String] = []
            for (k, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - cell.count)
                parts.append(alignments[k] == .right ? pad + cell : cell + pad)
            }
            var line = indent + parts.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
        return [render(headers)] + rows.map(render)
    }

    /// The rendered table, lines joined by newlines (no trailing newline).
    package func render(indent: String = "") -> String {
        lines(indent: indent).joined(separator: "\n")
    }
}

/// `1234567` → `1.2 MiB`; below 1 KiB the exact byte count.
package func formatBytes(_ n: UInt64) -> String {
    if n < 1024 { return "\(n) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var value = Double(n) / 1024
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return formatFixed(value, digits: 1) + " " + units[unit]
}

/// A decimal with `digits` fraction digits, without Foundation's locale.
package func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = UInt64(scaled / scale)
    var s = (value < 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let frac = UInt64(scaled) - whole * UInt64(scale)
        let f = String(frac)
        s += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return s
}

/// An index range as `lo...hi`, or `-` when empty.
package func formatRange(_ r: ClosedRange<UInt64>?) -> String {
    guard let r else { return "-" }
    return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)...\(r.upperBound)"
}
