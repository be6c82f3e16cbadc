import RaftWAL

extension Inspect {
    /// `verify`: a full scan that decodes every batch and reports every
    /// problem with file, offset and index range, plus what the engine's
    /// strict open says. Exit 1 on damage; a torn tail and the other crash
    /// shapes the engine handles exit 0 unless `strict`.
    package static func verify(directory: String, format: OutputFormat, strict: Bool, source: SourceOptions = SourceOptions(),
                              output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source, allowLocked: true) { return sourceVerify(s, format: format, strict: strict, output: output) }
        let a = try analyze(directory, output, decode: true)
        let status = a.status(strict: strict)
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
                ("healthy", .bool(status == .healthy)),
                ("strict", .bool(strict)),
                ("verdict", .string(a.verdict(strict: strict))),
                ("checked", .object([
                    ("segments", .uint(UInt64(a.segments.count))),
                    ("records", .uint(UInt64(a.segments.reduce(0) { $0 + $1.recordCount }))),
                    ("entries", .uint(UInt64(a.segments.reduce(0) { $0 + $1.entryCount }))),
                    ("bytes", .uint(a.segmentBytes)),
                    ("snapshots", .uint(UInt64(a.snapshots.count))),
                ])),
                ("firstIndex", .optional(a.firstIndex)), ("lastIndex", .uint(a.lastIndex)),
                ("hardState", hardStateJSON(a.hardState)),
                ("problems", .array(a.damage.map(\.json))),
                ("notices", .array(a.notices.map(\.json))),
                ("writtenDuringInspection", .array(a.writtenDuringInspection.map { .string($0) })),
                ("engine", engineJSON(a.engine)),
            ]).pretty())
        case .text:
            let st = output.style
            let records = a.segments.reduce(0) { $0 + $1.recordCount }
            let entries = a.segments.reduce(0) { $0 + $1.entryCount }
            output.line("checked \(a.segments.count) segments (\(formatBytes(a.segmentBytes))), \(records) records, \(entries) entries, \(a.snapshots.count) snapshot\(a.snapshots.count == 1 ? "" : "s")")
            for f in a.damage { output.line(st.bad("DAMAGE ") + (f.label.map { "[\($0.rawValue)] " } ?? "") + f.line) }
            for f in a.notices { output.line(st.warn("NOTICE ") + (f.label.map { "[\($0.rawValue)] " } ?? "") + f.line) }
            for line in a.writtenDuringInspection { output.line(st.dim("LIVE   ") + line + " (a writer's bytes, not damage)") }
            output.line("engine: " + engineLine(a.engine))
            let verdict = a.verdict(strict: strict, naming: false)
            output.line("verdict: " + (status == .healthy ? st.good(verdict) : st.bad(verdict)))
        }
        return status
    }
}
