import Foundation
import Testing
@testable import RaftWAL
import RaftWALTesting

/// Streamed snapshots: written from pieces (a sequence, an async sequence,
/// a file) into a chunked version-2 file, read back chunk by chunk with
/// every chunk verified and the totals checked at the end.
@Suite("Streaming snapshots")
struct SnapshotStreamTests {
    static let members = Membership([Member(raftID: 1, name: "manager-1", address: "10.0.0.1:2377", role: .voter, addedAtIndex: 1)])

    static func data(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        // Half compressible runs, half noise: some chunks go LZ4, some raw.
        return (0..<count).map { i in (i / 5000) % 2 == 0 ? UInt8(truncatingIfNeeded: i / 64) : UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func options(chunk: Int = 4096) -> LogOptions {
        var o = testOptions()
        o.snapshotChunkBytes = chunk
        return o
    }

    static func pieces(_ data: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: data.count, by: size).map { Array(data[$0..<min($0 + size, data.count)]) }
    }

    /// latestSnapshot() falls back to an older snapshot only when the newest
    /// is damaged; one refused for its size (too large for memory) is an
    /// error, or the caller would get a snapshot whose entries may be gone.
    @Test func onlyDamageMakesTheNewestSnapshotFallBackToAnOlderOne() throws {
        let dir = TempDir("snapshot-fallback")
        var o = Self.options()
        o.snapshotRetention = 2
        o.compactionKeepEntries = 100
        let log = try RaftLog.open(directory: dir.path, options: o)
        defer { log.close() }
        try log.append(makeEntries(1...10, term: 1))
        for index in [5, 10] as [UInt64] {
            try log.saveSnapshot(Snapshot(index: index, term: 1, membership: Self.members, data: Self.data(100)))
        }
        func newest(failingWith failure: WALError) throws(WALError) -> UInt64? {
            try log.newestReadableSnapshot { (catalog, name) throws(WALError) -> UInt64 in
                let snapshot = try catalog.read(name).1
                if snapshot.metadata.index == 10 { throw failure }
                return snapshot.metadata.index
            }
        }
        #expect(try newest(failingWith: .corrupted(file: "x", offset: 0, indexes: nil, reason: "damaged")) == 5)
        #expect(throws: WALError.invalidArgument("too large")) { try newest(failingWith: .invalidArgument("too large")) }
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 100_000])
    func aStreamedSnapshotReadsBackChunkByChunkAndWhole(size: Int) throws {
        let dir = TempDir("snap-stream")
        let payload = Self.data(size)
        var log = try RaftLog.open(directory: dir.path, options: Self.options())
        try log.append(makeEntries(1...10, term: 2), hardState: HardState(term: 2, vote: 1, commit: 8))
        let meta = SnapshotMetadata(index: 8, term: 2, membership: Self.members)
        try log.saveSnapshot(meta, chunks: Self.pieces(payload, size: 777))
        #expect(log.snapshotMetadata == meta)
        log.close()

        log = try RaftLog.open(directory: dir.path, options: Self.options())
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.snapshotMetadata == meta)
        let stream = try #require(try log.latestSnapshotStream())
        #expect(stream.metadata == meta)
        #expect(stream.dataBytes == UInt64(size))
        var chunks: [[UInt8]] = []
        try stream.forEachChunk { chunks.append($0) }
        #expect(chunks.allSatisfy { $0.count <= 4096 && !$0.isEmpty })
        #expect(chunks.count == (size + 4095) / 4096)
        #expect(Array(chunks.joined()) == payload)
        #expect(try log.latestSnapshot() == Snapshot(metadata: meta, data: payload))
        let file = try #require(dir.names().first { $0.hasPrefix("snap-") })
        let header = try #require(FileManager.default.contents(atPath: dir.file(file)))
        #expect(header[8] == 2, "a chunked, version-2 file")
    }

    @Test func anAsyncSequenceOfChunksIsSavedAndStreamedBack() async throws {
        let dir = TempDir("snap-async")
        let payload = Self.data(50_000, seed: 3)
        let log = try RaftLog.open(directory: dir.path, options: Self.options(chunk: 1000))
        defer { log.close() }
        let source = AsyncStream<[UInt8]> { continuation in
            for piece in Self.pieces(payload, size: 3333) { continuation.yield(piece) }
            continuation.finish()
        }
        // Installed from a leader, beyond the log: the log restarts after it.
        try await log.saveSnapshot(SnapshotMetadata(index: 40, term: 3, membership: Self.members), chunks: source)
        #expect(log.firstIndex == 41 && log.lastIndex == 40)
        let stream = try #require(try log.latestSnapshotStream())
        var received: [UInt8] = []
        for try await chunk in stream.chunks { received += chunk }
        #expect(received == payload)
    }

    struct SourceFailed: Error {}

    @Test func aFailingSourceLeavesNothingBehind() async throws {
        let dir = TempDir("snap-fail")
        let log = try RaftLog.open(directory: dir.path, options: Self.options())
        defer { log.close() }
        try log.append(makeEntries(1...5, term: 1), hardState: HardState(term: 1, vote: 1, commit: 5))
        let before = dir.names()
        let source = AsyncThrowingStream<[UInt8], any Error> { continuation in
            continuation.yield(Self.data(10_000))
            continuation.finish(throwing: SourceFailed())
        }
        do {
            try await log.saveSnapshot(SnapshotMetadata(index: 5, term: 1, membership: Self.members), chunks: source)
            Issue.record("a failing source saved a snapshot")
        } catch {
            guard case let .invalidArgument(why) = error else { Issue.record("got \(error)"); return }
            #expect(why.contains("chunk source failed"))
        }
        #expect(dir.names() == before, "the partial file is removed")
        #expect(log.snapshotMetadata == nil)
    }

    @Test func aSnapshotIsSavedFromAFile() throws {
        let dir = TempDir("snap-file")
        let source = TempDir("snap-source")
        try FileManager.default.createDirectory(atPath: source.path, withIntermediateDirectories: true)
        let payload = Self.data(3 * 4096 + 17, seed: 5)
        #expect(FileManager.default.createFile(atPath: source.file("dump"), contents: Data(payload)))
        let log = try RaftLog.open(directory: dir.path, options: Self.options())
        defer { log.close() }
        try log.append(makeEntries(1...5, term: 1), hardState: HardState(term: 1, vote: 1, commit: 5))
        try log.saveSnapshot(SnapshotMetadata(index: 5, term: 1, membership: Self.members), contentsOf: source.file("dump"))
        #expect(try log.latestSnapshot()?.data == payload)
    }

    @Test func aSnapshotThatIsNoLongerValidWhenPublishedIsRefusedAndDiscarded() throws {
        let dir = TempDir("snap-refused")
        let log = try RaftLog.open(directory: dir.path, options: Self.options())
        defer { log.close() }
        try log.append(makeEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 10))
        try log.saveSnapshot(Snapshot(index: 9, term: 1, membership: Self.members, data: [1]))
        let before = dir.names()
        expectError(.invalidArgument(containing: "older than the latest")) {
            try log.saveSnapshot(SnapshotMetadata(index: 5, term: 1, membership: Self.members), chunks: [[1, 2, 3]])
        }
        #expect(dir.names() == before)
    }

    /// Every kind of damage to a version-2 file is found, named with the file
    /// and offset, before the data is declared valid; the inspector and the
    /// Python reader agree (S1: the snapshot is skipped, never deleted).
    @Test(arguments: ["header", "membership", "chunk", "lz4-chunk", "footer", "cut", "dropped-chunk"])
    func damageToAChunkedSnapshotIsFoundBeforeTheDataIsValid(_ damage: String) throws {
        let dir = TempDir("snap-damage")
        var options = Self.options(chunk: 4096)
        options.snapshotRetention = 1
        var log = try RaftLog.open(directory: dir.path, options: options)
        try log.append(makeEntries(1...10, term: 2), hardState: HardState(term: 2, vote: 1, commit: 10))
        try log.saveSnapshot(SnapshotMetadata(index: 10, term: 2, membership: Self.members), chunks: [Self.data(20_000)])
        log.close()
        let name = try #require(dir.names().first { $0.hasPrefix("snap-") })
        let path = dir.file(name)
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        let membershipEnd = 96 + Int(bytes[64]) + Int(bytes[65]) << 8
        // The chunk layout: walk the chunk headers.
        var chunkOffsets: [Int] = []
        var o = membershipEnd
        while o < bytes.count - 40 {
            chunkOffsets.append(o)
            let stored = Int(bytes[o + 8]) | Int(bytes[o + 9]) << 8 | Int(bytes[o + 10]) << 16
            o += 16 + stored
        }
        #expect(chunkOffsets.count == 5)
        switch damage {
        case "header": bytes[50] ^= 1
        case "membership": bytes[membershipEnd - 1] ^= 1
        case "chunk": bytes[chunkOffsets[1] + 20] ^= 1
        case "lz4-chunk": bytes[chunkOffsets[0] + 16] ^= 0x40  // the first chunk is compressible
        case "footer": bytes[bytes.count - 20] ^= 1
        case "cut": bytes.removeLast(41)
        default:  // a whole chunk removed: every remaining chunk verifies, the totals do not
            bytes.removeSubrange(chunkOffsets[2]..<chunkOffsets[3])
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        log = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { log.close() }
        #expect(log.recoveryReport.labels.contains(.damagedSnapshot))
        #expect(log.snapshotMetadata == nil)
        let problem = try #require(log.recoveryReport.damagedSnapshots.first?.problem)
        guard case let .corrupted(file, offset, _, _, _) = problem else { Issue.record("got \(problem)"); return }
        #expect(file == name)
        #expect(offset != nil)
        if damage == "dropped-chunk" {
            // The streaming reader hands out the chunks before the gap and
            // fails at the end, on the totals.
            let reader = try SnapshotReader(fs: POSIXFileSystem(), directory: dir.path, name: name)
            #expect(throws: WALError.self) { try reader.verifyAll() }
        }
        guard FormatSpecTests.pythonAvailable else { return }
        let (_, report) = try FormatSpecTests.runReader(path: dir.path)
        #expect(report.labels.contains(RecoveryLabel.damagedSnapshot.rawValue), "python: \(report.labels)")
    }

    /// The independent Python reader reads a chunked snapshot's data exactly.
    @Test(.enabled(if: FormatSpecTests.pythonAvailable, "python3 is not installed: the independent reader cannot run"))
    func pythonReaderReadsAChunkedSnapshotAsTheEngine() throws {
        let dir = TempDir("snap-python")
        let log = try RaftLog.open(directory: dir.path, options: Self.options(chunk: 3000))
        try log.append(makeEntries(1...10, term: 2), hardState: HardState(term: 2, vote: 1, commit: 10))
        let payload = Self.data(20_000, seed: 9)
        try log.saveSnapshot(SnapshotMetadata(index: 10, term: 2, membership: Self.members), chunks: [payload])
        log.close()
        let (status, report) = try FormatSpecTests.runReader(path: dir.path)
        #expect(status == 0)
        #expect(report.snapshot?.index == 10)
        #expect(report.snapshot?.data == payload.map { String(format: "%02x", $0) }.joined())
        let reader = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { reader.close() }
        try FormatSpecTests.expectSameLog(report, reader)
    }

    /// The process dies at every operation of a streamed save: after the
    /// crash the log opens clean with either no snapshot or the whole one,
    /// never a partial file taken for a snapshot; an acknowledged save stays.
    @Test func aStreamedSaveIsAtomicAtEveryKillPoint() throws {
        let base = SimFileSystem(seed: 3)
        var options = CrashTests.options(base)
        options.snapshotChunkBytes = 2048
        do {
            let log = try RaftLog.open(directory: "/data", options: options)
            try log.append(makeEntries(1...20, term: 1, size: 300), hardState: HardState(term: 1, vote: 1, commit: 20))
            log.close()
        }
        let payload = Self.data(10_000, seed: 4)
        let meta = SnapshotMetadata(index: 20, term: 1, membership: Self.members)
        var outcomes: Set<Bool> = []
        for killAt in 0..<24 {
            let fs = base.copy()
            options.fileSystem = fs
            let log = try RaftLog.open(directory: "/data", options: options)
            fs.kill(afterOperations: killAt)
            let acknowledged = (try? log.saveSnapshot(meta, chunks: Self.pieces(payload, size: 1500))) != nil
            fs.crash()
            let reopened = try RaftLog.open(directory: "/data", options: options)
            #expect(reopened.recoveryReport.damagedSnapshots.isEmpty, "kill at \(killAt): \(reopened.recoveryReport)")
            let got = try reopened.latestSnapshot()
            if acknowledged { #expect(got == Snapshot(metadata: meta, data: payload), "kill at \(killAt)") }
            #expect(got == nil || got == Snapshot(metadata: meta, data: payload), "kill at \(killAt)")
            #expect(reopened.lastIndex == 20)
            outcomes.insert(got != nil)
            reopened.close()
        }
        #expect(outcomes == [false, true], "both outcomes are reachable")
    }
}
