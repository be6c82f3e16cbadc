import Foundation
import RaftWALTools
import Testing

/// Issue 12: one model and one renderer per subcommand, whatever wrote the
/// directory. The fields every kind shares (docs/TOOLS.md) are present, with
/// the same names, in the JSON of a RaftWAL, an etcd and a Swarm directory.
@Suite struct InspectOneModelTests {
    static let directories = [
        ("raftwal", InspectSupport.root + "/Fixtures/healthy"),
        ("etcd", InteropFixtureTests.path("etcd-single")),
        ("swarm", InteropFixtureTests.path("swarm-single")),
    ]

    /// (subcommand, the keys every kind's document has, the keys each element of a listed array has).
    static let shared: [(String, [String], (String, [String])?)] = [
        ("summary", ["directory", "source", "firstIndex", "lastIndex", "lastTerm", "hardState", "segments", "snapshots", "members",
                     "membersAsOfIndex", "membersProblem", "healthy", "verdict", "findings"], nil),
        ("verify", ["directory", "source", "healthy", "strict", "verdict", "checked", "firstIndex", "lastIndex", "hardState",
                    "problems", "notices"], nil),
        ("hardstate", ["directory", "source", "term", "vote", "commit", "file", "offset", "lastIndex", "lastTerm", "commitWithinLog"], nil),
        ("snapshots", ["directory", "source", "snapshots"],
         ("snapshots", ["name", "index", "term", "fileBytes", "dataBytes", "members", "valid", "problem"])),
        ("segments", ["directory", "source", "segments", "findings"],
         ("segments", ["name", "seq", "nameFirstIndex", "fileBytes", "state", "recordCount", "entryCount", "indexes",
                       "dataEndOffset", "damagedBytes"])),
        ("members", ["directory", "source", "self", "asOfLastIndex", "asOfCommitIndex"], nil),
        ("stats", ["directory", "source", "entries", "dataBytes", "perTerm", "perType"], nil),
    ]

    static func document(_ command: String, _ dir: String) throws -> [String: Any] {
        let (_, c, failure) = InteropFixtureTests.run { o throws(ToolFailure) in
            switch command {
            case "summary": return try Inspect.summary(directory: dir, format: .json, strict: false, output: o)
            case "verify": return try Inspect.verify(directory: dir, format: .json, strict: false, output: o)
            case "hardstate": return try Inspect.hardState(directory: dir, format: .json, output: o)
            case "snapshots": return try Inspect.snapshots(directory: dir, format: .json, extract: nil, outputPath: nil, output: o)
            case "segments": return try Inspect.segments(directory: dir, format: .json, records: false, output: o)
            case "members": return try Inspect.members(directory: dir, format: .json, output: o)
            default: return try Inspect.stats(directory: dir, format: .json, output: o)
            }
        }
        #expect(failure == nil, "\(command) \(dir): \(failure?.message ?? "")")
        return try InspectSupport.json(c.out)
    }

    @Test(arguments: shared.map(\.0))
    func everySourceKindHasTheSharedFieldsUnderTheSameNames(_ command: String) throws {
        let (_, keys, element) = Self.shared.first { $0.0 == command }!
        for (kind, dir) in Self.directories {
            let doc = try Self.document(command, dir)
            #expect((doc["source"] as? [String: Any])?["kind"] as? String == kind, "\(command) on \(kind)")
            let missing = keys.filter { doc.index(forKey: $0) == nil }
            #expect(missing.isEmpty, "\(command) on \(kind) lacks \(missing)")
            if let (array, elementKeys) = element {
                let items = doc[array] as? [[String: Any]] ?? []
                #expect(!items.isEmpty, "\(command) on \(kind): no \(array)")
                for item in items {
                    let missing = elementKeys.filter { item.index(forKey: $0) == nil }
                    #expect(missing.isEmpty, "\(command) on \(kind): a \(array) element lacks \(missing)")
                }
            }
        }
    }

    /// `entries` (JSON Lines): index, term, type, size and data on every line of every kind.
    @Test func entriesOfEverySourceKindShareTheirFields() throws {
        for (kind, dir) in Self.directories {
            let (_, c, failure) = InteropFixtureTests.run { o throws(ToolFailure) in
                try Inspect.entries(directory: dir, format: .json, filter: .init(limit: 5, data: .base64, width: 0), output: o)
            }
            #expect(failure == nil)
            let lines = c.lines
            #expect(lines.count == 5, "\(kind): \(lines.count) entries")
            for line in lines {
                let e = try InspectSupport.json(line)
                let missing = ["index", "term", "type", "size", "data"].filter { e.index(forKey: $0) == nil }
                #expect(missing.isEmpty, "entries on \(kind) lacks \(missing)")
            }
        }
    }
}
