import Foundation
import RaftWAL
import RaftWALTools

/// Paths and helpers shared by the raft-inspect tests.
enum InspectSupport {
    /// The package root, from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let goldenDirectory = root + "/Tests/RaftWALToolsTests/Golden"

    /// Fixture names (directories under `Fixtures/`), except `interop`: real Docker
    /// Swarm / etcd data with its own README (`Tools/make-interop-fixtures`).
    static let fixtures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/Fixtures")) ?? []
        // `interop` holds etcd and Docker Swarm data (InteropFixtureTests), not RaftWAL directories.
        return names.filter { $0 != "interop" && FileManager.default.inspectIsDirectory(root + "/Fixtures/" + $0) }.sorted()
    }()

    /// The built `raft-inspect`: next to the running test bundle (`swift test`
    /// builds every executable into the same directory), or `$RAFT_INSPECT`.
    static let executable: String? = ToolProcess.locate("raft-inspect", environment: "RAFT_INSPECT")

    /// Runs `raft-inspect args` with the package root as working directory,
    /// so paths in outputs are the relative `Fixtures/...`.
    static func run(_ args: [String]) throws -> ToolProcess.Run {
        guard let exe = executable else { throw NSError(domain: "raft-inspect not built next to the tests", code: 1) }
        return try ToolProcess.run(exe, args, in: root, environment: ["NO_COLOR": "1"])
    }

    /// Every file of a directory with its bytes and mode, to prove a command changed nothing.
    static func contents(_ directory: String) -> [String: Data] {
        var result: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            let attrs = try? FileManager.default.attributesOfItem(atPath: path)
            let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[name + "@" + String(mtime)] = FileManager.default.contents(atPath: path) ?? Data()
        }
        return result
    }

    /// Parses one JSON document.
    static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw NSError(domain: "not a JSON object", code: 1)
        }
        return object
    }

    /// Compares `actual` with the golden file `name`; rewrites it when
    /// `UPDATE_GOLDEN=1`. Returns nil when they match, else a diff hint.
    static func compareGolden(_ name: String, _ actual: String) throws -> String? {
        let path = goldenDirectory + "/" + name
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: goldenDirectory, withIntermediateDirectories: true)
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
            return nil
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            return "golden file \(name) is missing; run the tests with UPDATE_GOLDEN=1 to create it"
        }
        if expected == actual { return nil }
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for k in 0..<max(e.count, a.count) where k >= e.count || k >= a.count || e[k] != a[k] {
            return "\(name) differs at line \(k + 1):\n expected: \(k < e.count ? String(e[k]) : "<end>")\n actual:   \(k < a.count ? String(a[k]) : "<end>")"
        }
        return "\(name) differs"
    }
}

extension FileManager {
    func inspectIsDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

/// A temporary directory removed when released.
final class InspectTempDir: @unchecked Sendable {
    let path: String
    init(_ label: String = "inspect") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Collects a command's output in memory.
final class Captured: @unchecked Sendable {
    var out = ""
    var err = ""
    var output: Output { Output(out: { self.out += $0 }, err: { self.err += $0 }) }
    var lines: [String] { out.split(separator: "\n").map(String.init) }
}

/// Options for logs built in tests: small segments, no fsync.
func inspectTestOptions(segmentSize: UInt64 = 8 << 10) -> LogOptions {
    var o = LogOptions()
    o.segmentSizeBytes = segmentSize
    o.sync = .none
    o.compactionKeepEntries = 0
    o.preallocate = false
    return o
}

/// Entries `range` in `term` whose payload says which they are, followed
/// by 160 pseudo-random letters (so LZ4 cannot shrink them much and a few
/// dozen entries fill several 8 KiB segments).
func inspectEntries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
    range.map { i in
        var x = i &* 0x9E37_79B9_7F4A_7C15 &+ term
        var tail: [UInt8] = []
        for _ in 0..<160 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            tail.append(UInt8(97 + x % 26))
        }
        return Entry(index: i, term: term, data: Array("entry \(i) term \(term) ".utf8) + tail)
    }
}
