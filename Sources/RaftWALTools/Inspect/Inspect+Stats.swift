import RaftWAL

extension Inspect {
    /// Counters `stats` reports, over the log's entries (replaced entries excluded).
    package struct Stats: Sendable {
        package struct Bucket: Sendable {
            package var entries: UInt64 = 0
            package var bytes: UInt64 = 0
        }
        package var perTerm: [UInt64: Bucket] = [:]
        package var perType: [EntryKind: Bucket] = [:]
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

    /// `stats`: entries and bytes per term and per type, the distribution of
    /// batch sizes (entries per batch), and the compression ratio.
    package static func stats(directory: String, format: OutputFormat, source: SourceOptions = SourceOptions(),
                             output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source) { return sourceStats(s, format: format, output: output) }
        let a = try analyze(directory, output, keepLive: true)
        var s = Stats()
        for b in a.liveBatches ?? [] { s.addBatch(entries: Int(b.lastIndex - b.firstIndex + 1)) }
        var failures: [String] = []
        if let r = a.heldRange {
            let bar = Progress(output: output, label: "reading", totalBytes: a.segmentBytes)
            defer { bar.finish() }
            try LiveEntries(analysis: a).forEach(in: r, onProgress: { done, _ in bar.update(done) },
                                                 failed: { failures.append($0.description) }) { e in
                s.perTerm[e.term, default: .init()].entries += 1
                s.perTerm[e.term, default: .init()].bytes += UInt64(e.data.count)
                s.perType[e.kind, default: .init()].entries += 1
                s.perType[e.kind, default: .init()].bytes += UInt64(e.data.count)
                return true
            }
        }
        func typeName(_ k: EntryKind) -> String { k == .confChange ? "conf-change" : "normal" }
        let terms = s.perTerm.keys.sorted()
        let kinds = EntryKind.allCases.filter { s.perType[$0] != nil }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(a.directory)), ("source", raftWALSourceJSON),
                ("entries", .uint(s.perType.values.reduce(0) { $0 + $1.entries })),
                ("dataBytes", .uint(s.perType.values.reduce(0) { $0 + $1.bytes })),
                ("perTerm", .array(terms.map { t in
                    .object([("term", .uint(t)), ("entries", .uint(s.perTerm[t]!.entries)), ("dataBytes", .uint(s.perTerm[t]!.bytes))])
                })),
                ("perType", .array(kinds.map { k in
                    .object([("type", .string(typeName(k))), ("entries", .uint(s.perType[k]!.entries)), ("dataBytes", .uint(s.perType[k]!.bytes))])
                })),
                ("batches", .uint(s.batches)),
                ("batchSizes", .array(s.batchSizes.enumerated().filter { $0.element.batches > 0 }.map { k, b in
                    .object([("entries", .string(Stats.label(k))), ("batches", .uint(b.batches))])
                })),
                ("storedBodyBytes", .uint(a.storedBodyBytes)), ("rawBodyBytes", .uint(a.rawBodyBytes)),
                ("compressionRatio", .double(a.compressionRatio)),
            ]).pretty())
        case .text:
            var t = TextTable(["TERM", "ENTRIES", "DATA BYTES"], alignments: [.right, .right, .right])
            for term in terms { t.add([String(term), String(s.perTerm[term]!.entries), String(s.perTerm[term]!.bytes)]) }
            output.line(t.render())
            output.line()
            var k = TextTable(["TYPE", "ENTRIES", "DATA BYTES"], alignments: [.left, .right, .right])
            for kind in kinds { k.add([typeName(kind), String(s.perType[kind]!.entries), String(s.perType[kind]!.bytes)]) }
            output.line(k.render())
            output.line()
            var b = TextTable(["ENTRIES/BATCH", "BATCHES"], alignments: [.right, .right])
            for (i, bucket) in s.batchSizes.enumerated() where bucket.batches > 0 { b.add([Stats.label(i), String(bucket.batches)]) }
            output.line(b.render())
            output.line()
            output.line("compression: \(formatFixed(a.compressionRatio, digits: 2))x (\(a.rawBodyBytes) raw body bytes stored in \(a.storedBodyBytes))")
        }
        for f in failures { output.err("raft-inspect: unreadable batch: \(f)\n") }
        let status = noteDamage(a, output)
        return failures.isEmpty ? status : .damage
    }
}
