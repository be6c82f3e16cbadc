import Foundation
import Testing
@testable import RaftWAL
import RaftWALTesting

/// The tail hint `TAIL` (`docs/FORMAT.md` §8.4, `docs/RECOVERY.md`, "The
/// tail hint"): a clean close leaves the tail's rows so the next open skips
/// the tail scan; a hint that does not describe the tail on disk exactly is
/// never used, and whatever it says, no record is lost or invented.
@Suite("Tail hint")
struct TailHintTests {
    /// 1 MiB segments: a truncate-mode open after damage tries every aligned
    /// offset of the rest of the segment (what a cut drops), slow in debug for 64 MiB.
    static let options = testOptions(segmentSize: 1 << 20)

    /// Appends `range` in batches of 10, term 1, with a hard state committing it.
    func append(_ log: RaftLog, _ range: ClosedRange<UInt64>) throws {
        var i = range.lowerBound
        while i <= range.upperBound {
            let hi = min(i + 9, range.upperBound)
            try log.append(makeEntries(i...hi, term: 1), hardState: HardState(term: 1, vote: 1, commit: hi))
            i = hi + 1
        }
    }

    /// Every entry 1...last reads back as written, and nothing beyond it exists.
    func expectIntact(_ log: RaftLog, last: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(log.lastIndex == last, sourceLocation: sourceLocation)
        #expect(try log.entries(1, last + 1) == makeEntries(1...last, term: 1), sourceLocation: sourceLocation)
        #expect(log.hardState.commit == last, sourceLocation: sourceLocation)
    }

    func tailSegment(_ dir: TempDir) throws -> (name: String, firstIndex: UInt64) {
        let s = try #require(try DirectoryListing(directory: dir.path).segments.last)
        return (s.name, s.firstIndex)
    }

    func readHint(_ dir: TempDir) throws -> TailHint {
        let bytes = try #require(FileManager.default.contents(atPath: dir.file(TailHint.fileName)))
        return try TailHint.decode(Array(bytes), firstIndex: try tailSegment(dir).firstIndex).get()
    }

    func writeHint(_ dir: TempDir, _ bytes: [UInt8]) {
        #expect(FileManager.default.createFile(atPath: dir.file(TailHint.fileName), contents: Data(bytes)))
    }

