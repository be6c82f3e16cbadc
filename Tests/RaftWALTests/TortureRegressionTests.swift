import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftWAL
import RaftWALTesting

/// Engine bugs found by `raft-torture sim`, each with the seed that found it.
@Suite struct TortureRegressionTests {
    func options(_ fs: SimFileSystem) -> LogOptions {
        var o = LogOptions()
        o.fileSystem = fs
        o.segmentSizeBytes = 64 << 10
        // The simulator's reproducibility hook: besides fixed salts, the
        // writer makes its spare segment inline (not on its own thread), so
        // the file-system operations, and a kill after N of them, replay
        // exactly (`fs.kill(afterOperations:)` below).
        o.deterministicSalt = { seq in 0x9E37_79B9_7F4A_7C15 &* (seq &+ 0x51) }
        return o
    }

    /// Found by `raft-torture sim --seed 1 --iterations 101`: the log's
    /// directory was created with its missing parents, but only the last
    /// parent was synced, so a power loss could drop a new ancestor and every
    /// acknowledged entry under it (the next open created an empty log).
    @Test(arguments: 0..<16 as Range<UInt64>)
    func newDirectoryAndItsNewParentsSurviveAPowerLoss(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        do {
            let log = try RaftLog.open(directory: "/var/lib/raft", options: options(fs))
            try log.append([Entry(index: 1, term: 1, data: [1, 2, 3])], hardState: HardState(term: 1, vote: 1, commit: 1))
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/var/lib/raft", options: options(fs))
        #expect(log.lastIndex == 1)
        #expect(try log.entry(1).data == [1, 2, 3])
    }

    /// Found by `raft-torture sim --seed 2 --iterations 10 --faults`: after
    /// fdatasync failed with EIO the page cache still showed the record the
    /// disk lost; a reopen without a reboot trusted it, acknowledged appends
    /// after it, and after a power loss the open refused the log (zeroed
    /// space followed by valid records) — acknowledged entries unreachable.
    @Test(arguments: 0..<16 as Range<UInt64>)
    func appendsAfterReopeningFromAFailedSyncSurviveAPowerLoss(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        do {
            let log = try RaftLog.open(directory: "/data", options: options(fs))
            try log.append([Entry(index: 1, term: 1, data: [1])])
            fs.failSync()
            expectError(.io(errno: EIO)) { try log.append([Entry(index: 2, term: 1, data: [UInt8](repeating: 2, count: 3000))]) }
            #expect(log.isFailStopped)
            log.close()
        }
        let next: UInt64
        do {
            let log = try RaftLog.open(directory: "/data", options: options(fs))  // same process, no reboot
            next = log.lastIndex + 1
            try log.append([Entry(index: next, term: 1, data: [3])], hardState: HardState(term: 1, vote: 0, commit: next))
            log.close()
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/data", options: options(fs))
        #expect(log.lastIndex == next)
        #expect(try log.entry(next).data == [3])
    }

    /// A log whose first segment is sealed (rolled over), uncompressed, on a simulated disk.
    func rolledOver(_ fs: SimFileSystem) throws -> (first: String, table: UInt64, seal: UInt64) {
        var o = options(fs)
        o.segmentSizeBytes = 16 << 10
        o.compression = false
        let log = try RaftLog.open(directory: "/data", options: o)
        for i in 1...12 as ClosedRange<UInt64> {
            try log.append([Entry(index: i, term: 1, data: [UInt8](repeating: UInt8(i), count: 2000))],
                           hardState: HardState(term: 1, vote: 1, commit: i))
        }
        log.close()
        let first = fs.paths().first { $0.hasSuffix(".seg") }!
        let name = String(first.split(separator: "/").last!)
        let inspector = try SegmentInspector(directory: "/data", name: name, fileSystem: fs)
        defer { inspector.close() }
        var table: UInt64 = 0, seal: UInt64 = 0
        try inspector.scan { (event) throws(WALError) -> Bool in
            if case let .record(info, _) = event {
                if info.type == .batchTable { table = info.offset }
                if info.type == .seal { seal = info.offset }
            }
            return true
        }
        #expect(table > 0 && seal > table, "the first segment is sealed")
        return (first, table, seal)
    }

    func readsBack(_ fs: SimFileSystem) throws {
        var o = options(fs)
        o.segmentSizeBytes = 16 << 10
        let log = try RaftLog.open(directory: "/data", options: o)
        #expect(log.lastIndex == 12)
        let entries = try log.entries(1, 13)
        #expect(entries.map(\.data) == (1...12).map { [UInt8](repeating: UInt8($0), count: 2000) })
    }

    /// Found by `raft-torture sim --seed 5 --iterations 129 --faults` (a pure
    /// crash): the seal's bytes (batch table, seal, trailer) go out in one
    /// write; a crash kept the seal's sector but not the batch table's nor
    /// the trailer. The open called the zeros before a valid record damage
    /// (C1) and refused the log; it is an interrupted seal (T2).
    @Test func sealTornBeforeItsBatchTableIsAnInterruptedSeal() throws {
        let fs = SimFileSystem(seed: 1)
        let (first, table, seal) = try rolledOver(fs)
        let size = UInt64(fs.contents(of: first)!.count)
        try fs.zero(first, range: table..<seal)
        try fs.zero(first, range: (size - 16)..<size)
        try readsBack(fs)
    }

    /// The same torn seal write, but the crash kept the trailer too: the
    /// seal validates, its batch table does not. Every entry must still read.
    @Test func sealTornInItsBatchTableStillReadsEveryEntry() throws {
        let fs = SimFileSystem(seed: 1)
        let (first, table, seal) = try rolledOver(fs)
        try fs.zero(first, range: table..<seal)
        try readsBack(fs)
    }

    /// Found by `raft-torture sim --seed 6215 --iterations 75 --faults
    /// --confirmed` (issue 14, item 8): a new leader's entries too large for
    /// the segment size got a segment of their own, rewriting indexes the log
    /// already held in an older term. Damage destroyed that record (and the
    /// seal after it); the segment then passed for an interrupted seal (T2),
    /// the next one still started at the same first index, and the older
    /// versions came back without a report, in both modes (`ACKED` names the
    /// later segment). The next segment's header records the term of the
    /// entry before it: the mismatch is C6, refused strict, and truncate mode
    /// keeps the log before that segment and reports what it drops.
    @Test func lostRewriteRecordBeforeTheTailIsAnIndexGapNotAnInterruptedSeal() throws {
        let fs = SimFileSystem(seed: 3)
        var o = options(fs)
        o.segmentSizeBytes = 16 << 10
        o.compression = false
        o.confirmAppends = true
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            for i in 1...8 as ClosedRange<UInt64> {
                try log.append([Entry(index: i, term: 1, data: [UInt8](repeating: UInt8(i), count: 1000))],
                               hardState: HardState(term: 1, vote: 1, commit: i > 2 ? i - 2 : 0))
            }
            // A new leader rewrites 7...8 in term 2 with a record larger than a segment.
            try log.append((7...8).map { Entry(index: $0, term: 2, data: [UInt8](repeating: 0xA0, count: 12_000)) },
                           hardState: HardState(term: 2, vote: 2, commit: 6))
            try log.append([Entry(index: 9, term: 2, data: [9])], hardState: HardState(term: 2, vote: 2, commit: 9))
            log.close()
        }
        let segments = fs.paths().filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.count == 3, "the rewrite record has a segment of its own: \(segments)")
        let rewrite = segments[1], next = segments[2]
        try fs.zero(rewrite, range: UInt64(Layout.segmentHeaderBytes)..<UInt64(fs.contents(of: rewrite)!.count))

        var strict = o
        strict.access = .readOnly
        #expect(performing: { _ = try RaftLog.open(directory: "/data", options: strict) }, throws: { error in
            guard case let .corrupted(file, offset, _, reason, label) = error as? WALError else { return false }
            return file.hasSuffix(String(next.split(separator: "/").last!)) && offset == 104 && label == .indexGap
                && reason.contains("index 8 in term 2") && reason.contains("holds 8 in term 1")
        })
        var repair = o
        repair.recovery = .truncateAtFirstCorruption
        do {
            let repaired = try RaftLog.open(directory: "/data", options: repair)
            defer { repaired.close() }
            #expect(repaired.recoveryReport.labels.contains(.indexGap))
            #expect(repaired.recoveryReport.dropped?.indexes == [9...9])
            let term8 = try repaired.term(8)
            #expect(repaired.lastIndex == 8 && term8 == 1, "the log before the damage, as the disk holds it")
            // The dropped segment had persisted a vote in term 2: the cut keeps it, with the kept commit.
            #expect(repaired.recoveryReport.dropped?.keptHardState == HardState(term: 2, vote: 2, commit: 6))
            #expect(repaired.hardState == HardState(term: 2, vote: 2, commit: 6))
        }
        fs.crash()
        var reopen = o
        reopen.access = .readOnly
        let after = try RaftLog.open(directory: "/data", options: reopen)
        #expect(after.recoveryReport.labels == [.clean])
        #expect(after.hardState == HardState(term: 2, vote: 2, commit: 6), "the kept vote is durable")
    }

    /// A truncate-mode cut never lowers the term or forgets the vote a
    /// dropped record had persisted (Raft: at most one vote per term), and
    /// never keeps a newer commit than the kept log holds.
    @Test func cutKeepsTheNewestTermAndVoteOfWhatItDrops() throws {
        let fs = SimFileSystem(seed: 4)
        var o = options(fs)
        o.segmentSizeBytes = 16 << 10
        o.compression = false
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            try log.append((1...3).map { Entry(index: $0, term: 1, data: [UInt8](repeating: 1, count: 100)) },
                           hardState: HardState(term: 1, vote: 1, commit: 2))
            try log.append([Entry(index: 4, term: 1, data: [4])], hardState: HardState(term: 1, vote: 1, commit: 3))
            try log.append([], hardState: HardState(term: 5, vote: 3, commit: 4))  // a vote in term 5
            try log.append([Entry(index: 5, term: 5, data: [5])], hardState: HardState(term: 5, vote: 3, commit: 4))
            log.close()
        }
        let segment = fs.paths().first { $0.hasSuffix(".seg") }!
        let name = String(segment.split(separator: "/").last!)
        let inspector = try SegmentInspector(directory: "/data", name: name, fileSystem: fs)
        var second: UInt64 = 0
        var k = 0
        try inspector.scan { (event) throws(WALError) -> Bool in
            if case let .record(info, _) = event { k += 1; if k == 2 { second = info.offset } }
            return true
        }
        inspector.close()
        try fs.flipBit(segment, offset: second + 40)  // damage followed by valid records: C1
        var repair = o
        repair.recovery = .truncateAtFirstCorruption
        let repaired = try RaftLog.open(directory: "/data", options: repair)
        defer { repaired.close() }
        #expect(repaired.recoveryReport.labels.contains(.corruptRecord))
        #expect(repaired.lastIndex == 3)
        #expect(repaired.hardState == HardState(term: 5, vote: 3, commit: 2))
        #expect(repaired.recoveryReport.dropped?.keptHardState == HardState(term: 5, vote: 3, commit: 2))
    }

    /// The cut keeps only this log's own votes: a foreign segment (C3, another
    /// cluster's file under one of this log's names) and what follows it are
    /// dropped, but their hard states are another member's and never raise
    /// the kept term or vote.
    @Test func cutNeverTakesATermOrVoteFromAnotherLogsSegment() throws {
        let fs = SimFileSystem(seed: 5)
        func write(_ dir: String, cluster: UInt64, term: UInt64, vote: UInt64) throws {
            var o = options(fs)
            o.segmentSizeBytes = 8 << 10
            o.compression = false
            o.clusterID = ClusterID(high: 0x5241_4654, low: cluster)
            let log = try RaftLog.open(directory: dir, options: o)
            for i in 1...12 as ClosedRange<UInt64> {
                try log.append([Entry(index: i, term: term, data: [UInt8](repeating: UInt8(i), count: 1500))],
                               hardState: HardState(term: term, vote: vote, commit: i))
            }
            log.close()
        }
        try write("/data", cluster: 1, term: 1, vote: 1)
        try write("/other", cluster: 2, term: 9, vote: 7)
        let ours = fs.paths().filter { $0.hasPrefix("/data/") && $0.hasSuffix(".seg") }.sorted()
        #expect(ours.count >= 3)
        let name = String(ours[1].split(separator: "/").last!)
        let theirs = try #require(fs.contents(of: "/other/" + name), "both logs roll over at the same indexes")
        try fs.overwrite(ours[1], offset: 0, bytes: theirs)

        var repair = options(fs)
        repair.segmentSizeBytes = 8 << 10
        repair.clusterID = ClusterID(high: 0x5241_4654, low: 1)
        repair.recovery = .truncateAtFirstCorruption
        let repaired = try RaftLog.open(directory: "/data", options: repair)
        defer { repaired.close() }
        #expect(repaired.recoveryReport.labels.contains(.foreignSegment))
        #expect(repaired.hardState.term == 1 && repaired.hardState.vote == 1, "\(repaired.hardState)")
        #expect(repaired.recoveryReport.dropped?.keptHardState == nil)
    }

    /// Found by `raft-torture sim --seed 13 --iterations 756 --faults` (a pure
    /// crash): a snapshot installed beyond the log, a crash before its reset
    /// record; the next open writes the reset (S2), rolling over because the
    /// tail was full. The successor was named after the snapshot's index
    /// instead of the tail's last index, so the open after it found a gap (C6).
    @Test(arguments: 0..<8 as Range<UInt64>)
    func resetWrittenAtOpenIntoANewSegmentKeepsTheLogOpenable(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        var o = options(fs)
        o.segmentSizeBytes = 4096 + 64  // every record after the first rolls over
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            try log.append([Entry(index: 1, term: 1, data: [UInt8](repeating: 1, count: 100))])
            fs.kill(afterOperations: 6)  // the snapshot file is durable, the reset record's segment is not
            expectError(.io(errno: EIO)) {  // the process is killed: every later operation fails
                try log.saveSnapshot(Snapshot(index: 5, term: 2, membership: Membership(), data: [5]))
            }
        }
        fs.crash()
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            #expect(log.recoveryReport.labels.contains(.snapshotAheadOfLog))
            #expect(log.lastIndex == 5)
            try log.append([Entry(index: 6, term: 2, data: [6])], hardState: HardState(term: 2, vote: 0, commit: 6))
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/data", options: o)
        #expect(log.lastIndex == 6 && log.firstIndex == 6)
        #expect(try log.entry(6).data == [6])
    }

    /// Found by `raft-torture sim --seed 90911 --iterations 1090 --faults`
    /// (issue 14, item 10): a snapshot installed beyond the log, ENOSPC while
    /// its reset record rolled over (creating the successor). The reopen on
    /// the still-full disk (S2) wrote the reset again, rolled over again and
    /// failed: the log could not be opened until space was freed. The open
    /// now opens what is there and writes the reset before the next record.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func resetThatDoesNotFitAFullDiskIsWrittenBeforeTheNextAppend(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        var o = options(fs)
        o.segmentSizeBytes = 4096 + 64  // the reset record does not fit the tail: it rolls over
        func isNoSpace(_ error: any Error) -> Bool {
            if case .noSpace = error as? WALError { return true } else { return false }
        }
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            // Room for the snapshot file, not for a segment: neither the spare
            // segment the writer prepares ahead (docs/FORMAT.md §9) nor the
            // successor the reset's roll-over then creates itself.
            fs.capacityBytes = fs.usedBytes + 1024
            try log.append([Entry(index: 1, term: 1, data: [UInt8](repeating: 1, count: 100))])
            #expect(performing: { try log.saveSnapshot(Snapshot(index: 5, term: 2, membership: Membership(), data: [5])) },
                    throws: isNoSpace)
            #expect(log.isFailStopped)
            log.close()
        }
        do {
            // Same process, the disk still full.
            let log = try RaftLog.open(directory: "/data", options: o)
            #expect(log.recoveryReport.labels.contains(.snapshotAheadOfLog))
            #expect(log.lastIndex == 5 && log.firstIndex == 6 && !log.isFailStopped)
            #expect(performing: { try log.append([Entry(index: 6, term: 2, data: [6])]) }, throws: isNoSpace)
            log.close()
        }
        if seed % 2 == 0 {
            // A power loss on the full disk: the snapshot still decides the reset.
            fs.crash()
            let log = try RaftLog.open(directory: "/data", options: o)
            #expect(log.lastIndex == 5 && log.firstIndex == 6)
            log.close()
        }
        fs.capacityBytes = nil
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            #expect(log.lastIndex == 5)
            try log.append([Entry(index: 6, term: 2, data: [6])], hardState: HardState(term: 2, vote: 0, commit: 6))
            #expect(log.lastIndex == 6)
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/data", options: o)
        #expect(log.lastIndex == 6 && log.firstIndex == 6)
        #expect(try log.entry(6).data == [6])
        #expect(log.snapshotMetadata?.index == 5)
    }

    /// The same, without closing: after the deferred open frees no space, an
    /// append on the reopened log once the disk has room writes the reset
    /// first (a gap 2...5 would otherwise be C6 at the next open).
    @Test func appendAfterADeferredResetWritesTheResetFirst() throws {
        let fs = SimFileSystem(seed: 3)
        var o = options(fs)
        o.segmentSizeBytes = 4096 + 64
        do {
            let log = try RaftLog.open(directory: "/data", options: o)
            fs.capacityBytes = fs.usedBytes + 1024  // no room for a spare segment nor a successor
            try log.append([Entry(index: 1, term: 1, data: [UInt8](repeating: 1, count: 100))])
            try? log.saveSnapshot(Snapshot(index: 5, term: 2, membership: Membership(), data: [5]))
            log.close()
        }
        let log = try RaftLog.open(directory: "/data", options: o)
        fs.capacityBytes = nil
        try log.append([Entry(index: 6, term: 2, data: [6])])
        #expect(log.lastIndex == 6)
        log.close()
        fs.crash()
        let reopened = try RaftLog.open(directory: "/data", options: o)
        #expect(reopened.recoveryReport.labels == [.clean])
        #expect(reopened.firstIndex == 6 && reopened.lastIndex == 6)
        #expect(try reopened.entry(6).data == [6])
    }

    /// Found by `raft-torture sim --seed 10 --iterations 93 --faults`: saving
    /// a snapshot failed at the directory fsync after the rename, so its name
    /// was visible but volatile. A reopen without a reboot trusted it (here:
    /// a snapshot beyond the log, so the open writes a durable reset record);
    /// after a power loss the log restarted after a snapshot that no longer
    /// existed. A writable open now syncs the directory first.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func snapshotTrustedAfterAFailedDirectorySyncSurvivesAPowerLoss(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        do {
            let log = try RaftLog.open(directory: "/data", options: options(fs))
            try log.append((1...3).map { Entry(index: $0, term: 1, data: [UInt8($0)]) })
            fs.failSync(after: 1)  // the snapshot file's fsync succeeds, the directory's fails
            expectError(.io(errno: EIO)) {
                try log.saveSnapshot(Snapshot(index: 10, term: 2, membership: Membership(), data: [10]))
            }
            log.close()
        }
        do {
            let log = try RaftLog.open(directory: "/data", options: options(fs))  // no reboot
            #expect(log.snapshotMetadata?.index == 10 && log.lastIndex == 10)
            try log.append([Entry(index: 11, term: 2, data: [11])], hardState: HardState(term: 2, vote: 0, commit: 11))
        }
        fs.crash()
        let log = try RaftLog.open(directory: "/data", options: options(fs))
        #expect(log.snapshotMetadata?.index == 10)
        #expect(try log.entry(11).data == [11])
    }

    /// Inputs that once trapped `Tools/fuzz record`, kept in
    /// `Tools/fuzz-targets/regressions/record/` (always in the fuzz corpus):
    /// - `first-index-overflow` (15 s of fuzzing): a batch record (checksum
    ///   valid) whose first index plus entry count overflows trapped batch
    ///   decoding. Indexes, sequence numbers and snapshot indexes read from
    ///   disk are now bounded by `Layout.maxIndex`.
    /// - `seal-last-index-overflow` (25 s): a seal record whose last index is
    ///   2^64 - 1 trapped on `lastIndex + 1`; the seal meta's indexes and the
    ///   batch table's rows are now bounded the same way.
    @Test(arguments: ["first-index-overflow", "seal-last-index-overflow"])
    func recordWhoseIndexesOverflowIsCorruptionNotATrap(_ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let input = Array(try Data(contentsOf: root.appendingPathComponent("Tools/fuzz-targets/regressions/record/\(name)")))
        // The fuzz target's framing: byte 0 selects resealing, the record follows.
        do {
            _ = try Decoders.record(Array(input.dropFirst()), salt: 0x5EED, offset: 4096, resealChecksum: input[0] & 1 == 0)
            Issue.record("\(name) must not decode")
        } catch {
            #expect(error.isCorruption, "a typed corruption error naming the offset: \(error)")
        }
    }

    /// The `seal-last-index-overflow` input in a real directory: the seal of
    /// a segment before the last says its last index is 2^64 - 1, with a
    /// valid checksum. Opening must not trap and must not trust the seal: the
    /// segment's records are scanned instead, every entry reads back as
    /// before, and the segment is reported as scanned.
    @Test func sealWithAnOutOfRangeLastIndexIsScannedNotTrusted() throws {
        let tmp = TempDir("seal-overflow")
        try Damage.copyDirectory(RecoveryTableTests.fixture("healthy"), to: tmp.path)
        let healthy = try RaftLog.open(directory: tmp.path, options: .readOnly)
        let expected = try healthy.entries(healthy.firstIndex, healthy.lastIndex)
        healthy.close()
        let segments = try DirectoryListing(directory: tmp.path).segments.map(\.name)
        let victim = segments[segments.count - 2]
        let seal = try #require(try Damage.records(directory: tmp.path, segment: victim).first { $0.type == .seal })
        // The seal meta starts after the 32-byte record header; lastIndex is its first field.
        try Damage.rewriteRecord(tmp.path + "/" + victim, recordOffset: seal.offset, recordBytes: seal.recordBytes,
                                 patch: [UInt8](repeating: 0xFF, count: 8), at: Layout.recordHeaderBytes)
        #expect(try Damage.records(directory: tmp.path, segment: victim).contains { $0.type == .seal && $0.offset == seal.offset },
                "the rewritten seal still verifies")
        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        #expect(log.recoveryReport.unsealedSegments == [victim])
        #expect(try log.entries(log.firstIndex, log.lastIndex) == expected)
    }
}
