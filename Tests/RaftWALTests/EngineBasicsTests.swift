import Foundation
import Testing
import RaftWAL

@Suite("Engine basics")
struct EngineBasicsTests {
    @Test func newLogIsEmptyAndHasAnIdentity() throws {
        let dir = TempDir()
        var options = testOptions()
        options.memberID = 42
        let log = try RaftLog.open(directory: dir.path, options: options)
        #expect(log.firstIndex == 1)
        #expect(log.lastIndex == 0)
        #expect(log.hardState == .empty)
        #expect(log.identity.memberID == 42)
        #expect(log.identity.epoch == 1)
        #expect(try log.term(0) == 0)
        log.close()
    }

    @Test func appendedEntriesReadBackAfterReopen() throws {
        let dir = TempDir()
        let written = makeEntries(1...100, term: 1) + makeEntries(101...150, term: 2)
        do {
            let log = try RaftLog.open(directory: dir.path, options: testOptions())
            try log.append(Array(written[0..<60]), hardState: HardState(term: 1, vote: 1, commit: 10))
            try log.append(Array(written[60...]), hardState: HardState(term: 2, vote: 1, commit: 120))
            #expect(try log.entries(1, 151) == written)
            log.close()
        }
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.lastIndex == 150)
        #expect(log.hardState == HardState(term: 2, vote: 1, commit: 120))
        #expect(try log.entries(1, 151) == written)
        #expect(try log.term(100) == 1)
        #expect(try log.term(101) == 2)
        #expect(try log.entries(10, 20).map(\.index) == Array(10..<20))
    }

    @Test func conflictingAppendReplacesTheSuffixAcrossReopen() throws {
        let dir = TempDir()
        do {
            let log = try RaftLog.open(directory: dir.path, options: testOptions())
            try log.append(makeEntries(1...10, term: 1))
            try log.append(makeEntries(6...8, term: 2))
            #expect(log.lastIndex == 8)
            log.close()
        }
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(log.lastIndex == 8)
        #expect(try log.entries(1, 9) == makeEntries(1...5, term: 1) + makeEntries(6...8, term: 2))
        #expect(throws: WALError.unavailable(requested: 9, lastIndex: 8)) { try log.entries(1, 10) }
    }

    @Test func segmentsRollOverAndSealedSegmentsReadBack() throws {
        let dir = TempDir()
        let entries = makeEntries(1...2000, term: 3, size: 300)
        do {
            var options = testOptions(segmentSize: 64 << 10)
            options.compression = false
            let log = try RaftLog.open(directory: dir.path, options: options)
            for chunk in stride(from: 0, to: entries.count, by: 50) {
                try log.append(Array(entries[chunk..<min(chunk + 50, entries.count)]))
            }
            log.close()
        }
        #expect(dir.names().filter { $0.hasSuffix(".seg") }.count > 5)
        let log = try RaftLog.open(directory: dir.path, options: testOptions(segmentSize: 64 << 10))
        #expect(log.recoveryReport.unsealedSegments.isEmpty)
        #expect(try log.entries(1, 2001) == entries)
        // A conflicting append that reaches back into a sealed segment.
        try log.append(makeEntries(150...160, term: 4, size: 300))
        #expect(log.lastIndex == 160)
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: testOptions(segmentSize: 64 << 10))
        #expect(try again.entries(1, 161) == Array(entries[0..<149]) + makeEntries(150...160, term: 4, size: 300))
    }

    @Test func invalidAppendsAreRejectedAndWriteNothing() throws {
        let dir = TempDir()
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...5, term: 2))
        expectError(.invalidArgument(containing: "would leave a gap after the last index 5")) { try log.append(makeEntries(7...8, term: 2)) }
        expectError(.invalidArgument(containing: "has term 1, lower than the term 2 of entry 5")) { try log.append(makeEntries(6...6, term: 1)) }
        expectError(.invalidArgument(containing: "commit 9 is beyond the last index 5")) {
            try log.append([], hardState: HardState(term: 2, vote: 0, commit: 9))
        }
        #expect(log.lastIndex == 5)
    }

    @Test func snapshotCompactsAndSurvivesReopen() throws {
        let dir = TempDir()
        var options = testOptions(segmentSize: 32 << 10)
        options.compression = false
        let members = Membership([Member(raftID: 1, name: "a", address: "10.0.0.1:2377", role: .voter, addedAtIndex: 1)])
        do {
            let log = try RaftLog.open(directory: dir.path, options: options)
            for start in stride(from: UInt64(1), through: 1000, by: 100) {
                try log.append(makeEntries(start...(start + 99), term: 1, size: 200), hardState: HardState(term: 1, vote: 1, commit: start + 99))
            }
            try log.saveSnapshot(Snapshot(index: 800, term: 1, membership: members, data: Array("state".utf8)))
            #expect(log.firstIndex > 1)
            #expect(log.firstIndex <= 801)
            log.close()
        }
        let log = try RaftLog.open(directory: dir.path, options: options)
        #expect(log.snapshotMetadata?.index == 800)
        #expect(try log.latestSnapshot()?.data == Array("state".utf8))
        #expect(try log.entries(801, 1001) == makeEntries(801...1000, term: 1, size: 200))
        #expect(throws: WALError.compacted(requested: 1, firstIndex: log.firstIndex)) { try log.entries(1, 2) }
        #expect(try log.membership() == members)
    }

    @Test func snapshotBeyondTheLogRestartsIt() throws {
        let dir = TempDir()
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.append(makeEntries(1...10, term: 1))
        try log.saveSnapshot(Snapshot(index: 50, term: 3, membership: Membership(), data: [1, 2, 3]))
        #expect(log.firstIndex == 51)
        #expect(log.lastIndex == 50)
        #expect(try log.term(50) == 3)
        try log.append(makeEntries(51...55, term: 3))
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(again.firstIndex == 51)
        #expect(try again.entries(51, 56) == makeEntries(51...55, term: 3))
    }

    @Test func secondWriterIsRefusedNamingTheHolder() throws {
        let dir = TempDir()
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect {
            _ = try RaftLog.open(directory: dir.path, options: testOptions())
        } throws: { error in
            guard case WALError.locked(_, let by) = error else { return false }
            return by.contains("pid=")
        }
        // A reader opens while the writer runs.
        let reader = try RaftLog.open(directory: dir.path, options: .readOnly)
        #expect(reader.lastIndex == 0)
        log.close()
    }

    /// The owner is written in place at a fixed width (no ftruncate on each
    /// writable open): a longer leftover is cut to that width, a second
    /// writer still reads the holder from the first line, and the file's
    /// size is the same from one writer to the next.
    @Test func theLockOwnerIsOverwrittenInPlaceAtAFixedWidth() throws {
        let dir = TempDir()
        let lockPath = dir.file("LOCK")
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: lockPath, contents: Data(("pid=1 host=old\n" + String(repeating: "x", count: 600)).utf8)))
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        let first = try #require(FileManager.default.contents(atPath: lockPath))
        #expect(first.count == 128)
        let line = String(decoding: first, as: UTF8.self).split(separator: "\n").first.map(String.init)
        #expect(line?.hasPrefix("pid=\(getpid()) host=") == true)
        #expect(first.suffix(from: first.firstIndex(of: UInt8(ascii: "\n"))! + 1).allSatisfy { $0 == UInt8(ascii: " ") })
        #expect {
            _ = try RaftLog.open(directory: dir.path, options: testOptions())
        } throws: { error in
            guard case WALError.locked(_, let by) = error else { return false }
            return by == line
        }
        log.close()
        let again = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(FileManager.default.contents(atPath: lockPath)?.count == 128)
        again.close()
    }
}