    /// Opens `dir` and expects its hint rejected for a reason containing
    /// `reason`, every entry 1...last intact, and the hint file removed by a
    /// writable open (before any write: a rejected hint is never left for a
    /// later open) or left as it was by a read-only one.
    @discardableResult
    func expectRejected(_ dir: TempDir, containing reason: String, options: LogOptions = .readOnly, last: UInt64,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> RecoveryReport {
        let hintPath = dir.file(TailHint.fileName)
        let before = FileManager.default.contents(atPath: hintPath)
        #expect(before != nil, "no hint to reject", sourceLocation: sourceLocation)
        let log = try RaftLog.open(directory: dir.path, options: options)
        defer { log.close() }
        let why = log.recoveryReport.tailHint.rejectionReason
        #expect(why?.contains(reason) == true, "tail hint: \(log.recoveryReport.tailHint)", sourceLocation: sourceLocation)
        if options.access == .readOnly {
            #expect(FileManager.default.contents(atPath: hintPath) == before, "a read-only open leaves the hint", sourceLocation: sourceLocation)
        } else {
            #expect(!FileManager.default.fileExists(atPath: hintPath), "a writable open removes a rejected hint", sourceLocation: sourceLocation)
        }
        try expectIntact(log, last: last, sourceLocation: sourceLocation)
        return log.recoveryReport
    }

    /// A log of 20 entries closed cleanly, then 512 bytes of garbage 4 KiB
    /// after its hint's end: a torn write of a later session's crash.
    func closedLogTornAfterItsHint(_ dir: TempDir) throws {
        try closedLog(dir, last: 20)
        let hint = try readHint(dir)
        let h = try #require(FileHandle(forWritingAtPath: dir.file(try tailSegment(dir).name)))
        h.seek(toFileOffset: hint.endOffset + 4096)
        h.write(Data(repeating: 0xA5, count: 512))
        h.closeFile()
    }

    /// A log of `last` entries, closed cleanly (so it has a hint).
    func closedLog(_ dir: TempDir, last: UInt64) throws {
        let log = try RaftLog.open(directory: dir.path, options: Self.options)
        try append(log, 1...last)
        log.close()
        #expect(FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)))
    }

    @Test func aCleanCloseLeavesAHintTheNextWriterUsesAndRemovesBeforeItsFirstWrite() throws {
        let dir = TempDir("tail-hint")
        try closedLog(dir, last: 50)
        let written = FileManager.default.contents(atPath: dir.file(TailHint.fileName))
        var log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .used)
        #expect(log.recoveryReport.labels == [.clean])
        #expect(log.recoveryReport.ignoredFiles.isEmpty, "TAIL is part of the format")
        try expectIntact(log, last: 50)
        log.close()
        #expect(FileManager.default.contents(atPath: dir.file(TailHint.fileName)) == written, "a session that wrote nothing keeps it")
        log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .used)
        try append(log, 51...51)
        #expect(!FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)), "removed before the session's first write")
        try append(log, 52...60)
        log.close()
        log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .used)
        try expectIntact(log, last: 60)
        log.close()
        // The scan reaches the same log without the hint.
        try FileManager.default.removeItem(atPath: dir.file(TailHint.fileName))
        log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .absent)
        try expectIntact(log, last: 60)
        log.close()
    }

    @Test func aReadOnlyOpenUsesTheHintAndLeavesItInPlace() throws {
        let dir = TempDir("tail-hint-ro")
        try closedLog(dir, last: 30)
        let before = FileManager.default.contents(atPath: dir.file(TailHint.fileName))
        let log = try RaftLog.open(directory: dir.path, options: .readOnly)
        #expect(log.recoveryReport.tailHint == .used)
        try expectIntact(log, last: 30)
        log.close()
        #expect(FileManager.default.contents(atPath: dir.file(TailHint.fileName)) == before)
    }

    @Test func aStaleHintIsRejectedAndTheRecordsWrittenAfterItAreKept() throws {
        let dir = TempDir("tail-hint-stale")
        try closedLog(dir, last: 20)
        let stale = try #require(FileManager.default.contents(atPath: dir.file(TailHint.fileName)))
        let log = try RaftLog.open(directory: dir.path, options: Self.options)
        try append(log, 21...40)
        log.close()
        writeHint(dir, Array(stale))   // as if the removal at open had been lost
        try expectRejected(dir, containing: "not zero", last: 40)   // read-only: left in place
        let report = try expectRejected(dir, containing: "not zero", options: Self.options, last: 40)   // writable: removed
        #expect(report.labels == [.clean])
    }

    @Test func aHintPastTheEndOfTheRecordsIsRejected() throws {
        let dir = TempDir("tail-hint-past")
        try closedLog(dir, last: 20)
        let original = try readHint(dir)
        var hint = original
        // The last row made longer, into the zeros: its record no longer matches.
        hint.rows[hint.rows.count - 1].recordBytes += 64
        hint.endOffset += 64
        writeHint(dir, hint.encoded())
        try expectRejected(dir, containing: "does not verify or does not match", last: 20)
        // An end beyond the file.
        hint = original
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir.file(try tailSegment(dir).name))[.size] as? UInt64)
        hint.rows.append(BatchRef(offset: hint.endOffset, firstIndex: 21, entryCount: 1, recordBytes: Int(size - hint.endOffset + 64), type: .batch))
        hint.endOffset = size + 64
        hint.shape.lastIndex = 21
        writeHint(dir, hint.encoded())
        try expectRejected(dir, containing: "outside the file", last: 20)
    }

    @Test func aHintIntoTheMiddleOfARecordIsRejected() throws {
        let dir = TempDir("tail-hint-inside")
        try closedLog(dir, last: 20)
        var hint = try readHint(dir)
        // The last record's row split in two: the second points into its body.
        var last = hint.rows.removeLast()
        let head = BatchRef(offset: last.offset, firstIndex: last.firstIndex, entryCount: 1, recordBytes: 64, type: .batch)
        last.offset += 64
        last.recordBytes -= 64
        hint.rows += [head, last]
        writeHint(dir, hint.encoded())
        try expectRejected(dir, containing: "does not verify", options: Self.options, last: 20)
    }

    @Test func garbageAfterTheHintsEndIsScannedAsATornTail() throws {
        let dir = TempDir("tail-hint-garbage")
        try closedLogTornAfterItsHint(dir)
        let report = try expectRejected(dir, containing: "not zero", options: Self.options, last: 20)
        #expect(report.labels.contains(.tornTail))
    }

    @Test func aRecordDamagedBeforeTheHintsLastRowFailsItsReadAndTruncateModeScansForIt() throws {
        let dir = TempDir("tail-hint-rot")
        try closedLog(dir, last: 50)
        let hint = try readHint(dir)
        #expect(hint.rows.count == 5)
        try Damage.flipBit(dir.file(try tailSegment(dir).name), offset: hint.rows[1].offset + 48, bit: 3)
        // Strict: the hint verifies (its last record and the zeros after it),
        // and the damaged record is found when read, as in a sealed segment.
        var log = try RaftLog.open(directory: dir.path, options: .readOnly)
        #expect(log.recoveryReport.tailHint == .used)
        #expect(try log.entries(1, 11) == makeEntries(1...10, term: 1))
        expectError(.corrupted(containing: "checksum")) { _ = try log.entries(11, 21) }
        log.close()
        // Truncate mode (a repair) reads every record and finds it: C1.
        var options = LogOptions.readOnly
        options.recovery = .truncateAtFirstCorruption
        log = try RaftLog.open(directory: dir.path, options: options)
        #expect(log.recoveryReport.tailHint == .notConsulted)
        #expect(log.recoveryReport.labels.contains(.corruptRecord))
        #expect(log.lastIndex == 10)
        log.close()
    }

    @Test func aDamagedHintOrOneOfAnotherSegmentIsRejected() throws {
        let dir = TempDir("tail-hint-damaged")
        try closedLog(dir, last: 20)
        var hint = try readHint(dir)
        var bytes = try #require(FileManager.default.contents(atPath: dir.file(TailHint.fileName)).map(Array.init))
        bytes[bytes.count / 2] ^= 0x10
        writeHint(dir, bytes)
        try expectRejected(dir, containing: "checksum mismatch", last: 20)
        hint.salt &+= 1
        writeHint(dir, hint.encoded())
        try expectRejected(dir, containing: "another segment", last: 20)
    }

    /// A hint larger than an open reads is never written (it could never be
    /// used), and one on disk over the bound is refused: one bound, both sides.
    @Test func aHintLargerThanTheReadersBoundIsNeitherWrittenNorRead() throws {
        let dir = TempDir("tail-hint-bound")
        try closedLog(dir, last: 40)
        let size = UInt64(try #require(FileManager.default.contents(atPath: dir.file(TailHint.fileName))).count)
        var bounded = Self.options
        bounded.tailHintMaxBytes = size - 1
        var log = try RaftLog.open(directory: dir.path, options: bounded)
        #expect(log.recoveryReport.tailHint.rejectionReason?.contains("more than \(size - 1)") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)), "a refused hint is removed")
        try expectIntact(log, last: 40)
        try append(log, 41...50)
        log.close()
        #expect(!FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)), "over the bound: not written")
        log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .absent)
        try expectIntact(log, last: 50)
        log.close()
        #expect(FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)), "within the bound: written")
    }

    /// Only a regular file named `TAIL` is the hint: a directory or a FIFO of
    /// that name is an unknown file, left alone by a writable open (unlinking
    /// a directory fails, and opening a FIFO blocks).
    @Test(.timeLimit(.minutes(1)), arguments: ["directory", "fifo"])
    func aTailThatIsNotARegularFileIsLeftAloneByAWritableOpen(kind: String) throws {
        let dir = TempDir("tail-hint-kind")
        try closedLog(dir, last: 20)
        let path = dir.file(TailHint.fileName)
        try FileManager.default.removeItem(atPath: path)
        if kind == "directory" {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } else {
            #expect(mkfifo(path, 0o644) == 0)
        }
        let log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.tailHint == .absent, "a directory or FIFO named TAIL is no hint")
        #expect(log.recoveryReport.ignoredFiles.contains(TailHint.fileName))
        try expectIntact(log, last: 20)
        try append(log, 21...30)
        log.close()
        #expect(POSIXFileSystem().fileKind(path) == (kind == "directory" ? .directory : .fifo), "left in place")
    }

    /// A writer removes a hint it did not use before it writes anything
    /// (FORMAT.md §8.4): an open whose repair (zeroing a torn tail) fails
    /// has already removed it.
    @Test func anUnusedHintIsRemovedBeforeTheOpensRepairsWrite() throws {
        let dir = TempDir("tail-hint-order")
        try closedLogTornAfterItsHint(dir)
        var hooks = HookedFileSystem.Hooks()
        hooks.write = { (_, _) throws(WALError) in throw .io(errno: EIO, operation: "write", path: "hooked") }
        var options = Self.options
        options.fileSystem = HookedFileSystem(hooks: hooks)
        #expect(throws: WALError.self) { try RaftLog.open(directory: dir.path, options: options) }
        #expect(!FileManager.default.fileExists(atPath: dir.file(TailHint.fileName)), "removed before the repair wrote")
        let log = try RaftLog.open(directory: dir.path, options: Self.options)
        #expect(log.recoveryReport.labels.contains(.tornTail))
        try expectIntact(log, last: 20)
        log.close()
    }
}
