import Foundation
@testable import RaftWAL
import RaftWALTesting
import RaftWALTools
import Testing

/// The `Inspect` library on logs written by the engine in the test, for
/// the cases the shipped fixtures do not cover.
@Suite("InspectLibrary")
struct InspectLibraryTests {
    /// A log with 3 voters, a learner added, promoted, a voter removed, and
    /// a conflicting suffix replaced in term 3.
    static func makeLog(_ dir: String) throws {
        let log = try RaftLog.open(directory: dir, options: inspectTestOptions())
        defer { log.close() }
        var confs: [Entry] = []
        for id in UInt64(1)...3 {
            confs.append(Entry(index: id, term: 1, confChange: ConfChange(type: .addVoter, raftID: id, name: "m\(id)", address: "10.0.0.\(id):2377")))
        }
        try log.append(confs, hardState: HardState(term: 1, vote: 1, commit: 3))
        for lo in stride(from: UInt64(4), through: 60, by: 5) {
            try log.append(inspectEntries(lo...min(lo + 4, 60), term: 1), hardState: HardState(term: 1, vote: 1, commit: min(lo + 4, 60)))
        }
        try log.append([Entry(index: 61, term: 2, confChange: ConfChange(type: .addLearner, raftID: 4, name: "m4", address: "10.0.0.4:2377"))],
                       hardState: HardState(term: 2, vote: 2, commit: 61))
        try log.append([Entry(index: 62, term: 2, confChange: ConfChange(type: .promoteLearner, raftID: 4))],
                       hardState: HardState(term: 2, vote: 2, commit: 62))
        for lo in stride(from: UInt64(63), through: 90, by: 5) {
            try log.append(inspectEntries(lo...min(lo + 4, 90), term: 2), hardState: HardState(term: 2, vote: 2, commit: min(lo + 4, 80)))
        }
        // A new leader in term 3 replaces 81...90 (uncommitted) and removes member 3.
        try log.append([Entry(index: 81, term: 3, confChange: ConfChange(type: .remove, raftID: 3))] + inspectEntries(82...85, term: 3),
                       hardState: HardState(term: 3, vote: 1, commit: 81))
    }

    @Test("entries shows the log the engine reads: replaced entries are gone")
    func entriesFollowTheEngineAfterAConflictingAppend() throws {
        let dir = InspectTempDir()
        try Self.makeLog(dir.path)
        let c = Captured()
        let filter = Inspect.EntryFilter(data: .base64, width: 0)
        #expect(try Inspect.entries(directory: dir.path, format: .json, filter: filter, output: c.output) == .healthy)
        let log = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { log.close() }
        let expected = try log.entries(log.firstIndex, log.lastIndex + 1)
        #expect(expected.count == 85)
        let lines = c.lines
        #expect(lines.count == expected.count)
        for (line, e) in zip(lines, expected) {
            let doc = try InspectSupport.json(line)
            #expect((doc["index"] as? NSNumber)?.uint64Value == e.index)
            #expect((doc["term"] as? NSNumber)?.uint64Value == e.term)
            #expect(Data(base64Encoded: doc["data"] as? String ?? "") == Data(e.data))
        }
    }

