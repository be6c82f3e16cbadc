import RaftInterop

extension Inspect {
    /// `snapshots` of an etcd or Swarm log: each .snap verified, its
    /// metadata, membership, removed list and per-collection object counts.
    static func sourceSnapshots(_ s: LogSource, format: OutputFormat, output: Output) -> ExitStatus {
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(s.directory)), ("source", sourceBriefJSON(s)),
                ("snapshots", .array(s.snapshots.map { f in
                    .object([
                        ("name", .string(f.name)), ("index", .uint(f.index)), ("term", .uint(f.term)),
                        ("bytes", .uint(f.fileBytes)), ("crcOK", .bool(f.crcOK)), ("valid", .bool(f.problem == nil)),
                        ("problem", .optional(f.problem)), ("inWAL", .bool(f.inWAL)),
                        ("voters", .array(f.voters.map { .uint($0) })), ("learners", .array(f.learners.map { .uint($0) })),
                        ("members", .array(f.members.map { m in
                            .object([("raftID", .uint(m.raftID)), ("raftIDHex", .string(rid(m.raftID))),
                                     ("nodeID", .string(m.name)), ("address", .string(m.address))])
                        })),
                        ("removed", .array(f.removed.map { .uint($0) })),
                        ("objectCounts", .object(f.objectCounts.map { ($0.0, .uint(UInt64($0.1))) })),
                        ("dataBytes", .uint(f.dataBytes)), ("note", .optional(f.note)),
                    ])
                })),
                ("walSnapshotRecords", .array(s.walSnapshots.map { r in
                    .object([("index", .uint(r.index)), ("term", .uint(r.term)), ("file", .string(r.file)), ("offset", .uint(r.offset))])
                })),
                ("otherFiles", .array(s.otherFiles.map { .object([("name", .string($0.name)), ("bytes", .uint($0.bytes))]) })),
            ]).pretty())
        case .text:
            if s.snapshots.isEmpty { output.line("no snapshot files") }
            for f in s.snapshots {
                output.line("\(f.name): index \(f.index), term \(f.term), \(formatBytes(f.fileBytes)), "
                    + (f.problem.map { output.style.bad("DAMAGED: " + $0) } ?? output.style.good("verified"))
                    + (f.inWAL ? "" : ", no WAL record"))
                if f.problem != nil { continue }
                output.line("  voters: " + (f.voters.isEmpty ? "none" : f.voters.map(rid).joined(separator: ", "))
                    + (f.learners.isEmpty ? "" : "; learners: " + f.learners.map(rid).joined(separator: ", ")))
                for m in f.members { output.line("  member \(rid(m.raftID))  node \(m.name)  address \(m.address)") }
                if !f.removed.isEmpty { output.line("  removed: " + f.removed.map(rid).joined(separator: ", ")) }
                if !f.objectCounts.isEmpty {
                    output.line("  store: " + f.objectCounts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
                }
                if let note = f.note { output.line("  \(note)") }
            }
            output.line("WAL snapshot records: " + s.walSnapshots.map { "\($0.index)/\($0.term)" }.joined(separator: ", "))
            if !s.otherFiles.isEmpty {
                output.line("other files: " + s.otherFiles.map { "\($0.name) (\(formatBytes($0.bytes)))" }.joined(separator: ", "))
            }
        }
        return noteDamage(s, output)
    }
}
