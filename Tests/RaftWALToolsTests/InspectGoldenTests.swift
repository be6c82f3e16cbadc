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

    /// The exit status of `verify` and `summary` (they agree) on each fixture
    /// but `healthy`, as `Fixtures/README.md` states it: 1 for damage a strict
    /// open refuses (C rows), a damaged snapshot (S1) and an untrusted seal;
    /// 0 for what recovery repairs by itself (T rows, S2, S3) and the
    /// survivors. A new fixture needs its line here (a committed value, never
    /// the status of another run of the same command).
    static let damagedStatus: [String: Int32] = [
        "acknowledged-missing": 1, "bad-segment-header": 1, "commit-beyond-log": 1, "corrupt-record": 1, "damaged-snapshot": 1,
        "foreign-first-segment": 1, "foreign-segment": 1, "index-gap": 1, "lost-rewrite": 1, "lost-tail-segment": 1,
        "missing-segment": 1, "seal-index-out-of-range": 1, "damaged-tail": 1,
        "interrupted-seal": 0, "leftover-temporary": 0, "orphan-segments": 0, "torn-tail": 0,
        "snapshot-ahead-of-log": 0, "snapshot-conflicts-with-log": 0,
        "survivor-learners": 0, "survivor-snapshot-ahead": 0, "survivor-torn-tail": 0, "survivor-voters": 0,
        "heal-member": 1, "heal-peer": 0, "heal-peer-diverged": 0,
    ]

    @Test("every damaged fixture: verify and summary exit as Fixtures/README.md says and match their golden outputs",
          arguments: InspectSupport.fixtures.filter { $0 != "healthy" })
    func damagedFixtureMatchesGolden(fixture: String) throws {
        let expected = try #require(Self.damagedStatus[fixture], "\(fixture) has no committed exit status in damagedStatus")
        try checkRun(golden: "\(fixture).verify.txt", args: ["verify", "Fixtures/" + fixture], expected: expected)
        try checkRun(golden: "\(fixture).segments.txt", args: ["segments", "Fixtures/" + fixture, "--records"], expected: nil)
        try checkRun(golden: "\(fixture).summary.txt", args: ["summary", "Fixtures/" + fixture], expected: expected)
    }

    @Test("every fixture has a committed exit status, and no status is kept for a fixture that is gone")
    func statusTableCoversTheFixtures() {
        #expect(Set(Self.damagedStatus.keys) == Set(InspectSupport.fixtures.filter { $0 != "healthy" }))
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
