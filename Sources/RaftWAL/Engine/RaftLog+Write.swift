extension RaftLog {
    /// Encodes, frames, writes and syncs one batch record, rolling the
    /// segment over first when the record does not fit. Writer lock held.
    /// Any failure fail-stops the log.
    func writeBatch(_ entries: [Entry], hardState: HardState?) throws(WALError) {
        let emptyAt = entries.isEmpty ? stateLock.withLock { state.lastIndex } + 1 : 0
        let batch = BatchRecordCodec.prepare(entries, hardState: hardState, compression: options.compression,
                                             acceleration: options.lz4Acceleration, emptyAt: emptyAt)
        try writePrepared(batch, hardState: hardState)
    }

    /// Frames, writes and syncs a batch already encoded and compressed (by
    /// the writer, or ahead by the preparer). Writer lock held.
    func writePrepared(_ batch: BatchRecordCodec.Prepared, hardState: HardState?) throws(WALError) {
        let row = BatchRef(offset: 0, firstIndex: batch.firstIndex, entryCount: batch.entryCount, recordBytes: 0, type: .batch)
        try writeRecord(recordBytes: batch.recordBytes, row: row, hardState: hardState) { salt, offset, out in
            batch.frame(salt: salt, offset: offset, into: &out)
        } apply: { shape in
            _ = shape.applyBatch(firstIndex: batch.firstIndex, entryCount: batch.entryCount, meta: batch.meta)
        }
    }

    /// Writes a reset record: the log restarts after (index, term). Writer lock held.
    func writeReset(index: UInt64, term: UInt64) throws(WALError) {
        let meta = ResetMeta(index: index, term: term).encoded()
        let row = BatchRef(offset: 0, firstIndex: index + 1, entryCount: 0, recordBytes: 0, type: .reset)
        try writeRecord(recordBytes: Layout.alignUp(Layout.recordHeaderBytes + meta.count), row: row, hardState: nil) { salt, offset, out in
            RecordFrame.encode(type: .reset, firstIndex: index + 1, entryCount: 0, meta: meta,
                               body: UnsafeRawBufferPointer(start: nil, count: 0), rawLength: 0, compressed: false,
                               salt: salt, offset: offset, into: &out)
        } apply: { shape in
            shape.applyReset(index: index, term: term)
        }
        stateLock.withLock { state.pendingReset = nil }
    }

    /// The common write path: roll over if needed, frame at the tail's end,
    /// write + sync, then publish. Writer lock held. The tail's batch table,
    /// index and shape are mutated in place under the state lock, never
    /// copied out and back (a copy would make every append O(segment)).
    func writeRecord(recordBytes: Int, row: BatchRef, hardState: HardState?,
                             frame: (UInt64, UInt64, inout [UInt8]) -> Void,
                             apply: (inout LogShape) -> Void) throws(WALError) {
        // A reset deferred at open (a full disk, `RaftLog+OpenRepairs`) goes
        // first, whichever path writes next: batch, prepared round, truncation.
        if row.type != .reset, let reset = stateLock.withLock({ state.pendingReset }) {
            try writeReset(index: reset.index, term: reset.term)
        }
        func tailPosition() -> (offset: UInt64, salt: UInt64, seq: UInt64, handle: any FileHandle) {
            stateLock.withLock {
                let t = state.segments[state.segments.count - 1]
                return (t.endOffset, t.header.salt, t.header.seq, t.reader.handle)
            }
        }
        var tail = tailPosition()
        var rollOverNanos: UInt64 = 0, frameNanos: UInt64 = 0, timing = Durability.WriteTiming(writeNanos: 0, syncNanos: 0)
        do {
            try removeTailHintBeforeFirstWrite()
            if tail.offset > UInt64(Layout.segmentHeaderBytes) && tail.offset + UInt64(recordBytes) > options.segmentSizeBytes {
                let r0 = MonotonicClock.nanos()
                try rollOver()
                rollOverNanos = MonotonicClock.nanos() - r0
                tail = tailPosition()
            }
            let f0 = MonotonicClock.nanos()
            var out: [UInt8] = []
            out.reserveCapacity(recordBytes)
            frame(tail.salt, tail.offset, &out)
            precondition(out.count == recordBytes, "framed \(out.count) bytes, planned \(recordBytes)")
            frameNanos = MonotonicClock.nanos() - f0
            timing = try durability.appendAndSync(tail.handle, out, at: tail.offset)
            // Confirmed mode: ACKED names this record before it is acknowledged.
            let c0 = MonotonicClock.nanos()
            let lastIndex = row.entryCount > 0 ? row.firstIndex + UInt64(row.entryCount) - 1 : row.firstIndex - 1
            try confirm(seq: tail.seq, salt: tail.salt, endOffset: tail.offset + UInt64(recordBytes), lastIndex: lastIndex)
            if options.confirmAppends { timing.syncNanos += MonotonicClock.nanos() - c0 }
        } catch {
            failStop(error)
            throw error
        }
        stateLock.withLock {
            stats.rollOverNanoseconds += rollOverNanos
            stats.frameNanoseconds += frameNanos
            stats.writeNanoseconds += timing.writeNanos
            stats.syncNanoseconds += timing.syncNanos
            let last = state.segments.count - 1
            var row = row
            row.offset = tail.offset
            row.recordBytes = recordBytes
            apply(&state.segments[last].shape)
            apply(&state.shape)
            if let hardState { state.hardState = hardState }
            stats.records += 1
            if options.sync == .durable { stats.dataSyncs += 1 }
            state.segments[last].rows.append(row)
            if state.segments[last].index == nil { state.segments[last].index = SegmentIndex([]) }
            state.segments[last].index!.add(row)
            state.segments[last].endOffset = tail.offset + UInt64(recordBytes)
            let reader = state.segments[last].reader
            if reader.fileSize < tail.offset + UInt64(recordBytes) { reader.fileSize = tail.offset + UInt64(recordBytes) }
            let own = state.segments[last].shape
            if let from = own.rewriteFrom, own.lastIndex >= from {
                state.segments[last].liveFirst = from
                state.segments[last].liveLast = own.lastIndex
            } else {
                state.segments[last].kill()
            }
            if row.type == .reset {
                for k in 0..<last { state.segments[k].kill() }
            } else {  // entries from firstIndex on, or a truncation record there (a no-op for a hard state at last + 1)
                for k in 0..<last { state.segments[k].clip(before: row.firstIndex) }
            }
        }
    }

    /// Creates the successor segment (durably), then seals the tail.
    /// Writer lock held; the caller fail-stops on a throw.
    private func rollOver() throws(WALError) {
        // The successor follows what the tail holds on disk: while a reset found
        // at open is pending, the log's shape already ends at the snapshot, but
        // the reset record (in the successor) is not written yet.
        let (tail, identity, lastIndex, hardState, previousTerm) = stateLock.withLock {
            let tail = state.segments[state.segments.count - 1]
            let last = tail.shape.lastIndex
            return (tail, state.identity, last, state.hardState,
                    tail.shape.term(of: last) ?? state.shape.term(of: last) ?? state.baseTerm(at: last))
        }
        let factory = SegmentFactory(durability: durability, options: options)
        let spare = pipeline.takeSpare().map { (handle: $0, name: spareName) }
        let next = try factory.create(identity: identity, seq: tail.header.seq + 1, firstIndex: lastIndex + 1, hardState: hardState,
                                      previousTerm: previousTerm, spare: spare)
        var sealed = tail
        var sealedSize = tail.reader.fileSize
        if let (bytes, sealOffset) = SegmentFactory.sealBytes(for: tail) {
            try durability.seal(tail.reader.handle, bytes, at: tail.endOffset)
            sealedSize = tail.endOffset + UInt64(bytes.count)
            sealed.sealOffset = sealOffset
            sealed.batchTableOffset = tail.endOffset
            sealed.batchCount = tail.rows.count
            sealed.rows = []
            sealed.index = nil  // reloaded from the batch table on demand
        } else {
            logger.info("segment left unsealed: its summary does not fit a seal record", metadata: ["segment": "\(tail.name)"])
        }
        stateLock.withLock {
            sealed.reader.fileSize = sealedSize
            state.segments[state.segments.count - 1] = sealed
            state.segments.append(next)
            stats.rollOvers += 1
            if spare != nil { stats.rollOversOnSpare += 1 }
        }
        logger.info("segment sealed", metadata: ["segment": "\(tail.name)", "next": "\(next.name)"])
    }
}