    @Test("entries filters by range, term, type and limit")
    func entriesFilters() throws {
        let dir = InspectTempDir()
        try Self.makeLog(dir.path)
        func indexes(_ f: Inspect.EntryFilter) throws -> [UInt64] {
            let c = Captured()
            _ = try Inspect.entries(directory: dir.path, format: .json, filter: f, output: c.output)
            return try c.lines.map { try #require((InspectSupport.json($0)["index"] as? NSNumber)?.uint64Value) }
        }
        #expect(try indexes(.init(from: 10, to: 14)) == [10, 11, 12, 13, 14])
        #expect(try indexes(.init(term: 3)) == Array(81...85))
        #expect(try indexes(.init(kind: .confChange)) == [1, 2, 3, 61, 62, 81])
        #expect(try indexes(.init(from: 50, limit: 3)) == [50, 51, 52])
        #expect(try indexes(.init(term: 2, kind: .normal, limit: 2)) == [63, 64])
        #expect(try indexes(.init(from: 200)) == [])
    }

    @Test("payload renderings: hex, utf8 and base64 are cut to the width with a marker")
    func dataRenderings() {
        let data = Array("hello, world".utf8)
        #expect(DataRendering.hex.render(data, width: 0) == "68656c6c6f2c20776f726c64")
        #expect(DataRendering.hex.render(data, width: 9) == "68656c6c…")
        #expect(DataRendering.utf8.render(data, width: 0) == "hello, world")
        #expect(DataRendering.utf8.render(data, width: 6) == "hello…")
        #expect(DataRendering.utf8.render(Array("a\nb\u{1B}[2J".utf8), width: 0) == "a\\nb\\x1b[2J")
        #expect(DataRendering.base64.render(data, width: 0) == "aGVsbG8sIHdvcmxk")
        #expect(DataRendering.none.render(data, width: 0) == nil)
    }

    @Test("members replays learners, promotions and removals as the engine does")
    func membersMatchTheEngine() throws {
        let dir = InspectTempDir()
        try Self.makeLog(dir.path)
        let c = Captured()
        #expect(try Inspect.members(directory: dir.path, format: .json, output: c.output) == .healthy)
        let doc = try InspectSupport.json(c.out)
        let log = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { log.close() }
        for (key, m) in [("asOfLastIndex", try log.membership()), ("asOfCommitIndex", try log.committedMembership())] {
            let members = (doc[key] as? [String: Any])?["members"] as? [[String: Any]] ?? []
            #expect(members.map { ($0["raftID"] as? NSNumber)?.uint64Value ?? 0 } == m.sorted.map(\.raftID), "\(key)")
            #expect(members.map { $0["role"] as? String ?? "" } == m.sorted.map { $0.role == .voter ? "voter" : "learner" })
            #expect(members.map { ($0["addedAtIndex"] as? NSNumber)?.uint64Value ?? 0 } == m.sorted.map(\.addedAtIndex))
        }
        // As of the commit index 81 member 3 is removed; member 4 (added at 61) is a voter.
        #expect(try log.committedMembership().sorted.map(\.raftID) == [1, 2, 4])
    }

    @Test("verify reports every corrupt record, not just the first, with file, offset and indexes")
    func verifyReportsEveryProblem() throws {
        let dir = InspectTempDir()
        try Self.makeLog(dir.path)
        let listing = try DirectoryListing(directory: dir.path)
        #expect(listing.segments.count >= 3)
        // Damage a record in the first and in the second segment, each followed by valid records.
        var damaged: [(String, UInt64)] = []
        for segment in listing.segments.prefix(2) {
            let records = try Damage.records(directory: dir.path, segment: segment.name).filter { $0.type == .batch }
            let victim = records[records.count / 2]
            try Damage.flipBit(dir.path + "/" + segment.name, offset: victim.offset + 40)
            damaged.append((segment.name, victim.offset))
        }
        let c = Captured()
        #expect(try Inspect.verify(directory: dir.path, format: .json, strict: false, output: c.output) == .damage)
        let problems = try InspectSupport.json(c.out)["problems"] as? [[String: Any]] ?? []
        for (file, offset) in damaged {
            #expect(problems.contains { $0["file"] as? String == file && ($0["offset"] as? NSNumber)?.uint64Value == offset
                && $0["label"] as? String == "C1-corrupt-record" && $0["indexes"] is [String: Any] },
                    "no problem at \(file):\(offset) in \(problems)")
        }
    }

    @Test("verify names a running writer's spare segment as the next segment made ready, not an interrupted creation")
    func verifyNamesTheWritersSpareSegment() throws {
        let dir = InspectTempDir()
        var options = inspectTestOptions()
        options.deterministicSalt = { $0 &* 7919 }  // the spare is made in the round that wants one
        let log = try RaftLog.open(directory: dir.path, options: options)
        defer { log.close() }
        try log.append(inspectEntries(1...30, term: 1))
        let temporaries = try DirectoryListing(directory: dir.path).temporaries
        let spare = temporaries.first { $0.hasPrefix("next-segment-") }
        #expect(spare != nil, "no spare segment in \(temporaries)")
        let c = Captured()
        #expect(try Inspect.verify(directory: dir.path, format: .text, strict: false, output: c.output) == .healthy)
        #expect(c.lines.contains { $0.contains(spare ?? "?") && $0.contains("the next segment, made ready ahead by a writer") })
        #expect(!c.out.contains("interrupted creation"))
    }

    @Test("verify calls a checksum-valid conf change in another encoding a notice, never damage")
    func verifyTreatsAForeignConfChangeAsANotice() throws {
        // Appends refuse such an entry today; a log written by an older build
        // (or another program) may still hold one. Its record's checksum
        // holds, so it is intact bytes in another encoding, not damage.
        let dir = InspectTempDir()
        let log = try RaftLog.open(directory: dir.path, options: inspectTestOptions())
        try log.writerLock.withLock { () throws(WALError) in
            try log.writeBatch([Entry(index: 1, term: 1, kind: .confChange, data: [9, 9, 9])], hardState: HardState(term: 1, vote: 1, commit: 1))
        }
        #expect(throws: WALError.foreignConfChange(index: 1, reason: "byte 0: conf change version 9, expected 1")) { try log.membership() }
        log.close()
        let c = Captured()
        #expect(try Inspect.verify(directory: dir.path, format: .json, strict: false, output: c.output) == .healthy)
        let doc = try InspectSupport.json(c.out)
        #expect((doc["problems"] as? [[String: Any]] ?? []).isEmpty)
        let notices = doc["notices"] as? [[String: Any]] ?? []
        #expect(notices.contains { ($0["message"] as? String ?? "").contains("not a RaftWAL ConfChange encoding") }, "\(notices)")
        #expect(try Inspect.verify(directory: dir.path, format: .text, strict: true, output: Captured().output) == .damage,
                "--strict turns the notice into exit 1")
    }

    @Test("stats counts the entries the log holds, per term and per type")
    func statsTotals() throws {
        let dir = InspectTempDir()
        try Self.makeLog(dir.path)
        let c = Captured()
        #expect(try Inspect.stats(directory: dir.path, format: .json, output: c.output) == .healthy)
        let doc = try InspectSupport.json(c.out)
        #expect((doc["entries"] as? NSNumber)?.intValue == 85)
        let perTerm = (doc["perTerm"] as? [[String: Any]] ?? []).map { (($0["term"] as? NSNumber)?.intValue ?? 0, ($0["entries"] as? NSNumber)?.intValue ?? 0) }
        #expect(perTerm.map(\.0) == [1, 2, 3])
        #expect(perTerm.map(\.1) == [60, 20, 5])
        let perType = (doc["perType"] as? [[String: Any]] ?? []).map { ($0["type"] as? String ?? "", ($0["entries"] as? NSNumber)?.intValue ?? 0) }
        #expect(perType.map(\.0) == ["normal", "conf-change"])
        #expect(perType.map(\.1) == [79, 6])
    }

    @Test("snapshots --extract writes the snapshot's data, outside the data directory only")
    func extractSnapshot() throws {
        let dir = InspectTempDir()
        let log = try RaftLog.open(directory: dir.path, options: inspectTestOptions())
        try log.append(inspectEntries(1...20, term: 1), hardState: HardState(term: 1, vote: 1, commit: 20))
        let data = Array("state machine at 15".utf8)
        try log.saveSnapshot(Snapshot(index: 15, term: 1, membership: Membership(), data: data))
        log.close()
        let out = InspectTempDir()
        try FileManager.default.createDirectory(atPath: out.path, withIntermediateDirectories: true)
        let target = out.path + "/snap.bin"
        #expect(try Inspect.snapshots(directory: dir.path, format: .text, extract: 15, outputPath: target, output: Captured().output) == .healthy)
        #expect(FileManager.default.contents(atPath: target) == Data(data))
        // Never into the data directory, never over an existing file.
        #expect(throws: ToolFailure.self) {
            try Inspect.snapshots(directory: dir.path, format: .text, extract: 15, outputPath: dir.path + "/x", output: Captured().output)
        }
        #expect(throws: ToolFailure.self) {
            try Inspect.snapshots(directory: dir.path, format: .text, extract: 15, outputPath: target, output: Captured().output)
        }
        #expect(throws: ToolFailure.self) {
            try Inspect.snapshots(directory: dir.path, format: .text, extract: 99, outputPath: out.path + "/y", output: Captured().output)
        }
    }

    @Test("a live directory held by a writer is inspected without waiting for or taking its lock")
    func inspectsALiveDirectory() throws {
        let dir = InspectTempDir()
        let log = try RaftLog.open(directory: dir.path, options: inspectTestOptions())
        defer { log.close() }
        try log.append(inspectEntries(1...10, term: 1), hardState: HardState(term: 1, vote: 1, commit: 10))
        let c = Captured()
        #expect(try Inspect.verify(directory: dir.path, format: .text, strict: false, output: c.output) == .healthy)
        try log.append(inspectEntries(11...12, term: 1))
        #expect(log.lastIndex == 12)
    }

    @Test("a missing directory or one without segments is an environment error (exit 2)")
    func environmentErrors() throws {
        let dir = InspectTempDir()
        do {
            _ = try Inspect.summary(directory: dir.path, format: .text, strict: false, output: Captured().output)
            Issue.record("no error for a missing directory")
        } catch {
            #expect(error.status == .usage)
        }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.path + "/notes.txt", contents: Data("x".utf8))
        do {
            _ = try Inspect.verify(directory: dir.path, format: .text, strict: false, output: Captured().output)
            Issue.record("no error for a directory without segments")
        } catch {
            #expect(error.status == .usage)
        }
    }

    @Test("a file the tool may not read is an environment error (exit 2), not damage")
    func unreadableFileIsAnEnvironmentError() throws {
        let dir = InspectTempDir()
        try Damage.copyDirectory(InspectSupport.root + "/Fixtures/healthy", to: dir.path)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        for victim in [names.first { $0.hasSuffix(".seg") }!, names.first { $0.hasSuffix(".snap") }!] {
            var hooks = HookedFileSystem.Hooks()
            hooks.open = { (path: String) throws(WALError) in
                if path.hasSuffix("/" + victim) { throw .io(errno: 13, operation: "open", path: path) }
            }
            let fs = HookedFileSystem(hooks: hooks)
            do {
                _ = try Analyzer(directory: dir.path, fileSystem: fs).run()
                Issue.record("no error when \(victim) is unreadable")
            } catch {
                #expect(error.status == .usage, "\(victim)")
                #expect(error.message.contains(victim))
            }
        }
        // The same directory, readable, is healthy: the denial alone made the difference.
        #expect(try Analyzer(directory: dir.path).run().status(strict: false) == .healthy)
    }

    @Test("JSON strings escape quotes, backslashes and control characters")
    func jsonEscaping() throws {
        let value = JSON.object([("s", .string("a\"b\\c\n\u{01}é")), ("n", .uint(UInt64.max)), ("x", .null)])
        let parsed = try InspectSupport.json(value.render())
        #expect(parsed["s"] as? String == "a\"b\\c\n\u{01}é")
        #expect(value.render() == #"{"s":"a\"b\\c\n\u0001é","n":18446744073709551615,"x":null}"#)
    }

    @Test("text tables align columns and right-align numbers")
    func tableAlignment() {
        var t = TextTable(["NAME", "N"], alignments: [.left, .right])
        t.add(["a", "100"])
        t.add(["long-name", "7"])
        #expect(t.lines() == ["NAME         N", "a          100", "long-name    7"])
    }
}
