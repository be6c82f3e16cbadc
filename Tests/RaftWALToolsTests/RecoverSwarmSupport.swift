import Foundation
import RaftInterop
import RaftWAL
import RaftWALTesting
import RaftWALTools

/// Helpers for raft-recover on the real Docker Swarm / etcd fixtures
/// (`Fixtures/interop`): scratch copies, tree hashes, read-back.
enum SwarmRecoverSupport {
    static let base = InspectSupport.root + "/Fixtures/interop"

    /// The manager that survived the quorum loss (`captured/survivor.txt`).
    static func survivor() throws -> String {
        try String(contentsOfFile: base + "/swarm-quorum-lost/captured/survivor.txt", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A scratch copy of a fixture directory; returns (scratch root, copy).
    static func copy(_ fixture: String, as name: String = "swarm") throws -> (root: String, dir: String) {
        let root = try RecoverTestSupport.scratch(fixture.replacingOccurrences(of: "/", with: "-"))
        let dir = root + "/" + name
        try FileManager.default.copyItem(atPath: base + "/" + fixture, toPath: dir)
        try? FileManager.default.removeItem(atPath: dir + "/DAMAGE.json")
        return (root, dir)
    }

    /// Every regular file under `dir` by relative path, with its bytes.
    static func tree(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
        for case let rel as String in e {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + rel))
            }
        }
        return out
    }

    /// ``RecoverTestSupport/options(_:dryRun:acceptDataLoss:)`` (its segment
    /// size is unused here: a Swarm or etcd result is not a RaftWAL log).
    static func options(_ target: OutputTarget, dryRun: Bool = false, acceptDataLoss: Bool = false) -> RecoverOptions {
        RecoverTestSupport.options(target, dryRun: dryRun, acceptDataLoss: acceptDataLoss)
    }

    /// The directory read back with the interop reader (raft-inspect's view).
    static func read(_ dir: String, unlockKey: String? = nil) throws -> LogSource {
        guard let s = try LogSourceReader(directory: dir, options: .init(unlockKey: unlockKey)).read() else {
            throw RecoverError.usage("not a source: \(dir)")
        }
        return s
    }

    /// The error a throwing command ended with (nil: it returned).
    static func failure(_ body: () throws(RecoverError) -> RecoverReport) -> RecoverError? {
        RecoverTestSupport.failure(body)
    }
}
