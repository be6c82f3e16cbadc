import RaftWAL

extension Inspect {
    /// `segments`: one row per segment with its header fields, records and
    /// byte ranges; with `records`, every record (offset, length, stored/raw
    /// size, compression, CRC, index range) and every damaged range.
    package static func segments(directory: String, format: OutputFormat, records: Bool, source: SourceOptions = SourceOptions(),
                                output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source, keepRecords: records, allowLocked: true) { return sourceSegments(s, format: format, records: records, output: output) }
        var perSegment: [Int: [JSON]] = [:]
        var rows: [Int: [[String]]] = [:]
        let a = try analyze(directory, output) { event in
            guard records else { return }
            switch event {
            case .segment: break
            case let .record(k, info):
                if format == .json { perSegment[k, default: []].append(recordJSON(info)) } else { rows[k, default: []].append(recordRow(info)) }
            case let .damage(k, offset, bytes, problem, torn):
                if format == .json {
                    perSegment[k, default: []].append(.object([
                        ("offset", .uint(offset)), ("type", .string(torn ? "torn" : "damage")), ("recordBytes", .uint(bytes)),
                        ("crcOK", .bool(false)), ("problem", .string(problem)),
                    ]))
                } else {
                    rows[k, default: []].append([String(offset), torn ? "TORN" : "DAMAGE", String(bytes), "-", "-", "-", "BAD", problem])
                }
            }
        }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
                ("segments", .array(a.segments.enumerated().map { k, s in segmentJSON(s, records: records ? perSegment[k] ?? [] : nil) })),
                ("findings", .array(a.findings.filter { f in a.segments.contains { $0.name == f.file } }.map(\.json))),
            ]).pretty())
        case .text:
            var t = TextTable(["SEQ", "FILE", "FIRST", "INDEXES", "RECORDS", "BATCHES", "BYTES", "DATA END", "STATE", "HEADER"],
                              alignments: [.right, .left, .right, .left, .right, .right, .right, .right, .left, .left])
            for s in a.segments {
                t.add([String(s.seqFromName), s.name, String(s.header?.firstIndex ?? s.firstIndexFromName), formatRange(s.indexes),
                       String(s.recordCount), String(s.batchCount), String(s.fileBytes), String(s.dataEndOffset),
                       s.end.rawValue + (s.orphan ? " (orphan)" : ""),
                       s.headerProblem.map { output.style.bad("BAD: " + $0) } ?? "ok"])
            }
            output.line(t.render())
            if records {
                for (k, s) in a.segments.enumerated() {
                    output.line()
                    output.line(s.name + headerText(s))
                    var r = TextTable(["OFFSET", "TYPE", "LENGTH", "STORED", "RAW", "LZ4", "CRC", "INDEXES"],
                                      alignments: [.right, .left, .right, .right, .right, .left, .left, .left])
                    for row in rows[k] ?? [] { r.add(row) }
                    output.line(r.render(indent: "  "))
                }
            }
            let damage = a.findings.filter { f in f.severity == .damage && a.segments.contains { $0.name == f.file } }
            if !damage.isEmpty {
                output.line()
                for f in damage { output.line(output.style.bad("damage: ") + f.line) }
            }
        }
        return noteDamage(a, output)
    }

    static func headerText(_ s: SegmentReport) -> String {
        guard let h = s.header else { return ": header unreadable (\(s.headerProblem ?? ""))" }
        return ": seq \(h.seq), first index \(h.firstIndex), salt \(hex16(h.salt)), hard state \(h.hardState.term)/\(h.hardState.vote)/\(h.hardState.commit), created \(h.createdNanos)"
    }

    static func recordRow(_ info: RecordInfo) -> [String] {
        var detail = formatRange(info.safeIndexes)
        if info.type == .reset, let r = info.resetTo { detail = "restart after \(r.index) (term \(r.term))" }
        if info.type == .seal, let last = info.sealLastIndex { detail = "last index \(last)" }
        if info.isTruncation { detail = "truncate: removes \(info.firstIndex)..." }
        if let hs = info.hardState { detail += " hs \(hs.term)/\(hs.vote)/\(hs.commit)" }
        return [String(info.offset), info.type.name, String(info.recordBytes), String(info.storedBytes), String(info.rawBytes),
                info.compressed ? "yes" : "no", "ok", detail]
    }

    static func recordJSON(_ info: RecordInfo) -> JSON {
        var fields: [(String, JSON)] = [
            ("offset", .uint(info.offset)), ("type", .string(info.type.name)), ("recordBytes", .uint(UInt64(info.recordBytes))),
            ("storedBytes", .uint(UInt64(info.storedBytes))), ("rawBytes", .uint(UInt64(info.rawBytes))),
            ("compressed", .bool(info.compressed)), ("crcOK", .bool(true)), ("indexes", .range(info.safeIndexes)),
        ]
        if let hs = info.hardState { fields.append(("hardState", hardStateJSON(hs))) }
        if !info.confChangeIndexes.isEmpty { fields.append(("confChangeIndexes", .array(info.confChangeIndexes.map { .uint($0) }))) }
        if let r = info.resetTo { fields.append(("resetTo", .object([("index", .uint(r.index)), ("term", .uint(r.term))]))) }
        if let last = info.sealLastIndex { fields.append(("sealLastIndex", .uint(last))) }
        if info.isTruncation { fields.append(("truncateFrom", .uint(info.firstIndex))) }
        return .object(fields)
    }

    static func segmentJSON(_ s: SegmentReport, records: [JSON]?) -> JSON {
        var fields: [(String, JSON)] = [
            ("name", .string(s.name)), ("seq", .uint(s.seqFromName)), ("nameFirstIndex", .uint(s.firstIndexFromName)),
            ("fileBytes", .uint(s.fileBytes)),
            ("header", s.header.map { h in
                JSON.object([
                    ("identity", identityJSON(h.identity)), ("seq", .uint(h.seq)), ("firstIndex", .uint(h.firstIndex)),
                    ("salt", .string(hex16(h.salt))), ("hardState", hardStateJSON(h.hardState)), ("createdNanos", .uint(h.createdNanos)),
                ])
            } ?? .null),
            ("headerProblem", .optional(s.headerProblem)),
            ("state", .string(s.end.rawValue)), ("orphan", .bool(s.orphan)),
            ("recordCount", .uint(UInt64(s.recordCount))), ("batchCount", .uint(UInt64(s.batchCount))),
            ("entryCount", .uint(UInt64(s.entryCount))), ("indexes", .range(s.indexes)),
            ("dataEndOffset", .uint(s.dataEndOffset)), ("storedBodyBytes", .uint(s.storedBodyBytes)),
            ("rawBodyBytes", .uint(s.rawBodyBytes)), ("damagedBytes", .uint(s.damagedBytes)),
        ]
        if let records { fields.append(("records", .array(records))) }
        return .object(fields)
    }
}

extension RecordInfo {
    /// A truncation record (`docs/FORMAT.md` §5.2): a batch without entries
    /// or hard state, written by `RaftLog.truncate(after:)`; it removes every
    /// index from its first index on.
    var isTruncation: Bool { type == .batch && entryCount == 0 && hardState == nil }
}
