import Foundation
import RaftWAL
import RaftWALTesting
import RaftWALTools
import Testing

/// Bad input never crashes the tools: seeded random damage to a copy of the
/// healthy fixture, and crafted headers whose checksums are valid but whose
/// values are absurd. Every subcommand must report (exit 0 or 1), never trap.
@Suite("InspectRobustness")
struct InspectRobustnessTests {
    /// Runs every subcommand through the library; returns the verify status.
    static func runAll(_ dir: String) throws -> RaftWALTools.ExitStatus {
        let c = Captured()
        _ = try Inspect.summary(directory: dir, format: .json, strict: false, output: c.output)
        _ = try Inspect.segments(directory: dir, format: .json, records: true, output: c.output)
        _ = try Inspect.entries(directory: dir, format: .json, filter: .init(data: .hex, width: 0), output: c.output)
        _ = try Inspect.hardState(directory: dir, format: .text, output: c.output)
        _ = try Inspect.snapshots(directory: dir, format: .text, extract: nil, outputPath: nil, output: c.output)
        _ = try Inspect.members(directory: dir, format: .text, output: c.output)
        _ = try Inspect.stats(directory: dir, format: .text, output: c.output)
        return try Inspect.verify(directory: dir, format: .json, strict: false, output: c.output)
    }

    /// Bytes of the healthy fixture where a flip is not damage, by the spec:
    /// a segment header's zeros after its 128 bytes of fields (FORMAT.md §2)
    /// and each record's padding after its stored body (§3.2: not covered by
    /// the checksum) are read by no one; and the batch table, seal and
    /// trailer of a sealed segment before the last are its seal, whose loss
    /// is an interrupted seal (RECOVERY.md T2: the segment is scanned instead).
    static func toleratedBytes(_ fixture: String) throws -> [String: [Range<UInt64>]] {
        var out: [String: [Range<UInt64>]] = [:]
        let segments = try DirectoryListing(directory: fixture).segments
        for segment in segments {
            var ranges = [UInt64(128)..<UInt64(Layout.segmentHeaderBytes)]
            let records = try Damage.records(directory: fixture, segment: segment.name)
            for r in records {
                let used = r.offset + UInt64(Layout.recordHeaderBytes + r.metaBytes + r.storedBytes)
                ranges.append(used..<(r.offset + UInt64(r.recordBytes)))
            }
            if segment.name != segments.last?.name, let table = records.first(where: { $0.type == .batchTable }) {
                let size = try FileManager.default.attributesOfItem(atPath: fixture + "/" + segment.name)[.size] as! UInt64
                ranges.append(table.offset..<size)
            }
            out[segment.name] = ranges
        }
        return out
    }

    @Test("seeded random bit flips: every subcommand reports, verify exits 1 unless every flip hit bytes the spec tolerates",
          arguments: 0..<24)
    func randomDamageNeverCrashes(seed: Int) throws {
        let dir = InspectTempDir("inspect-fuzz")
        try Damage.copyDirectory(InspectSupport.root + "/Fixtures/healthy", to: dir.path)
        var rng = SplitMix64(seed: UInt64(seed))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        var flips: [String] = []
        var flipped: [(String, UInt64)] = []
        for _ in 0...(rng.next() % 3) {
            let name = names[Int(rng.next() % UInt64(names.count))]
            let size = (try FileManager.default.attributesOfItem(atPath: dir.path + "/" + name)[.size] as? NSNumber)?.uint64Value ?? 0
            guard size > 0 else { continue }
            let offset = rng.next() % size
            try Damage.flipBit(dir.path + "/" + name, offset: offset, bit: UInt8(rng.next() % 8))
            flips.append("\(name)@\(offset)")
            flipped.append((name, offset))
        }
        let status = try Self.runAll(dir.path)
        // Damage unless every flip hit tolerated bytes (a flip can land twice on one bit and undo itself: still healthy).
        let tolerated = try Self.toleratedBytes(InspectSupport.root + "/Fixtures/healthy")
        let changed = try names.filter {
            try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + $0)) != Data(contentsOf: URL(fileURLWithPath: InspectSupport.root + "/Fixtures/healthy/" + $0))
        }
        let onlyTolerated = flipped.allSatisfy { (name, offset) in
            !changed.contains(name) || tolerated[name]?.contains { $0.contains(offset) } == true
        }
        // Replays with: swift test --filter "InspectRobustness" (seed \(seed)).
        #expect(status == (onlyTolerated ? .healthy : .damage), "seed \(seed), flips \(flips): verify said \(status)")
        // A flip the engine notices must be damage for verify too.
        if (try? RaftLog.open(directory: dir.path, options: .readOnly)) == nil {
            #expect(status == .damage, "seed \(seed), flips \(flips): the engine refuses, verify said \(status)")
        }
    }

    @Test("headers with valid checksums and absurd indexes are reported, not trapped on")
    func absurdIndexesInValidHeaders() throws {
        let dir = InspectTempDir("inspect-absurd")
        try Damage.copyDirectory(InspectSupport.root + "/Fixtures/healthy", to: dir.path)
        let listing = try DirectoryListing(directory: dir.path)
        let last = try #require(listing.segments.last)
        let inspector = try SegmentInspector(directory: dir.path, name: last.name)
        let header = try #require(inspector.header)
        inspector.close()
        for first in [UInt64(0), UInt64.max] {
            var h = header
            h.firstIndex = first
            h.seq = last.seq + 1
            let name = FileNames.segment(seq: h.seq, firstIndex: first)
            #expect(FileManager.default.createFile(atPath: dir.path + "/" + name, contents: Data(h.encoded())))
            #expect(try Self.runAll(dir.path) == .damage, "first index \(first)")
            try FileManager.default.removeItem(atPath: dir.path + "/" + name)
        }
        // A segment file named with first index 0 after a sequence gap.
        var h = header
        h.seq = last.seq + 5
        let name = FileNames.segment(seq: h.seq, firstIndex: 0)
        #expect(FileManager.default.createFile(atPath: dir.path + "/" + name, contents: Data(h.encoded())))
        #expect(try Self.runAll(dir.path) == .damage)
    }
}

