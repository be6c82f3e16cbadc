import Foundation
import Testing

/// The built `raft-inspect` on every fixture, text output compared with
/// `Golden/` (regenerate with `UPDATE_GOLDEN=1 swift test --filter InspectGolden`),
/// and the data directory byte-identical afterwards.
@Suite("InspectGolden")
struct InspectGoldenTests {
    /// (golden file, arguments, expected exit status).
    static let healthyRuns: [(String, [String], Int32)] = [
        ("healthy.summary.txt", ["summary", "Fixtures/healthy"], 0),
        ("healthy.segments.txt", ["segments", "Fixtures/healthy", "--records"], 0),
        ("healthy.entries.txt", ["entries", "Fixtures/healthy", "--from", "1", "--to", "12"], 0),
        ("healthy.entries-hex.txt", ["entries", "Fixtures/healthy", "--term", "2", "--limit", "3", "--data", "hex", "--width", "40"], 0),
        ("healthy.hardstate.txt", ["hardstate", "Fixtures/healthy"], 0),
        ("healthy.snapshots.txt", ["snapshots", "Fixtures/healthy"], 0),
        ("healthy.members.txt", ["members", "Fixtures/healthy"], 0),
        ("healthy.verify.txt", ["verify", "Fixtures/healthy"], 0),
        ("healthy.stats.txt", ["stats", "Fixtures/healthy"], 0),
    ]

    @Test("healthy fixture: every subcommand matches its golden output and exits 0",
          arguments: healthyRuns.map { $0.0 })
    func healthyFixtureMatchesGolden(golden: String) throws {
        let (_, args, expected) = Self.healthyRuns.first { $0.0 == golden }!
        try checkRun(golden: golden, args: args, expected: expected)
    }

    @Test("every damaged fixture: verify and summary match their golden outputs",
          arguments: InspectSupport.fixtures.filter { $0 != "healthy" })
    func damagedFixtureMatchesGolden(fixture: String) throws {
        let verify = try InspectSupport.run(["verify", "Fixtures/" + fixture])
        let summary = try InspectSupport.run(["summary", "Fixtures/" + fixture])
        // verify and summary agree on the exit status.
        #expect(verify.status == summary.status, "\(fixture): verify \(verify.status), summary \(summary.status)")
        try checkRun(golden: "\(fixture).verify.txt", args: ["verify", "Fixtures/" + fixture], expected: verify.status)
        try checkRun(golden: "\(fixture).segments.txt", args: ["segments", "Fixtures/" + fixture, "--records"], expected: nil)
        try checkRun(golden: "\(fixture).summary.txt", args: ["summary", "Fixtures/" + fixture], expected: summary.status)
    }

    /// Text outputs here; `InspectFixtureVerify` checks the same after the JSON outputs.
    @Test("no subcommand changes a byte of any fixture", arguments: InspectSupport.fixtures)
    func subcommandsNeverModifyTheDirectory(fixture: String) throws {
        let dir = InspectSupport.root + "/Fixtures/" + fixture
        let before = InspectSupport.contents(dir)
        for command in ["summary", "segments", "entries", "hardstate", "snapshots", "members", "verify", "stats"] {
            let r = try InspectSupport.run([command, "Fixtures/" + fixture])
            #expect(r.status == 0 || r.status == 1, "\(command) \(fixture): exit \(r.status), stderr \(r.stderr)")
        }
        #expect(InspectSupport.contents(dir) == before, "\(fixture) changed")
        #expect(!FileManager.default.fileExists(atPath: dir + "/LOCK"), "a LOCK file was created in \(fixture)")
    }

    func checkRun(golden: String, args: [String], expected: Int32?) throws {
        let r = try InspectSupport.run(args)
        if let expected { #expect(r.status == expected, "\(args): exit \(r.status), stderr: \(r.stderr)") }
        if let diff = try InspectSupport.compareGolden(golden, r.stdout) { Issue.record("\(diff)") }
    }
}
