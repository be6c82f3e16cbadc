import Foundation
import Testing
import RaftWAL
import RaftWALTesting
import RaftWALTools

private typealias S = RecoverTestSupport

/// Issue 14, item 5: repair never reports as kept a record that `verify`
/// calls damaged, and whatever it presents passes `verify`.
@Suite struct RepairVerifiesKeptBytesTests {
    /// A copy of `healthy` with one bit flipped inside a batch record of the
    /// first (sealed) segment: the strict open trusts the seal and never reads it.
    func damagedSealedSegment(_ root: String) throws -> (dir: String, segment: String, offset: UInt64) {
        let dir = root + "/log"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/healthy", toPath: dir)
        let segment = "0000000000000001-0000000000000001.seg"
        let records = try Damage.records(directory: dir, segment: segment).filter { $0.type == .batch }
        let victim = try #require(records.dropFirst(2).first)
        try Damage.flipBit(dir + "/" + segment, offset: victim.offset + UInt64(victim.recordBytes) - 9, bit: 3)
        return (dir, segment, victim.offset)
    }

    @Test func damageInsideASealedSegmentIsNotReportedAsKept() throws {
        let root = try S.scratch("sealed-damage")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (dir, segment, offset) = try damagedSealedSegment(root)
        let verify = try InspectSupport.run(["verify", dir])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("\(segment) at offset \(offset)"), "\(verify.stdout)")

        let r = try ToolProcess.run(try #require(RecoverCLITests.executable), ["repair", dir, "--output", root + "/out"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("byte for byte"), "\(r.stdout)")
        #expect(r.stderr.contains("\(segment) at offset \(offset)"), "\(r.stderr)")
        #expect(r.stderr.contains("raft-recover truncate"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: root + "/out") == false, "nothing presented")
    }

    @Test(arguments: ["torn-tail", "corrupt-record", "commit-beyond-log"])
    func whatRepairPresentsPassesVerify(_ fixture: String) throws {
        let root = try S.scratch("repair-verify-\(fixture)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try ToolProcess.run(try #require(RecoverCLITests.executable),
                                    ["repair", InspectSupport.root + "/Fixtures/" + fixture, "--output", root + "/out", "--accept-data-loss"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let verify = try InspectSupport.run(["verify", root + "/out"])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// A copy of `healthy` whose last batch passes its checksum but does not
    /// decode (its first body byte rewritten, the checksum recomputed).
    /// Returns the directory and "segment at offset N". Summary, verify and
    /// repair once disagreed on it (healthy / C1 / nothing to do).
    static func undecodableLastRecord(_ root: String) throws -> (dir: String, place: String) {
        let dir = root + "/log"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/healthy", toPath: dir)
        let segment = "0000000000000005-00000000000000cc.seg"
        let last = try #require(try Damage.records(directory: dir, segment: segment).last { $0.type == .batch })
        try Damage.rewriteRecord(dir + "/" + segment, recordOffset: last.offset, recordBytes: last.recordBytes,
                                 patch: [0xFF], at: Layout.recordHeaderBytes + last.metaBytes)
        return (dir, "\(segment) at offset \(last.offset)")
    }

    @Test func summaryCallsALastRecordThatPassesItsChecksumButDoesNotDecodeC1Damage() throws {
        let root = try S.scratch("undecodable-last-summary")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (dir, _) = try Self.undecodableLastRecord(root)
        let summary = try InspectSupport.run(["summary", dir])
        #expect(summary.status == 1, "\(summary.stdout)")
        #expect(summary.stdout.contains("does not decode"), "\(summary.stdout)")
        let json = try InspectSupport.run(["summary", dir, "--format", "json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains("C1-corrupt-record"), "\(json.stdout)")
    }

    @Test func verifyReportsALastRecordThatPassesItsChecksumButDoesNotDecodeAsC1NamingFileAndOffset() throws {
        let root = try S.scratch("undecodable-last-verify")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (dir, place) = try Self.undecodableLastRecord(root)
        let verify = try InspectSupport.run(["verify", dir])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains(place), "\(verify.stdout)")
        #expect(verify.stdout.contains("C1"), "\(verify.stdout)")
    }

    @Test func repairRefusesALastRecordThatPassesItsChecksumButDoesNotDecodeNamingFileAndOffset() throws {
        let root = try S.scratch("undecodable-last-repair")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (dir, place) = try Self.undecodableLastRecord(root)
        for dryRun in [true, false] {
            let repair = try ToolProcess.run(try #require(RecoverCLITests.executable),
                                             ["repair", dir, "--output", root + "/out"] + (dryRun ? ["--dry-run"] : []))
            #expect(repair.status == 1, "\(repair.stdout)\(repair.stderr)")
            #expect(repair.stderr.contains(place), "\(repair.stderr)")
            #expect(!repair.stdout.contains("nothing"), "\(repair.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/out"), "nothing is presented")
    }
}
