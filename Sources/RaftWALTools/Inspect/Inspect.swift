import RaftWAL

/// The logic of `raft-inspect`, one function per subcommand, callable from
/// tests. Every function reads only: it never writes into the data
/// directory (the one file it may write is `snapshots --extract`'s output,
/// which must be outside it). It returns the exit status (``ExitStatus``)
/// and throws ``ToolFailure`` for usage and environment errors (exit 2).
package enum Inspect {
    /// Runs the analysis with a progress bar on stderr (terminal only).
    static func analyze(_ directory: String, _ output: Output, decode: Bool = false, keepLive: Bool = false,
                        onEvent: ((Analyzer.ScanEvent) -> Void)? = nil) throws(ToolFailure) -> LogAnalysis {
        var options = Analyzer.Options()
        options.decodeBodies = decode
        options.keepLiveBatches = keepLive
        options.onEvent = onEvent
        // The total is known once the headers are read: the bar is made at the first report.
        var bar: Progress? = nil
        options.onProgress = { done, total in
            if bar == nil { bar = Progress(output: output, label: decode ? "verifying" : "scanning", totalBytes: total) }
            bar?.update(done)
        }
        defer { bar?.finish() }
        return try Analyzer(directory: directory, options: options).run()
    }

    static func identityJSON(_ id: LogIdentity?) -> JSON {
        guard let id else { return .null }
        return .object([("clusterID", .string(id.clusterID.description)), ("memberID", .uint(id.memberID)), ("epoch", .uint(id.epoch))])
    }

    static func hardStateJSON(_ hs: HardState) -> JSON {
        .object([("term", .uint(hs.term)), ("vote", .uint(hs.vote)), ("commit", .uint(hs.commit))])
    }

    static func engineJSON(_ e: EngineCheck) -> JSON {
        .object([
            ("opens", .bool(e.opened)),
            ("labels", .array(e.labels.map { .string($0.rawValue) })),
            ("error", .optional(e.error?.description)),
            ("refusedAs", .optional(e.error?.recoveryLabel?.rawValue)),
            ("firstIndex", .optional(e.firstIndex)),
            ("lastIndex", .optional(e.lastIndex)),
        ])
    }

    static func engineLine(_ e: EngineCheck) -> String {
        if let error = e.error { return "strict open refuses: \(error.description)" }
        let labels = e.labels.map(\.rawValue).joined(separator: ", ")
        var s = "opens (\(labels))"
        if let t = e.tornTail {
            s += "; will cut \(t.bytes) bytes of \(t.segment) at offset \(t.offset)"
            if t.mayHoldAcknowledged {
                s += " (a damaged record written whole: may hold acknowledged entries" + (t.claimedIndexes.map { " \($0.lowerBound)...\($0.upperBound)" } ?? "") + ")"
            }
        }
        return s
    }
}
