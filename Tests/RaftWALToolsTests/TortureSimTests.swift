import Testing
import Foundation
import RaftWAL
import RaftWALTesting
import RaftWALTools
import RaftWALTorture

/// The crash fuzzer itself: it passes the real engine, catches the broken
/// one, replays from its seed, and the process checker sees every byte.
@Suite struct TortureSimTests {
    @Test func simFindsNoViolationInTheEngine() {
        let result = SimTorture(config: SimTortureConfig(seed: 11, iterations: 20)).run()
        #expect(result.violation == nil, "\(result.violation?.reason ?? "")")
        #expect(result.crashPoints == 20)
        #expect(result.interruptedOperations > 0, "some crashes land inside an operation")
    }

    @Test func simWithFaultsFindsNoViolationInTheEngine() {
        let result = SimTorture(config: SimTortureConfig(seed: 12, iterations: 25, faults: true)).run()
        #expect(result.violation == nil, "\(result.violation?.reason ?? "")")
        #expect(!result.faults.isEmpty, "faults were injected")
    }

    /// Issue 14 item 8: seed 2's first 50 crash points with faults cut
    /// acknowledged data silently in the default mode (a lost only segment,
    /// a lost snapshot); in confirmed mode the same run reports every cut,
    /// and a silent one would be a violation.
    @Test func confirmedModeReportsTheCutsTheDefaultModeMakesSilently() {
        let plain = SimTorture(config: SimTortureConfig(seed: 2, iterations: 50, faults: true)).run()
        #expect(plain.violation == nil, "\(plain.violation?.reason ?? "")")
        #expect(!plain.silentCuts.isEmpty, "the default mode's silent cuts are what this test is about")
        var config = SimTortureConfig(seed: 2, iterations: 50, faults: true)
        config.confirmed = true
        let confirmed = SimTorture(config: config).run()
        #expect(confirmed.violation == nil, "\(confirmed.violation?.reason ?? "")")
        #expect(confirmed.silentCuts.isEmpty, "\(confirmed.silentCuts)")
        #expect(config.replayCommand() == "raft-torture sim --seed 2 --iterations 50 --faults --confirmed")
    }

    /// The confirmed sweep's one silent cut (docs/TORTURE.md, "Confirmed
    /// mode"): at crash point 75 of seed 6215 a zeroed sector destroyed a
    /// rewrite record alone in a segment before the tail, which passed for
    /// an interrupted seal. The next segment's `previousTerm` now makes it C6
    /// (`TortureRegressionTests.lostRewriteRecordBeforeTheTailIsAnIndexGapNotAnInterruptedSeal`).
    @Test func confirmedSeed6215ReportsTheLostRewriteRecord() {
        var config = SimTortureConfig(seed: 6215, iterations: 75, faults: true)
        config.confirmed = true
        let result = SimTorture(config: config).run()
        #expect(result.violation == nil, "\(result.violation?.reason ?? "")")
        #expect(result.silentCuts.isEmpty, "\(result.silentCuts)")
    }

    @Test func canaryThatAcknowledgesBeforeSyncingIsCaught() throws {
        let config = SimTortureConfig(seed: 1, iterations: 50, canary: true)
        let result = SimTorture(config: config).run()
        let violation = try #require(result.violation, "the broken engine must be caught within 50 crash points")
        #expect(violation.replay == "raft-torture sim --seed 1 --iterations \(violation.crashPoint) --canary")
    }

    @Test func sameSeedReplaysTheSameRun() {
        let a = SimTorture(config: SimTortureConfig(seed: 5, iterations: 12, faults: true)).run()
        let b = SimTorture(config: SimTortureConfig(seed: 5, iterations: 12, faults: true)).run()
        #expect(a.acknowledgedEntries == b.acknowledgedEntries && a.faults == b.faults
                && a.interruptedOperations == b.interruptedOperations)
    }

    @Test func checkVerifiesEveryAcknowledgedByte() throws {
        let dir = NSTemporaryDirectory() + "torture-check-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var acked: UInt64 = 0
        try ProcessTorture.write(directory: dir, seed: 3, entries: 60, segmentSizeBytes: 64 << 10) { acked = $0 }
        #expect(acked == 60)
        guard case .success(let summary) = ProcessTorture.check(directory: dir, seed: 3, acked: 60, segmentSizeBytes: 64 << 10) else {
            Issue.record("a clean directory must pass")
            return
        }
        #expect(summary.lastIndex == 60 && summary.commit == 60)
        guard case .failure = ProcessTorture.check(directory: dir, seed: 3, acked: 61, segmentSizeBytes: 64 << 10) else {
            Issue.record("an acknowledged index beyond the log is a loss")
            return
        }
        guard case .failure = ProcessTorture.check(directory: dir, seed: 4, acked: 60, segmentSizeBytes: 64 << 10) else {
            Issue.record("entries of another seed differ")
            return
        }
        // The writer continues where it stopped.
        try ProcessTorture.write(directory: dir, seed: 3, entries: 80, segmentSizeBytes: 64 << 10) { acked = $0 }
        #expect(acked == 80)
        if case .failure(let v) = ProcessTorture.check(directory: dir, seed: 3, acked: 80, segmentSizeBytes: 64 << 10) {
            Issue.record("\(v)")
        }
    }

    @Test func killLoopKillsWritersAfterTheyAcknowledgeAndLosesNothing() throws {
        guard let exe = ToolProcess.locate("raft-torture", environment: "RAFT_TORTURE") else {
            Issue.record("raft-torture is not built next to the tests (swift build --build-tests builds it)")
            return
        }
        let dir = NSTemporaryDirectory() + "torture-kill-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var loop = KillLoop(directory: dir + "/log", iterations: 6, seed: 11, executable: exe)
        loop.maxRunMillis = 50
        loop.startupKillEvery = 3
        let outcome = loop.run(progress: { _ in })
        #expect(outcome.violation == nil, "\(outcome.violation ?? "")")
        #expect(outcome.kills + outcome.earlyExits == 6)
        // Kills timed from the first acknowledgement: each of those found entries to check.
        #expect(outcome.killsAfterAck > 0 && outcome.acked > 0)
        #expect(outcome.startupKills > 0, "seed 11 aims at least one kill at start-up")
        #expect(outcome.lastIndex >= outcome.acked && outcome.fullChecks == 1)
    }

    @Test func killLoopCallsAWriterThatCannotStartAnEnvironmentErrorNotAViolation() throws {
        guard let exe = ToolProcess.locate("raft-torture", environment: "RAFT_TORTURE") else {
            Issue.record("raft-torture is not built next to the tests (swift build --build-tests builds it)")
            return
        }
        let outcome = KillLoop(directory: "/proc/no-such-dir/log", iterations: 3, seed: 1, executable: exe).run(progress: { _ in })
        #expect(outcome.violation == nil)
        #expect(outcome.environmentError?.contains("status 2") == true, "\(outcome.environmentError ?? "nil")")
        #expect(outcome.kills == 0)
    }
}
