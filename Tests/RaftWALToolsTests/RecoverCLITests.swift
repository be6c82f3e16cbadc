import Foundation
import Testing
import RaftWAL
import RaftWALTesting

private typealias S = RecoverTestSupport

/// The `raft-recover` executable: exit statuses, stdout/stderr, and the JSON
/// report it prints being the one it writes into the result.
@Suite struct RecoverCLITests {
    /// The built `raft-recover`, next to the test bundle (`swift test` builds every executable), or `$RAFT_RECOVER`.
    static let executable: String? = ToolProcess.locate("raft-recover", environment: "RAFT_RECOVER")

    func run(_ args: [String]) throws -> ToolProcess.Run {
        try ToolProcess.run(try #require(Self.executable, "raft-recover is not built next to the tests"), args)
    }

    @Test func forceNewClusterPrintsTheJSONReportItWritesAndExitsZero() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = root + "/new"
        let r = try run(["force-new-cluster", source, "--output", output, "--format", "json", "--segment-size-bytes", "65536"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = try String(contentsOfFile: output + "/raft-recover-report.json", encoding: .utf8)
        #expect(written == r.stdout)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(report["outcome"] as? String == "done")
        #expect((report["resultIdentity"] as? [String: Any])?["epoch"] as? Int == 2)
        #expect(try S.open(output).membership().voters.map(\.raftID) == [SurvivorFixtures.survivor])
    }

    @Test func usageAndEnvironmentErrorsExitTwoOnStderr() throws {
        let (root, source) = try S.survivor("survivor-voters")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let noTarget = try run(["force-new-cluster", source])
        #expect(noTarget.status == 2)
        #expect(noTarget.stdout.isEmpty)
        #expect(noTarget.stderr.contains("--output"))
        let notALog = try run(["repair", root + "/missing"])
        #expect(notALog.status == 2)
        #expect(notALog.stderr.contains("not a RaftWAL log"))
        let refused = try run(["truncate", source, "--after", "185"])
        #expect(refused.status == 2)
        #expect(refused.stdout.contains("REFUSED"))
        let dryRun = try run(["truncate", source, "--after", "195", "--dry-run"])
        #expect(dryRun.status == 0)
        #expect(try S.open(source).lastIndex == SurvivorFixtures.lastIndex, "a dry run changes nothing")
    }
}
