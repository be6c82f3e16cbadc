import RaftWAL

extension Inspect {
    /// `hardstate`: the persisted term, vote and commit, where they were
    /// read, and whether the commit index is within the log.
    package static func hardState(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                                 output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source, allowLocked: true) { return sourceHardState(s, format: format, output: output) }
        let a = try analyze(directory, output)
        let hs = a.hardState
        let limit = max(a.lastIndex, a.newestValidSnapshot?.index ?? 0)
        let ok = hs.commit <= limit
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
                ("term", .uint(hs.term)), ("vote", .uint(hs.vote)), ("commit", .uint(hs.commit)),
                ("file", .optional(a.hardStateFile)), ("offset", .optional(a.hardStateOffset)),
                ("lastIndex", .uint(a.lastIndex)), ("lastTerm", .uint(a.lastTerm)),
                ("commitWithinLog", .bool(ok)),
            ]).pretty())
        case .text:
            var t = TextTable(["", ""])
            t.add(["term", String(hs.term)])
            t.add(["vote", hs.vote == 0 ? "0 (none)" : String(hs.vote)])
            t.add(["commit", String(hs.commit) + (ok ? "" : "  " + output.style.bad("beyond the last index \(a.lastIndex)"))])
            t.add(["last index", "\(a.lastIndex) (term \(a.lastTerm))"])
            if let f = a.hardStateFile {
                t.add(["read from", "\(f) at offset \(a.hardStateOffset ?? 0)\(a.hardStateOffset == 88 ? " (segment header)" : "")"])
            }
            for line in t.lines().dropFirst() { output.line(line) }
        }
        return noteDamage(a, output)
    }
}
