/// Replays one valid record into a segment's shape and batch rows, by the
/// replay rules of `docs/FORMAT.md` §5.2 (`LogShape`). Used by the open's
/// segment replay, by the rebuild of a lost batch table, and by the tools.
enum RecordReplay {
    /// Applies a scanned record. Returns why it breaks a replay rule (a gap,
    /// a rewrite below a reset, a decreasing term, a hard-state-only batch
    /// not at last + 1, a meta that does not decode), or nil.
    static func apply(_ view: RecordView, to shape: inout LogShape, rows: inout [BatchRef]) -> String? {
        let h = view.header
        switch h.type {
        case .batch:
            let meta: BatchMeta
            do { meta = try BatchMeta.decode(view.meta, firstIndex: h.firstIndex, entryCount: h.entryCount) } catch {
                return "batch meta: \(error.reason)"
            }
            if let why = shape.applyBatch(firstIndex: h.firstIndex, entryCount: h.entryCount, meta: meta) { return why }
            rows.append(BatchRef(offset: view.offset, firstIndex: h.firstIndex, entryCount: h.entryCount,
                                 recordBytes: h.recordBytes, type: .batch))
        case .reset:
            let meta: ResetMeta
            do { meta = try ResetMeta.decode(view.meta) } catch { return "reset meta: \(error.reason)" }
            if h.firstIndex != meta.index + 1 { return "reset record's first index \(h.firstIndex) is not \(meta.index) + 1" }
            shape.applyReset(index: meta.index, term: meta.term)
            rows.append(BatchRef(offset: view.offset, firstIndex: h.firstIndex, entryCount: 0,
                                 recordBytes: h.recordBytes, type: .reset))
        case .batchTable, .seal:
            break
        }
        return nil
    }
}
