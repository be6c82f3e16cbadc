import Foundation
import RaftWAL
import RaftWALTools
import Testing

/// `raft-inspect` and the engine's read-only open on a directory a real
/// writer process appends to (`docs/TOOLS.md`, "A live directory"): what
/// they report must be a consistent cut, so a healthy log under a writer is
/// never reported damaged, across segment roll-overs.
@Suite(.serialized)
struct InspectLiveDirectoryTests {
    /// A `raft-torture writer` appending without pause into 16 KiB segments
    /// (a roll-over every few milliseconds), stopped by its pid.
    final class LiveWriter {
        let process = Process()
        let directory: String

        init() throws {
            directory = NSTemporaryDirectory() + "raftwal-live-\(UUID().uuidString)"
            guard let exe = ToolProcess.locate("raft-torture", environment: "RAFT_TORTURE") else {
                throw NSError(domain: "raft-torture is not built next to the tests", code: 1)
            }
            process.executableURL = URL(fileURLWithPath: exe)
            process.arguments = ["writer", "--dir", directory, "--segment-size", "16384"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// The highest segment sequence number listed now (0 when none).
        func lastSeq() -> UInt64 {
            (try? DirectoryListing(directory: directory))?.segments.last?.seq ?? 0
        }

        /// Waits (at most 60 s) until the writer has rolled over at least `count` times.
        func waitForRollOvers(_ count: UInt64) -> Bool {
            for _ in 0..<6000 {
                if lastSeq() > count { return true }
                usleep(10_000)
            }
            return false
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func fiftyScansUnderALiveWriterFindNoDamageAcrossRollOvers() throws {
        let writer = try LiveWriter()
        defer { writer.stop() }
        #expect(writer.waitForRollOvers(2), "the writer never rolled over a segment")
        let seqBefore = writer.lastSeq()
        var options = Analyzer.Options()
        options.decodeBodies = true
        var damaged: [String] = []
        var engineRefusals: [String] = []
        var liveScans = 0
        // At least 50 scans, and on until the writer has rolled over twice
        // during them (a loaded machine slows the writer's syncs), for at most 120 s.
        let deadline = Date().addingTimeInterval(120)
        var scan = 0
        while scan < 50 || (writer.lastSeq() < seqBefore + 2 && Date() < deadline) {
            defer { scan += 1 }
            let analysis = try Analyzer(directory: writer.directory, options: options).run()
            if !analysis.writtenDuringInspection.isEmpty { liveScans += 1 }
            for f in analysis.damage { damaged.append("scan \(scan): \(f.label?.rawValue ?? "-") \(f.file ?? "") \(f.message)") }
            do {
                let log = try RaftLog.open(directory: writer.directory, options: .readOnly)
                log.close()
            } catch {
                engineRefusals.append("scan \(scan): \(error)")
            }
        }
        // And the executable, as an operator runs it: exit 0, no DAMAGE line.
        let inspect = try #require(InspectSupport.executable, "raft-inspect is not built next to the tests")
        for _ in 0..<10 {
            for command in ["verify", "summary"] {
                let r = try ToolProcess.run(inspect, [command, writer.directory], environment: ["NO_COLOR": "1"])
                if r.status != 0 || r.stdout.contains("DAMAGE") {
                    damaged.append("raft-inspect \(command): exit \(r.status): \(r.stdout.prefix(300)) \(r.stderr.prefix(200))")
                }
            }
        }
        #expect(writer.lastSeq() >= seqBefore + 2, "fewer than two segment roll-overs during \(scan) scans")
        // How often the race was met (a writer's bytes seen and set aside): for the record, not asserted.
        print("InspectLiveDirectoryTests: \(liveScans) of \(scan) scans met bytes written during the scan; segments seq \(seqBefore)...\(writer.lastSeq())")
        #expect(writer.process.isRunning, "the writer stopped during the scans")
        let damagedScans = Set(damaged.filter { $0.hasPrefix("scan ") }.map { $0.split(separator: ":")[0] }).count
        #expect(damaged.isEmpty, "\(damagedScans) of \(scan) scans (and \(damaged.count - damaged.filter { $0.hasPrefix("scan ") }.count) of 20 raft-inspect runs) found damage in a healthy live log: \(damaged.prefix(5))")
        #expect(engineRefusals.isEmpty, "\(engineRefusals.count) of \(scan) read-only opens refused: \(engineRefusals.prefix(5))")
    }

    /// A writer that also snapshots and compacts (removes old segments and
    /// snapshots) while scans run: a listed file that is gone when opened
    /// makes the pass run again from a new listing, never a damage report or
    /// an exit-2 failure. The writer is a thread here (the torture writer
    /// never compacts); the process test above covers the roll-overs.
    @Test func scansWhileAWriterSnapshotsAndCompactsFindNoDamage() throws {
        let directory = NSTemporaryDirectory() + "raftwal-compacting-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = LogOptions()
        options.segmentSizeBytes = 16 << 10
        options.compactionKeepEntries = 8
        options.snapshotRetention = 1
        options.sync = .none
        let log = try RaftLog.open(directory: directory, options: options)
        let stop = StopFlag()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var writerError: Error? = nil
        nonisolated(unsafe) var compactions = 0
        Thread.detachNewThread {
            defer { done.signal() }
            do {
                var appends = 0
                while !stop.isSet {
                    let first = log.lastIndex + 1
                    let batch = (first..<(first + 4)).map { Entry(index: $0, term: 1, data: [UInt8](repeating: UInt8($0 & 0xFF), count: 200)) }
                    try log.append(batch, hardState: HardState(term: 1, vote: 1, commit: first + 3))
                    appends += 1
                    if appends % 40 == 0 {
                        try log.saveSnapshot(Snapshot(index: log.lastIndex, term: 1, membership: try log.membership(),
                                                      data: Array("state at \(log.lastIndex)".utf8)))
                        compactions += 1
                    }
                }
            } catch {
                writerError = error
            }
        }
        var scanOptions = Analyzer.Options()
        scanOptions.decodeBodies = true
        var problems: [String] = []
        // At least 50 scans, and on until the writer has compacted twice during them (a loaded machine
        // gives the writer few turns), at most 2,000.
        var scan = 0
        while scan < 50 || (compactions < 2 && scan < 2000) {
            defer { scan += 1 }
            do {
                let analysis = try Analyzer(directory: directory, options: scanOptions).run()
                for f in analysis.damage { problems.append("scan \(scan): damage \(f.line)") }
            } catch {
                problems.append("scan \(scan): failed \(error.message)")
            }
            do { try RaftLog.open(directory: directory, options: .readOnly).close() } catch {
                problems.append("scan \(scan): read-only open refused: \(error)")
            }
        }
        stop.set()
        done.wait()
        log.close()
        #expect(writerError == nil, "the writer failed: \(String(describing: writerError))")
        #expect(compactions >= 2, "the writer compacted \(compactions) times during the scans")
        #expect(problems.isEmpty, "\(problems.count) problems on a healthy compacting log: \(problems.prefix(5))")
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
