/// One record as the inspector sees it (valid records only; damage is
/// reported separately as ``SegmentInspector/Event/damage(offset:bytes:problem:)``).
package struct RecordInfo: Sendable, Equatable {
    package var offset: UInt64
    package var type: RecordType
    /// Bytes on disk, padding included.
    package var recordBytes: Int
    /// Body bytes as stored (compressed when `compressed`).
    package var storedBytes: Int
    /// Body bytes before compression.
    package var rawBytes: Int
    package var metaBytes: Int
    package var compressed: Bool
    package var firstIndex: UInt64
    package var entryCount: Int
    /// For batches: the hard state carried, term runs and conf-change indexes.
    package var hardState: HardState?
    package var termRuns: [TermRun]
    package var confChangeIndexes: [UInt64]
    /// For reset records: the snapshot position the log restarts after.
    package var resetTo: (index: UInt64, term: UInt64)? {
        get { resetIndex.map { ($0, resetTerm) } }
        set { resetIndex = newValue?.index; resetTerm = newValue?.term ?? 0 }
    }
    var resetIndex: UInt64?
    var resetTerm: UInt64 = 0
    /// For seal records: the segment's last index as recorded by the seal.
    package var sealLastIndex: UInt64?

    package var indexes: ClosedRange<UInt64>? {
        entryCount > 0 ? firstIndex...(firstIndex + UInt64(entryCount) - 1) : nil
    }

    /// ``indexes`` without the overflow trap: nil when the record holds no
    /// entries or its first index is outside the format's bound.
    package var safeIndexes: ClosedRange<UInt64>? {
        guard entryCount > 0, Self.isPlausibleIndex(firstIndex) else { return nil }
        return firstIndex...(firstIndex + UInt64(entryCount) - 1)
    }

    /// An index within the format's bound (`1 ... Layout.maxIndex`, `docs/FORMAT.md`).
    /// A checksum-valid header can still carry any 64-bit value (a crafted
    /// file): readers report it instead of trapping on `index ± 1`.
    package static func isPlausibleIndex(_ index: UInt64) -> Bool { index >= 1 && index <= Layout.maxIndex }

    package static func == (a: RecordInfo, b: RecordInfo) -> Bool {
        a.offset == b.offset && a.type == b.type && a.recordBytes == b.recordBytes && a.firstIndex == b.firstIndex
            && a.entryCount == b.entryCount
    }
}