extension RaftLog {
    /// Creates the spare segment for the next roll-over (on the preparer
    /// thread, no lock held: the spare is nobody else's file). Nil, logged,
    /// when it cannot be: the roll-over then creates its segment itself.
    func createSpareSegment() -> (any FileHandle)? {
        do {
            return try SegmentFactory(durability: durability, options: options).createSpare(name: spareName)
        } catch {
            logger.info("spare segment not created", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// This writer's spare segment name (``SegmentFactory/spareName(id:)``):
    /// random, or numbered in open order under the reproducibility hooks.
    static func spareID(_ options: LogOptions) -> UInt64 {
        if options.deterministicSalt != nil { return spareCounter.next() }
        var g = SystemRandomNumberGenerator()
        return g.next()
    }

    /// After a round: asks for a spare once the tail is half full.
    func wantSpareIfHalfFull() {
        guard options.access == .readWrite else { return }
        let end = stateLock.withLock { state.closed ? 0 : state.segments[state.segments.count - 1].endOffset }
        if end >= options.segmentSizeBytes / 2 { pipeline.wantSpare() }
    }
}

/// Numbers spares in open order when a log's salts are deterministic.
final class SpareCounter: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: UInt64 = 0
    func next() -> UInt64 {
        lock.withLock {
            value += 1
            return value
        }
    }
}
let spareCounter = SpareCounter()
