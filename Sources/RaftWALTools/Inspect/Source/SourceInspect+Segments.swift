import RaftInterop

extension Inspect {
    /// `segments` of an etcd or Swarm log: each WAL file; with `records`,
    /// every record (offset, length, padding, type, CRC checked) and damaged ranges.
    static func sourceSegments(_ s: LogSource, format: OutputFormat, records: Bool, output: Output) -> ExitStatus {
        func range(_ f: WALFile) -> ClosedRange<UInt64>? {
            guard let lo = f.lowestIndex, let hi = f.highestIndex else { return nil }
            return lo...max(lo, hi)
        }
        func path(_ f: WALFile) -> String { s.walDirectory + "/" + f.name }
        let damage = s.findings.filter { f in s.walFiles.contains { path($0) == f.file } }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)), ("source", sourceBriefJSON(s)),
                ("segments", .array(s.walFiles.map { f in
                    var fields: [(String, JSON)] = [
                        ("name", .string(f.name)), ("path", .string(path(f))), ("seq", .uint(f.seq)),
                        ("nameFirstIndex", .uint(f.firstIndexFromName)), ("fileBytes", .uint(f.fileBytes)),
                        ("state", .string(f.end)), ("recordCount", .uint(UInt64(f.recordCount))),
                        ("entryCount", .uint(UInt64(f.entryCount))), ("indexes", .range(range(f))),
                        ("dataEndOffset", .uint(f.dataEndOffset)), ("damagedBytes", .uint(f.damagedBytes)),
                    ]
                    if records {
                        var rows: [JSON] = s.records.filter { $0.file == path(f) }.map { r in
                            .object([("offset", .uint(r.offset)), ("type", .string(r.typeName)), ("recordBytes", .uint(r.length)),
                                     ("padding", .uint(UInt64(r.padding))), ("crc", .string(hex32(r.crc))),
                                     ("runningCRC", .string(hex32(r.computedCRC))), ("crcOK", .bool(r.crcOK)),
                                     ("detail", .string(r.detail))])
                        }
                        for d in damage where d.file == path(f) {
                            rows.append(.object([("offset", .optional(d.offset)), ("type", .string(d.kind == "torn-tail" ? "torn" : "damage")),
                                                 ("recordBytes", .optional(d.bytes)), ("crcOK", .bool(false)), ("problem", .string(d.message))]))
                        }
                        fields.append(("records", .array(rows)))
                    }
                    return .object(fields)
                })),
                ("findings", .array(damage.map(\.json))),
            ]).pretty())
        case .text:
            var t = TextTable(["SEQ", "FILE", "FIRST", "INDEXES", "RECORDS", "ENTRIES", "BYTES", "DATA END", "STATE"],
                              alignments: [.right, .left, .right, .left, .right, .right, .right, .right, .left])
            for f in s.walFiles {
                t.add([String(f.seq), f.name, String(f.firstIndexFromName), formatRange(range(f)), String(f.recordCount),
                       String(f.entryCount), String(f.fileBytes), String(f.dataEndOffset), f.end])
            }
            output.line(t.render())
            if records {
                for f in s.walFiles {
                    output.line()
                    output.line(path(f) + ":")
                    var r = TextTable(["OFFSET", "TYPE", "LENGTH", "PAD", "CRC", "RUNNING", "CHECK", "DETAIL"],
                                      alignments: [.right, .left, .right, .right, .left, .left, .left, .left])
                    for rec in s.records where rec.file == path(f) {
                        r.add([String(rec.offset), rec.typeName, String(rec.length), String(rec.padding), hex32(rec.crc),
                               hex32(rec.computedCRC), rec.crcOK ? "ok" : "BAD", rec.detail])
                    }
                    for d in damage where d.file == path(f) {
                        r.add([String(d.offset ?? 0), d.kind == "torn-tail" ? "TORN" : "DAMAGE", String(d.bytes ?? 0), "-", "-", "-", "BAD", d.message])
                    }
                    output.line(r.render(indent: "  "))
                }
            }
            if !damage.isEmpty {
                output.line()
                for d in damage { output.line((d.severity == .damage ? output.style.bad("damage: ") : output.style.warn("notice: ")) + d.line) }
            }
        }
        return noteDamage(s, output)
    }

    static func hex32(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h
    }
}
