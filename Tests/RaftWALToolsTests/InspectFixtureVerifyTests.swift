import Foundation
import RaftWAL
import RaftWALTesting
import Testing

/// `verify --format json` on each fixture, checked against what the engine
/// itself says about the same directory: the damaged fixtures must exit 1
/// with a problem of the fixture's decision-table label naming the file and
/// offset the engine's strict open names; crash shapes the engine handles
/// exit 0 (1 with `--strict`).
@Suite("InspectFixtureVerify")
struct InspectFixtureVerifyTests {
    /// The label of each fixture, from `Fixtures/README.md`'s table.
    static let labels: [String: String] = {
        let readme = (try? String(contentsOfFile: InspectSupport.root + "/Fixtures/README.md", encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            out[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1]
        }
        return out
    }()

    @Test("the fixture README names a label for every fixture")
    func everyFixtureHasALabel() {
        #expect(!InspectSupport.fixtures.isEmpty)
        for f in InspectSupport.fixtures { #expect(Self.labels[f] != nil, "\(f) has no row in Fixtures/README.md") }
    }

    @Test("verify names the file and offset the engine names, with the fixture's label",
          arguments: InspectSupport.fixtures)
    func verifyMatchesTheEngine(fixture: String) throws {
        let label = try #require(Self.labels[fixture])
        let dir = InspectSupport.root + "/Fixtures/" + fixture
        let r = try InspectSupport.run(["verify", "Fixtures/" + fixture, "--format", "json"])
        let doc = try InspectSupport.json(r.stdout)
        let problems = doc["problems"] as? [[String: Any]] ?? []
        let notices = doc["notices"] as? [[String: Any]] ?? []

        var engineError: WALError? = nil
        var engineLabels: [RecoveryLabel] = []
        var torn: CutTail? = nil
        var damagedSnapshot: SnapshotFileInfo? = nil
        do {
            let log = try RaftLog.open(directory: dir, options: .readOnly)
            engineLabels = log.recoveryReport.labels
            torn = log.recoveryReport.tornTail
            damagedSnapshot = log.recoveryReport.damagedSnapshots.first
            log.close()
        } catch {
            engineError = error
        }

        let readAround = Fixtures.specs.contains { $0.name == fixture && $0.verifyReportsDamage && $0.label == .clean }
        if readAround {
            // Damage the engine reads around (a checksum-valid seal it cannot
            // trust): the engine opens, scanning the segment; verify reports it.
            #expect(engineError == nil && engineLabels == [.clean])
            #expect(r.status == 1, "\(fixture): verify exit \(r.status)")
            let mine = try #require(problems.first { $0["label"] as? String == RecoveryLabel.corruptRecord.rawValue },
                                    "\(fixture): no C1 problem in \(problems)")
            let log = try RaftLog.open(directory: dir, options: .readOnly)
            defer { log.close() }
            #expect(log.recoveryReport.unsealedSegments == [mine["file"] as? String ?? ""])
        } else if fixture == "heal-member" {
            // Damage inside a sealed segment the strict open trusts (the input of
            // `raft-recover heal`): the engine opens clean, verify finds the record.
            #expect(engineError == nil && engineLabels == [.clean])
            #expect(r.status == 1, "\(fixture): verify exit \(r.status)")
            let mine = try #require(problems.first { $0["label"] as? String == RecoveryLabel.corruptRecord.rawValue },
                                    "\(fixture): no C1 problem in \(problems)")
            #expect(mine["file"] as? String == "0000000000000002-000000000000005b.seg")
            let indexes = mine["indexes"] as? [String: Any]
            #expect((indexes?["first"] as? NSNumber)?.uint64Value == HealFixtures.damaged.lowerBound)
            #expect((indexes?["last"] as? NSNumber)?.uint64Value == HealFixtures.damaged.upperBound)
        } else if label == RecoveryLabel.damagedTail.rawValue {
            // T5: the engine opens (cut as T1), verify calls it damage at the cut, with the claimed indexes.
            #expect(r.status == 1, "\(fixture): verify exit \(r.status)")
            let mine = try #require(problems.first { $0["label"] as? String == label }, "\(fixture): no \(label) problem in \(problems)")
            let cut = try #require(torn, "\(fixture): the engine reported no cut")
            #expect(cut.mayHoldAcknowledged)
            #expect(mine["file"] as? String == cut.segment)
            #expect((mine["offset"] as? NSNumber)?.uint64Value == cut.offset)
            let indexes = mine["indexes"] as? [String: Any]
            #expect((indexes?["first"] as? NSNumber)?.uint64Value == cut.claimedIndexes?.lowerBound)
            #expect((indexes?["last"] as? NSNumber)?.uint64Value == cut.claimedIndexes?.upperBound)
        } else if label.hasPrefix("C") || label.hasPrefix("S1") || label.hasPrefix("A1") {
            #expect(r.status == 1, "\(fixture): verify exit \(r.status)")
            #expect(doc["healthy"] as? Bool == false)
            let mine = try #require(problems.first { $0["label"] as? String == label },
                                    "\(fixture): no \(label) problem in \(problems)")
            if case let .corrupted(file, offset, _, _, _)? = engineError {
                #expect(mine["file"] as? String == file, "\(fixture): file")
                if let offset { #expect((mine["offset"] as? NSNumber)?.uint64Value == offset, "\(fixture): offset") }
            } else if let s = damagedSnapshot, case let .corrupted(file, offset, _, _, _)? = s.problem {
                #expect(mine["file"] as? String == file)
                #expect((mine["offset"] as? NSNumber)?.uint64Value == offset)
            } else {
                Issue.record("\(fixture): the engine reported no error to compare with")
            }
        } else {
            #expect(r.status == 0, "\(fixture): verify exit \(r.status): \(r.stdout)")
            #expect(problems.isEmpty, "\(fixture): \(problems)")
            #expect(engineError == nil)
            if label != "R0-clean" {
                #expect(engineLabels.map(\.rawValue).contains(label))
                let notice = try #require(notices.first { $0["label"] as? String == label }, "\(fixture): no \(label) notice")
                if let torn {
                    #expect(notice["file"] as? String == torn.segment)
                    #expect((notice["offset"] as? NSNumber)?.uint64Value == torn.offset)
                }
                let strict = try InspectSupport.run(["verify", "Fixtures/" + fixture, "--strict"])
                #expect(strict.status == 1, "\(fixture): verify --strict exit \(strict.status)")
            } else {
                #expect(notices.isEmpty)
            }
        }
    }

