import Foundation
import Testing
import RaftWAL
import RaftWALTesting

@Suite("Encodings round-trip and reject bad bytes")
struct CodecRoundTripTests {
    @Test(arguments: ConfChange.ChangeType.allCases)
    func confChangeRoundTrips(_ type: ConfChange.ChangeType) throws {
        let change = ConfChange(type: type, raftID: 0xFEED_FACE_CAFE_BEEF, name: "manager-ü", address: "[::1]:2377")
        #expect(try ConfChange(decoding: change.encoded()) == change)
    }

    @Test func confChangeRejectsTruncatedUnknownAndTrailingBytes() {
        let good = ConfChange(type: .addVoter, raftID: 7, name: "n", address: "a").encoded()
        for bad in [Array(good.dropLast()), good + [0], [9] + good.dropFirst(), [1, 99] + good.dropFirst(2), []] {
            expectError(.foreignConfChange) { _ = try ConfChange(decoding: bad) }
        }
    }

    @Test func membershipRoundTripsSortedByRaftID() throws {
        let m = Membership([
            Member(raftID: 9, name: "c", address: "10.0.0.9:2377", role: .learner, addedAtIndex: 40),
            Member(raftID: 2, name: "a", address: "10.0.0.2:2377", role: .voter, addedAtIndex: 1),
        ])
        #expect(try Membership(decoding: m.encoded()) == m)
        #expect(m.sorted.map(\.raftID) == [2, 9])
        #expect(m.voters.map(\.raftID) == [2])
        #expect(m.learners.map(\.raftID) == [9])
    }

    @Test func membershipReplaysConfChanges() {
        var m = Membership()
        m.apply(ConfChange(type: .addVoter, raftID: 1, name: "a", address: "x"), at: 1)
        m.apply(ConfChange(type: .addLearner, raftID: 2, name: "b", address: "y"), at: 2)
        m.apply(ConfChange(type: .promoteLearner, raftID: 2), at: 3)
        m.apply(ConfChange(type: .addVoter, raftID: 3, name: "c", address: "z"), at: 4)
        m.apply(ConfChange(type: .remove, raftID: 1), at: 5)
        m.apply(ConfChange(type: .remove, raftID: 42), at: 6)  // unknown: no change
        #expect(m.voters.map(\.raftID) == [2, 3])
        #expect(m.members[2]?.addedAtIndex == 2)
    }

    @Test func segmentHeaderRoundTripsAndRejectsEveryFlippedBit() throws {
        let header = SegmentHeader(identity: LogIdentity(clusterID: ClusterID(high: 1, low: 2), memberID: 3, epoch: 4),
                                   seq: 5, firstIndex: 6, salt: 7, hardState: HardState(term: 8, vote: 9, commit: 10),
                                   createdNanos: 11)
        let bytes = header.encoded()
        #expect(bytes.count == Layout.segmentHeaderBytes)
        #expect(try SegmentHeader(decoding: bytes, file: "x") == header)
        for bit in stride(from: 0, to: 128 * 8, by: 7) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            expectError(.corrupted(containing: "segment header: ")) { _ = try SegmentHeader(decoding: damaged, file: "x") }
        }
        expectError(.corrupted(containing: "header is all zeros")) { _ = try SegmentHeader(decoding: [UInt8](repeating: 0, count: 4096), file: "x") }
    }

    @Test func clusterIDPrintsAndParsesAs32HexDigits() {
        let id = ClusterID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(id.description == "0123456789abcdeffedcba9876543210")
        #expect(ClusterID(hex: id.description) == id)
        #expect(ClusterID(hex: "xyz") == nil)
    }

    @Test func fileNamesShowOrderAndFirstIndex() {
        let name = FileNames.segment(seq: 3, firstIndex: 0x1F4)
        #expect(name == "0000000000000003-00000000000001f4.seg")
        #expect(FileNames.parseSegment(name)! == (3, 0x1F4))
        #expect(FileNames.parseSegment("0003-01f4.seg") == nil)
        #expect(FileNames.parseSnapshot(FileNames.snapshot(index: 150, term: 2))! == (150, 2))
    }

    @Test func crc32cMatchesKnownVectorsOnBothPaths() {
        // RFC 3720 test vector: 32 bytes of zeros → 0x8A9136AA; "123456789" → 0xE3069283.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var big = [UInt8](repeating: 0, count: 100_003)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
        #expect(CRC32C.checksum(big) == CRC32C.checksumPortable(big))
    }

    @Test func snapshotRoundTripsCompressedAndRaw() throws {
        let dir = TempDir("snap")
        let members = Fixtures.membership()
        for compression in [true, false] {
            var options = testOptions()
            options.compression = compression
            let log = try RaftLog.open(directory: dir.path + "/\(compression)", options: options)
            let data = Array(String(repeating: "{\"service\":\"web\",\"replicas\":3}", count: 500).utf8)
            try log.append(makeEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 10))
            try log.saveSnapshot(Snapshot(index: 10, term: 1, membership: members, data: data))
            #expect(try log.latestSnapshot() == Snapshot(index: 10, term: 1, membership: members, data: data))
            let info = try SnapshotInspector.list(directory: dir.path + "/\(compression)")
            #expect(info.count == 1)
            #expect(info[0].compressed == compression)
            #expect(info[0].problem == nil)
            log.close()
        }
    }
}