/// Reads one segment file record by record for tools: never writes, never
/// stops at the first damage (it resynchronizes on the next valid record),
/// memory bounded by the largest record.
package struct SegmentInspector {
    package let name: String
    package let path: String
    package let fileBytes: UInt64
    /// Nil when the header does not validate (then `headerProblem` says why).
    package let header: SegmentHeader?
    package let headerProblem: WALError?
    private let reader: SegmentReader?
    private let handle: any FileHandle
    /// The sealed segment's batch table, read at the first damaged record
    /// and kept for the others (``claimedIndexes(at:)``).
    private let sealedRows = Lazy<[BatchRef]?>()

    /// A value computed on first use (a struct's lazy state, shared by its copies).
    private final class Lazy<Value>: @unchecked Sendable {
        private var value: Value?
        func get(_ make: () -> Value) -> Value {
            if let value { return value }
            let made = make()
            value = made
            return made
        }
    }

    /// What a scan meets, in file order.
    package enum Event {
        /// A valid record. `entries()` decodes its entries (batch records
        /// only); `entries.forEach` visits them without keeping them.
        case record(RecordInfo, entries: BatchEntries)
        /// Bytes that are not a valid record, from `offset`, up to the next
        /// valid record or the end of data. `end` is how the decision table
        /// reads it: torn (nothing valid after it), corrupt, or corrupt before
        /// the segment's own seal (a torn seal write).
        case damage(offset: UInt64, bytes: UInt64, problem: String, end: SegmentFacts.End)
    }

    /// How the segment's data ends.
    package struct Summary {
        /// Offset just past the last valid record before the first damage.
        package var endOffset: UInt64
        /// How the first pass ended: the decision table's input.
        package var end: SegmentFacts.End
        package var sealed: Bool
        package var recordCount: Int
        /// Set when the bytes from this offset on were being written while
        /// the scan read them (a live writer; ``SegmentReader/wasWrittenDuringRead(at:)``):
        /// the scan ended there, as a clean end, without reporting them.
        package var writtenDuringScanFrom: UInt64?
        /// The engine's replay of the segment up to the first damage.
        package var facts: SegmentReplay
    }

    package init(directory: String, name: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(WALError) {
        self.name = name
        self.path = joinPath(directory, name)
        handle = try fileSystem.open(path, access: .readOnly, create: false)
        fileBytes = try handle.size()
        do throws(WALError) {
            let r = try SegmentReader(handle: handle, name: name)
            reader = r
            header = r.header
            headerProblem = nil
        } catch {
            reader = nil
            header = nil
            headerProblem = error
        }
    }

    /// The seal's summary, when the segment is sealed and the seal validates.
    package var sealedShape: LogShape? { reader?.readSeal()?.meta.shape }

    package func close() { handle.close() }

    /// The index range of the damaged record at `offset`
    /// (`SegmentReplay.claimedIndexes`): the seal's batch table row for it,
    /// else what its header claims. The table is read once per segment, not
    /// once per damaged record (a hostile segment may have thousands).
    package func claimedIndexes(at offset: UInt64) -> ClosedRange<UInt64>? {
        guard let reader else { return nil }
        let rows = sealedRows.get { SegmentReplay.sealedRows(reader) }
        return SegmentReplay.claimedIndexes(reader, at: offset, sealedRows: .some(rows))
    }

    /// Scans every record in order. After damage the scan continues at the
    /// next valid record, so every problem in the file is reported.
    /// Return false from `visit` to stop early.
    ///
    /// The first pass, up to the first damage, is the engine's own segment
    /// replay (`SegmentReplay`, as a read-only open of a live directory runs
    /// it, the seal never trusted): its ``Summary/facts`` are what the
    /// recovery decision table reads, so the inspector labels the segment as
    /// the engine does. Later passes only go on past the damage.
    @discardableResult
    package func scan(_ visit: (Event) throws(WALError) -> Bool) throws(WALError) -> Summary {
        guard let reader else { throw headerProblem! }
        var count = 0
        var stopped = false
        let file = name
        func record(_ view: RecordView) throws(WALError) -> Bool {
            count += 1
            let info = Self.info(view)
            let entries: BatchEntries
            if view.header.type == .batch {
                // Copy the record so the closure stays valid after the window moves.
                let bytes = Array(view.bytes)
                let header = view.header, offset = view.offset
                entries = BatchEntries { (visit) throws(WALError) in
                    try bytes.withBytes { (raw) throws(WALError) in
                        try BatchRecordCodec.visit(RecordView(offset: offset, header: header, bytes: raw), file: file, visit)
                    }
                }
            } else {
                entries = BatchEntries { _ throws(WALError) in }
            }
            if !(try visit(.record(info, entries: entries))) { stopped = true; return false }
            return true
        }
        let replay = try SegmentReplay.replay(reader, continuingAfter: reader.header.firstIndex - 1, trustSeal: false,
                                              live: true, visit: record)
        var summary = Summary(endOffset: replay.scanEndOffset, end: replay.scanEnd, sealed: replay.scanEnd == .sealed,
                              recordCount: 0, writtenDuringScanFrom: replay.writtenDuringReadFrom, facts: replay)
        // Past the damage: every later valid record and damaged range.
        var damage: (offset: UInt64, problem: RecordProblem?, next: UInt64?, garbage: UInt64, end: SegmentFacts.End)? = nil
        switch replay.scanEnd {
        case .torn, .tornWrittenWhole, .corrupt, .corruptBeforeItsSeal:
            damage = (replay.damageOffset!, replay.problem, replay.nextValidOffset, replay.garbageBytes, replay.scanEnd)
        default:
            break
        }
        while !stopped, let d = damage {
            let problem = d.problem?.description ?? "bad record"
            guard let next = d.next else {
                _ = try visit(.damage(offset: d.offset, bytes: d.garbage, problem: problem, end: d.end))
                break
            }
            if !(try visit(.damage(offset: d.offset, bytes: next - d.offset, problem: problem, end: d.end))) { break }
            let scan = try reader.scan(from: next) { (view) throws(WALError) -> Bool in try record(view) }
            if stopped { break }
            switch scan.end {
            case .clean:
                damage = nil
            case .sealed:
                summary.sealed = true
                damage = nil
            case let .torn(problem, garbage):
                damage = (scan.endOffset, problem, nil, garbage, .torn)
            case let .corrupt(problem, next):
                damage = (scan.endOffset, problem, next, 0, .corrupt)
            }
        }
        if !summary.sealed, replay.writtenDuringReadFrom == nil, reader.readSeal() != nil { summary.sealed = true }
        summary.recordCount = count
        return summary
    }

    static func info(_ view: RecordView) -> RecordInfo {
        let h = view.header
        var info = RecordInfo(offset: view.offset, type: h.type, recordBytes: h.recordBytes, storedBytes: h.storedLength,
                              rawBytes: h.rawLength, metaBytes: h.metaLength, compressed: h.compressed,
                              firstIndex: h.firstIndex, entryCount: h.entryCount, hardState: nil, termRuns: [],
                              confChangeIndexes: [])
        switch h.type {
        case .batch:
            if let meta = try? BatchMeta.decode(view.meta, firstIndex: h.firstIndex, entryCount: h.entryCount) {
                info.hardState = meta.hardState
                info.termRuns = meta.termRuns
                info.confChangeIndexes = meta.confChangeIndexes
            }
        case .reset:
            if let meta = try? ResetMeta.decode(view.meta) { info.resetTo = (meta.index, meta.term) }
        case .seal:
            if let meta = try? SealMeta.decode(view.meta, startingAfter: 0) { info.sealLastIndex = meta.shape.lastIndex }
        case .batchTable:
            break
        }
        return info
    }
}

extension LogShape {
    /// The first index this shape holds, when it holds any.
    package var firstHeldIndex: UInt64? {
        guard let from = rewriteFrom, lastIndex >= from else { return nil }
        return from
    }
}

/// Snapshot files for tools.
package enum SnapshotInspector {
    /// Every snapshot file in the directory, newest first, each verified.
    package static func list(directory: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(WALError) -> [SnapshotFileInfo] {
        let listing = try DirectoryListing(directory: directory, fileSystem: fileSystem)
        return SnapshotCatalog(fs: fileSystem, directory: directory).list(identity: nil, names: listing.snapshots)
    }

    /// Reads and verifies one snapshot file.
    package static func read(directory: String, name: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(WALError) -> Snapshot {
        try SnapshotCatalog(fs: fileSystem, directory: directory).read(name).1
    }

    /// The identity recorded in a snapshot file's header.
    package static func identity(directory: String, name: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(WALError) -> LogIdentity {
        try SnapshotCatalog(fs: fileSystem, directory: directory).open(name).header.identity
    }

    /// Visits one snapshot file's data chunk by chunk (one chunk in memory),
    /// each verified before `visit` sees it (return false to stop); the data
    /// is valid only once this returns after the last chunk (the file's
    /// totals are checked last). Returns the bytes visited.
    package static func forEachChunk(directory: String, name: String, fileSystem: any FileSystem = POSIXFileSystem(),
                                     _ visit: ([UInt8]) -> Bool) throws(WALError) -> UInt64 {
        let reader = try SnapshotCatalog(fs: fileSystem, directory: directory).open(name)
        var bytes: UInt64 = 0
        while let chunk = try reader.next() {
            bytes += UInt64(chunk.count)
            if !visit(chunk) { break }
        }
        return bytes
    }
}

/// A batch record's entries, decoded on demand: `entries()` collects them,
/// `forEach` visits them one at a time without keeping them (what a reader
/// that only looks at each entry should use: memory stays that of one entry).
package struct BatchEntries {
    let decode: ((Entry) -> Bool) throws(WALError) -> Void

    package init(_ decode: @escaping ((Entry) -> Bool) throws(WALError) -> Void) { self.decode = decode }

    /// Every entry, collected.
    package func callAsFunction() throws(WALError) -> [Entry] {
        var out: [Entry] = []
        try decode { out.append($0); return true }
        return out
    }

    /// Visits the entries in order; return false to stop.
    package func forEach(_ visit: (Entry) -> Bool) throws(WALError) { try decode(visit) }
}
