import RaftInterop
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
    /// Lines object each. RaftWAL entries are streamed from the segments as
    /// they are read; etcd/Swarm entries are decrypted and decoded (store
    /// actions, requests, conf changes with their context), a replaced
    /// record noted, secrets redacted unless `showSecrets`.
    package static func entries(directory: String, format: OutputFormat, filter: EntryFilter, source: SourceOptions = SourceOptions(),
                               dataGiven: Bool = false, output: Output) throws(ToolFailure) -> ExitStatus {
        if let from = filter.from, let to = filter.to, from > to {
            throw ToolFailure("--from \(from) is after --to \(to)")
        }
        let v = try inspected(directory, source, output, keepLive: true)
        if format == .text {
            output.line(v.raftwal != nil ? headerLine(filter) : headerLine(filter).replacingOccurrences(of: "  DATA", with: "") + "  DECODED")
        }
        var count = 0
        /// Renders one entry if the filter keeps it; false once `--limit` is reached.
        func emit(_ row: EntryRow) -> Bool {
            if let t = filter.term, row.term != t { return true }
            if let k = filter.kind, (k == .normal) != (row.type == "normal") { return true }
            if let limit = filter.limit, count >= limit { return false }
            count += 1
            switch format {
            case .json: output.line(row.json.render())
            case .text: output.line(row.textLine)
            }
            return filter.limit.map { count < $0 } ?? true
        }
        var failures: [String] = []
        if let a = v.raftwal {
            let lo = max(filter.from ?? 0, a.firstIndex ?? 0)
            let hi = min(filter.to ?? UInt64.max, a.lastIndex)
            if a.firstIndex != nil, lo <= hi, filter.limit != 0 {
                let bar = Progress(output: output, label: "reading", totalBytes: a.segmentBytes)
                defer { bar.finish() }
                try LiveEntries(analysis: a).forEach(in: lo...hi, onProgress: { done, _ in bar.update(done) },
                                                     failed: { failures.append($0.description) }) { e in
                    emit(EntryRow(raftwal: e, filter))
                }
            }
        } else {
            var undecryptable = 0
            for e in v.log.entries {
                if let f = filter.from, e.index < f { continue }
                if let t = filter.to, e.index > t { break }
                let row = EntryRow(source: e, in: v.log, filter, showSecrets: source.showSecrets, dataGiven: dataGiven || format == .json)
                let before = count
                if !emit(row) { break }
                if count > before, e.plaintext == nil { undecryptable += 1 }
            }
            if undecryptable > 0 { output.err("raft-inspect: \(undecryptable) entr\(undecryptable == 1 ? "y" : "ies") could not be decrypted\n") }
        }
        for f in failures { output.err("raft-inspect: unreadable batch: \(f)\n") }
        let status = noteDamage(v.log, output)
        return failures.isEmpty ? status : .damage
    }

    /// One entry as `entries` shows it: index, term, type and size, then
    /// the source's own fields (RaftWAL: the payload and a decoded conf
    /// change; etcd/Swarm: where it was read, the decoded request, a
    /// redacted or rendered plaintext, the records it replaced).
    struct EntryRow {
        var index: UInt64
        var term: UInt64
        /// `normal`, `conf-change`, `conf-change-v2`.
        var type: String
        var size: Int
        /// The text column after SIZE (the payload or the decoded meaning).
        var detail: String
        /// JSON fields after `size`.
        var fields: [(String, JSON)]

        var json: JSON {
            .object([("index", .uint(index)), ("term", .uint(term)), ("type", .string(type)), ("size", .uint(UInt64(size)))] + fields)
        }

        var textLine: String {
            var s = pad(String(index), 10, right: true) + "  " + pad(String(term), 6, right: true) + "  "
                + pad(type == "normal" ? "normal" : "conf-change", 11) + "  " + pad(String(size), 8, right: true)
            if !detail.isEmpty { s += "  " + detail }
            while s.last == " " { s.removeLast() }
            return s
        }

        /// A RaftWAL entry: the payload rendered, a conf change decoded.
        init(raftwal e: Entry, _ f: EntryFilter) {
            index = e.index
            term = e.term
            type = e.kind == .confChange ? "conf-change" : "normal"
            size = e.data.count
            detail = f.data == .none ? "" : renderData(e, f).text
            fields = [("data", .optional(f.data.render(e.data, width: f.width)))]
            if e.kind == .confChange {
                let r = renderData(e, f)
                fields.append(("confChange", r.change.map(ConfChangeText.json) ?? .null))
                if let p = r.problem { fields.append(("problem", .string(p))) }
            }
        }

        /// An etcd or Swarm entry: decrypted, decoded, redacted unless `showSecrets`.
        init(source e: SourceEntry, in s: LogSource, _ f: EntryFilter, showSecrets: Bool, dataGiven: Bool) {
            index = e.index
            term = e.term
            type = e.kind.rawValue
            size = e.plaintext?.count ?? e.storedBytes
            let d = describe(e, in: s, reveal: showSecrets)
            // The plaintext is shown only when asked (text) and never when it holds secrets unless --show-secrets.
            var rendered: String?
            if dataGiven, let p = e.plaintext {
                rendered = d.sensitive && !showSecrets ? SensitivePlaceholder.text(p) : f.data.render([UInt8](p), width: f.width)
            }
            detail = d.text
            for r in e.rewrote { detail += "  [rewritten at offset \(e.offset); replaced term \(r.term) at \(r.file) offset \(r.offset)]" }
            if let rendered { detail += "  data=" + rendered }
            fields = [
                ("storedBytes", .uint(UInt64(e.storedBytes))), ("file", .string(e.file)), ("offset", .uint(e.offset)),
                ("data", .optional(rendered)), ("redacted", .bool(d.sensitive && !showSecrets)), ("decoded", d.json),
            ]
            if let p = e.problem { fields.append(("problem", .string(p))) }
            if !e.rewrote.isEmpty {
                fields.append(("rewrote", .array(e.rewrote.map { .object([("file", .string($0.file)), ("offset", .uint($0.offset)), ("term", .uint($0.term))]) })))
            }
        }
    }

    static func headerLine(_ f: EntryFilter) -> String {
        let head = pad("INDEX", 10, right: true) + "  " + pad("TERM", 6, right: true) + "  " + pad("TYPE", 11) + "  " + pad("SIZE", 8, right: true)
        return f.data == .none ? head : head + "  DATA"
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

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        guard s.count < width else { return s }
        let p = String(repeating: " ", count: width - s.count)
        return right ? p + s : s + p
    }
}