@Suite("Compaction and retention")
struct CompactionTests {
    @Test func retentionKeepsTheNewestValidSnapshotsAndNeverDeletesDamagedOnes() throws {
        let dir = TempDir("retention")
        var options = testOptions()
        options.snapshotRetention = 2
        let log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...100, term: 1), hardState: HardState(term: 1, vote: 1, commit: 100))
        for i in [10, 20, 30, 40] as [UInt64] {
            try log.saveSnapshot(Snapshot(index: i, term: 1, membership: Membership(), data: [UInt8(i)]))
        }
        #expect(dir.names().filter { $0.hasPrefix("snap-") } == [FileNames.snapshot(index: 30, term: 1), FileNames.snapshot(index: 40, term: 1)])
        log.close()
        // Damage the newest: reopening falls back to 30 and keeps the damaged file.
        let newest = dir.file(FileNames.snapshot(index: 40, term: 1))
        try Damage.flipBit(newest, offset: 100)
        let again = try RaftLog.open(directory: dir.path, options: options)
        #expect(again.snapshotMetadata?.index == 30)
        #expect(again.recoveryReport.labels.contains(.damagedSnapshot))
        try again.saveSnapshot(Snapshot(index: 50, term: 1, membership: Membership(), data: [50]))
        try again.saveSnapshot(Snapshot(index: 60, term: 1, membership: Membership(), data: [60]))
        #expect(FileManager.default.fileExists(atPath: newest), "a damaged snapshot is never deleted")
        #expect(!FileManager.default.fileExists(atPath: dir.file(FileNames.snapshot(index: 30, term: 1))))
    }

    @Test func aSnapshotBelowTheFirstHeldIndexIsRefusedInsteadOfEmptyingTheLog() throws {
        let dir = TempDir("oldsnap")
        var options = testOptions(segmentSize: 16 << 10)
        options.compression = false
        let log = try RaftLog.open(directory: dir.path, options: options)
        for start in stride(from: UInt64(1), through: 291, by: 10) {
            try log.append(makeEntries(start...(start + 9), term: 1, size: 200), hardState: HardState(term: 1, vote: 1, commit: start + 9))
        }
        try log.saveSnapshot(Snapshot(index: 250, term: 1, membership: Membership(), data: []))
        let first = log.firstIndex
        #expect(first > 2)
        try? FileManager.default.removeItem(atPath: dir.file(FileNames.snapshot(index: 250, term: 1)))
        try log.saveSnapshot(Snapshot(index: 250, term: 1, membership: Membership(), data: [])) // same index: allowed
        #expect(throws: WALError.invalidArgument("snapshot at 1 is older than the latest at 250")) {
            try log.saveSnapshot(Snapshot(index: 1, term: 1, membership: Membership(), data: []))
        }
        #expect(log.lastIndex == 300)
        #expect(try log.entries(first, 301).count == Int(301 - first))
    }

    @Test func compactionRemovesWholeSegmentsBelowTheSnapshotMinusKeptEntries() throws {
        let dir = TempDir("compact")
        var options = testOptions(segmentSize: 16 << 10)
        options.compression = false
        options.compactionKeepEntries = 50
        let log = try RaftLog.open(directory: dir.path, options: options)
        for start in stride(from: UInt64(1), through: 991, by: 10) {
            try log.append(makeEntries(start...(start + 9), term: 1, size: 200), hardState: HardState(term: 1, vote: 1, commit: start + 9))
        }
        let segmentsBefore = dir.names().filter { $0.hasSuffix(".seg") }.count
        try log.saveSnapshot(Snapshot(index: 600, term: 1, membership: Membership(), data: []))
        let first = log.firstIndex
        #expect(first > 1 && first <= 551, "keeps at least the 50 entries below the snapshot")
        #expect(dir.names().filter { $0.hasSuffix(".seg") }.count < segmentsBefore)
        #expect(try log.entries(first, 1001).count == Int(1001 - first))
        // etcd's Storage.Term(FirstIndex() - 1) keeps working after compaction (log matching needs it).
        #expect(try log.term(first - 1) == 1)
        #expect(throws: WALError.compacted(requested: first - 2, firstIndex: first)) { try log.term(first - 2) }
        #expect(throws: WALError.invalidArgument("compaction through 700 is beyond the latest snapshot (600)")) {
            try log.compact(through: 700)
        }
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: options)
        #expect(again.firstIndex == first)
        #expect(again.recoveryReport.labels == [.clean])
        #expect(try again.term(first - 1) == 1, "the first segment's header keeps the term of first index - 1 across a reopen")
    }
}
