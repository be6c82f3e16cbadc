import RaftInterop
import RaftWAL

extension Inspect {
    /// `summary`: what wrote the directory and whose log it is, its files,
    /// index range, last term, hard state, snapshots, membership, and a
    /// one-line health verdict. RaftWAL adds bytes and compression and the
    /// engine's verdict; Swarm adds the node, cluster and encryption.
    /// Exit 1 when the verdict is not healthy (with `strict`, also for crash shapes).
    package static func summary(directory: String, format: OutputFormat, strict: Bool, source: SourceOptions = SourceOptions(),
                               output: Output) throws(ToolFailure) -> ExitStatus {
        var v = try inspected(directory, source, output, keepLive: true)
        if var a = v.raftwal {
            checkLastBatchDecodes(&a)
            v = InspectedLog(log: LogSource(raftWAL: a), raftwal: a)
        }
        let members = SummaryMembers(v)
        let status = v.log.status(strict: strict)
        switch format {
        case .json:
            output.line(summaryJSON(v, members: members, strict: strict).pretty())
        case .text:
            summaryText(v, members: members, strict: strict, status: status, output: output)
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

    /// The membership line of a summary, as of the last index: RaftWAL
    /// replays its snapshot and conf changes (``Members``), etcd/Swarm
    /// theirs (``LogSource/membership(at:)``).
    struct SummaryMembers {
        var json: JSON
        var asOfIndex: UInt64?
        var problem: String?
        /// etcd/Swarm: raft IDs removed from the membership.
        var removed: [UInt64]?
        var text: String

        init(_ v: InspectedLog) {
            if let a = v.raftwal {
                let r = Members.replay(a)
                json = r.asOfLast.map { Members.membersJSON($0.members) } ?? .null
                asOfIndex = r.asOfLast?.index
                problem = r.problem
                if let m = r.asOfLast {
                    let voters = m.members.voters.count, learners = m.members.learners.count
                    text = "\(voters) voter\(voters == 1 ? "" : "s"), \(learners) learner\(learners == 1 ? "" : "s") (as of index \(m.index))"
                } else {
                    text = "unknown: \(r.problem ?? "")"
                }
                return
            }
            let s = v.log
            let m = s.membership(at: s.lastIndex)
            json = sourceMembersJSON(m).objectValue("members") ?? .array([])
            asOfIndex = m.index
            problem = m.problem
            removed = m.removed
            let voters = m.members.filter { !$0.learner }.count
            text = "\(voters) voter\(voters == 1 ? "" : "s"): "
                + m.members.map { rid($0.raftID) + ($0.name.isEmpty ? "" : " (\($0.name))") }.joined(separator: ", ")
                + " (as of index \(m.index))" + (m.problem.map { "; " + $0 } ?? "")
        }
    }

    static func summaryJSON(_ v: InspectedLog, members: SummaryMembers, strict: Bool) -> JSON {
        let s = v.log
        var fields: [(String, JSON)] = [("directory", .string(v.directory)), ("source", v.sourceJSON(full: true))]
        if let a = v.raftwal { fields.append(("identity", identityJSON(a.identity))) }
        var files: [(String, JSON)] = [("count", .uint(UInt64(s.walFiles.count)))]
        if v.raftwal != nil { files.append(("sealed", .uint(UInt64(s.walFiles.filter { $0.end == SegmentReport.End.sealed.rawValue }.count)))) }
        files += [
            ("bytes", .uint(s.walBytes)),
            ("files", .array(s.walFiles.map { f in
                .object([("name", .string(f.name)), ("bytes", .uint(f.fileBytes)),
                         ("indexes", .range(f.lowestIndex.flatMap { lo in f.highestIndex.map { lo...max(lo, $0) } })),
                         ("state", .string(f.end))])
            })),
        ]
        fields += [
            ("firstIndex", .optional(v.firstIndex)),
            ("lastIndex", .uint(v.lastIndex)),
            ("lastTerm", .uint(v.lastTerm)),
            ("hardState", logHardStateJSON(s.hardState)),
            ("segments", .object(files)),
            ("snapshots", .array(s.snapshots.map { f in
                .object([("name", .string(f.name)), ("index", .uint(f.index)), ("term", .uint(f.term)),
                         ("bytes", .uint(f.fileBytes)), ("valid", .bool(f.problem == nil))])
            })),
            ("members", members.json),
            ("membersAsOfIndex", .optional(members.asOfIndex)),
            ("membersProblem", .optional(members.problem)),
        ]
        if let removed = members.removed { fields.append(("removedMembers", .array(removed.map { .uint($0) }))) }
        if let a = v.raftwal {
            fields.append(("bytes", .object([
                ("segments", .uint(a.segmentBytes)), ("snapshots", .uint(a.snapshotBytes)),
                ("storedBody", .uint(a.storedBodyBytes)), ("rawBody", .uint(a.rawBodyBytes)),
            ])))
            fields.append(("compressionRatio", .double(a.compressionRatio)))
            if let m = a.ackMarker.marker {
                fields.append(("confirmed", .object([
                    ("lastIndex", .uint(m.lastIndex)), ("segmentSeq", .uint(m.seq)), ("endOffset", .uint(m.endOffset)),
                    ("snapshotIndex", .uint(m.snapshotIndex)), ("counter", .uint(m.counter)),
                ])))
            }
        }
        fields += [
            ("healthy", .bool(s.status(strict: strict) == .healthy)),
            ("verdict", .string(s.verdict(strict: strict))),
            ("findings", .array(s.findings.map(findingJSON))),
        ]
        if let a = v.raftwal {
            fields.append(("writtenDuringInspection", .array(a.writtenDuringInspection.map { .string($0) })))
            fields.append(("engine", engineJSON(a.engine)))
        }
        return .object(fields)
    }

    static func summaryText(_ v: InspectedLog, members: SummaryMembers, strict: Bool, status: ExitStatus, output: Output) {
        let st = output.style
        let s = v.log
        var t = TextTable(["", ""])
        t.add(["directory", v.directory])
        if let a = v.raftwal {
            if let id = a.identity { t.add(["identity", "cluster \(id.clusterID)  member \(id.memberID)  epoch \(id.epoch)"]) }
            if let r = a.heldRange {
                t.add(["log", "indexes \(formatRange(r)) (\(r.count) entries), last term \(a.lastTerm)"])
            } else {
                t.add(["log", "no entries; last index \(a.lastIndex), last term \(a.lastTerm)"])
            }
        } else {
            sourceIdentityRows(s, &t)
            if let first = s.firstIndex {
                t.add(["log", "indexes \(first)...\(s.entries.last!.index) (\(s.entries.count) entries), last term \(s.lastTerm)"
                    + (s.replaced.isEmpty ? "" : ", \(s.replaced.count) replaced")])
            } else {
                t.add(["log", "no entries; last index \(s.lastIndex), last term \(s.lastTerm)"])
            }
        }
        if let h = s.hardState {
            let vote = h.vote == 0 || v.raftwal != nil ? String(h.vote) : rid(h.vote)
            t.add(["hard state", "term \(h.term)  vote \(vote)  commit \(h.commit)"])
        } else {
            t.add(["hard state", "none"])
        }
        if let a = v.raftwal {
            let sealed = a.segments.filter { $0.end == .sealed }.count
            t.add(["segments", "\(a.segments.count) (\(sealed) sealed), \(formatBytes(a.segmentBytes)) on disk"])
            t.add(["compression", "\(formatFixed(a.compressionRatio, digits: 2))x (\(formatBytes(a.rawBodyBytes)) of batch bodies in \(formatBytes(a.storedBodyBytes)))"])
        } else {
            t.add(["WAL files", "\(s.walFiles.count), \(formatBytes(s.walBytes)) on disk"])
        }
        if s.snapshots.isEmpty {
            t.add(["snapshots", "none"])
        } else {
            for (k, f) in s.snapshots.enumerated() {
                t.add([k == 0 ? "snapshots" : "", "index \(f.index)  term \(f.term)  \(formatBytes(f.fileBytes))"
                    + (f.problem == nil ? "" : "  " + st.bad("DAMAGED"))])
            }
        }
        t.add(["members", members.text])
        if let a = v.raftwal, let m = a.ackMarker.marker {
            // Confirmed mode (FORMAT.md §8.5): what the writer last confirmed as acknowledged.
            t.add(["confirmed", "through index \(m.lastIndex) (ACKED: segment seq \(m.seq) up to offset \(m.endOffset)"
                + (m.snapshotIndex > 0 ? ", snapshot \(m.snapshotIndex)" : "") + ")"])
        }
        if let a = v.raftwal { t.add(["engine", engineLine(a.engine)]) }
        let verdict = s.verdict(strict: strict)
        t.add(["verdict", status == .healthy ? st.good(verdict) : st.bad(verdict)])
        if let a = v.raftwal, !a.writtenDuringInspection.isEmpty {
            t.add(["live", "a writer appended during inspection; shown as of before it (\(a.writtenDuringInspection.count) place\(a.writtenDuringInspection.count == 1 ? "" : "s"), see verify)"])
        }
        for line in t.lines().dropFirst() { output.line(line) }
        guard let a = v.raftwal else { return }
        output.line()
        var segs = TextTable(["SEGMENT", "INDEXES", "BYTES", "STATE"], alignments: [.left, .left, .right, .left])
        for s in a.segments {
            segs.add([s.name, formatRange(s.indexes), String(s.fileBytes), s.end.rawValue + (s.orphan ? " (orphan)" : "")])
        }
        output.line(segs.render())
    }

    /// etcd/Swarm identity rows: the source, then the node, cluster,
    /// encryption and keys (Swarm) or the member and cluster (etcd).
    static func sourceIdentityRows(_ s: LogSource, _ t: inout TextTable) {
        t.add(["source", "\(s.kind.rawValue): \(s.version)"])
        let id = s.identity
        guard s.kind == .swarm else {
            t.add(["member", "\(id.raftID.map(rid) ?? "?")  cluster \(id.clusterID ?? "?")"])
            return
        }
        t.add(["node", "\(id.nodeID ?? "?")  raft ID \(id.raftID.map(rid) ?? "?")  address \(id.address ?? "?")"])
        t.add(["cluster", "\(id.clusterID ?? "?")  (certificate: \(id.role ?? "?"))"])
        guard let e = s.encryption else { return }
        let algos = e.algorithms.keys.sorted().map { "\($0) ×\(e.algorithms[$0]!)" }.joined(separator: ", ")
        let opened = e.openedBy.keys.sorted().map { "\($0) ×\(e.openedBy[$0]!)" }.joined(separator: ", ")
        t.add(["encryption", "\(algos.isEmpty ? "none seen" : algos); opened by \(opened.isEmpty ? "nothing" : opened)"
            + (e.undecryptable > 0 ? "; \(e.undecryptable) entries undecryptable" : "")])
        t.add(["keys", "\(e.keysTried.joined(separator: ", ")) from swarm-node.key, kek-version \(e.kekVersion ?? "?")"
            + (e.autolocked ? ", autolocked (opened with --unlock-key)" : ", not autolocked")])
        if let pk = e.privateKey { t.add(["private key", pk]) }
    }
}
