import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

/// The independent crash-state test (`Tools/crash-states`, docs/TORTURE.md
/// "Recorded crash states") compares the engine, the inspector and the
/// Python reader on every state; these are the pieces it relies on.
@Suite("Recorded crash states: the model and the verdicts it compares")
struct CrashStateTests {
    static let root = InspectSupport.root

    /// `python3` on the PATH, or nil.
    static let python3: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { String($0) + "/python3" }.first(where: FileManager.default.isExecutableFile)
    }()
    static var pythonOrCI: Bool { python3 != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// `raft-inspect verify --format json` names the decision-table row of a
    /// refused open (`engine.refusedAs`), so a refusal can be compared with
    /// the Python reader's row, not only "refused".
    @Test(arguments: ["index-gap", "corrupt-record", "missing-segment"])
    func verifyNamesTheRowOfTheEnginesRefusal(_ fixture: String) throws {
        let spec = try #require(Fixtures.specs.first { $0.name == fixture })
        let c = Captured()
        _ = try Inspect.verify(directory: Self.root + "/Fixtures/" + fixture, format: .json, strict: false, output: c.output)
        let engine = try #require(try InspectSupport.json(c.out)["engine"] as? [String: Any])
        #expect(engine["opens"] as? Bool == false)
        #expect(engine["refusedAs"] as? String == spec.label.rawValue, "\(fixture): \(engine)")
    }

    @Test func verifyHasNoRefusalRowWhenTheEngineOpens() throws {
        let c = Captured()
        _ = try Inspect.verify(directory: Self.root + "/Fixtures/torn-tail", format: .json, strict: false, output: c.output)
        let engine = try #require(try InspectSupport.json(c.out)["engine"] as? [String: Any])
        #expect(engine["opens"] as? Bool == true)
        #expect(engine["refusedAs"] is NSNull)
    }

    /// Found by `Tools/crash-states` (seed 20261130, 8 KiB segments): a
    /// roll-over's seal write torn so that its last sector, holding the
    /// trailer's magic, never reached the disk while the file's new size did.
    /// The seal and its batch table are intact; the engine scans the segment
    /// (R0) and the inspector reports nothing, so the Python reader must not
    /// call it damage either (it did: "trailer does not point at the seal").
    @Test(.enabled(if: CrashStateTests.pythonOrCI, "python3 is not on the PATH"))
    func aSealWriteTornBeforeItsTrailersMagicIsNotDamageForAnyReader() throws {
        let python = try #require(Self.python3, "CI=true but python3 is missing")
        let tmp = InspectTempDir("torn-trailer")
        try Damage.copyDirectory(Self.root + "/Fixtures/healthy", to: tmp.path)
        let listing = try DirectoryListing(directory: tmp.path)
        let name = listing.segments[0].name
        let path = tmp.path + "/" + name
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        for i in (bytes.count - 8)..<bytes.count { bytes[i] = 0 }   // the trailer's magic: a lost last sector
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let log = try RaftLog.open(directory: tmp.path, options: .readOnly)
        #expect(log.recoveryReport.labels == [.clean])
        log.close()
        let c = Captured()
        #expect(try Inspect.verify(directory: tmp.path, format: .json, strict: false, output: c.output) == .healthy)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.root + "/Tools/format-check.py", "--json", tmp.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(process.terminationStatus == 0, "\(report["problems"] ?? "")")
        #expect(report["labels"] as? [String] == ["R0-clean"])
        #expect((report["notes"] as? [String] ?? []).contains { $0.contains(name) && $0.contains("torn seal write") })
    }

    /// The page-cache model's rules (`Tools/crash-states-lib/selftest.py`):
    /// volatile until fsync, a sync covers only what preceded it, directory
    /// fsync for names, sector tears, the lying-fsync canary. Skipped
    /// without python3 outside CI.
    @Test(.enabled(if: CrashStateTests.pythonOrCI, "python3 is not on the PATH"))
    func theCrashStateModelKeepsItsRules() throws {
        let python = try #require(Self.python3, "CI=true but python3 is missing")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.root + "/Tools/crash-states-lib/selftest.py"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(!text.contains("FAIL") && text.split(separator: "\n").count >= 10, "\(text)")
    }
}
