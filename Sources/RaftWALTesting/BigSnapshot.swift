import RaftWAL

/// A log whose snapshot is larger than the in-memory limit of a version-1
/// file, written through the streaming API (`make-fixtures big-snapshot`):
/// for measuring the peak memory of a streamed save and of a streamed read
/// (`raft-inspect snapshots --extract`), `docs/TORTURE.md`. Not shipped.
public enum BigSnapshot {
    /// Writes entries 1…10 and a snapshot at index 10 of `bytes` bytes
    /// (deterministic, half compressible), fed 4 MiB at a time from a lazy
    /// sequence: the writer never sees the whole data. Returns the snapshot's
    /// file name.
    @discardableResult
    public static func write(at directory: String, bytes: UInt64) throws -> String {
        var options = LogOptions()
        options.compactionKeepEntries = 100
        let log = try RaftLog.open(directory: directory, options: options)
        defer { log.close() }
        try log.append((1...10).map { Entry(index: $0, term: 1, data: Array("entry \($0)".utf8)) },
                       hardState: HardState(term: 1, vote: 1, commit: 10))
        let piece: UInt64 = 4 << 20
        // Two 4 MiB blocks made once (one compressible, one noise), each
        // piece a copy of one of them stamped with its offset.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let noise: [UInt8] = (0..<Int(piece)).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 56)
        }
        let runs: [UInt8] = (0..<Int(piece)).map { UInt8(truncatingIfNeeded: $0 / 256) }
        let pieces = stride(from: UInt64(0), to: bytes, by: Int(piece)).lazy.map { start -> [UInt8] in
            var out = Array((start / piece % 2 == 0 ? runs : noise)[0..<Int(min(piece, bytes - start))])
            for k in 0..<min(8, out.count) { out[k] = UInt8(truncatingIfNeeded: start >> (8 * UInt64(k))) }
            return out
        }
        let meta = SnapshotMetadata(index: 10, term: 1, membership: Membership([
            Member(raftID: 1, name: "manager-1", address: "10.0.0.1:2377", role: .voter, addedAtIndex: 1),
        ]))
        try log.saveSnapshot(meta, chunks: pieces)
        return "snap-" + String(repeating: "0", count: 15) + "a-" + String(repeating: "0", count: 15) + "1.snap"
    }
}
