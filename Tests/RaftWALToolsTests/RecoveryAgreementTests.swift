import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

/// One decision table, three readers: the engine's open, the inspector
/// (`raft-inspect verify`, the `Analyzer`) and the independent Python reader
/// (`Tools/format-check.py`) reach the same row of `docs/RECOVERY.md`.
@Suite("Recovery table: engine, inspector and Python agree")
struct RecoveryAgreementTests {
    static let root = InspectSupport.root
    static func fixture(_ name: String) -> String { root + "/Fixtures/" + name }

    /// The engine's row(s): the labels of a strict read-only open, or the
    /// label its refusal carries (nil when it refused without one).
    static func engineLabels(_ dir: String) -> Set<String>? {
        do {
            let log = try RaftLog.open(directory: dir, options: .readOnly)
            defer { log.close() }
            return Set(log.recoveryReport.labels.map(\.rawValue))
        } catch {
            return error.recoveryLabel.map { [$0.rawValue] }
        }
    }

    /// The inspector's rows: the labels of its findings (R0 when none).
    static func inspectorLabels(_ dir: String) throws -> Set<String> {
        let analysis = try Analyzer(directory: dir).run()
        let labels = Set(analysis.findings.compactMap { $0.label?.rawValue })
        return labels.isEmpty ? [RecoveryLabel.clean.rawValue] : labels
    }

    /// `python3 Tools/format-check.py --json DIR`: its labels, or nil without python3.
    static func pythonLabels(_ dir: String) throws -> Set<String>? {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile) else {
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root + "/Tools/format-check.py", "--json", dir]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Set(try #require(json["labels"] as? [String]))
    }

    /// Every row of the table has a fixture; the engine assigns that row
    /// (a refused open carries it, C4 included), and the inspector reports
    /// the same row.
    @Test(arguments: RecoveryLabel.allCases)
    func everyRowHasAFixtureThatTheEngineAndTheInspectorLabelAlike(_ label: RecoveryLabel) throws {
        let specs = Fixtures.specs.filter { $0.label == label }
        #expect(!specs.isEmpty, "no fixture for \(label.rawValue)")
        for spec in specs {
            let dir = Self.fixture(spec.name)
            let engine = try #require(Self.engineLabels(dir), "\(spec.name): refused without a label")
            if spec.refused {
                #expect(engine == [label.rawValue], "\(spec.name): the engine refused as \(engine)")
            } else {
                #expect(engine.contains(label.rawValue), "\(spec.name): the engine says \(engine)")
            }
            let inspector = try Self.inspectorLabels(dir)
            if spec.verifyReportsDamage && label == .clean {
                // The engine reads around a seal it cannot trust; verify reports it (RECOVERY.md).
                #expect(inspector.contains(RecoveryLabel.corruptRecord.rawValue), "\(spec.name): inspector \(inspector)")
            } else {
                #expect(inspector.contains(label.rawValue), "\(spec.name): the inspector says \(inspector)")
            }
        }
    }

    /// Issue 14 item 6. A roll-over seals the segment before the new tail
    /// with one write (batch table, seal record, trailer); a power cut can
    /// keep any subset of its 512-byte sectors (a lost sector holds what was
    /// there before: the preallocated zeros), and the file's size may or may
    /// not have grown. For every such state of the first and of the most
    /// recent roll-over of `healthy`, the engine, the inspector and the
    /// Python reader name the same rows.
    @Test func sectorTornRollOverWritesGetTheSameRowFromEngineInspectorAndPython() throws {
        let listing = try DirectoryListing(directory: Self.fixture("healthy"))
        let sealed = [listing.segments[0].name, listing.segments[listing.segments.count - 2].name]
        var variants = 0
        for name in sealed {
            let original = try #require(FileManager.default.contents(atPath: Self.fixture("healthy") + "/" + name))
            let bytes = [UInt8](original)
            let size = UInt64(bytes.count)
            func u64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
            let sealOffset = Int(u64(bytes.count - 16))                    // trailer: sealOffset u64 | magic
            let tableOffset = Int(u64(sealOffset + 32 + 16))               // seal meta: lastIndex, rewriteFrom, batchTableOffset
            let preallocated = max(8 << 10, tableOffset)                  // the file's size before the write
            let sectors = Array(stride(from: tableOffset / 512 * 512, to: bytes.count, by: 512))
            #expect(sectors.count >= 2, "\(name): the seal write spans \(sectors.count) sector(s)")
            for kept in 0..<(1 << sectors.count) {
                for grown in [true, false] where grown || Int(size) > preallocated {
                    var damaged = bytes
                    for (k, sector) in sectors.enumerated() where kept & (1 << k) == 0 {
                        for i in max(sector, tableOffset)..<min(sector + 512, bytes.count) { damaged[i] = 0 }
                    }
                    if !grown { damaged.removeLast(bytes.count - preallocated) }
                    let tmp = InspectTempDir("torn-rollover")
                    try Damage.copyDirectory(Self.fixture("healthy"), to: tmp.path)
                    try Data(damaged).write(to: URL(fileURLWithPath: tmp.path + "/" + name))
                    let what = "\(name): sectors kept \(String(kept, radix: 2)) of \(sectors.count), size \(grown ? "grown" : "not grown")"
                    let engine = try #require(Self.engineLabels(tmp.path), "\(what): refused without a label")
                    let inspector = try Self.inspectorLabels(tmp.path)
                    #expect(engine == inspector, "\(what): engine \(engine), inspector \(inspector)")
                    if let python = try Self.pythonLabels(tmp.path) {
                        #expect(engine == python, "\(what): engine \(engine), python \(python)")
                    }
                    // No crash state of a roll-over is damage.
                    #expect(!engine.contains { $0.hasPrefix("C") }, "\(what): \(engine)")
                    variants += 1
                }
            }
        }
        #expect(variants >= 8)
    }
}
