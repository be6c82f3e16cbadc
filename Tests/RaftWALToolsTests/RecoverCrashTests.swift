import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// Crash safety of every command, on the simulated file system: the command
/// is killed after k mutating operations for every k, the machine loses
/// power (unsynced operations kept, dropped or torn), and then the source
/// must be intact and a re-run must produce what an uninterrupted run does.
@Suite struct RecoverCrashTests {
    /// A simulated disk (crash choices drawn from `seed`) holding `files` at `/data/src`, synced.
    static func disk(_ files: [String: Data], seed: UInt64, lockFile: Bool) throws -> SimFileSystem {
        let fs = SimFileSystem(seed: seed)
        try fs.createDirectory("/data/src")
        try fs.syncDirectory("/")
        try fs.syncDirectory("/data")
        for (name, bytes) in files {
            let h = try fs.open("/data/src/" + name, access: .readWrite, create: true)
            try h.write(Array(bytes), at: 0)
            try h.sync(dataOnly: false)
            h.close()
        }
        if lockFile {
            // A directory a server has run on has a LOCK file: the command takes that lock.
            let h = try fs.open("/data/src/LOCK", access: .readWrite, create: true)
            try h.write(Array("pid=1 host=manager-2\n".utf8), at: 0)
            try h.sync(dataOnly: false)
            h.close()
        }
        try fs.syncDirectory("/data/src")
        return fs
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var fixture: String
        var lockFile = false
        var target: OutputTarget
        var run: @Sendable (RecoverOptions) throws(RecoverError) -> RecoverReport
        var testDescription: String { name }
    }

    static let newCluster = ClusterID(high: 0xC0FFEE, low: 2)
    static let cases: [Case] = [
        Case(name: "force-new-cluster --output", fixture: "survivor-learners", target: .directory("/data/new")) { o throws(RecoverError) in
            try ForceNewCluster(source: "/data/src", options: o, clusterID: newCluster).run()
        },
        Case(name: "force-new-cluster --in-place", fixture: "survivor-voters", lockFile: true, target: .inPlace) { o throws(RecoverError) in
            try ForceNewCluster(source: "/data/src", options: o, clusterID: newCluster).run()
        },
        Case(name: "repair", fixture: "survivor-torn-tail", lockFile: true, target: .inPlace) { o throws(RecoverError) in
            try Repair(source: "/data/src", options: o).run()
        },
        Case(name: "truncate", fixture: "survivor-voters", target: .inPlace) { o throws(RecoverError) in
            try Truncate(source: "/data/src", after: 195, options: o).run()
        },
    ]

    func options(_ target: OutputTarget, _ fs: SimFileSystem) -> RecoverOptions {
        var o = RecoverOptions(target: target)
        o.fileSystem = fs
        o.sync = .durable
        o.segmentSizeBytes = 16 << 10
        return o
    }

    /// The source's files, LOCK excluded, by name.
    func files(_ fs: SimFileSystem, _ dir: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for p in fs.paths() where p.hasPrefix(dir + "/") && !p.hasSuffix("/LOCK") {
            let name = String(p.dropFirst(dir.count + 1))
            if !name.contains("/") { out[name] = fs.contents(of: p) }
        }
        return out
    }

    @Test(arguments: cases)
    func killedAtEveryStepTheSourceIsIntactAndARerunGivesTheSameResult(_ c: Case) throws {
        let (root, source) = try S.survivor(c.fixture)
        let fixture = try S.files(source)
        try? FileManager.default.removeItem(atPath: root)
        let base = try Self.disk(fixture, seed: 7, lockFile: c.lockFile)
        let original = files(base, "/data/src")
        let resultPath: String
        if case .directory(let out) = c.target { resultPath = out } else { resultPath = "/data/src" }

        let clean = base.copy()
        let start = clean.operationCount
        let expected = try c.run(options(c.target, clean))
        #expect(expected.outcome == .done)
        let steps = clean.operationCount - start
        let want = try S.digest(resultPath, fs: clean)
        #expect(steps > 10)

        for k in 0..<steps {
            // A fresh seed per step, so the power cuts keep, drop and tear different operations.
            let fs = try Self.disk(fixture, seed: 1000 + UInt64(k), lockFile: c.lockFile)
            fs.kill(afterOperations: k)
            let killed = S.failure { () throws(RecoverError) in try c.run(options(c.target, fs)) }
            #expect(killed != nil, "killed after \(k) of \(steps) operations, the command reported success")
            fs.crash()

            // The source's bytes survive: in place, either still at the source or whole in the backup.
            let atSource = files(fs, "/data/src")
            let backup = files(fs, "/data/src.raft-recover-backup")
            #expect(atSource == original || backup == original, "after a kill at step \(k)")
            if case .directory = c.target { #expect(atSource == original, "after a kill at step \(k)") }
            // Whatever is under the result's name is the complete result: never a partial one.
            if fs.isDirectory(resultPath) && (c.target != .inPlace || atSource != original) {
                #expect(try S.digest(resultPath, fs: fs) == want, "presented after a kill at step \(k)")
            }

            let rerun = try c.run(options(c.target, fs))
            #expect([.done, .alreadyDone, .nothingToDo].contains(rerun.outcome), "re-run after a kill at step \(k)")
            #expect(try S.digest(resultPath, fs: fs) == want, "re-run after a kill at step \(k)")
        }
    }
}
