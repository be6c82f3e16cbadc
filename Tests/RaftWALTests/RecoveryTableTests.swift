import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// One test per row of the recovery decision table (`docs/RECOVERY.md`),
/// each on its shipped fixture (`Fixtures/`).
@Suite("Recovery decision table")
struct RecoveryTableTests {
    static let fixturesRoot: String = {
        // Tests/RaftWALTests/RecoveryTableTests.swift → repository root.
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()

    static func fixture(_ name: String) -> String { fixturesRoot + "/" + name }

    /// Each fixture opens (read-only, strict) with exactly the expected label,
    /// or is refused with an error that carries that label and names a file.
    @Test(arguments: Fixtures.specs)
    func strictReadOnlyOpenMeetsTheFixturesLabel(_ spec: Fixtures.Spec) throws {
        let dir = Self.fixture(spec.name)
        if spec.refused {
            do {
                _ = try RaftLog.open(directory: dir, options: .readOnly)
                Issue.record("\(spec.name): the strict open accepted a directory of row \(spec.label.rawValue)")
            } catch {
                guard case let .corrupted(file, _, _, reason, label) = error else {
                    Issue.record("\(spec.name): refused with \(error), not a corruption")
                    return
                }
                #expect(label == spec.label, "\(spec.name): refused as \(label?.rawValue ?? "no label"), the table says \(spec.label.rawValue)")
                #expect(!file.isEmpty && !reason.isEmpty)
            }
            // The tool mode opens it and names the label.
            var options = LogOptions.readOnly
            options.recovery = .truncateAtFirstCorruption
            if let log = try? RaftLog.open(directory: dir, options: options) {
                #expect(log.recoveryReport.labels.contains(spec.label))
            }
        } else {
            let log = try RaftLog.open(directory: dir, options: .readOnly)
            #expect(log.recoveryReport.labels.contains(spec.label), "labels: \(log.recoveryReport.labels)")
        }
    }

    @Test func fixturesAreReproducibleByteForByte() throws {
        let tmp = TempDir("fixtures")
        try Fixtures.buildAll(into: tmp.path)
        for spec in Fixtures.specs {
            let shipped = Self.fixture(spec.name), rebuilt = tmp.path + "/" + spec.name
            let names = try FileManager.default.contentsOfDirectory(atPath: shipped).sorted()
            #expect(names == (try FileManager.default.contentsOfDirectory(atPath: rebuilt).sorted()), "\(spec.name)")
            for name in names {
                #expect(FileManager.default.contentsEqual(atPath: shipped + "/" + name, andPath: rebuilt + "/" + name),
                        "\(spec.name)/\(name) differs from a fresh make-fixtures run")
            }
        }
    }

    @Test func healthyFixtureHoldsTheClusterItDescribes() throws {
        let log = try RaftLog.open(directory: Self.fixture("healthy"), options: .readOnly)
        #expect(log.lastIndex == 220)
        #expect(log.hardState.commit == 215)
        #expect(log.snapshotMetadata?.index == 150)
        #expect(try log.membership().voters.map(\.name) == ["manager-1", "manager-2", "manager-3"])
        #expect(try log.entries(200, 201)[0].data == Fixtures.payload(index: 200))
    }

    @Test func tornTailIsCutAndReportedWithTheClaimedIndexes() throws {
        let log = try RaftLog.open(directory: Self.fixture("torn-tail"), options: .readOnly)
        let cut = try #require(log.recoveryReport.tornTail)
        #expect(cut.segment.hasSuffix(".seg"))
        #expect(cut.bytes > 0)
        #expect(cut.claimedIndexes == 219...220)
        #expect(log.lastIndex == 218)
    }

    @Test func writableOpenCutsTheTornTailOnDiskOnce() throws {
        let tmp = TempDir("torn")
        try Damage.copyDirectory(Self.fixture("torn-tail"), to: tmp.path)
        var options = LogOptions()
        options.sync = .none
        do {
            let log = try RaftLog.open(directory: tmp.path, options: options)
            #expect(log.recoveryReport.modifiedDirectory)
            try log.append([Entry(index: 216, term: 2, data: [1, 2, 3])])
            log.close()
        }
        let log = try RaftLog.open(directory: tmp.path, options: options)
        #expect(log.recoveryReport.labels == [.clean])
        #expect(try log.entry(216).data == [1, 2, 3])
    }

