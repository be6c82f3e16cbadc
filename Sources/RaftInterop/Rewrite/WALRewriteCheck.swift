import Foundation

/// Reads a freshly encoded WAL file back with the project's reader
/// (``WALReader``) and compares it with what the rewrite planned: every
/// frame and CRC valid, the entries in order with their terms and
/// plaintext, the hard state last.
public enum WALRewriteCheck {
    /// Nil when `bytes` reads back as planned, else what differs.
    /// - Parameters:
    ///   - expect: (index, term, plaintext) of every entry, in order.
    ///   - open: turns an entry's stored data into plaintext (Swarm decrypts).
    public static func check(_ bytes: [UInt8], expect: [(UInt64, UInt64, Data?)],
                             hardState: (term: UInt64, vote: UInt64, commit: UInt64),
                             open: @escaping (Data) -> Data?) -> String? {
        var reader = WALReader(directory: "", label: "")
        reader.open = { data, _ in (open(data), nil) }
        let scan = reader.scanOne(Data(bytes), name: "new.wal")
        if let f = scan.findings.first { return "\(f.kind) at \(f.offset ?? 0): \(f.message)" }
        guard scan.entries.count == expect.count else { return "\(scan.entries.count) entries read, \(expect.count) written" }
        for (e, x) in zip(scan.entries, expect) {
            if e.index != x.0 || e.term != x.1 { return "entry \(e.index) term \(e.term) read where \(x.0) term \(x.1) was written" }
            if let p = x.2, e.plaintext != p { return "entry \(e.index) does not open to its plaintext" }
        }
        guard let hs = scan.hardState, hs.term == hardState.term, hs.vote == hardState.vote, hs.commit == hardState.commit else {
            return "hard state does not read back"
        }
        return nil
    }
}
