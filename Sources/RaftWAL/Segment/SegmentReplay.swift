/// One segment replayed for the open: its seal summary when one can be
/// trusted, otherwise a scan of its records through ``RecordReplay``, ending
/// in the ``SegmentFacts/End`` the decision table reads and what it found.
///
/// Only reads. The read-only open's live-directory rule ("bytes being written
/// during the read are the consistent cut's clean end", `docs/RECOVERY.md`)
/// is applied here when `live` is set; "sealed during the read" needs the
/// directory and is the directory scan's fact.
package struct SegmentReplay {
    /// How the records end.
    package var end: SegmentFacts.End
    /// This segment's contribution to the log (from the seal or the scan).
    package var shape: LogShape
    /// Rows of a scanned segment (empty when the seal was trusted).
    package var rows: [BatchRef] = []
    /// End of the valid batch and reset records (a sealed scan: where its
    /// batch table starts; a trusted seal: the seal's batch table offset).
    package var endOffset: UInt64
    /// A trusted seal: its offset, batch table offset and batch count.
    package var seal: (offset: UInt64, batchTableOffset: UInt64, batchCount: Int)?
    /// Torn or corrupt: where (the bad record's offset).
    package var damageOffset: UInt64?
    /// Torn or corrupt: why the record there is not valid.
    package var problem: RecordProblem?
    /// Rule broken: the record that breaks it, and which rule.
    package var ruleOffset: UInt64?
    package var brokenRule: String?
    /// How the records end when no rule is checked (`end` unless a rule is
    /// broken): what the inspector, which reports rules itself, reads.
    package var scanEnd: SegmentFacts.End = .clean
    /// Just past the last valid record the scan met (after the seal for a sealed end).
    package var scanEndOffset: UInt64 = 0
    /// Corrupt: where the next valid record starts.
    package var nextValidOffset: UInt64?
    /// Torn: bytes from the damage through the end of the last 8-byte word
    /// that is not all zeros (the file's end when that comes first).
    package var garbageBytes: UInt64 = 0
    /// Live read: the offset from which bytes were being written during the read.
    package var writtenDuringReadFrom: UInt64?

    /// Replays `reader`'s segment, which continues a log ending at `lastIndex`.
    /// `trustSeal`: take a valid seal's summary instead of scanning (segments
    /// before the last) when its batch table verifies too: the roll-over
    /// writes batch table, seal and trailer in one write, sectors may reach
    /// the disk in any order, and a seal whose table was lost is a torn seal
    /// write (T2), as the scan and the independent reader see it. (The table
    /// record sits just before the seal, so this costs one read of both.)
    /// `live`: a read-only open of a directory a writer may be changing.
    /// `visit` sees every valid record up to the end the scan classifies
    /// (the inspector's view of the same pass); returning false stops the
    /// scan there (it then ends clean).
    static func replay(_ reader: SegmentReader, continuingAfter lastIndex: UInt64, trustSeal: Bool,
                       live: Bool, visit: (RecordView) throws(WALError) -> Bool = { _ in true }) throws(WALError) -> SegmentReplay {
        if trustSeal, let seal = reader.readSeal(), reader.hasBatchTable(seal.meta) {
            var out = SegmentReplay(end: .trustedSeal, shape: seal.meta.shape, endOffset: seal.meta.batchTableOffset)
            out.scanEnd = .trustedSeal
            out.seal = (seal.offset, seal.meta.batchTableOffset, seal.meta.batchCount)
            return out
        }
        var shape = LogShape(continuingAfter: lastIndex)
        var rows: [BatchRef] = []
        var broken: (offset: UInt64, why: String)? = nil
        var dataEnd = UInt64(Layout.segmentHeaderBytes)
        let scan = try reader.scan(from: dataEnd) { (view) throws(WALError) -> Bool in
            guard try visit(view) else { return false }
            guard broken == nil else { return true }
            if view.header.type == .batch || view.header.type == .reset {
                dataEnd = view.offset + UInt64(view.header.recordBytes)
            }
            if let why = RecordReplay.apply(view, to: &shape, rows: &rows) { broken = (view.offset, why) }
            return true
        }
        var out = SegmentReplay(end: .clean, shape: shape, rows: rows, endOffset: scan.endOffset)
        out.scanEndOffset = scan.endOffset
        var end = scan.end
        if live && end.endsInBadBytes && reader.wasWrittenDuringRead(at: scan.endOffset) {
            out.writtenDuringReadFrom = scan.endOffset
            end = .clean
        }
        switch end {
        case .clean:
            out.end = .clean
        case .sealed:
            out.end = .sealed
            out.endOffset = dataEnd
        case let .torn(problem, garbage):
            let next = shape.lastIndex + 1
            let whole = reader.writtenWhole(at: scan.endOffset, problem: problem,
                                            indexes: min(reader.header.firstIndex, next)...next)
            out.end = whole ? .tornWrittenWhole : .torn
            out.damageOffset = scan.endOffset
            out.problem = problem
            out.garbageBytes = garbage
        case let .corrupt(problem, next):
            // A seal written at once of which a crash kept a later sector (the
            // seal) but not an earlier one (the batch table): the valid seal
            // names this offset as the end of the batches.
            let ownSeal = reader.isOwnSeal(validAt: next, damageAt: scan.endOffset, scanned: shape, batches: rows.count)
            out.end = ownSeal ? .corruptBeforeItsSeal : .corrupt
            out.damageOffset = scan.endOffset
            out.problem = problem
            out.nextValidOffset = next
        }
        out.scanEnd = out.end
        if let broken {
            // A rule broken outranks how the records end (the decision reads `end`).
            out.end = .ruleBroken
            out.ruleOffset = broken.offset
            out.brokenRule = broken.why
        }
        return out
    }

    /// The index range of the damaged record at `offset`: the sealed
    /// segment's batch table row for that offset when the seal and its table
    /// verify (checksummed apart from the record, so a damaged header cannot
    /// misname its entries); otherwise what the record's header claims, when
    /// it parses (a hint for reports, never trusted).
    /// `sealedRows`: ``sealedRows(_:)`` of the same reader, when the caller
    /// asks about many offsets (read once, not once per damaged record).
    static func claimedIndexes(_ reader: SegmentReader, at offset: UInt64,
                               sealedRows: [BatchRef]?? = nil) -> ClosedRange<UInt64>? {
        if let rows = sealedRows ?? Self.sealedRows(reader) {
            var lo = 0, hi = rows.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if rows[mid].offset == offset {
                    return rows[mid].entryCount > 0 ? rows[mid].firstIndex...rows[mid].lastIndex : nil
                }
                if rows[mid].offset < offset { lo = mid + 1 } else { hi = mid - 1 }
            }
        }
        guard let head = try? reader.handle.read(at: offset, count: Layout.recordHeaderBytes),
              head.count == Layout.recordHeaderBytes else { return nil }
        let parsed = head.withUnsafeBytes { RecordFrame.parseHeader($0, available: Int.max) }
        guard case .success(let h) = parsed, h.type == .batch, h.entryCount > 0 else { return nil }
        return h.firstIndex...(h.firstIndex + UInt64(h.entryCount) - 1)
    }

    /// The batch table of a sealed segment whose seal and table verify (rows
    /// in offset order); nil otherwise.
    static func sealedRows(_ reader: SegmentReader) -> [BatchRef]? {
        guard let seal = reader.readSeal() else { return nil }
        return try? reader.readBatchTable(seal.meta)
    }

    /// Index ranges and hard states of every valid batch record at or
    /// after `from` (what a truncation drops; damage is skipped, not trusted).
    static func salvage(_ reader: SegmentReader, from: UInt64) -> [(ClosedRange<UInt64>?, HardState?)] {
        reader.validRecords(from: max(from, UInt64(Layout.segmentHeaderBytes))).compactMap { record in
            guard record.header.type == .batch else { return nil }
            let h = record.header
            let range = h.entryCount > 0 ? h.firstIndex...(h.firstIndex + UInt64(h.entryCount) - 1) : nil
            return (range, record.hardState)
        }
    }
}
