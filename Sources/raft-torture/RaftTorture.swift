#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import RaftWAL
import RaftWALTools
import RaftWALTorture
import ToolMain

/// `raft-torture`: the crash fuzzer. The logic lives in `RaftWALTools/Torture`;
/// this file only parses arguments and prints.
@main
struct RaftTorture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-torture",
        abstract: "Crash-test a RaftWAL log: simulated power loss and storage faults, or real SIGKILLs.",
        discussion: """
            Every run is deterministic by --seed, and every failure prints the one command that replays it.
            What the checker asserts, the fault model and the canary: docs/TORTURE.md.

            Exit status: 0 no violation (for --canary: the canary was caught), 1 violation found
            (for --canary: not caught), 2 usage or environment error.
            """,
        version: raftWALVersion,
        subcommands: [Sim.self, Writer.self, Check.self, KillLoopCommand.self])

    /// Runs the command with the tools' conventions (`runAsTool`).
    static func main() { runAsTool("raft-torture") }
}

/// Writes a line to stderr (diagnostics).
func printError(_ s: String) { writeLine(2, s) }

/// Writes a line to stdout unbuffered, so a reader sees it even if the
/// process is killed right after (the writer's `acked` lines depend on it).
func printLine(_ s: String) { writeLine(1, s) }

func writeLine(_ fd: Int32, _ s: String) { Terminal.write(s + "\n", to: fd) }

struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explore crash points on a simulated disk and check every recovery.",
        discussion: """
            Each crash point runs random operations (appends from 0 bytes to several MiB, batches of 1 to \
            thousands, conflicting appends, hard-state updates, snapshots, compaction, roll-overs), cuts the \
            power at a random file-system operation, reopens and checks the log against a model.
            """)

    @Option(help: "Seed of the run (printed; the same seed replays the same run).")
    var seed: UInt64 = 1
    @Option(help: "Crash points to explore.")
    var iterations: Int = 1000
    @Flag(help: "Add storage faults: EIO on sync, ENOSPC, misdirected and lost writes, bit flips, zeroed sectors, stale blocks, lost files, stale preallocation.")
    var faults = false
    @Flag(help: "Run a deliberately broken engine that acknowledges before syncing; succeed only if it is caught.")
    var canary = false
    @Flag(help: "Run the log in confirmed mode (LogOptions.confirmAppends: ACKED written and synced after each append), where a cut of acknowledged data must always be reported (A1).")
    var confirmed = false

    @Flag(help: "Print every operation, crash and fault (to stderr), for replaying a failure.")
    var trace = false

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    }

    func run() throws {
        var config = SimTortureConfig(seed: seed, iterations: iterations, faults: faults, canary: canary)
        config.confirmed = confirmed
        if trace { config.trace = { printError($0) } }
        printError("raft-torture sim: seed \(seed), \(iterations) crash points\(faults ? ", faults" : "")\(confirmed ? ", confirmed" : "")\(canary ? ", canary" : "")")
        let clock = ContinuousClock()
        let start = clock.now
        let result = SimTorture(config: config, progress: { printError($0) }).run()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        printLine("seed \(seed): \(result.crashPoints) crash points in \(result.episodes) episodes, \(String(format: "%.1f", seconds)) s")
        printLine("acknowledged: \(result.acknowledgedOperations) operations, \(result.acknowledgedEntries) entries, \(result.acknowledgedTruncations) truncations; interrupted operations: \(result.interruptedOperations); interrupted recoveries: \(result.interruptedRecoveries)")
        if !result.faults.isEmpty {
            printLine("faults: " + result.faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if !result.damageOutcomes.isEmpty {
            printLine("after damage: " + result.damageOutcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if faults {
            let silent = result.silentCuts.values.reduce(0, +)
            var line = "acknowledged data cut silently (as a torn tail or a clean end): \(silent)"
            if silent > 0 { line += " (" + result.silentCuts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")" }
            printLine(line + "; false alarms (T5 with no acknowledged byte harmed): \(result.falseAlarms)")
        }
        if canary {
            if let v = result.violation {
                printLine("canary caught at crash point \(v.crashPoint): \(v.reason)")
                printLine("replay: \(v.replay)")
                return
            }
            printLine("canary NOT caught in \(result.crashPoints) crash points: the fuzzer has no teeth")
            throw ExitCode(1)
        }
        if let v = result.violation {
            printLine("VIOLATION: \(v.reason)")
            printLine("replay: \(v.replay)")
            throw ExitCode(1)
        }
        printLine("no violation")
    }
}

struct Writer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append deterministic entries to a real directory, printing `acked <lastIndex>` after each append.",
        discussion: "Continues an existing directory after its last index. The payload of each index derives from the seed.")

    @Option(help: "The data directory (created if missing).")
    var dir: String
    @Option(help: "Seed the payloads derive from.")
    var seed: UInt64 = 1
    @Option(help: "Stop when the log holds this many entries (default: never).")
    var entries: UInt64?
    @Option(help: "Segment size in bytes.")
    var segmentSize: UInt64 = 1 << 20
    @Flag(help: "Confirmed mode (LogOptions.confirmAppends): ACKED written and synced before each `acked` line.")
    var confirmed = false

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        do {
            try ProcessTorture.write(directory: dir, seed: seed, entries: entries, segmentSizeBytes: segmentSize,
                                     confirmed: confirmed) { last in
                printLine("acked \(last)")
            }
        } catch {
            throw ToolFailure("writer: \(error)", status: error.isCorruption ? .damage : .usage)
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify that entries 1...N are present and byte-exact and that the directory opens cleanly (read-only).")

    @Option(help: "The data directory.")
    var dir: String
    @Option(help: "The writer's seed.")
    var seed: UInt64 = 1
    @Option(help: "The highest index the writer acknowledged.")
    var acked: UInt64
    @Option(help: "Segment size in bytes (as given to the writer).")
    var segmentSize: UInt64 = 1 << 20

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        switch ProcessTorture.check(directory: dir, seed: seed, acked: acked, segmentSizeBytes: segmentSize) {
        case .success(let s):
            printLine("ok: entries 1...\(acked) byte-exact; last index \(s.lastIndex), commit \(s.commit); recovery: \(s.labels.map(\.rawValue).joined(separator: ", "))")
        case .failure(let v):
            printLine("VIOLATION: \(v.reason)")
            printLine("replay: raft-torture check --dir \(dir) --seed \(seed) --acked \(acked)")
            throw ExitCode(1)
        }
    }
}

struct KillLoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill-loop",
        abstract: "Run the writer, SIGKILL it at a random moment, check, and repeat.")

    @Option(help: "The data directory (kept afterwards, for inspection).")
    var dir: String
    @Option(help: "Number of kills.")
    var iterations: Int = 100
    @Option(help: "Seed of the payloads and of the kill times.")
    var seed: UInt64 = 1
    @Option(help: "Longest time a writer runs after its first acknowledgement before it is killed, in milliseconds.")
    var maxRunMillis: Int = 200
    @Option(help: "Aim one kill in this many at the writer's start-up (open and tail repair) instead; 0 never.")
    var startupKillEvery: Int = 8
    @Option(help: "Segment size in bytes.")
    var segmentSize: UInt64 = 1 << 20

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard maxRunMillis >= 0, startupKillEvery >= 0 else { throw ValidationError("--max-run-millis and --startup-kill-every must not be negative") }
    }

    func run() throws {
        try ToolPaths.refuseNonDirectory(dir)
        var loop = KillLoop(directory: dir, iterations: iterations, seed: seed, executable: currentExecutable())
        loop.maxRunMillis = maxRunMillis
        loop.startupKillEvery = startupKillEvery
        loop.segmentSizeBytes = segmentSize
        printError("raft-torture kill-loop: \(dir), seed \(seed), \(iterations) kills")
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = loop.run(progress: { printError($0) })
        let elapsed = clock.now - start
        printLine("\(outcome.kills) SIGKILLs (\(outcome.killsAfterAck) after the writer's first ack, \(outcome.startupKills) aimed at start-up; \(outcome.earlyExits) writers exited first), \(outcome.tornTails) torn tails seen, \(outcome.fullChecks) full checks, acknowledged \(outcome.acked), last index \(outcome.lastIndex), \(elapsed.components.seconds) s")
        if let e = outcome.environmentError { throw ToolFailure("kill-loop: \(e)") }
        if let v = outcome.violation {
            printLine("VIOLATION: \(v)")
            printLine("replay: raft-torture check --dir \(dir) --seed \(seed) --acked \(outcome.acked)  (the directory is kept)")
            throw ExitCode(1)
        }
        if outcome.killsAfterAck == 0 && outcome.kills > outcome.startupKills {
            throw ToolFailure("kill-loop: no kill landed after an acknowledged append, so nothing was tested; the writer never acknowledged within 30 s")
        }
        printLine("no acknowledged entry lost")
    }
}

/// This executable's path (to spawn the writer).
func currentExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
}
