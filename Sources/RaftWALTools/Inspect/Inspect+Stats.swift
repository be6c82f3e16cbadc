import RaftInterop
import RaftWAL

extension Inspect {
    /// Counters `stats` reports, over the log's entries (replaced entries excluded); per type in `stats` itself.
    package struct Stats: Sendable {
        package struct Bucket: Sendable {
            package var entries: UInt64 = 0
            package var bytes: UInt64 = 0
        }
        package var perTerm: [UInt64: Bucket] = [:]
        /// Live batches by entry count: upper bound of the bucket → batches.
        package var batchSizes: [(upTo: Int, batches: UInt64)] = Stats.bucketBounds.map { ($0, 0) }
        package var batches: UInt64 = 0

        static let bucketBounds = [1, 4, 16, 64, 256, 1024, 4096, Int.max]

        mutating func addBatch(entries: Int) {
            batches += 1
            for k in batchSizes.indices where entries <= batchSizes[k].upTo {
                batchSizes[k].batches += 1
                return
            }
        }

        static func label(_ k: Int) -> String {
            let lo = k == 0 ? 1 : bucketBounds[k - 1] + 1
            let hi = bucketBounds[k]
            if hi == Int.max { return "\(lo)+" }
            return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
        }
    }

    /// `stats`: entries and payload bytes per term and per type (replaced
    /// entries excluded). RaftWAL adds the distribution of batch sizes
    /// (entries per batch) and the compression ratio; etcd/Swarm the
    /// replaced entries, Swarm store actions by kind, and bytes on disk.
    package static func stats(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                             output: Output) throws(ToolFailure) -> ExitStatus {
        let v = try inspected(directory, source, output, keepLive: true)
        var s = Stats()
        var perType: [String: Stats.Bucket] = [:]
        var perAction: [String: UInt64] = [:]
        func count(term: UInt64, type: String, bytes: UInt64, entries: UInt64 = 1) {
            s.perTerm[term, default: .init()].entries += entries
            s.perTerm[term, default: .init()].bytes += bytes
            perType[type, default: .init()].entries += entries
            perType[type, default: .init()].bytes += bytes
        }
        var failures: [String] = []
        if let a = v.raftwal {
            for b in a.liveBatches ?? [] { s.addBatch(entries: Int(b.lastIndex - b.firstIndex + 1)) }
            if let r = a.heldRange {
                let bar = Progress(output: output, label: "reading", totalBytes: a.segmentBytes)
                defer { bar.finish() }
                // Entries come in runs of one term and kind: counted per run,
                // not with two dictionary updates per entry (2^24 entries in a batch).
                var run: (term: UInt64, kind: EntryKind, entries: UInt64, bytes: UInt64)? = nil
                func flush() {
                    guard let r = run else { return }
                    count(term: r.term, type: r.kind == .confChange ? "conf-change" : "normal", bytes: r.bytes, entries: r.entries)
                }
                try LiveEntries(analysis: a).forEach(in: r, onProgress: { done, _ in bar.update(done) },
                                                     failed: { failures.append($0.description) }) { e in
                    if let r = run, r.term == e.term, r.kind == e.kind {
                        run!.entries += 1
                        run!.bytes += UInt64(e.data.count)
                    } else {
                        flush()
                        run = (e.term, e.kind, 1, UInt64(e.data.count))
                    }
                    return true
                }
                flush()
            }
        } else {
            for e in v.log.entries {
                count(term: e.term, type: e.kind.rawValue, bytes: UInt64(e.plaintext?.count ?? e.storedBytes))
                if v.kind == .swarm, e.kind == .normal, let p = e.plaintext, let r = SwarmRequest.decode(p, reveal: false) {
                    for c in r.changes { perAction["\(c.action) \(c.collection)", default: 0] += 1 }
                }
            }
        }
        let terms = s.perTerm.keys.sorted()
        let types = ["normal", "conf-change", "conf-change-v2"].filter { perType[$0] != nil }
        switch format {
        case .json:
            var fields: [(String, JSON)] = [
                ("directory", .string(v.directory)), ("source", v.sourceJSON(full: false)),
                ("entries", .uint(perType.values.reduce(0) { $0 + $1.entries })),
                ("dataBytes", .uint(perType.values.reduce(0) { $0 + $1.bytes })),
                ("perTerm", .array(terms.map { t in
                    .object([("term", .uint(t)), ("entries", .uint(s.perTerm[t]!.entries)), ("dataBytes", .uint(s.perTerm[t]!.bytes))])
                })),
                ("perType", .array(types.map { k in
                    .object([("type", .string(k)), ("entries", .uint(perType[k]!.entries)), ("dataBytes", .uint(perType[k]!.bytes))])
                })),
            ]
            if let a = v.raftwal {
                fields += [
                    ("batches", .uint(s.batches)),
                    ("batchSizes", .array(s.batchSizes.enumerated().filter { $0.element.batches > 0 }.map { k, b in
                        .object([("entries", .string(Stats.label(k))), ("batches", .uint(b.batches))])
                    })),
                    ("storedBodyBytes", .uint(a.storedBodyBytes)), ("rawBodyBytes", .uint(a.rawBodyBytes)),
                    ("compressionRatio", .double(a.compressionRatio)),
                ]
            } else {
                fields += [
                    ("replacedEntries", .uint(UInt64(v.log.replaced.count))),
                    ("storeActions", .object(perAction.keys.sorted().map { ($0, .uint(perAction[$0]!)) })),
                    ("walBytes", .uint(v.log.walBytes)), ("snapshotBytes", .uint(v.log.snapshotBytes)),
                ]
            }
            output.line(JSON.object(fields).pretty())
        case .text:
            if v.raftwal == nil {
                output.line("\(v.log.entries.count) entries (\(v.log.replaced.count) replaced), WAL \(formatBytes(v.log.walBytes)), snapshots \(formatBytes(v.log.snapshotBytes))")
            }
            var t = TextTable(["TERM", "ENTRIES", "DATA BYTES"], alignments: [.right, .right, .right])
            for term in terms { t.add([String(term), String(s.perTerm[term]!.entries), String(s.perTerm[term]!.bytes)]) }
            output.line(t.render())
            output.line()
            var k = TextTable(["TYPE", "ENTRIES", "DATA BYTES"], alignments: [.left, .right, .right])
            for type in types { k.add([type, String(perType[type]!.entries), String(perType[type]!.bytes)]) }
            output.line(k.render())
            if let a = v.raftwal {
                output.line()
                var b = TextTable(["ENTRIES/BATCH", "BATCHES"], alignments: [.right, .right])
                for (i, bucket) in s.batchSizes.enumerated() where bucket.batches > 0 { b.add([Stats.label(i), String(bucket.batches)]) }
                output.line(b.render())
                output.line()
                output.line("compression: \(formatFixed(a.compressionRatio, digits: 2))x (\(a.rawBodyBytes) raw body bytes stored in \(a.storedBodyBytes))")
            } else if !perAction.isEmpty {
                var t = TextTable(["STORE ACTION", "COUNT"], alignments: [.left, .right])
                for k in perAction.keys.sorted() { t.add([k, String(perAction[k]!)]) }
                output.line()
                output.line(t.render())
            }
        }
        for f in failures { output.err("raft-inspect: unreadable batch: \(f)\n") }
        let status = noteDamage(v.log, output)
        return failures.isEmpty ? status : .damage
    }
}
