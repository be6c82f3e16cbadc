import RaftWAL
import RaftWALTesting

/// Deterministic entry payloads: the bytes of an entry derive from a seed,
/// its index, its term and a size, so a checker can rebuild every byte
/// without having kept it.
package enum TorturePayload {
    /// `count` bytes for entry (`index`, `term`) of the run `seed`. Mixes a
    /// compressible run (so LZ4 bodies occur) with noise.
    package static func bytes(seed: UInt64, index: UInt64, term: UInt64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var random = SimRandom(seed: seed ^ (index &* 0x9E37_79B9_7F4A_7C15) ^ (term &* 0xC2B2_AE3D_27D4_EB4F))
        var out = [UInt8](repeating: 0, count: count)
        let repetitive = random.chance(0.5)
        var k = 0
        while k < count {
            let word = random.next()
            for b in 0..<8 where k < count {
                out[k] = repetitive ? UInt8(truncatingIfNeeded: (index &+ UInt64(k / 64)) & 0xFF) : UInt8(truncatingIfNeeded: word >> (8 * UInt64(b)))
                k += 1
            }
        }
        return out
    }

    /// A 64-bit fingerprint of an entry (FNV-1a over term, kind and data),
    /// for the history of versions an index has held.
    package static func fingerprint(term: UInt64, kind: EntryKind, data: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        for s in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: term >> UInt64(s))) }
        mix(kind.rawValue)
        for b in data { mix(b) }
        return h
    }

    package static func fingerprint(_ e: Entry) -> UInt64 { fingerprint(term: e.term, kind: e.kind, data: e.data) }
}
