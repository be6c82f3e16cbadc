import RaftWAL
import RaftWALTesting

/// Settings of a `raft-torture sim` run.
package struct SimTortureConfig: Sendable {
    package var seed: UInt64
    /// Crash points to explore.
    package var iterations: Int
    /// Adds storage faults (``TortureFault``) to crashes.
    package var faults: Bool = false
    /// Runs the deliberately broken engine (``HookedFileSystem/acknowledgingBeforeSync(_:)``):
    /// the run succeeds only when the checker catches it.
    package var canary: Bool = false
    /// Runs the log in confirmed mode (``LogOptions/confirmAppends``): a cut
    /// of acknowledged data must then always be reported (A1), never silent.
    package var confirmed: Bool = false
    /// Crash points on one directory before a fresh one is started.
    package var crashPointsPerEpisode: Int = 50
    /// Receives a line per operation, crash and fault (for replaying a failure).
    package var trace: (@Sendable (String) -> Void)? = nil

    package init(seed: UInt64, iterations: Int, faults: Bool = false, canary: Bool = false) {
        self.seed = seed
        self.iterations = iterations
        self.faults = faults
        self.canary = canary
    }

    /// The one command that replays this run (up to `iterations`).
    package func replayCommand(iterations n: Int? = nil) -> String {
        var s = "raft-torture sim --seed \(seed) --iterations \(n ?? iterations)"
        if faults { s += " --faults" }
        if confirmed { s += " --confirmed" }
        if canary { s += " --canary" }
        return s
    }
}

/// What a run did and found.
package struct SimTortureResult: Sendable {
    package var crashPoints = 0
    package var episodes = 0
    /// Operations that returned successfully (acknowledged).
    package var acknowledgedOperations = 0
    package var acknowledgedEntries = 0
    /// Truncations (`RaftLog.truncate(after:)`) that returned successfully.
    package var acknowledgedTruncations = 0
    /// Crashes that interrupted an operation (it may or may not have survived).
    package var interruptedOperations = 0
    /// Reopens killed part-way (recovery itself interrupted).
    package var interruptedRecoveries = 0
    /// Faults injected (and fired), by ``TortureFault`` raw value.
    package var faults: [String: Int] = [:]
    /// After damage to acknowledged data: how the engine fared.
    package var damageOutcomes: [String: Int] = [:]
    /// Cuts of acknowledged data that passed for a torn write, by the fault
    /// (``TortureFault`` raw value) that caused them: what remains possible.
    package var silentCuts: [String: Int] = [:]
    /// Reopens after a crash that harmed no acknowledged byte whose report
    /// still said T5 (damaged tail): a false alarm, counted, not a violation.
    package var falseAlarms = 0
    /// The first violation: crash point, reason and the replay command.
    package var violation: (crashPoint: Int, reason: String, replay: String)?

    /// The crash point at which a canary run was caught.
    package var canaryCaughtAt: Int? { violation?.crashPoint }
}

/// The crash fuzzer on the simulated disk (`raft-torture sim`).
///
/// Each crash point: arm a kill after a random number of file-system
/// operations, run random operations until the kill (or a few dozen), crash
/// (volatile writes kept, dropped or torn), with `--faults` maybe damage
/// synced data, reopen (sometimes killed part-way and crashed again), and
/// check the log against the model. A run is a sequence of episodes, each on
/// a fresh directory with its own segment size, compression and
/// preallocation settings, all derived from the seed.
package struct SimTorture {
    package let config: SimTortureConfig
    /// Receives progress lines (stderr in the CLI).
    package var progress: (@Sendable (String) -> Void)?

    package init(config: SimTortureConfig, progress: (@Sendable (String) -> Void)? = nil) {
        self.config = config
        self.progress = progress
    }

    package func run() -> SimTortureResult {
        var result = SimTortureResult()
        var episode: UInt64 = 0
        while result.crashPoints < config.iterations && result.violation == nil {
            var e = SimEpisode(config: config, number: episode)
            e.run(&result)
            episode += 1
            result.episodes += 1
            if let progress, episode % 100 == 0 {
                progress("episodes \(episode), crash points \(result.crashPoints)/\(config.iterations)")
            }
        }
        return result
    }
}

