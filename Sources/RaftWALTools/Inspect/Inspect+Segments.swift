import RaftInterop
import RaftWAL

extension Inspect {
    /// `segments`: one row per log file (RaftWAL segment, etcd/Swarm WAL
    /// file) with its records, index range, data end and state; RaftWAL adds
    /// header fields, batches and body bytes. With `records`, every record
    /// (RaftWAL: offset, length, stored/raw size, compression, CRC, index
    /// range; etcd/Swarm: offset, length, padding, type, stored and running
    /// CRC, check) and every damaged range.
    package static func segments(directory: String, format: OutputFormat, records: Bool, source: SourceOptions = SourceOptions(),
                                output: Output) throws(ToolFailure) -> ExitStatus {
        var perSegment: [Int: [JSON]] = [:]
        var rows: [Int: [[String]]] = [:]
        let v: InspectedLog
        if let s = try foreignSource(directory, source, keepRecords: records, allowLocked: true) {
            v = InspectedLog(log: s, raftwal: nil)
            if records {
                for (k, f) in s.walFiles.enumerated() {
                    let path = s.walDirectory + "/" + f.name
                    for r in s.records where r.file == path {
                        perSegment[k, default: []].append(.object([
                            ("offset", .uint(r.offset)), ("type", .string(r.typeName)), ("recordBytes", .uint(r.length)),
                            ("padding", .uint(UInt64(r.padding))), ("crc", .string(hex32(r.crc))),
                            ("runningCRC", .string(hex32(r.computedCRC))), ("crcOK", .bool(r.crcOK)), ("detail", .string(r.detail)),
                        ]))
                        rows[k, default: []].append([String(r.offset), r.typeName, String(r.length), String(r.padding), hex32(r.crc),
                                                     hex32(r.computedCRC), r.crcOK ? "ok" : "BAD", r.detail])
                    }
                    for d in s.findings where d.file == path {
                        perSegment[k, default: []].append(.object([
                            ("offset", .optional(d.offset)), ("type", .string(d.kind == "torn-tail" ? "torn" : "damage")),
                            ("recordBytes", .optional(d.bytes)), ("crcOK", .bool(false)), ("problem", .string(d.message)),
                        ]))
                        rows[k, default: []].append([String(d.offset ?? 0), d.kind == "torn-tail" ? "TORN" : "DAMAGE", String(d.bytes ?? 0),
                                                     "-", "-", "-", "BAD", d.message])
                    }
                }
            }
        } else {
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
            v = InspectedLog(log: LogSource(raftWAL: a), raftwal: a)
        }
        let s = v.log
        let paths = s.walFiles.map { v.raftwal != nil ? $0.name : s.walDirectory + "/" + $0.name }
        let fileFindings = s.findings.filter { paths.contains($0.file ?? "") }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(v.directory)), ("source", v.sourceJSON(full: false)),
                ("segments", .array(s.walFiles.enumerated().map { k, f in
                    if let a = v.raftwal { return segmentJSON(a.segments[k], records: records ? perSegment[k] ?? [] : nil) }
                    var fields: [(String, JSON)] = [
                        ("name", .string(f.name)), ("path", .string(paths[k])), ("seq", .uint(f.seq)),
                        ("nameFirstIndex", .uint(f.firstIndexFromName)), ("fileBytes", .uint(f.fileBytes)),
                        ("state", .string(f.end)), ("recordCount", .uint(UInt64(f.recordCount))),
                        ("entryCount", .uint(UInt64(f.entryCount))),
                        ("indexes", .range(f.lowestIndex.flatMap { lo in f.highestIndex.map { lo...max(lo, $0) } })),
                        ("dataEndOffset", .uint(f.dataEndOffset)), ("damagedBytes", .uint(f.damagedBytes)),
                    ]
                    if records { fields.append(("records", .array(perSegment[k] ?? []))) }
                    return .object(fields)
                })),
                ("findings", .array(fileFindings.map(findingJSON))),
            ]).pretty())
        case .text:
            if let a = v.raftwal {
                var t = TextTable(["SEQ", "FILE", "FIRST", "INDEXES", "RECORDS", "BATCHES", "BYTES", "DATA END", "STATE", "HEADER"],
                                  alignments: [.right, .left, .right, .left, .right, .right, .right, .right, .left, .left])
                for s in a.segments {
                    t.add([String(s.seqFromName), s.name, String(s.header?.firstIndex ?? s.firstIndexFromName), formatRange(s.indexes),
                           String(s.recordCount), String(s.batchCount), String(s.fileBytes), String(s.dataEndOffset),
                           s.end.rawValue + (s.orphan ? " (orphan)" : ""),
                           s.headerProblem.map { output.style.bad("BAD: " + $0) } ?? "ok"])
                }
                output.line(t.render())
            } else {
                var t = TextTable(["SEQ", "FILE", "FIRST", "INDEXES", "RECORDS", "ENTRIES", "BYTES", "DATA END", "STATE"],
                                  alignments: [.right, .left, .right, .left, .right, .right, .right, .right, .left])
                for f in s.walFiles {
                    t.add([String(f.seq), f.name, String(f.firstIndexFromName),
                           formatRange(f.lowestIndex.flatMap { lo in f.highestIndex.map { lo...max(lo, $0) } }), String(f.recordCount),
                           String(f.entryCount), String(f.fileBytes), String(f.dataEndOffset), f.end])
                }
                output.line(t.render())
            }
            if records {
                for k in s.walFiles.indices {
                    output.line()
                    if let a = v.raftwal {
                        output.line(a.segments[k].name + headerText(a.segments[k]))
                        var r = TextTable(["OFFSET", "TYPE", "LENGTH", "STORED", "RAW", "LZ4", "CRC", "INDEXES"],
                                          alignments: [.right, .left, .right, .right, .right, .left, .left, .left])
                        for row in rows[k] ?? [] { r.add(row) }
                        output.line(r.render(indent: "  "))
                    } else {
                        output.line(paths[k] + ":")
                        var r = TextTable(["OFFSET", "TYPE", "LENGTH", "PAD", "CRC", "RUNNING", "CHECK", "DETAIL"],
                                          alignments: [.right, .left, .right, .right, .left, .left, .left, .left])
                        for row in rows[k] ?? [] { r.add(row) }
                        output.line(r.render(indent: "  "))
                    }
                }
            }
            // RaftWAL lists damage here (its notices are verify's); etcd/Swarm both.
            let shown = v.raftwal != nil ? fileFindings.filter { $0.severity == .damage } : fileFindings
            if !shown.isEmpty {
                output.line()
                for d in shown { output.line((d.severity == .damage ? output.style.bad("damage: ") : output.style.warn("notice: ")) + d.line) }
            }
        }
        return noteDamage(s, output)
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

extension Inspect {
    static func hex32(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h
    }
}

extension RecordInfo {
    /// A truncation record (`docs/FORMAT.md` §5.2): a batch without entries
    /// or hard state, written by `RaftLog.truncate(after:)`; it removes every
    /// index from its first index on.
    var isTruncation: Bool { type == .batch && entryCount == 0 && hardState == nil }
}
