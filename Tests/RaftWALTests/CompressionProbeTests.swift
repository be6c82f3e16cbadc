import Foundation
import Testing
@_spi(Benchmarks) import RaftWAL
import RaftWALTesting

/// The sampled incompressibility probe (issue 15) and LZ4's acceleration:
/// what they change is only whether and how a body is compressed, never
/// what reads back.
@Suite struct CompressionProbeTests {
    /// Deterministic incompressible bytes.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SimRandom(seed: seed)
        return random.bytes(count)
    }

    /// The compressed flag of each batch record of the log's only segment, in order.
    static func compressedFlags(_ dir: TempDir) throws -> [Bool] {
        let name = dir.names().first { $0.hasSuffix(".seg") }!
        let inspector = try SegmentInspector(directory: dir.path, name: name)
        defer { inspector.close() }
        var flags: [Bool] = []
        try inspector.scan { (event) throws(WALError) -> Bool in
            if case let .record(info, _) = event, info.type == .batch { flags.append(info.compressed) }
            return true
        }
        return flags
    }

    @Test func probeSkipsRandomBodiesOnlyFromItsThresholdOn() {
        let random = Self.noise(64 << 10, seed: 7)
        let json = (0..<400).flatMap { Fixtures.payload(index: UInt64($0)) }
        #expect(random.withUnsafeBytes { CodecBenchmarkSupport.lz4ProbeSkips($0) })
        #expect(json.count >= 32 << 10 && !json.withUnsafeBytes { CodecBenchmarkSupport.lz4ProbeSkips($0) })
        #expect(!random.prefix((32 << 10) - 1).withUnsafeBytes { CodecBenchmarkSupport.lz4ProbeSkips($0) }, "below 32 KiB: not probed")
        // Random at the start only: the middle and end windows pull the entropy down.
        let mixed = random.prefix(1024) + [UInt8](repeating: 7, count: 63 << 10)
        #expect(!mixed.withUnsafeBytes { CodecBenchmarkSupport.lz4ProbeSkips($0) })
    }

    @Test(arguments: [1, 2, 9])
    func incompressibleBodiesAreStoredRawAndCompressibleOnesCompressedAtAnyAcceleration(acceleration: Int) throws {
        let dir = TempDir("probe")
        var o = testOptions()
        o.compressionAcceleration = acceleration
        let random = (1...64 as ClosedRange<UInt64>).map { Entry(index: $0, term: 1, data: Self.noise(1024, seed: $0)) }
        let json = (65...128 as ClosedRange<UInt64>).map { i in
            Entry(index: i, term: 1, data: (Fixtures.payload(index: i) + Fixtures.payload(index: i + 1000)).prefix(1024).map { $0 })
        }
        // Below the probe's threshold: LZ4 is tried on the whole body, which does not shrink.
        let smallRandom = (129...136 as ClosedRange<UInt64>).map { Entry(index: $0, term: 1, data: Self.noise(1024, seed: $0)) }
        // Compressible at its start and middle, random at its end: the probe lets LZ4 try.
        let mixed = (137...200 as ClosedRange<UInt64>).map { i in
            Entry(index: i, term: 1, data: i < 190 ? [UInt8](repeating: UInt8(i), count: 1024) : Self.noise(1024, seed: i))
        }
        do {
            let log = try RaftLog.open(directory: dir.path, options: o)
            for batch in [random, json, smallRandom, mixed] { try log.append(batch) }
            log.close()
        }
        let flags = try Self.compressedFlags(dir)
        #expect(flags == [false, true, false, true])
        let log = try RaftLog.open(directory: dir.path, options: .readOnly)
        defer { log.close() }
        #expect(try log.entries(1, 201) == random + json + smallRandom + mixed)
    }
}
