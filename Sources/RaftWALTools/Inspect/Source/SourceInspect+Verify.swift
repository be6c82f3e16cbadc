import RaftInterop

extension Inspect {
    /// `verify` of an etcd or Swarm log: the CRC chain across files, framing,
    /// torn tail vs damage, gaps, snapshot files vs the WAL and the commit
    /// index, undecryptable entries; every problem with file, offset, indexes.
    static func sourceVerify(_ s: LogSource, format: OutputFormat, strict: Bool, output: Output) -> ExitStatus {
        let status = s.status(strict: strict)
        let records = s.walFiles.reduce(0) { $0 + $1.recordCount }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)), ("source", sourceJSON(s)),
                ("healthy", .bool(status == .healthy)), ("strict", .bool(strict)),
                ("verdict", .string(s.verdict(strict: strict))),
                ("checked", .object([
                    ("segments", .uint(UInt64(s.walFiles.count))), ("records", .uint(UInt64(records))),
                    ("entries", .uint(UInt64(s.entries.count + s.replaced.count))), ("bytes", .uint(s.walBytes)),
                    ("snapshots", .uint(UInt64(s.snapshots.count))),
                ])),
                ("firstIndex", .optional(s.firstIndex)), ("lastIndex", .uint(s.lastIndex)),
                ("hardState", sourceHardStateJSON(s.hardState)),
                ("problems", .array(s.damage.map(\.json))),
                ("notices", .array(s.notices.map(\.json))),
            ]).pretty())
        case .text:
            let st = output.style
            output.line("checked \(s.walFiles.count) WAL file\(s.walFiles.count == 1 ? "" : "s") (\(formatBytes(s.walBytes))), \(records) records, \(s.entries.count + s.replaced.count) entries, \(s.snapshots.count) snapshot\(s.snapshots.count == 1 ? "" : "s") (\(s.kind.rawValue))")
            for f in s.damage { output.line(st.bad("DAMAGE ") + "[\(f.kind)] " + f.line) }
            for f in s.notices { output.line(st.warn("NOTICE ") + "[\(f.kind)] " + f.line) }
            let verdict = s.verdict(strict: strict, naming: false)
            output.line("verdict: " + (status == .healthy ? st.good(verdict) : st.bad(verdict)))
        }
        return status
    }

    /// `stats` of an etcd or Swarm log: entries and bytes per term and type.
    static func sourceStats(_ s: LogSource, format: OutputFormat, output: Output) -> ExitStatus {
        var perTerm: [UInt64: (UInt64, UInt64)] = [:]
        var perType: [String: (UInt64, UInt64)] = [:]
        var perAction: [String: UInt64] = [:]
        for e in s.entries {
            let bytes = UInt64(e.plaintext?.count ?? e.storedBytes)
            perTerm[e.term, default: (0, 0)].0 += 1
            perTerm[e.term, default: (0, 0)].1 += bytes
            perType[e.kind.rawValue, default: (0, 0)].0 += 1
            perType[e.kind.rawValue, default: (0, 0)].1 += bytes
            if s.kind == .swarm, e.kind == .normal, let p = e.plaintext, let r = SwarmRequest.decode(p, reveal: false) {
                for c in r.changes { perAction["\(c.action) \(c.collection)", default: 0] += 1 }
            }
        }
        let terms = perTerm.keys.sorted()
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)), ("source", sourceBriefJSON(s)),
                ("entries", .uint(UInt64(s.entries.count))), ("replacedEntries", .uint(UInt64(s.replaced.count))),
                ("perTerm", .array(terms.map { .object([("term", .uint($0)), ("entries", .uint(perTerm[$0]!.0)), ("bytes", .uint(perTerm[$0]!.1))]) })),
                ("perType", .array(perType.keys.sorted().map { .object([("type", .string($0)), ("entries", .uint(perType[$0]!.0)), ("bytes", .uint(perType[$0]!.1))]) })),
                ("storeActions", .object(perAction.keys.sorted().map { ($0, .uint(perAction[$0]!)) })),
                ("walBytes", .uint(s.walBytes)), ("snapshotBytes", .uint(s.snapshotBytes)),
            ]).pretty())
        case .text:
            output.line("\(s.entries.count) entries (\(s.replaced.count) replaced), WAL \(formatBytes(s.walBytes)), snapshots \(formatBytes(s.snapshotBytes))")
            var t = TextTable(["TERM", "ENTRIES", "BYTES"], alignments: [.right, .right, .right])
            for k in terms { t.add([String(k), String(perTerm[k]!.0), String(perTerm[k]!.1)]) }
            output.line(t.render())
            var y = TextTable(["TYPE", "ENTRIES", "BYTES"], alignments: [.left, .right, .right])
            for k in perType.keys.sorted() { y.add([k, String(perType[k]!.0), String(perType[k]!.1)]) }
            output.line()
            output.line(y.render())
            if !perAction.isEmpty {
                var a = TextTable(["STORE ACTION", "COUNT"], alignments: [.left, .right])
                for k in perAction.keys.sorted() { a.add([k, String(perAction[k]!)]) }
                output.line()
                output.line(a.render())
            }
        }
        return noteDamage(s, output)
    }
}
