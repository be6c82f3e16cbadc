/// Decodes a raw batch body handed over in pieces (from ``LZ4BlockStream``),
/// with the rules of ``BatchCodec/visit(_:firstIndex:count:runs:_:)``: an
/// entry's header or data may straddle pieces; every length is bounded by
/// the raw bytes the body still holds; an entry is handed to `visit` once
/// whole and not kept. Memory: one entry (its data, which the raw body
/// holds) and five header bytes, whatever the count a header claims.
struct BatchBodyStream {
    let firstIndex: UInt64
    let count: Int
    let runs: [TermRun]
    let rawLength: Int
    /// Raw body bytes consumed so far: offsets in failures are relative to the body.
    private(set) var consumed = 0
    /// Entries handed to `visit`.
    private(set) var visited = 0
    private(set) var failure: DecodeFailure?
    private(set) var stopped = false
    private var runIndex = 0
    private var header: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    private var headerFilled = 0
    /// The entry being filled: kind, data length, data so far.
    private var pending: (kind: EntryKind, length: Int, data: [UInt8])?

    init(firstIndex: UInt64, count: Int, runs: [TermRun], rawLength: Int) {
        self.firstIndex = firstIndex
        self.count = count
        self.runs = runs
        self.rawLength = rawLength
    }

    /// Consumes one piece. Returns false once decoding stopped (a failure,
    /// or `visit` returned false).
    mutating func feed(_ piece: UnsafeRawBufferPointer, _ visit: (consuming Entry) -> Bool) -> Bool {
        var at = 0
        while at < piece.count {
            if var entry = pending {
                let k = min(entry.length - entry.data.count, piece.count - at)
                entry.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: piece[at..<(at + k)]))
                at += k; consumed += k
                if entry.data.count < entry.length { pending = entry; break }
                pending = nil
                if !emit(entry.kind, entry.data, visit) { return false }
                continue
            }
            guard visited < count else {
                failure = DecodeFailure(offset: consumed, reason: "\(rawLength - consumed) trailing bytes after batch body")
                return false
            }
            if headerFilled == 0 && piece.count - at >= 5 {
                // The whole header in this piece (the common case).
                header = (piece[at], piece[at + 1], piece[at + 2], piece[at + 3], piece[at + 4])
                headerFilled = 5
                at += 5; consumed += 5
            } else {
                withUnsafeMutableBytes(of: &header) { $0[headerFilled] = piece[at] }
                headerFilled += 1; at += 1; consumed += 1
                if headerFilled < 5 { continue }
            }
            headerFilled = 0
            let index = firstIndex + UInt64(visited)
            guard let kind = EntryKind(rawValue: header.0) else {
                failure = DecodeFailure(offset: consumed - 5, reason: "entry \(index): unknown kind \(header.0)")
                return false
            }
            let length = Int(header.1) | Int(header.2) << 8 | Int(header.3) << 16 | Int(header.4) << 24
            guard length <= rawLength - consumed else {
                failure = DecodeFailure(offset: consumed, reason: "entry \(index) data: needs \(length) bytes, \(rawLength - consumed) left")
                return false
            }
            if length <= piece.count - at {
                let data = Array(UnsafeRawBufferPointer(rebasing: piece[at..<(at + length)]))
                at += length; consumed += length
                if !emit(kind, data, visit) { return false }
            } else {
                // Straddles pieces: grown as bytes arrive, so never more than the body holds.
                var data: [UInt8] = []
                data.reserveCapacity(min(length, LZ4BlockStream.pieceBytes))
                pending = (kind, length, data)
            }
        }
        return true
    }

    /// After the last piece: the body must have held exactly `count` entries.
    func finish() -> DecodeFailure? {
        if let failure { return failure }
        if stopped { return nil }
        if headerFilled > 0 || pending != nil || visited < count {
            let what = headerFilled > 0 ? "entry length" : pending != nil ? "entry data" : "entry kind"
            return DecodeFailure(offset: consumed, reason: "\(what): body ends after \(visited) of \(count) entries")
        }
        return nil
    }

    private mutating func emit(_ kind: EntryKind, _ data: [UInt8], _ visit: (consuming Entry) -> Bool) -> Bool {
        let index = firstIndex + UInt64(visited)
        while runIndex + 1 < runs.count && runs[runIndex + 1].firstIndex <= index { runIndex += 1 }
        visited += 1
        if !visit(Entry(index: index, term: runs.isEmpty ? 0 : runs[runIndex].term, kind: kind, data: data)) {
            stopped = true
            return false
        }
        return true
    }
}
