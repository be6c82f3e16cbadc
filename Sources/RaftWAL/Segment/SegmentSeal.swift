/// Reading a segment's seal: the trailer, the seal record, the batch table
/// it points to (or the rows rebuilt from the records when a crash kept the
/// seal but not its table), and whether a valid record found after damage is
/// the segment's own seal (`docs/RECOVERY.md`, T2).
extension SegmentReader {
    /// Reads the seal through the trailer. Nil when the segment has no valid
    /// trailer or seal (never sealed, or the seal was interrupted or damaged).
    func readSeal() -> (offset: UInt64, meta: SealMeta)? {
        let fileSize = self.fileSize
        guard fileSize >= UInt64(Layout.segmentHeaderBytes + Layout.recordHeaderBytes + Layout.trailerBytes),
              let trailer = try? handle.read(at: fileSize - UInt64(Layout.trailerBytes), count: Layout.trailerBytes),
              trailer.count == Layout.trailerBytes, Array(trailer[8..<16]) == Layout.trailerMagic else { return nil }
        let sealOffset = trailer.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard sealOffset >= UInt64(Layout.segmentHeaderBytes), sealOffset < fileSize - UInt64(Layout.trailerBytes) else { return nil }
        return try? withRecord(at: sealOffset) { (view) throws(WALError) -> (offset: UInt64, meta: SealMeta)? in
            guard view.header.type == .seal,
                  sealOffset + UInt64(view.header.recordBytes) + UInt64(Layout.trailerBytes) == fileSize,
                  let meta = try? SealMeta.decode(view.meta, startingAfter: header.firstIndex - 1) else { return nil }
            return (sealOffset, meta)
        }
    }

    /// True when the record a seal points to is a batch table that verifies
    /// (checksum bound to salt and offset), without decoding its rows.
    func hasBatchTable(_ seal: SealMeta) -> Bool {
        (try? withRecord(at: seal.batchTableOffset) { (view) throws(WALError) -> Bool in
            view.header.type == .batchTable && !view.header.compressed
                && seal.batchTableOffset + UInt64(view.header.recordBytes) <= fileSize
        }) ?? false
    }

    /// Reads the batch table a seal points to.
    func readBatchTable(_ seal: SealMeta) throws(WALError) -> [BatchRef] {
        try withRecord(at: seal.batchTableOffset) { (view) throws(WALError) -> [BatchRef] in
            guard view.header.type == .batchTable, !view.header.compressed else {
                throw corrupted(view.offset, "seal points to a \(view.header.type.name) record, not a batch table")
            }
            do throws(DecodeFailure) { return try BatchTableCodec.decode(view.storedBody, count: seal.batchCount) } catch {
                throw corrupted(view.offset, "batch table: " + error.reason)
            }
        }
    }

    /// The rows of a sealed segment, from a scan of its records; nil unless
    /// the scan ends exactly where the seal says the batches end, with as
    /// many batches as the seal counts. The batch table is redundant, and a
    /// seal written at once can be torn by a crash so that the seal survives
    /// but its table does not (found by `raft-torture sim`).
    func rebuildBatchTable(_ seal: SealMeta) throws(WALError) -> [BatchRef]? {
        var shape = LogShape(continuingAfter: header.firstIndex - 1)
        var rows: [BatchRef] = []
        var consistent = true
        var dataEnd = UInt64(Layout.segmentHeaderBytes)
        _ = try scan(from: dataEnd) { (view) throws(WALError) -> Bool in
            if view.offset >= seal.batchTableOffset { return false }
            if RecordReplay.apply(view, to: &shape, rows: &rows) != nil { consistent = false }
            dataEnd = view.offset + UInt64(view.header.recordBytes)
            return consistent
        }
        guard consistent, dataEnd == seal.batchTableOffset, rows.count == seal.batchCount else { return nil }
        return rows
    }

    /// True when the valid record after damage at `damageAt` is a seal whose
    /// batch table was to start exactly there and whose summary matches the
    /// scanned batches: the damage is an interrupted seal (T2), and every
    /// batch before it is intact.
    func isOwnSeal(validAt next: UInt64, damageAt: UInt64, scanned: LogShape, batches: Int) -> Bool {
        let seal = try? withRecord(at: next) { (view) throws(WALError) -> SealMeta? in
            guard view.header.type == .seal else { return nil }
            return try? SealMeta.decode(view.meta, startingAfter: header.firstIndex - 1)
        }
        guard let seal = seal ?? nil else { return false }
        return seal.batchTableOffset == damageAt && seal.batchCount == batches && seal.shape.lastIndex == scanned.lastIndex
    }
}
