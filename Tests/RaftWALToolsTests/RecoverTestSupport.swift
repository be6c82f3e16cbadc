import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

/// Helpers for the raft-recover tests: scratch directories, fixtures, and a
/// digest of what a log holds (to compare results without their random salts).
enum RecoverTestSupport {
    /// A new empty directory under the system's temporary directory.
    static func scratch(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "raft-recover-tests-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Expects each named fixture shipped under `Fixtures/` to equal, file by
    /// file (LOCK excluded), what `build` writes into a fresh scratch root.
    /// With `RAFTWAL_WRITE_FIXTURES=1` the shipped ones are rebuilt first
    /// (what `swift run make-fixtures` does), so the comparison then passes.
    static func expectShippedFixturesReproducible(names: [String], build: (_ root: String) throws -> Void,
                                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["RAFTWAL_WRITE_FIXTURES"] == "1" {
            try build(RecoverFixtureTests.root)
        }
        let rebuilt = try scratch("fixtures")
        defer { try? FileManager.default.removeItem(atPath: rebuilt) }
        try build(rebuilt)
        for name in names {
            let shipped = try files(RecoverFixtureTests.root + "/" + name)
            #expect(!shipped.isEmpty, "\(name) is missing under Fixtures/", sourceLocation: sourceLocation)
            #expect(shipped == (try files(rebuilt + "/" + name)),
                    "\(name) differs from a fresh build (swift run make-fixtures)", sourceLocation: sourceLocation)
        }
    }

    /// `raft-inspect verify`'s analysis, entry bodies decoded, finds no damage in `dir`.
    static func expectVerifiesClean(_ dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var o = Analyzer.Options()
        o.decodeBodies = true
        let damage = try Analyzer(directory: dir, options: o).run().damage
        #expect(damage.isEmpty, "\(damage)", sourceLocation: sourceLocation)
    }

    /// Builds a survivor fixture into a scratch directory; returns (root, source).
    static func survivor(_ name: String) throws -> (root: String, source: String) {
        let root = try scratch(name)
        let source = root + "/" + name
        try SurvivorFixtures.build(name, into: source)
        return (root, source)
    }

    /// Every file's bytes, LOCK excluded (its content names the last holder, not data).
    static func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name != "LOCK" {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// Options for tests on the real file system (no syncs: these tests do not crash).
    static func options(_ target: OutputTarget, dryRun: Bool = false, acceptDataLoss: Bool = false) -> RecoverOptions {
        var o = RecoverOptions(target: target)
        o.dryRun = dryRun
        o.acceptDataLoss = acceptDataLoss
        o.sync = .none
        o.segmentSizeBytes = 16 << 10
        return o
    }

    static func open(_ dir: String, fs: any FileSystem = POSIXFileSystem()) throws -> RaftLog {
        var o = LogOptions.readOnly
        o.fileSystem = fs
        return try RaftLog.open(directory: dir, options: o)
    }

    /// Everything a log holds that a reader can observe.
    struct Digest: Equatable {
        var identity: LogIdentity
        var hardState: HardState
        var firstIndex: UInt64
        var lastIndex: UInt64
        var entries: [Entry]
        var snapshot: Snapshot?
        var membership: Membership
    }

    static func digest(_ dir: String, fs: any FileSystem = POSIXFileSystem()) throws -> Digest {
        let log = try open(dir, fs: fs)
        defer { log.close() }
        let entries = log.lastIndex >= log.firstIndex ? try log.entries(log.firstIndex, log.lastIndex + 1) : []
        return Digest(identity: log.identity, hardState: log.hardState, firstIndex: log.firstIndex, lastIndex: log.lastIndex,
                      entries: entries, snapshot: try log.latestSnapshot(), membership: try log.membership())
    }

    /// The error a command threw, or nil when it returned.
    static func failure(_ body: () throws(RecoverError) -> RecoverReport) -> RecoverError? {
        do { _ = try body(); return nil } catch { return error }
    }
}
