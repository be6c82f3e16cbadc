import Foundation
import Testing
import RaftWAL
import RaftWALTesting

/// The read path plans a range under the state lock and loads the batch
/// tables of cold sealed segments outside it, then plans again. Loading one
/// table per pass made a read over S cold segments plan S times from its
/// start (the read cache keeps 8 tables): a kill loop's check of a
/// 484-segment log spent minutes of CPU there.
@Suite struct ReadPlanTests {
    /// Entries of 200 bytes that do not compress.
    static func entries(_ range: ClosedRange<UInt64>) -> [Entry] {
        range.map { i in
            var rng = SplitMix64(seed: i)
            return Entry(index: i, term: 1, data: (0..<200).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
    }

    @Test func aReadOverManyColdSealedSegmentsPlansInAFewPassesAndReturnsEveryEntry() throws {
        let dir = TempDir("read-plan")
        var log = try RaftLog.open(directory: dir.path, options: testOptions(segmentSize: 16 << 10))
        for k in 0..<40 {
            let first = UInt64(k * 25 + 1)
            try log.append(Self.entries(first...(first + 24)))
        }
        log.close()
        log = try RaftLog.open(directory: dir.path, options: testOptions(segmentSize: 16 << 10))
        defer { log.close() }
        let sealed = dir.names().filter { $0.hasSuffix(".seg") }.count - 1
        #expect(sealed >= 15, "the test needs many sealed segments (\(sealed))")
        let before = log.readPlanPasses
        let all = try log.entries(1, 1001)
        #expect(all == Self.entries(1...1000))
        // One pass finds the missing tables (up to 64 at once), one plans.
        #expect(log.readPlanPasses - before <= 2, "\(log.readPlanPasses - before) planning passes for \(sealed) cold segments")
        // Paged reads see the same entries.
        var paged: [Entry] = []
        var next: UInt64 = 1
        while next <= 1000 {
            let page = try log.entries(next, 1001, maxBytes: 8 << 10)
            paged += page
            next = page.last!.index + 1
        }
        #expect(paged == all)
    }
}
