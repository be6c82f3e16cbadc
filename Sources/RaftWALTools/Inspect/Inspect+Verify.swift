import RaftInterop
import RaftWAL

extension Inspect {
    /// `verify`: a full scan that checks every record and reports every
    /// problem with file, offset and index range. RaftWAL: every batch
    /// decoded, plus what the engine's strict open says. etcd/Swarm: the CRC
    /// chain across files, framing, torn tail vs damage, gaps, snapshot files
    /// vs the WAL and the commit index, undecryptable entries. Exit 1 on
    /// damage; a torn tail and the other crash shapes the engine (or etcd)
    /// handles exit 0 unless `strict`.
    package static func verify(directory: String, format: OutputFormat, strict: Bool, source: SourceOptions = SourceOptions(),
                              output: Output) throws(ToolFailure) -> ExitStatus {
        let v = try inspected(directory, source, output, decode: true, allowLocked: true)
        let s = v.log
        let status = s.status(strict: strict)
        switch format {
        case .json:
            var fields: [(String, JSON)] = [
                ("directory", .string(v.directory)), ("source", v.sourceJSON(full: true)),
                ("healthy", .bool(status == .healthy)),
                ("strict", .bool(strict)),
                ("verdict", .string(s.verdict(strict: strict))),
                ("checked", .object([
                    ("segments", .uint(UInt64(s.walFiles.count))),
                    ("records", .uint(UInt64(v.recordCount))),
                    ("entries", .uint(UInt64(v.entryRecords))),
                    ("bytes", .uint(s.walBytes)),
                    ("snapshots", .uint(UInt64(s.snapshots.count))),
                ])),
                ("firstIndex", .optional(v.firstIndex)), ("lastIndex", .uint(v.lastIndex)),
                ("hardState", logHardStateJSON(s.hardState)),
                ("problems", .array(s.damage.map(findingJSON))),
                ("notices", .array(s.notices.map(findingJSON))),
            ]
            if let a = v.raftwal {
                fields.append(("writtenDuringInspection", .array(a.writtenDuringInspection.map { .string($0) })))
                fields.append(("engine", engineJSON(a.engine)))
            }
            output.line(JSON.object(fields).pretty())
        case .text:
            let st = output.style
            let files = v.raftwal != nil ? "\(s.walFiles.count) segments" : "\(s.walFiles.count) WAL file\(s.walFiles.count == 1 ? "" : "s")"
            let snaps = "\(s.snapshots.count) snapshot\(s.snapshots.count == 1 ? "" : "s")"
            output.line("checked \(files) (\(formatBytes(s.walBytes))), \(v.recordCount) records, \(v.entryRecords) entries, \(snaps)"
                + (v.raftwal != nil ? "" : " (\(s.kind.rawValue))"))
            for f in s.damage { output.line(st.bad("DAMAGE ") + labelPrefix(f) + f.line) }
            for f in s.notices { output.line(st.warn("NOTICE ") + labelPrefix(f) + f.line) }
            if let a = v.raftwal {
                for line in a.writtenDuringInspection { output.line(st.dim("LIVE   ") + line + " (a writer's bytes, not damage)") }
                output.line("engine: " + engineLine(a.engine))
            }
            let verdict = s.verdict(strict: strict, naming: false)
            output.line("verdict: " + (status == .healthy ? st.good(verdict) : st.bad(verdict)))
        }
        return status
    }
}
