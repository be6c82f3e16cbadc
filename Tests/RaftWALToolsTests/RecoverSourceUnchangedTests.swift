import Foundation
import Testing
import RaftWAL
import RaftWALTesting

private typealias S = RecoverTestSupport

/// `raft-recover` never writes a source's bytes unless `--in-place` (or the
/// in-place default of `repair`/`truncate` without `--dry-run`) says so
/// (`docs/TOOLS.md`): every file, the `LOCK` file included, hashes the same
/// after each such command as before it.
@Suite struct RecoverSourceUnchangedTests {
    /// Arguments after `raft-recover`; `SRC`, `OUT` and `LAST-1` are replaced.
    static let commands: [[String]] = [
        ["force-new-cluster", "SRC", "--output", "OUT"],
        ["force-new-cluster", "SRC", "--output", "OUT", "--dry-run"],
        ["force-new-cluster", "SRC", "--in-place", "--dry-run"],
        ["repair", "SRC", "--output", "OUT"],
        ["repair", "SRC", "--dry-run"],
        ["truncate", "SRC", "--after", "LAST-1", "--accept-data-loss", "--output", "OUT"],
        ["truncate", "SRC", "--after", "LAST-1", "--accept-data-loss", "--dry-run"],
    ]

    /// Every file of a directory with its exact bytes (a hash would say less).
    static func fingerprint(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    @Test(arguments: commands)
    func aCommandWithoutInPlaceLeavesEverySourceFileByteForByte(_ template: [String]) throws {
        let exe = try #require(RecoverCLITests.executable, "raft-recover is not built next to the tests")
        let (root, source) = try S.survivor("survivor-torn-tail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The LOCK a stopped manager leaves: raft-recover must lock it without rewriting it.
        try Data("pid=4242 host=manager-1\n".utf8).write(to: URL(fileURLWithPath: source + "/LOCK"))
        let last = try S.open(source).lastIndex
        let args = template.map {
            $0 == "SRC" ? source : $0 == "OUT" ? root + "/out" : $0 == "LAST-1" ? String(last - 1) : $0
        }
        let before = try Self.fingerprint(source)
        let r = try ToolProcess.run(exe, args)
        #expect(r.status == 0, "raft-recover \(args.joined(separator: " ")): \(r.stderr)")
        let after = try Self.fingerprint(source)
        #expect(after.keys.sorted() == before.keys.sorted())
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed") }
        #expect(String(decoding: after["LOCK"] ?? Data(), as: UTF8.self) == "pid=4242 host=manager-1\n")
    }
}
