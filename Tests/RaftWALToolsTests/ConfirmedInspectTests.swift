import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

/// Row A1 in `raft-inspect`: the analyzer asks the engine's `AckMarkerCheck`
/// with the segments as it read them, and must agree with the engine's open.
@Suite("Confirmed mode: the inspector agrees with the engine")
struct ConfirmedInspectTests {
    static func options() -> LogOptions {
        var o = inspectTestOptions()
        o.sync = .durable
        o.confirmAppends = true
        o.leavesTailHint = false
        return o
    }

    static func labels(_ dir: String) throws -> Set<String> {
        let analysis = try Analyzer(directory: dir).run()
        return Set(analysis.findings.compactMap { $0.label?.rawValue })
    }

    /// Found by CI's confirmed crash states (seed 20261130): a writable open
    /// of a new log confirms its tail at the end of the segment header; the
    /// inspector took a segment without records to end at offset 0 and
    /// reported A1 on a healthy directory.
    @Test func aConfirmedLogWithoutRecordsIsHealthyToTheInspector() throws {
        let dir = NSTemporaryDirectory() + "confirmed-empty-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RaftLog.open(directory: dir, options: Self.options()).close()
        #expect(AckMarker.read(directory: dir, fs: POSIXFileSystem()).marker?.endOffset == UInt64(Layout.segmentHeaderBytes))
        #expect(try Self.labels(dir).isEmpty)
        let analysis = try Analyzer(directory: dir).run()
        #expect(analysis.damage.isEmpty, "\(analysis.damage.map(\.line))")
    }

    @Test func aLostLastRecordIsA1ToTheInspectorAtTheEnginesFileAndOffset() throws {
        let dir = NSTemporaryDirectory() + "confirmed-lost-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try RaftLog.open(directory: dir, options: Self.options())
        try log.append(inspectEntries(1...3, term: 1))
        try log.append(inspectEntries(4...5, term: 1))
        log.close()
        let tail = try #require(try DirectoryListing(directory: dir).segments.last).name
        let last = try #require(try Damage.records(directory: dir, segment: tail).last { $0.type == .batch })
        try Damage.zero(dir + "/" + tail, range: last.offset..<(last.offset + UInt64(last.recordBytes)))
        var engineError: WALError?
        do { try RaftLog.open(directory: dir, options: .readOnly).close() } catch { engineError = error }
        guard case let .corrupted(file, offset, indexes, _, label)? = engineError else {
            Issue.record("the engine opened a directory that lost an acknowledged record")
            return
        }
        #expect(label == .acknowledgedMissing)
        #expect(indexes == 4...5)
        let analysis = try Analyzer(directory: dir).run()
        let finding = try #require(analysis.damage.first { $0.label == .acknowledgedMissing })
        #expect(finding.file == file)
        #expect(finding.offset == offset)
        #expect(finding.indexes == indexes)
    }
}
