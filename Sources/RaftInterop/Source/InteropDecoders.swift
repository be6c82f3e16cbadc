import Foundation

/// The decoders of foreign on-disk bytes, one call each, for the libFuzzer
/// targets (`Tools/fuzz-targets`): each must return (never trap, never
/// allocate beyond the bytes given) on any input.
public enum InteropDecoders {
    /// Scans bytes as one etcd WAL file; returns (records, entries, findings).
    public static func etcdWALFile(_ bytes: [UInt8]) -> (records: Int, entries: Int, findings: Int) {
        var reader = WALReader(directory: "", label: "")
        reader.keepRecords = true
        let scan = reader.scanOne(Data(bytes), name: "fuzz.wal")
        return (scan.records.count, scan.entries.count, scan.findings.count)
    }

    /// Verifies bytes as a `.snap` file named for index 1, term 1; nil when it verified.
    public static func snapFile(_ bytes: [UInt8]) -> String? {
        var file = SnapshotFile(name: "fuzz.snap", term: 1, index: 1, fileBytes: UInt64(bytes.count))
        SnapReader(directory: "", label: "").verify(Data(bytes), &file)
        return file.problem
    }

    /// Decodes bytes as every entry plaintext the reader meets: a Swarm raft
    /// request, an etcd request (v3 or v2), a Swarm snapshot, a conf change (v1 and v2) with its context, and
    /// an encryption envelope opened with a fixed key (both ciphers).
    public static func swarmPayload(_ bytes: [UInt8]) -> Int {
        let data = Data(bytes)
        var n = 0
        if let r = SwarmRequest.decode(data, reveal: false) { n += r.changes.count }
        if EtcdRequest.decode(data) != nil { n += 1 }
        var file = SnapshotFile(name: "fuzz.snap", term: 1, index: 1, fileBytes: 0)
        n += SwarmPayloads.fill(&file, plaintext: data)?.count ?? 0
        n += DecodedConfChange.decode(data, kind: .confChange, context: SwarmPayloads.memberContext)?.count ?? 0
        n += DecodedConfChange.decode(data, kind: .confChangeV2, context: EtcdPayloads.memberContext)?.count ?? 0
        let keys = SwarmKeys(deks: [("fuzz", [UInt8](repeating: 7, count: 32))])
        if keys.open(data).plaintext != nil { n += 1 }
        if (try? Ciphers.openFernet(data, key: [UInt8](repeating: 7, count: 32))) != nil { n += 1 }
        return n
    }

    /// Parses text as `swarm-node.key` (PEM headers, raft-dek) with and
    /// without an unlock key, and as a node certificate.
    public static func swarmKeyFile(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        let a = (try? SwarmKeys.parse(text, label: "fuzz.key", unlockKey: nil)) != nil
        let b = (try? SwarmKeys.parse(text, label: "fuzz.key", unlockKey: "SWMKEY-1-" + String(repeating: "A", count: 43))) != nil
        let c = (try? NodeCertificate.parse(der: bytes)) != nil
        return a || b || c
    }
}
