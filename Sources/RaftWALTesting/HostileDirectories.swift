import Foundation
@_spi(Benchmarks) import RaftWAL

/// Data directories a disk or a person can produce that are hostile to a
/// reader: checksum-valid but built to amplify memory or time. Used by the
/// hostile-directory tests and by `swift run make-fixtures hostile-batch DIR`
/// (to measure peak memory with `/usr/bin/time -v`, docs/TORTURE.md).
public enum HostileDirectories {
    /// A one-segment log whose only record is one checksum-valid batch of
    /// `count` entries (2^24, the format's limit, by default) of
    /// `entryBytes` zero bytes each, LZ4-compressed: with empty entries the
    /// segment is about 330 KB for 2^24 entries.
    ///
    /// With `committedMembership`, the engine then appends two members' conf
    /// changes after the batch and commits through them, so that
    /// `force-new-cluster` and `truncate` have a member to keep and the
    /// whole batch to copy (or drop), not a refusal before any reading.
    public static func hugeBatch(at directory: String, count: Int = 1 << 24, entryBytes: Int = 0,
                                 committedMembership: Bool = false) throws {
        var options = Fixtures.options()
        options.segmentSizeBytes = 8 << 20
        let log = try RaftLog.open(directory: directory, options: options)
        log.close()
        let name = "0000000000000001-0000000000000001.seg"
        let salt = options.deterministicSalt!(1)
        let record = CodecBenchmarkSupport.encodeUniformBatchRecord(count: count, dataBytes: entryBytes, firstIndex: 1, term: 1,
                                                                    salt: salt, offset: UInt64(Layout.segmentHeaderBytes))
        precondition(record.count < Int(options.segmentSizeBytes) - Layout.segmentHeaderBytes, "record larger than the segment")
        try Damage.write(record, to: directory + "/" + name, at: UInt64(Layout.segmentHeaderBytes))
        guard committedMembership else { return }
        let reopened = try RaftLog.open(directory: directory, options: options)
        defer { reopened.close() }
        let next = UInt64(count) + 1
        try reopened.append([Entry(index: next, term: 1, confChange: ConfChange(type: .addVoter, raftID: 1, name: "m1")),
                             Entry(index: next + 1, term: 1, confChange: ConfChange(type: .addVoter, raftID: 2, name: "m2"))],
                            hardState: HardState(term: 1, vote: 1, commit: next + 1))
    }
}
