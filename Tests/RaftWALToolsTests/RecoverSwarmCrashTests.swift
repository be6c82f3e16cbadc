import Foundation
import RaftInterop
import RaftWAL
import RaftWALTesting
import RaftWALTools
import Testing

private typealias W = SwarmRecoverSupport

/// Crash safety of force-new-cluster and repair on Swarm managers, on the
/// simulated file system: killed after k mutating operations for every k,
/// then a power cut (unsynced operations kept, dropped or torn). The source
/// (or, in place, its backup) must be whole, whatever is under the result's
/// name must be complete, and a re-run must finish the job.
///
/// The interop reader reads the real scratch copy; every write, sync and
/// rename goes to the simulated disk, which holds the same tree at the same path.
@Suite struct RecoverSwarmCrashTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var fixture: String
        var command: ForeignRecover.Command
        var inPlace: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "force-new-cluster --output (quorum-lost survivor)", fixture: "swarm-quorum-lost/manager-2", command: .forceNewCluster, inPlace: false),
        Case(name: "force-new-cluster --in-place (quorum-lost survivor)", fixture: "swarm-quorum-lost/manager-2", command: .forceNewCluster, inPlace: true),
        Case(name: "repair --in-place (CRC error the snapshot covers)", fixture: "damaged/swarm-crc-covered", command: .repair, inPlace: true),
    ]

    /// A simulated disk holding `tree` at `dir`, everything synced.
    static func disk(_ tree: [String: Data], at dir: String, seed: UInt64) throws -> SimFileSystem {
        let fs = SimFileSystem(seed: seed)
        try fs.createDirectory(dir)
        var p = dir
        while p != "/" { p = parentDirectory(of: p); try fs.syncDirectory(p) }
        for (rel, bytes) in tree {
            let path = dir + "/" + rel
            try fs.createDirectory(parentDirectory(of: path))
            let h = try fs.open(path, access: .readWrite, create: true)
            try h.write(Array(bytes), at: 0)
            try h.sync(dataOnly: false)
            h.close()
        }
        for d in fs.directories() where d.hasPrefix(dir) { try fs.syncDirectory(d) }
        return fs
    }

    /// Files under `dir` on the simulated disk, by relative path.
    static func files(_ fs: SimFileSystem, _ dir: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for p in fs.paths() where p.hasPrefix(dir + "/") { out[String(p.dropFirst(dir.count + 1))] = fs.contents(of: p) }
        return out
    }

    func options(_ c: Case, _ fs: SimFileSystem, out: String) -> RecoverOptions {
        var o = RecoverOptions(target: c.inPlace ? .inPlace : .directory(out))
        o.fileSystem = fs
        o.sync = .durable
        o.acceptDataLoss = false
        return o
    }

    /// A presented result is complete: its report is there, its WAL is the
    /// one the report describes, every other source file is carried byte for byte.
    func expectComplete(_ fs: SimFileSystem, _ result: String, source original: [String: [UInt8]], step: Int) throws {
        let files = Self.files(fs, result)
        let report = try #require(files["raft-recover-report.json"].flatMap { RecoverReport.decode($0) }, "no report after a kill at step \(step)")
        let wal = files.filter { $0.key.hasPrefix("raft/wal-v3-encrypted/") && $0.key.hasSuffix(".wal") }
        #expect(wal.count == 1, "after a kill at step \(step)")
        #expect(report.resultWALDigest != nil)
        for (rel, bytes) in original where rel.hasPrefix("certificates/") || rel.hasSuffix("state.json") {
            #expect(files[rel] == bytes, "\(rel) after a kill at step \(step)")
        }
    }

    @Test(arguments: cases)
    func killedAtEveryStepTheSourceIsWholeAndTheResultCompleteOrAbsent(_ c: Case) throws {
        let (root, dir) = try W.copy(c.fixture)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tree = try W.tree(dir)
        let out = root + "/new"
        let result = c.inPlace ? dir : out
        let run = { (fs: SimFileSystem) throws(RecoverError) -> RecoverReport in
            try ForeignRecover(source: dir, command: c.command, options: options(c, fs, out: out)).run()
        }

        let clean = try Self.disk(tree, at: dir, seed: 7)
        let original = Self.files(clean, dir)
        let start = clean.operationCount
        let expected = try run(clean)
        #expect(expected.outcome == .done)
        let steps = clean.operationCount - start
        #expect(steps > 20)
        try expectComplete(clean, result, source: original, step: -1)

        for k in 0..<steps {
            let fs = try Self.disk(tree, at: dir, seed: 1000 + UInt64(k))
            fs.kill(afterOperations: k)
            let killed = W.failure { () throws(RecoverError) in try run(fs) }
            #expect(killed != nil, "killed after \(k) of \(steps) operations, the command reported success")
            fs.crash()

            let atSource = Self.files(fs, dir)
            let backup = Self.files(fs, dir + ".raft-recover-backup")
            #expect(atSource == original || backup == original, "after a kill at step \(k)")
            if !c.inPlace { #expect(atSource == original, "after a kill at step \(k)") }
            if fs.isDirectory(result) && atSource != original {
                try expectComplete(fs, result, source: original, step: k)
            }

            let rerun = try run(fs)
            #expect([.done, .alreadyDone].contains(rerun.outcome), "re-run after a kill at step \(k)")
            try expectComplete(fs, result, source: original, step: k)
            #expect(rerun.kept == expected.kept && rerun.dropped == expected.dropped && rerun.resultHardState == expected.resultHardState,
                    "re-run after a kill at step \(k)")
        }
    }
}