    @Test("every subcommand's JSON parses on every fixture, and leaves it byte-identical", arguments: InspectSupport.fixtures)
    func jsonOutputsParse(fixture: String) throws {
        let dir = InspectSupport.root + "/Fixtures/" + fixture
        let before = InspectSupport.contents(dir)
        defer { #expect(InspectSupport.contents(dir) == before, "\(fixture) changed") }
        for command in ["summary", "segments", "hardstate", "snapshots", "members", "verify", "stats"] {
            let r = try InspectSupport.run([command, "Fixtures/" + fixture, "--format", "json"])
            let doc = try InspectSupport.json(r.stdout)
            #expect(doc["directory"] as? String == "Fixtures/" + fixture, "\(command) \(fixture)")
        }
        let entries = try InspectSupport.run(["entries", "Fixtures/" + fixture, "--format", "json"])
        var previous: UInt64 = 0
        for line in entries.stdout.split(separator: "\n") {
            let e = try InspectSupport.json(String(line))
            let index = try #require((e["index"] as? NSNumber)?.uint64Value)
            #expect(index > previous, "\(fixture): entries out of order")
            previous = index
            for key in ["term", "type", "size", "data"] { #expect(e[key] != nil, "\(fixture): entry \(index) lacks \(key)") }
        }
    }

    @Test("healthy fixture: JSON entries agree with the engine's own reads")
    func healthyEntriesMatchTheEngine() throws {
        let log = try RaftLog.open(directory: InspectSupport.root + "/Fixtures/healthy", options: .readOnly)
        defer { log.close() }
        let expected = try log.entries(log.firstIndex, log.lastIndex + 1)
        let r = try InspectSupport.run(["entries", "Fixtures/healthy", "--format", "json"])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == expected.count)
        for (line, e) in zip(lines, expected) {
            let doc = try InspectSupport.json(String(line))
            #expect((doc["index"] as? NSNumber)?.uint64Value == e.index)
            #expect((doc["term"] as? NSNumber)?.uint64Value == e.term)
            #expect((doc["size"] as? NSNumber)?.intValue == e.data.count)
            #expect(Data(base64Encoded: doc["data"] as? String ?? "") == Data(e.data))
        }
    }

    @Test("healthy fixture: JSON members equal the engine's membership as of last and commit")
    func healthyMembersMatchTheEngine() throws {
        let log = try RaftLog.open(directory: InspectSupport.root + "/Fixtures/healthy", options: .readOnly)
        defer { log.close() }
        let r = try InspectSupport.run(["members", "Fixtures/healthy", "--format", "json"])
        let doc = try InspectSupport.json(r.stdout)
        for (key, m) in [("asOfLastIndex", try log.membership()), ("asOfCommitIndex", try log.committedMembership())] {
            let asOf = try #require(doc[key] as? [String: Any])
            let members = asOf["members"] as? [[String: Any]] ?? []
            #expect(members.map { ($0["raftID"] as? NSNumber)?.uint64Value ?? 0 } == m.sorted.map(\.raftID))
            #expect(members.map { $0["name"] as? String ?? "" } == m.sorted.map(\.name))
            #expect(members.map { $0["role"] as? String ?? "" } == m.sorted.map { $0.role == .voter ? "voter" : "learner" })
        }
    }

    @Test("usage and environment errors exit 2")
    func usageErrorsExit2() throws {
        #expect(try InspectSupport.run(["summary", "Fixtures/no-such-fixture"]).status == 2)
        #expect(try InspectSupport.run(["entries", "Fixtures/healthy", "--type", "bogus"]).status == 2)
        #expect(try InspectSupport.run(["entries", "Fixtures/healthy", "--from", "9", "--to", "3"]).status == 2)
        #expect(try InspectSupport.run(["verify"]).status == 2)
        #expect(try InspectSupport.run([]).status == 2)
        #expect(try InspectSupport.run(["snapshots", "Fixtures/healthy", "--extract", "150"]).status == 2)
        let empty = InspectTempDir()
        try FileManager.default.createDirectory(atPath: empty.path, withIntermediateDirectories: true)
        for command in ["summary", "segments", "entries", "hardstate", "snapshots", "members", "verify", "stats"] {
            #expect(try InspectSupport.run([command, empty.path]).status == 2, "\(command) on an empty directory")
        }
        #expect(try InspectSupport.run(["--help"]).status == 0)
    }
}
