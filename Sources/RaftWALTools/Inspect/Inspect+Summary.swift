import RaftWAL

extension Inspect {
    /// `summary`: segments, index range, last term, hard state, snapshots,
    /// membership, bytes and compression, and a one-line health verdict.
    /// Exit 1 when the verdict is not healthy (with `strict`, also for crash shapes).
    package static func summary(directory: String, format: OutputFormat, strict: Bool, source: SourceOptions = SourceOptions(),
                               output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source) { return sourceSummary(s, format: format, strict: strict, output: output) }
        var a = try analyze(directory, output, keepLive: true)
        checkLastBatchDecodes(&a)
        let status = a.status(strict: strict)
        let members = Members.replay(a)
        switch format {
        case .json:
            output.line(summaryJSON(a, members: members, strict: strict).pretty())
        case .text:
            summaryText(a, members: members, strict: strict, status: status, output: output)
        }
        return status
    }

    /// Summary reads headers only, except the last live batch: a last record
    /// that passes its checksum but does not decode is damage for `verify` and
    /// `repair` alike, so summary must not call that log healthy. (Earlier
    /// batches are decoded by `verify` only: summary stays a header scan.)
    static func checkLastBatchDecodes(_ a: inout LogAnalysis) {
        guard let last = a.liveBatches?.last else { return }
        var failure: WALError? = nil
        try? LiveEntries(analysis: a).forEach(in: last.firstIndex...last.lastIndex, failed: { failure = $0 }) { _ in true }
        guard let failure, !a.damage.contains(where: { $0.offset == last.offset }) else { return }
        a.findings.append(Finding(.damage, .corruptRecord, file: a.segments[last.segment].name, offset: last.offset,
                                  indexes: last.firstIndex...last.lastIndex,
                                  "batch passes its checksum but does not decode: " + failure.reason))
    }

    static func summaryJSON(_ a: LogAnalysis, members: Members.Result, strict: Bool) -> JSON {
        .object([
            ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
            ("identity", identityJSON(a.identity)),
            ("firstIndex", .optional(a.firstIndex)),
            ("lastIndex", .uint(a.lastIndex)),
            ("lastTerm", .uint(a.lastTerm)),
            ("hardState", hardStateJSON(a.hardState)),
            ("segments", .object([
                ("count", .uint(UInt64(a.segments.count))),
                ("sealed", .uint(UInt64(a.segments.filter { $0.end == .sealed }.count))),
                ("bytes", .uint(a.segmentBytes)),
                ("files", .array(a.segments.map { s in
                    .object([("name", .string(s.name)), ("bytes", .uint(s.fileBytes)), ("indexes", .range(s.indexes)),
                             ("state", .string(s.end.rawValue))])
                })),
            ])),
            ("snapshots", .array(a.snapshots.map { s in
                .object([("name", .string(s.name)), ("index", .uint(s.index)), ("term", .uint(s.term)),
                         ("bytes", .uint(s.fileBytes)), ("valid", .bool(s.problem == nil))])
            })),
            ("members", members.asOfLast.map { Members.membersJSON($0.members) } ?? .null),
            ("membersAsOfIndex", .optional(members.asOfLast?.index)),
            ("membersProblem", .optional(members.problem)),
            ("bytes", .object([
                ("segments", .uint(a.segmentBytes)), ("snapshots", .uint(a.snapshotBytes)),
                ("storedBody", .uint(a.storedBodyBytes)), ("rawBody", .uint(a.rawBodyBytes)),
            ])),
            ("compressionRatio", .double(a.compressionRatio)),
            ("healthy", .bool(a.status(strict: strict) == .healthy)),
            ("verdict", .string(a.verdict(strict: strict))),
            ("findings", .array(a.findings.map(\.json))),
            ("writtenDuringInspection", .array(a.writtenDuringInspection.map { .string($0) })),
            ("engine", engineJSON(a.engine)),
        ])
    }

    static func summaryText(_ a: LogAnalysis, members: Members.Result, strict: Bool, status: ExitStatus, output: Output) {
        let st = output.style
        var t = TextTable(["", ""])
        t.add(["directory", a.directory])
        if let id = a.identity {
            t.add(["identity", "cluster \(id.clusterID)  member \(id.memberID)  epoch \(id.epoch)"])
        }
        if let r = a.heldRange {
            t.add(["log", "indexes \(formatRange(r)) (\(r.count) entries), last term \(a.lastTerm)"])
        } else {
            t.add(["log", "no entries; last index \(a.lastIndex), last term \(a.lastTerm)"])
        }
        t.add(["hard state", "term \(a.hardState.term)  vote \(a.hardState.vote)  commit \(a.hardState.commit)"])
        let sealed = a.segments.filter { $0.end == .sealed }.count
        t.add(["segments", "\(a.segments.count) (\(sealed) sealed), \(formatBytes(a.segmentBytes)) on disk"])
        t.add(["compression", "\(formatFixed(a.compressionRatio, digits: 2))x (\(formatBytes(a.rawBodyBytes)) of batch bodies in \(formatBytes(a.storedBodyBytes)))"])
        if a.snapshots.isEmpty {
            t.add(["snapshots", "none"])
        } else {
            for (k, s) in a.snapshots.enumerated() {
                let state = s.problem == nil ? "" : "  " + st.bad("DAMAGED")
                t.add([k == 0 ? "snapshots" : "", "index \(s.index)  term \(s.term)  \(formatBytes(s.fileBytes))\(state)"])
            }
        }
        if let m = members.asOfLast {
            let voters = m.members.voters.count, learners = m.members.learners.count
            t.add(["members", "\(voters) voter\(voters == 1 ? "" : "s"), \(learners) learner\(learners == 1 ? "" : "s") (as of index \(m.index))"])
        } else {
            t.add(["members", "unknown: \(members.problem ?? "")"])
        }
        t.add(["engine", engineLine(a.engine)])
        let verdict = a.verdict(strict: strict)
        t.add(["verdict", status == .healthy ? st.good(verdict) : st.bad(verdict)])
        if !a.writtenDuringInspection.isEmpty {
            t.add(["live", "a writer appended during inspection; shown as of before it (\(a.writtenDuringInspection.count) place\(a.writtenDuringInspection.count == 1 ? "" : "s"), see verify)"])
        }
        for line in t.lines().dropFirst() { output.line(line) }
        output.line()
        var segs = TextTable(["SEGMENT", "INDEXES", "BYTES", "STATE"], alignments: [.left, .left, .right, .left])
        for s in a.segments {
            segs.add([s.name, formatRange(s.indexes), String(s.fileBytes), s.end.rawValue + (s.orphan ? " (orphan)" : "")])
        }
        output.line(segs.render())
    }
}
