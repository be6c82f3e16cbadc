import Foundation
import Testing
@testable import RaftWAL
import RaftWALTesting

/// The metadata file `META` (`docs/FORMAT.md` §8.3): a state machine's
/// applied index and other small values, replaced atomically and durably.
@Suite("Metadata and the applied index")
struct MetadataTests {
    @Test func metadataAndTheAppliedIndexSurviveAReopen() throws {
        let dir = TempDir("meta")
        var log = try RaftLog.open(directory: dir.path, options: testOptions())
        #expect(try log.metadata() == [:])
        #expect(try log.appliedIndex() == nil)
        try log.setMetadata(["app.version": [1, 2], "app.empty": []])
        try log.setAppliedIndex(0x0102_0304_0506_0708)
        log.close()
        log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.recoveryReport.ignoredFiles.isEmpty, "META is part of the format")
        #expect(try log.appliedIndex() == 0x0102_0304_0506_0708)
        #expect(try log.metadata()["app.version"] == [1, 2])
        #expect(try log.metadata()["app.empty"] == [])
        // setMetadata replaces the whole map.
        try log.setMetadata(["only": [9]])
        #expect(try log.metadata() == ["only": [9]])
        #expect(try log.appliedIndex() == nil)
        #expect(try DirectoryListing(directory: dir.path).others.isEmpty)
    }

    @Test func metadataThatDoesNotFitIsRefusedAndNothingIsWritten() throws {
        let dir = TempDir("meta-bad")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        defer { log.close() }
        try log.setAppliedIndex(7)
        let before = FileManager.default.contents(atPath: dir.file("META"))
        expectError(.invalidArgument(containing: "empty")) { try log.setMetadata(["": [1]]) }
        expectError(.invalidArgument(containing: "exceeds")) { try log.setMetadata(["a": [UInt8](repeating: 1, count: 600_000), "b": [UInt8](repeating: 2, count: 600_000)]) }
        #expect(FileManager.default.contents(atPath: dir.file("META")) == before)
        #expect(try log.appliedIndex() == 7)
    }

    @Test func aReadOnlyLogReadsButDoesNotWriteMetadata() throws {
        let dir = TempDir("meta-ro")
        do {
            let log = try RaftLog.open(directory: dir.path, options: testOptions())
            try log.setAppliedIndex(42)
            log.close()
        }
        let reader = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { reader.close() }
        #expect(try reader.appliedIndex() == 42)
        #expect(throws: WALError.readOnly) { try reader.setAppliedIndex(43) }
    }

    /// A flipped bit anywhere in META is damage naming the file and an
    /// offset; the log itself still opens (the state machine decides).
    @Test(arguments: [0, 9, 12, 20, -1])
    func aDamagedMetadataFileIsCorruptionNamingTheFile(flip: Int) throws {
        let dir = TempDir("meta-damage")
        do {
            let log = try RaftLog.open(directory: dir.path, options: testOptions())
            try log.setMetadata(["k": [1, 2, 3], "raftwal.applied-index": [5, 0, 0, 0, 0, 0, 0, 0]])
            log.close()
        }
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir.file("META"))))
        bytes[flip >= 0 ? flip : bytes.count - 1] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("META")))
        let log = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { log.close() }
        do {
            _ = try log.metadata()
            Issue.record("damage went unnoticed")
        } catch {
            guard case let .corrupted(file, offset, _, _, _) = error else { Issue.record("got \(error)"); return }
            #expect(file == "META")
            #expect(offset != nil)
        }
    }

    /// The process dies at every operation of a metadata write: after the
    /// crash the metadata is the previous one or the new one, never damaged;
    /// an acknowledged write stays.
    @Test func aMetadataWriteIsAtomicAtEveryKillPoint() throws {
        let base = SimFileSystem(seed: 5)
        var options = CrashTests.options(base)
        do {
            let log = try RaftLog.open(directory: "/data", options: options)
            try log.append(makeEntries(1...5, term: 1), hardState: HardState(term: 1, vote: 1, commit: 5))
            try log.setAppliedIndex(3)
            log.close()
        }
        var outcomes: Set<UInt64> = []
        for killAt in 0..<8 {
            let fs = base.copy()
            options.fileSystem = fs
            let log = try RaftLog.open(directory: "/data", options: options)
            fs.kill(afterOperations: killAt)
            let acknowledged = (try? log.setAppliedIndex(5)) != nil
            fs.crash()
            let reopened = try RaftLog.open(directory: "/data", options: options)
            let applied = try #require(try reopened.appliedIndex(), "kill at \(killAt)")
            if acknowledged { #expect(applied == 5, "kill at \(killAt)") }
            #expect(applied == 3 || applied == 5, "kill at \(killAt)")
            #expect(reopened.lastIndex == 5)
            outcomes.insert(applied)
            reopened.close()
        }
        #expect(outcomes == [3, 5], "both outcomes are reachable")
    }

    /// The worked example of `docs/FORMAT.md` §8.3, byte for byte.
    @Test func theMetadataFileIsTheSpecsWorkedExample() throws {
        let dir = TempDir("meta-example")
        let log = try RaftLog.open(directory: dir.path, options: testOptions())
        try log.setAppliedIndex(215)
        log.close()
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir.file("META"))))
        #expect(bytes.map { String(format: "%02x", $0) }.joined() == MetadataTests.example)
        guard FormatSpecTests.pythonAvailable else { return }
        let (status, _) = try FormatSpecTests.runReader(path: dir.path)
        #expect(status == 0)
    }

    static let example = "5257414c4d455441" + "0100" + "0000" + "01000000" + "1500" + Array("raftwal.applied-index".utf8).map { String(format: "%02x", $0) }.joined()
        + "08000000" + "d700000000000000" + "41b1c1d7"
}
