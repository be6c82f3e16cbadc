import Foundation
import RaftWAL
import RaftWALTesting

/// `raft-torture kill-loop`: runs the writer as a child process, kills it
/// with SIGKILL at a random moment, checks the directory, and repeats, on
/// the same directory (each writer continues where the last one died).
package struct KillLoop {
    package var directory: String
    package var iterations: Int
    package var seed: UInt64
    /// Path of the `raft-torture` executable that runs the writer.
    package var executable: String
    /// Longest time the writer runs after its first acknowledgement before
    /// the kill.
    package var maxRunMillis: Int = 200
    /// One kill in this many lands at a random moment from the spawn
    /// instead (during start-up, open and tail repair); 0 never.
    package var startupKillEvery: Int = 8
    /// How long to wait for the writer's first acknowledgement before killing
    /// it anyway (a loaded machine or a large directory opens slowly).
    package var firstAckTimeoutMillis: Int = 30_000
    package var segmentSizeBytes: UInt64 = 1 << 20

    package init(directory: String, iterations: Int, seed: UInt64, executable: String) {
        self.directory = directory
        self.iterations = iterations
        self.seed = seed
        self.executable = executable
    }

    package struct Outcome: Sendable {
        package var kills = 0
        /// Kills aimed at start-up (before the first acknowledgement).
        package var startupKills = 0
        /// Kills after the writer had acknowledged at least one append.
        package var killsAfterAck = 0
        /// Runs that ended by themselves before the kill (they should not).
        package var earlyExits = 0
        package var acked: UInt64 = 0
        package var lastIndex: UInt64 = 0
        /// Checks that found a torn tail (a kill during a write).
        package var tornTails = 0
        /// Checks that compared every entry from index 1.
        package var fullChecks = 0
        package var violation: String?
        /// The loop could not run (the writer could not start, or failed on
        /// its environment: exit status 2); nothing was judged.
        package var environmentError: String?
    }

    /// Runs the loop; `progress` receives a line every 100 kills.
    package func run(progress: (String) -> Void) -> Outcome {
        var outcome = Outcome()
        var r = SimRandom(seed: seed ^ 0x4B11)
        for k in 1...max(1, iterations) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["writer", "--dir", directory, "--seed", String(seed), "--segment-size", String(segmentSizeBytes)]
            let pipe = Pipe()
            process.standardOutput = pipe
            let errors = Pipe()
            process.standardError = errors
            do { try process.run() } catch {
                outcome.environmentError = "cannot start \(executable): \(error)"
                return outcome
            }
            let reader = LineCollector(pipe.fileHandleForReading)
            let errorReader = LineCollector(errors.fileHandleForReading)
            let aimAtStartup = startupKillEvery > 0 && r.below(startupKillEvery) == 0
            let acknowledged = aimAtStartup ? false : reader.waitForFirstAck(timeoutMillis: firstAckTimeoutMillis)
            usleep(UInt32(r.below(maxRunMillis * 1000 + 1)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                outcome.kills += 1
                if aimAtStartup { outcome.startupKills += 1 }
                if acknowledged { outcome.killsAfterAck += 1 }
            }
            process.waitUntilExit()
            let lines = reader.finish()
            let stderrText = errorReader.finish().joined(separator: "\n")
            if process.terminationReason == .exit {
                outcome.earlyExits += 1
                if process.terminationStatus != 0 {
                    let why = "iteration \(k): the writer exited with status \(process.terminationStatus): \(stderrText)"
                    // The writer exits 1 on corruption (a violation), 2 on its environment.
                    if process.terminationStatus == 2 { outcome.environmentError = why } else { outcome.violation = why }
                    return outcome
                }
            }
            for line in lines where line.hasPrefix("acked ") {
                if let n = UInt64(line.dropFirst(6)) { outcome.acked = max(outcome.acked, n) }
            }
            // Every byte on every hundredth round and the last; otherwise what the last rounds wrote.
            let full = k % 100 == 0 || k == iterations
            let from = full ? 1 : (outcome.lastIndex > 20_000 ? outcome.lastIndex - 20_000 : 1)
            if full { outcome.fullChecks += 1 }
            switch ProcessTorture.check(directory: directory, seed: seed, acked: outcome.acked, segmentSizeBytes: segmentSizeBytes, from: from) {
            case .success(let summary):
                outcome.lastIndex = summary.lastIndex
                if summary.labels.contains(.tornTail) { outcome.tornTails += 1 }
            case .failure(let v):
                outcome.violation = "iteration \(k): \(v.reason)"
                return outcome
            }
            if k % 100 == 0 {
                progress("kills \(outcome.kills) (\(outcome.killsAfterAck) after an ack, \(outcome.startupKills) at start-up), acknowledged \(outcome.acked), last index \(outcome.lastIndex)")
            }
        }
        return outcome
    }
}

/// Reads a pipe to its end on a background thread, split into lines, and
/// tells when the first `acked` line has arrived.
final class LineCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let firstAck = DispatchSemaphore(value: 0)
    private var data = Data()
    /// Written before `firstAck` is signalled, read after waiting on it.
    private var sawAck = false

    init(_ handle: Foundation.FileHandle) {
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                self.data.append(chunk)
                // The writer prints only `acked` lines, each flushed whole.
                if !self.sawAck, chunk.contains(UInt8(ascii: "\n")) {
                    self.sawAck = true
                    self.firstAck.signal()
                }
            }
            if !self.sawAck { self.firstAck.signal() }  // the stream ended without one
            self.done.signal()
        }
    }

    /// Waits until the first `acked` line arrives; false on timeout or when
    /// the stream ended without one.
    func waitForFirstAck(timeoutMillis: Int) -> Bool {
        firstAck.wait(timeout: .now() + .milliseconds(timeoutMillis)) == .success && sawAck
    }

    func finish() -> [String] {
        done.wait()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
