import RaftInterop
import RaftWAL

extension Inspect {
    /// `hardstate`: the persisted term, vote and commit, where they were
    /// read, and whether the commit index is within the log (or a snapshot).
    package static func hardState(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                                 output: Output) throws(ToolFailure) -> ExitStatus {
        let v = try inspected(directory, source, output, allowLocked: true)
        let h = v.log.hardState
        let ok = (h?.commit ?? 0) <= v.commitLimit
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(v.directory)), ("source", v.sourceJSON(full: false)),
                ("term", .optional(h?.term)), ("vote", .optional(h?.vote)), ("commit", .optional(h?.commit)),
                ("file", .optional(h.flatMap { $0.file.isEmpty ? nil : $0.file })),
                ("offset", .optional(h.flatMap { $0.file.isEmpty ? nil : $0.offset })),
                ("lastIndex", .uint(v.lastIndex)), ("lastTerm", .uint(v.lastTerm)), ("commitWithinLog", .bool(ok)),
            ]).pretty())
        case .text:
            guard let h else {
                output.line("no hard state record in the WAL")
                return noteDamage(v.log, output)
            }
            var t = TextTable(["", ""])
            t.add(["term", String(h.term)])
            // Docker and etcd print raft IDs in hexadecimal; RaftWAL's are the application's numbers.
            t.add(["vote", h.vote == 0 ? "0 (none)" : v.raftwal != nil ? String(h.vote) : "\(h.vote) (\(rid(h.vote)))"])
            t.add(["commit", String(h.commit) + (ok ? "" : "  " + output.style.bad("beyond the last index \(v.lastIndex)"))])
            t.add(["last index", "\(v.lastIndex) (term \(v.lastTerm))"])
            if !h.file.isEmpty {
                let header = v.raftwal != nil && h.offset == 88 ? " (segment header)" : ""
                t.add(["read from", "\(h.file) at offset \(h.offset)\(header)"])
            }
            for line in t.lines().dropFirst() { output.line(line) }
        }
        return noteDamage(v.log, output)
    }
}
