import RaftWAL

extension Inspect {
    /// Which entries `entries` prints.
    package struct EntryFilter: Sendable {
        /// First index shown (nil: the log's first).
        package var from: UInt64?
        /// Last index shown, inclusive (nil: the log's last).
        package var to: UInt64?
        /// Only entries of this term.
        package var term: UInt64?
        /// Only entries of this kind.
        package var kind: EntryKind?
        /// At most this many entries (after the other filters).
        package var limit: Int?
        /// How payloads are shown.
        package var data: DataRendering
        /// Characters of rendered data (0: no limit).
        package var width: Int

        package init(from: UInt64? = nil, to: UInt64? = nil, term: UInt64? = nil, kind: EntryKind? = nil, limit: Int? = nil,
                    data: DataRendering = .utf8, width: Int = 64) {
            self.from = from
            self.to = to
            self.term = term
            self.kind = kind
            self.limit = limit
            self.data = data
            self.width = width
        }
    }

    /// `entries`: the log's entries in index order (entries replaced by a
    /// later append are not shown), filtered, one table row or one JSON
    /// Lines object each, streamed as they are read.
    package static func entries(directory: String, format: OutputFormat, filter: EntryFilter, source: SourceOptions = SourceOptions(),
                               dataGiven: Bool = false, output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source) {
            return sourceEntries(s, format: format, filter: filter, showSecrets: source.showSecrets, dataGiven: dataGiven, output: output)
        }
        if let from = filter.from, let to = filter.to, from > to {
            throw ToolFailure("--from \(from) is after --to \(to)")
        }
        let a = try analyze(directory, output, keepLive: true)
        let lo = max(filter.from ?? 0, a.firstIndex ?? 0)
        let hi = min(filter.to ?? UInt64.max, a.lastIndex)
        var count = 0
        var failures: [String] = []
        if format == .text {
            output.line(headerLine(filter))
        }
        if a.firstIndex != nil, lo <= hi, filter.limit != 0 {
            let bar = Progress(output: output, label: "reading", totalBytes: a.segmentBytes)
            defer { bar.finish() }
            try LiveEntries(analysis: a).forEach(in: lo...hi, onProgress: { done, _ in bar.update(done) },
                                                 failed: { failures.append($0.description) }) { e in
                if let t = filter.term, e.term != t { return true }
                if let k = filter.kind, e.kind != k { return true }
                output.out(format == .json ? entryJSON(e, filter, file: a.directory).render() + "\n" : entryLine(e, filter))
                count += 1
                return filter.limit.map { count < $0 } ?? true
            }
        }
        for f in failures { output.err("raft-inspect: unreadable batch: \(f)\n") }
        let status = noteDamage(a, output)
        return failures.isEmpty ? status : .damage
    }

    static func headerLine(_ f: EntryFilter) -> String {
        let head = pad("INDEX", 10, right: true) + "  " + pad("TERM", 6, right: true) + "  " + pad("TYPE", 11) + "  " + pad("SIZE", 8, right: true)
        return f.data == .none ? head : head + "  DATA"
    }

    static func entryLine(_ e: Entry, _ f: EntryFilter) -> String {
        var s = pad(String(e.index), 10, right: true) + "  " + pad(String(e.term), 6, right: true) + "  "
            + pad(e.kind == .confChange ? "conf-change" : "normal", 11) + "  " + pad(String(e.data.count), 8, right: true)
        if f.data != .none {
            s += "  " + renderData(e, f).text
        }
        while s.last == " " { s.removeLast() }
        return s + "\n"
    }

    /// The conf change decoded (or why it does not decode), else the payload.
    static func renderData(_ e: Entry, _ f: EntryFilter) -> (text: String, change: ConfChange?, problem: String?) {
        if e.kind == .confChange {
            do throws(WALError) {
                let c = try ConfChange(decoding: e.data, index: e.index)
                return (ConfChangeText.text(c), c, nil)
            } catch {
                return ("<bad conf change: \(error.reason)>", nil, error.reason)
            }
        }
        return (f.data.render(e.data, width: f.width) ?? "", nil, nil)
    }

    static func entryJSON(_ e: Entry, _ f: EntryFilter, file: String) -> JSON {
        var fields: [(String, JSON)] = [
            ("index", .uint(e.index)), ("term", .uint(e.term)),
            ("type", .string(e.kind == .confChange ? "conf-change" : "normal")), ("size", .uint(UInt64(e.data.count))),
            ("data", .optional(f.data.render(e.data, width: f.width))),
        ]
        if e.kind == .confChange {
            let r = renderData(e, f)
            fields.append(("confChange", r.change.map(ConfChangeText.json) ?? .null))
            if let p = r.problem { fields.append(("problem", .string(p))) }
        }
        return .object(fields)
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        guard s.count < width else { return s }
        let p = String(repeating: " ", count: width - s.count)
        return right ? p + s : s + p
    }
}
