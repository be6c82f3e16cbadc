import CCRC32C

/// CRC32C (Castagnoli) through the CPU's SSE4.2 instruction when present,
/// a slicing-by-8 table otherwise.
package enum CRC32C {
    /// True when the hardware instruction is in use.
    package static var isHardwareAccelerated: Bool { raftwal_crc32c_hardware() != 0 }

    /// Extends `crc` (0 to start) over `bytes`.
    @inlinable
    package static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return raftwal_crc32c_extend(crc, base, bytes.count)
    }

    package static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { extend(0, $0) }
    }

    /// Extends over a little-endian u64 (used to bind a checksum to a position).
    @inlinable
    package static func extend(_ crc: UInt32, u64 value: UInt64) -> UInt32 {
        withUnsafeBytes(of: value.littleEndian) { extend(crc, $0) }
    }

    /// The portable path, for tests that compare it with the hardware one.
    package static func checksumPortable(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return raftwal_crc32c_extend_portable(0, base, raw.count)
        }
    }

    /// LevelDB's mask: a stored checksum is rotated and offset so that the CRC
    /// of bytes that themselves contain CRCs is not degenerate, and an
    /// all-zero field never matches the CRC of zeros.
    @inlinable
    package static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