/// One directory's life: crash points until the episode's budget or a
/// damaging fault ends it.
package struct SimEpisode {
    let config: SimTortureConfig
    let number: UInt64
    package let directory = "/data/raft"
    var random: SimRandom
    package let fs: SimFileSystem
    /// The episode's options, without a file system: ``openLog()`` gives
    /// each session its own ``SimProcess``.
    var options = LogOptions()
    let workload: TortureWorkload
    var model = TortureModel()

    package init(config: SimTortureConfig, number: UInt64) {
        self.config = config
        self.number = number
        var seeder = SimRandom(seed: config.seed ^ (number &* 0xD1B5_4A32_D192_ED03))
        let seed = seeder.next()
        random = SimRandom(seed: seed)
        fs = SimFileSystem(seed: random.next())
        workload = TortureWorkload(seed: seed)
        let sizes: [UInt64] = [16 << 10, 64 << 10, 256 << 10, 1 << 20]
        options.segmentSizeBytes = sizes[random.below(sizes.count)]
        options.compression = random.chance(0.7)
        options.snapshotChunkBytes = 4096  // streamed snapshots (TortureWorkload) span many chunks
        options.preallocate = random.chance(0.8)
        let keeps: [UInt64] = [0, 10, 500]
        options.compactionKeepEntries = keeps[random.below(keeps.count)]
        options.snapshotRetention = random.int(in: 1...3)
        options.readCacheBytes = random.chance(0.5) ? 0 : 1 << 20
        options.clusterID = ClusterID(high: seed, low: number)
        options.confirmAppends = config.confirmed
        options.clock = { 1_764_288_000_000_000_000 }
        options.deterministicSalt = { seq in
            var salt = SimRandom(seed: seed ^ (seq &* 0x9E37_79B9_7F4A_7C15))
            return salt.next()
        }
    }

    /// Opens the log as a new process on the disk. A crash ends that
    /// process: the crashed session's `RaftLog` still exists here, and
    /// nothing it does afterwards (its close writes a tail hint) may reach
    /// the disk the next session opened (``SimProcess``).
    package func openLog() throws(WALError) -> RaftLog {
        var sessionOptions = options
        let process = fs.process()
        sessionOptions.fileSystem = config.canary ? HookedFileSystem.acknowledgingBeforeSync(process) : process
        return try RaftLog.open(directory: directory, options: sessionOptions)
    }

    mutating func fail(_ result: inout SimTortureResult, _ reason: String) {
        let point = result.crashPoints
        result.violation = (point, "episode \(number), crash point \(point): " + reason, config.replayCommand(iterations: point))
    }

    mutating func run(_ result: inout SimTortureResult) {
        var log: RaftLog
        do { log = try openLog() } catch {
            return fail(&result, "creating the log failed: \(error)")
        }
        for _ in 0..<config.crashPointsPerEpisode {
            guard result.crashPoints < config.iterations, result.violation == nil else { return }
            result.crashPoints += 1
            guard let next = crashPoint(log, &result) else { return }
            log = next
        }
        log.close()
    }

    /// How a run of operations ended.
    struct RunEnd {
        /// The model if the interrupted (or failed) operation took effect.
        var interrupted: TortureModel?
        /// The error of an operation that failed while the process lived.
        var failure: (op: TortureOp, error: WALError)?
    }

    /// Runs up to `count` random operations; stops at the first error.
    mutating func runOperations(_ log: RaftLog, count: Int, _ result: inout SimTortureResult) -> RunEnd? {
        for _ in 0..<count {
            let op = workload.next(model, firstIndex: log.firstIndex, random: &random)
            if case let .append(entries, _) = op { model.recordHistory(entries) }
            config.trace?("  \(op.name)")
            do {
                try TortureWorkload.apply(op, to: log, model: &model)
                result.acknowledgedOperations += 1
                if case let .append(entries, _) = op { result.acknowledgedEntries += entries.count }
                if case .truncate = op { result.acknowledgedTruncations += 1 }
            } catch {
                if case .invalidArgument = error { fail(&result, "\(op.name) was refused: \(error)"); return nil }
                if case .truncationBelowCommit = error { fail(&result, "\(op.name) was refused: \(error)"); return nil }
                config.trace?("    -> \(error)")
                return RunEnd(interrupted: TortureWorkload.expected(op, model: model), failure: fs.isKilled ? nil : (op, error))
            }
        }
        return RunEnd(interrupted: nil, failure: nil)
    }

    /// After a write fault fired: an append or hard-state write must have
    /// fail-stopped the log, and a fail-stopped log acknowledges nothing.
    mutating func checkFailStop(_ log: RaftLog, _ failure: (op: TortureOp, error: WALError), _ result: inout SimTortureResult) -> Bool {
        switch failure.op {
        case .append, .setHardState, .truncate:
            if !log.isFailStopped {
                fail(&result, "\(failure.op.name) failed with \(failure.error) but the log did not fail-stop")
                return false
            }
        default: break
        }
        guard log.isFailStopped else { return true }
        let probe = [Entry(index: log.lastIndex + 1, term: max(model.hardState.term, model.term(model.lastIndex) ?? 1), data: [1])]
        do {
            try log.append(probe)
            fail(&result, "an append was acknowledged after the log fail-stopped (\(failure.error))")
            return false
        } catch {
            if case .failStopped = error { return true }
            fail(&result, "an append on a fail-stopped log failed with \(error), expected failStopped")
            return false
        }
    }

    /// Strict check of a reopened log; adopts the candidate it matches.
    mutating func strictCheck(_ log: RaftLog, _ candidates: [TortureModel], _ context: String, _ result: inout SimTortureResult) -> Bool {
        switch TortureChecker.strict(log, candidates: candidates) {
        case .success(let k):
            let history = model.history
            model = candidates[k]
            model.history = history
            return true
        case .failure(let v):
            fail(&result, v.reason + context)
            return false
        }
    }

    /// One crash point; returns the reopened log, or nil when the episode ends.
    mutating func crashPoint(_ first: RaftLog, _ result: inout SimTortureResult) -> RaftLog? {
        var log = first
        var fault: TortureFault? = nil
        if config.faults && random.chance(0.35) { fault = TortureFault.allCases.randomElement(using: &random)! }
        let before = fs.firedFaults
        if let fault, fault.onWritePath { fault.arm(on: fs, random: &random) }
        fs.kill(afterOperations: random.below(60))

        guard var end = runOperations(log, count: random.int(in: 1...30), &result) else { return nil }
        let fired = fs.firedFaults
        fs.disarmFaults()
        var firedFault: TortureFault? = nil
        if let fault, fault.onWritePath,
           fired.syncFailures > before.syncFailures || fired.noSpace > before.noSpace || fired.misdirections > before.misdirections {
            firedFault = fault
            result.faults[fault.rawValue, default: 0] += 1
        }
        if let failure = end.failure {
            guard firedFault != nil else { fail(&result, "\(failure.op.name) failed with no fault injected: \(failure.error)"); return nil }
            guard checkFailStop(log, failure, &result) else { return nil }
            result.interruptedOperations += 1
            if firedFault == .noSpace || random.chance(0.5) {
                // Recover by reopening in the same process (for ENOSPC on the
                // still-full disk); after EIO the page cache still shows
                // bytes the disk lost, so what the reopened log acknowledges
                // next must not depend on them.
                log.close()
                do {
                    let reopened = try openLog()
                    guard strictCheck(reopened, [model] + (end.interrupted.map { [$0] } ?? []),
                                      " (reopened without a crash after \(failure.error))", &result) else { return nil }
                    fs.capacityBytes = nil
                    log = reopened
                    guard let more = runOperations(log, count: random.int(in: 1...10), &result) else { return nil }
                    if let f = more.failure { fail(&result, "\(f.op.name) failed after the fault was disarmed: \(f.error)"); return nil }
                    end = more
                } catch {
                    // The kill armed for this crash point may fire in the reopen: then it is a crash in recovery.
                    guard fs.isKilled else {
                        fail(&result, "reopening without a crash after \(failure.error) failed: \(error)"); return nil
                    }
                }
            }
        } else if end.interrupted != nil {
            result.interruptedOperations += 1
        }
        fs.capacityBytes = nil

        config.trace?("crash (point \(result.crashPoints), episode \(number), model last \(model.lastIndex), interrupted: \(end.interrupted != nil))")
        fs.crash()
        var damage: String? = nil
        var atRest: TortureFault? = nil
        if let fault, !fault.onWritePath, let what = fault.injectAtRest(on: fs, directory: directory, random: &random) {
            damage = what
            atRest = fault
            result.faults[fault.rawValue, default: 0] += 1
        }
        let strict = (firedFault?.harmless ?? true) && (atRest?.harmless ?? true)
        if let damage { config.trace?("damage: \(damage)") }
        if let firedFault { config.trace?("write fault fired: \(firedFault.rawValue)") }
        let context = (damage ?? firedFault?.rawValue).map { " (after \($0))" } ?? ""

        // Reopen, sometimes killed part-way: recovery must survive its own crash.
        if random.chance(0.2) {
            fs.kill(afterOperations: random.below(8))
            if let partial = try? openLog() { partial.close() }
            if fs.isKilled { result.interruptedRecoveries += 1 }
            fs.crash()
        }
        let reopened: RaftLog
        do {
            reopened = try openLog()
            config.trace?("reopened: last \(reopened.lastIndex), first \(reopened.firstIndex), \(reopened.recoveryReport.labels.map(\.rawValue)) files \(fs.paths())")
        } catch {
            if strict { fail(&result, "opening after a crash failed: \(error)" + context); return nil }
            guard error.isCorruption else { fail(&result, "open failed with a non-corruption error: \(error)" + context); return nil }
            result.damageOutcomes[TortureChecker.WeakOutcome.detectedAtOpen.rawValue, default: 0] += 1
            return nil
        }
        let candidates = [model] + (end.interrupted.map { [$0] } ?? [])
        if strict {
            guard strictCheck(reopened, candidates, context, &result) else { reopened.close(); return nil }
            if reopened.recoveryReport.labels.contains(.damagedTail) {
                result.falseAlarms += 1
                config.trace?("false alarm: T5 after no damage to acknowledged bytes" + context)
            }
            return reopened
        }
        // Damaged acknowledged data: corrupted bytes must never come back as entries.
        var weakModel = candidates.last!
        weakModel.history = model.history
        switch TortureChecker.weak(reopened, model: weakModel, candidates: candidates) {
        case .success(let outcome):
            config.trace?("outcome: \(outcome.rawValue)" + (outcome == .cutSilently || outcome == .cutReported
                ? " (against the model: \(TortureChecker.mismatch(reopened, model) ?? "none"))" : ""))
            result.damageOutcomes[outcome.rawValue, default: 0] += 1
            if outcome == .cutSilently {
                result.silentCuts[(atRest ?? firedFault)?.rawValue ?? "none", default: 0] += 1
                // Confirmed mode promises what the default mode cannot: no cut of acknowledged data goes unreported.
                if config.confirmed { fail(&result, "acknowledged data cut without a report in confirmed mode" + context) }
            }
        case .failure(let v): fail(&result, v.reason + context)
        }
        reopened.close()
        return nil
    }
}

