import RaftInterop

extension Inspect {
    /// `compare DIR DIR [DIR…]`: the members' logs side by side, the first
    /// index where they diverge, entries only some hold, and the member to
    /// recover from after quorum loss. Works on RaftWAL directories too
    /// when every directory is of one foreign kind; RaftWAL directories are
    /// compared through their own analysis.
    package static func compare(directories: [String], format: OutputFormat, source: SourceOptions = SourceOptions(),
                               output: Output) throws(ToolFailure) -> ExitStatus {
        guard directories.count >= 2 else { throw ToolFailure("compare needs at least two directories") }
        var sources: [LogSource] = []
        var spans: [[TermSpan]] = []
        for d in directories {
            if let s = try foreignSource(d, source) {
                sources.append(s)
                spans.append(TermSpan.of(s.entries))
            } else {
                let (s, held) = try raftWALAsSource(d, output)
                sources.append(s)
                spans.append(held)
            }
        }
        let c = LogComparison(sources, spans: spans)
        let holders: ([Int]) -> String = { $0.map { directories[$0] }.joined(separator: ", ") }
        switch format {
        case .json:
            output.line(JSON.object([
                ("members", .array(c.members.enumerated().map { k, m in
                    .object([
                        ("directory", .string(m.directory)), ("source", .string(sources[k].kind.rawValue)),
                        ("raftID", .optional(m.raftID)), ("nodeID", .optional(m.name)),
                        ("firstIndex", .optional(m.firstIndex)), ("lastIndex", .uint(m.lastIndex)), ("lastTerm", .uint(m.lastTerm)),
                        ("term", .uint(m.term)), ("commit", .uint(m.commit)), ("snapshotIndex", .optional(m.snapshotIndex)),
                        ("membership", .array(m.members.map { .uint($0) })), ("damage", .uint(UInt64(m.damage))),
                    ])
                })),
                ("firstDivergence", c.firstDivergence.map { i in
                    .object([("index", .uint(i)), ("terms", .array(c.divergenceTerms.map { .optional($0) }))])
                } ?? .null),
                ("heldBySome", .array(c.partial.map { p in
                    .object([("indexes", .range(p.indexes)), ("holders", .array(p.holders.map { .string(directories[$0]) })),
                             ("committedSomewhere", .bool(p.indexes.lowerBound <= (c.members.map(\.commit).max() ?? 0)))])
                })),
                ("mostCommitted", .array(c.mostCommitted.map { .string(directories[$0]) })),
                ("recoverFrom", .optional(c.recommended.map { directories[$0] })),
                ("reason", .string(c.recommendationReason)),
            ]).pretty())
        case .text:
            var t = TextTable(["MEMBER", "RAFT ID", "NODE", "FIRST", "LAST", "LAST TERM", "TERM", "COMMIT", "SNAPSHOT", "MEMBERS", "DAMAGE"],
                              alignments: [.left, .left, .left, .right, .right, .right, .right, .right, .right, .left, .right])
            for m in c.members {
                t.add([m.directory, m.raftID.map(rid) ?? "-", m.name ?? "-", m.firstIndex.map(String.init) ?? "-", String(m.lastIndex),
                       String(m.lastTerm), String(m.term), String(m.commit), m.snapshotIndex.map(String.init) ?? "-",
                       m.members.map(rid).joined(separator: ","), String(m.damage)])
            }
            output.line(t.render())
            output.line()
            if let i = c.firstDivergence {
                output.line("first divergence at index \(i): " + c.members.indices.map {
                    "\(directories[$0]) term \(c.divergenceTerms[$0].map(String.init) ?? "-")"
                }.joined(separator: ", "))
            } else {
                output.line("no divergence: every index held by more than one member has the same term everywhere")
            }
            let maxCommit = c.members.map(\.commit).max() ?? 0
            for p in c.partial {
                output.line("indexes \(formatRange(p.indexes)) held only by \(holders(p.holders))"
                    + (p.indexes.lowerBound > maxCommit ? " (uncommitted: beyond every member's commit)" : ""))
            }
            output.line("highest commit: \(holders(c.mostCommitted)) (commit \(c.members[c.mostCommitted.first ?? 0].commit))")
            if let r = c.recommended { output.line("recover from: \(directories[r]): \(c.recommendationReason)") }
        }
        return sources.contains { !$0.damage.isEmpty } ? .damage : .healthy
    }

    /// A RaftWAL directory seen through the common model, for `compare`:
    /// the RaftWAL adapter (``LogSource/init(raftWAL:)``) and its live
    /// entries' indexes and terms as spans, streamed (no entry is kept: a
    /// batch of 2^24 entries of one term is one span).
    static func raftWALAsSource(_ directory: String, _ output: Output) throws(ToolFailure) -> (LogSource, [TermSpan]) {
        let a = try analyze(directory, output, keepLive: true)
        var s = LogSource(raftWAL: a)
        var spans = TermSpan.Builder()
        if let r = a.heldRange {
            var failure: String?
            try LiveEntries(analysis: a).forEach(in: r, onProgress: { _, _ in }, failed: { failure = $0.description }) { e in
                spans.add(index: e.index, term: e.term)
                return true
            }
            if let failure { s.findings.append(SourceFinding(.damage, "unreadable-batch", file: nil, failure)) }
        }
        return (s, spans.spans)
    }
}