    @Test func corruptRecordIsRefusedNamingFileAndOffset() throws {
        let dir = Self.fixture("corrupt-record")
        let tail = try DirectoryListing(directory: dir).segments.last!.name
        let records = try Damage.records(directory: Self.fixture("healthy"), segment: tail)
        let victim = records[records.count - 3]
        #expect {
            _ = try RaftLog.open(directory: dir, options: .readOnly)
        } throws: { error in
            guard case let WALError.corrupted(file, offset, indexes, reason, label) = error else { return false }
            return label == .corruptRecord && file == tail && offset == victim.offset && indexes == victim.indexes
                && reason.contains("checksum mismatch") && reason.contains("followed by a valid record")
        }
    }

    @Test func truncateModeDropsFromTheBadRecordAndSaysWhetherCommittedEntriesWentWithIt() throws {
        var options = LogOptions.readOnly
        options.recovery = .truncateAtFirstCorruption
        let log = try RaftLog.open(directory: Self.fixture("corrupt-record"), options: options)
        let dropped = try #require(log.recoveryReport.dropped)
        #expect(!dropped.indexes.isEmpty)
        #expect(dropped.includesCommitted)  // commit is 215, the damage is below it
        #expect(log.lastIndex < 220)
    }

    @Test func damagedSnapshotIsSkippedAndKept() throws {
        let dir = Self.fixture("damaged-snapshot")
        let log = try RaftLog.open(directory: dir, options: .readOnly)
        #expect(log.snapshotMetadata?.index == 100)
        #expect(log.recoveryReport.damagedSnapshots.map(\.name) == [FileNames.snapshot(index: 150, term: 2)])
        #expect(FileManager.default.fileExists(atPath: dir + "/" + FileNames.snapshot(index: 150, term: 2)))
    }

    @Test func snapshotAheadOfTheLogRestartsItAfterTheSnapshot() throws {
        let log = try RaftLog.open(directory: Self.fixture("snapshot-ahead-of-log"), options: .readOnly)
        #expect(log.firstIndex == 261)
        #expect(log.lastIndex == 260)
        #expect(try log.term(260) == 2)
    }

    @Test func snapshotConflictingWithTheLogDiscardsTheStaleSuffix() throws {
        let log = try RaftLog.open(directory: Self.fixture("snapshot-conflicts-with-log"), options: .readOnly)
        #expect(log.lastIndex == 218)
        #expect(try log.term(218) == 7)
        #expect(throws: WALError.unavailable(requested: 219, lastIndex: 218)) { try log.entries(219, 220) }
    }

    @Test func orphanSegmentsAreIgnoredAndRemovedByAWriter() throws {
        let tmp = TempDir("orphan")
        try Damage.copyDirectory(Self.fixture("orphan-segments"), to: tmp.path)
        let before = try DirectoryListing(directory: tmp.path).segments.count
        var options = LogOptions()
        options.sync = .none
        let log = try RaftLog.open(directory: tmp.path, options: options)
        #expect(log.recoveryReport.labels.contains(.orphanSegments))
        #expect(try DirectoryListing(directory: tmp.path).segments.count < before)
        #expect(try log.entries(log.firstIndex, log.lastIndex + 1).last?.index == 220)
    }

    @Test func readOnlyOpenChangesNothing() throws {
        for spec in Fixtures.specs {
            let dir = Self.fixture(spec.name)
            let before = try snapshotOfDirectory(dir)
            var options = LogOptions.readOnly
            options.recovery = .truncateAtFirstCorruption
            _ = try? RaftLog.open(directory: dir, options: options)
            _ = try? RaftLog.open(directory: dir, options: .readOnly)
            #expect(try snapshotOfDirectory(dir) == before, "\(spec.name) changed")
        }
    }
}

func snapshotOfDirectory(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
        out[name] = FileManager.default.contents(atPath: dir + "/" + name)
    }
    return out
}
