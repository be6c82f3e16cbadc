/// The kinds of entry payload the benchmark writes (the same names as the
/// etcd baseline's `-payload`).
package enum PayloadKind: String, CaseIterable, Sendable {
    /// JSON-like text shaped like a cluster store's records: compressible
    /// like real Raft data.
    case json
    /// Uniformly random bytes: incompressible.
    case random
    /// All zeros: the best case for any compressor.
    case zero
}

/// Distinct payloads of exactly `sizeBytes` bytes, cycled: entry `i`
/// carries `payload(i)`.
///
/// Generated before any timing, so the generator's cost is never measured.
/// Like the etcd baseline, at most `maxPoolBytes` of distinct payloads are
/// kept (64 MiB by default) and the benchmark cycles through them, so the
/// same corpus file fed to both tools yields the same entries.
package struct PayloadPool: Sendable {
    package let sizeBytes: Int
    /// Where the bytes came from: a kind name or `file:<path>`.
    package let source: String
    let payloads: [[UInt8]]

    package static let defaultMaxPoolBytes = 64 << 20

    /// The number of distinct payloads: `min(maxPoolBytes / sizeBytes, entries)`, at least 1.
    package static func distinctCount(sizeBytes: Int, entries: Int, maxPoolBytes: Int) -> Int {
        max(1, min(maxPoolBytes / max(sizeBytes, 1), entries))
    }

    /// Payloads generated from `seed` (deterministic for a given seed).
    package init(kind: PayloadKind, sizeBytes: Int, entries: Int, seed: UInt64, maxPoolBytes: Int = defaultMaxPoolBytes) {
        precondition(sizeBytes > 0 && entries > 0)
        self.sizeBytes = sizeBytes
        self.source = kind.rawValue
        let count = Self.distinctCount(sizeBytes: sizeBytes, entries: entries, maxPoolBytes: maxPoolBytes)
        var generator = PayloadGenerator(kind: kind, sizeBytes: sizeBytes, seed: seed)
        payloads = (0..<count).map { _ in generator.next() }
    }

    /// Payloads cut from a corpus file: consecutive `sizeBytes` pieces from
    /// its start (what `etcdwal-bench -emit-corpus` writes), a trailing
    /// partial piece dropped.
    ///
    /// - Throws: ``BenchError`` when the file cannot be read or is shorter
    ///   than one payload.
    package init(file: String, sizeBytes: Int, entries: Int, maxPoolBytes: Int = defaultMaxPoolBytes) throws(BenchError) {
        precondition(sizeBytes > 0 && entries > 0)
        self.sizeBytes = sizeBytes
        self.source = "file:" + file
        let want = Self.distinctCount(sizeBytes: sizeBytes, entries: entries, maxPoolBytes: maxPoolBytes)
        let bytes = try BenchFiles.readPrefix(file, maxBytes: want * sizeBytes)
        let count = bytes.count / sizeBytes
        guard count > 0 else {
            throw BenchError.usage("payload file \(file) has \(bytes.count) bytes, fewer than one \(sizeBytes)-byte payload")
        }
        payloads = (0..<count).map { k in Array(bytes[(k * sizeBytes)..<((k + 1) * sizeBytes)]) }
    }

    /// The payload of the `i`-th entry written (0-based).
    package func payload(_ i: Int) -> [UInt8] { payloads[i % payloads.count] }

    package var distinctPayloads: Int { payloads.count }
}

/// What the benchmark reports when it cannot run: bad arguments or an
/// environment problem (exit status 2), or a replay that did not return
/// what was written (exit status 1).
package enum BenchError: Error, CustomStringConvertible, Sendable {
    case usage(String)
    case environment(String)
    case verification(String)

    package var description: String {
        switch self {
        case .usage(let s), .environment(let s): return s
        case .verification(let s): return "verification failed: " + s
        }
    }
}
