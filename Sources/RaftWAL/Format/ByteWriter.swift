/// Appends little-endian fields to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func raw<C: Collection>(_ v: C) where C.Element == UInt8 { bytes.append(contentsOf: v) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
    /// A string as `u16 length` + UTF-8; a length of 65535 or more is
    /// written as the escape `0xFFFF` followed by a `u32` length, so no
    /// string up to 4 GiB can fail to encode (`docs/FORMAT.md` §6).
    mutating func string16(_ s: String) {
        let utf8 = Array(s.utf8)
        if utf8.count < Int(UInt16.max) {
            u16(UInt16(utf8.count))
        } else {
            u16(UInt16.max)
            u32(UInt32(truncatingIfNeeded: min(utf8.count, Int(UInt32.max))))
        }
        raw(utf8.prefix(Int(UInt32.max)))
    }
    mutating func pad(toMultipleOf n: Int) {
        let r = bytes.count % n
        if r != 0 { zeros(n - r) }
    }
    /// Overwrites a u32 at `offset` (for fields computed after the body).
    mutating func setU32(_ v: UInt32, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { src in
            for i in 0..<4 { bytes[offset + i] = src[i] }
        }
    }
}

/// Why a decoder rejected bytes; the caller adds the file and base offset.
struct DecodeFailure: Error {
    var offset: Int
    var reason: String
}

/// Reads little-endian fields with a bound check on every read: a length
/// read from disk can never make it read outside the buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private mutating func need(_ n: Int, _ what: String) throws(DecodeFailure) {
        if n < 0 || n > remaining {
            throw DecodeFailure(offset: offset, reason: "\(what): needs \(n) bytes, \(remaining) left")
        }
    }

    mutating func u8(_ what: String = "u8") throws(DecodeFailure) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }
    mutating func u16(_ what: String = "u16") throws(DecodeFailure) -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    mutating func u32(_ what: String = "u32") throws(DecodeFailure) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64(_ what: String = "u64") throws(DecodeFailure) -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    mutating func raw(_ n: Int, _ what: String = "bytes") throws(DecodeFailure) -> [UInt8] {
        try need(n, what)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
    mutating func skip(_ n: Int, _ what: String = "padding") throws(DecodeFailure) {
        try need(n, what)
        offset += n
    }
    mutating func string16(_ what: String) throws(DecodeFailure) -> String {
        var n = Int(try u16(what + " length"))
        if n == Int(UInt16.max) { n = Int(try u32(what + " long length")) }
        let b = try raw(n, what)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw DecodeFailure(offset: offset - n, reason: "\(what) is not valid UTF-8")
        }
        return s
    }
    func expectEnd(_ what: String) throws(DecodeFailure) {
        if remaining != 0 { throw DecodeFailure(offset: offset, reason: "\(remaining) trailing bytes after \(what)") }
    }
}

extension Array where Element == UInt8 {
    /// Runs a decoder over the array's bytes.
    func decode<T>(_ body: (inout ByteReader) throws(DecodeFailure) -> T) throws(DecodeFailure) -> T {
        try withBytes { (raw) throws(DecodeFailure) -> T in
            var r = ByteReader(raw)
            return try body(&r)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps the closure's typed error.
    func withBytes<T, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = withUnsafeBytes { raw in Result { () throws(E) in try body(raw) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` that keeps the closure's typed error.
    mutating func withMutableBytes<T, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = withUnsafeMutableBytes { raw in Result { () throws(E) in try body(raw) } }
        return try result.get()
    }
}
