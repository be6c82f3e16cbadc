import Foundation
import Testing
import RaftWAL
import RaftWALTesting
@testable import RaftWALTools

private typealias S = RecoverTestSupport

/// A record damaged inside a sealed segment is named by the seal's batch
/// table (checksummed apart from the record), not by its own header: a
/// damaged header's first index must not make verify name the wrong entries,
/// nor make heal refuse entries it can replace.
@Suite struct DamagedHeaderIndexesTests {
    @Test func aDamagedRecordHeaderInASealedSegmentIsNamedByTheSealAndHealed() throws {
        let root = try S.scratch("damaged-header")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let member = root + "/heal-member", peer = root + "/heal-peer"
        try HealFixtures.build("heal-member", into: member)
        try HealFixtures.build("heal-peer", into: peer)
        let fs = POSIXFileSystem()
        let record = try #require(try verifiedDamage(member, fileSystem: fs).first)
        let file = try #require(record.file), offset = try #require(record.offset)
        #expect(record.indexes == HealFixtures.damaged)

        // The header's firstIndex (record offset + 16) now claims 5000.
        let handle = try #require(FileHandle(forUpdatingAtPath: member + "/" + file))
        try handle.seek(toOffset: offset + 16)
        handle.write(Data(withUnsafeBytes(of: UInt64(5000).littleEndian) { Array($0) }))
        try handle.close()

        let damage = try verifiedDamage(member, fileSystem: fs)
        #expect(damage.count == 1)
        #expect(damage.first?.offset == offset)
        #expect(damage.first?.indexes == HealFixtures.damaged, "the seal's row, not the header's claim of 5000...")

        let output = root + "/healed"
        let report = try Heal(source: member, peer: peer, options: S.options(.directory(output))).run()
        #expect(report.outcome == .done)
        #expect(report.healed?.map { $0.first...$0.last } == [HealFixtures.damaged])
        #expect(try verifiedDamage(output, fileSystem: fs).isEmpty)
    }
}
