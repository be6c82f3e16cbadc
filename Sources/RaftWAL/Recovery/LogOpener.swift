/// Opens a data directory: finds segments and snapshots, rebuilds the log's
/// shape from seals and record headers (never decompressing a body), and
/// decides every case of the recovery decision table (`docs/RECOVERY.md`).
struct LogOpener {
    let directory: String
    let options: LogOptions
    var fs: any FileSystem { options.fileSystem }
    var writable: Bool { options.access == .readWrite }
    var durability: Durability { Durability(fs: fs, directory: directory, policy: options.sync) }

    /// A failure found while rebuilding: where, which label, what.
    struct Failure: Error {
        var label: RecoveryLabel
        var position: Int          // index into the candidate segments
        var offset: UInt64         // byte offset in that segment (0: the whole segment)
        var error: WALError
    }

    struct Result {
        var state: LogState
        var report: RecoveryReport
        var lock: (any DirectoryLock)?
        /// A reset record the writer must append before anything else (S2/S3).
        var pendingReset: LogShape.ResetPoint?
        /// A lowered hard state the writer must persist (C7 in truncate mode).
        var pendingHardState: HardState? = nil
    }

    func open() throws(WALError) -> Result {
        var report = RecoveryReport()
        if !fs.isDirectory(directory) {
            guard writable && !fs.fileExists(directory) else {
                throw .notALog(path: directory, reason: DirectoryListing.whyNotADirectory(directory, fs))
            }
            try durability.createDirectory()
        }
        var lock: (any DirectoryLock)? = nil
        if writable {
            lock = try fs.lockExclusive(joinPath(directory, Layout.lockFileName), owner: processDescription())
        }
        if !writable { return try readOnlyRebuild() }
        do {
            var result = try rebuild(&report)
            result.lock = lock
            return result
        } catch {
            lock?.release()
            throw error
        }
    }

    /// A read-only open of a directory a writer may be changing: when the
    /// rebuild fails and the directory's names changed meanwhile (a writer
    /// compacted segments or snapshots away, or rolled over), the first read
    /// was not a consistent cut; it is done once more from a new listing.
    /// A failure that repeats, or that came with no change, is the answer.
    private func readOnlyRebuild() throws(WALError) -> Result {
        var notes: [String] = []
        var attempt = 1
        while true {
            let before = try? fs.listDirectory(directory)
            var report = RecoveryReport()
            do {
                var result = try rebuild(&report)
                result.report.writtenDuringRead.append(contentsOf: notes)
                return result
            } catch {
                // Up to 4 reads: a writer that compacts continuously can change the names again.
                guard attempt < 4, let before, let now = try? fs.listDirectory(directory), Set(now) != Set(before) else { throw error }
                notes.append("the directory's files changed during read \(attempt) (\(error.description)); read again")
                attempt += 1
            }
        }
    }

    private func rebuild(_ report: inout RecoveryReport) throws(WALError) -> Result {
        let names = try fs.listDirectory(directory)
        var segmentNames: [(seq: UInt64, firstIndex: UInt64, name: String)] = []
        var snapshotNames: [String] = []
        var temporaries: [String] = []
        for name in names {
            if let p = FileNames.parseSegment(name) {
                segmentNames.append((p.seq, p.firstIndex, name))
            } else if FileNames.parseSnapshot(name) != nil {
                snapshotNames.append(name)
            } else if name.hasSuffix(Layout.temporarySuffix) {
                temporaries.append(name)
            } else if name != Layout.lockFileName && name != Layout.syncFailedMarkerName && name != MetadataFile.name {
                report.ignoredFiles.append(name)
            }
        }
        segmentNames.sort { $0.seq < $1.seq }
        if !temporaries.isEmpty {
            report.note(.leftoverTemporary)
            report.ignoredFiles.append(contentsOf: temporaries.sorted())
        }

        let catalog = SnapshotCatalog(fs: fs, directory: directory)
        let snapshots = catalog.list(identity: nil, names: snapshotNames)

        if segmentNames.isEmpty {
            if !snapshots.isEmpty {
                throw .corrupted(file: directory, offset: nil, indexes: nil,
                                 reason: "snapshot files but no segment file: the log's segments are lost", label: .missingSegment)
            }
            guard writable else { throw .notALog(path: directory, reason: "no segment files") }
            let state = try createLog()
            report.note(.clean)
            if !temporaries.isEmpty { try durability.remove(temporaries) }
            return Result(state: state, report: report, lock: nil, pendingReset: nil)
        }

        // Open every segment's header (read-only; the tail is reopened for writing later).
        var readers: [SegmentReader] = []
        var headerFailure: Failure?
        /// Segments after a header failure that still open: read only to
        /// report what a truncate-mode cut drops.
        var salvageOnly: [String: SegmentReader] = [:]
        for (k, s) in segmentNames.enumerated() {
            if headerFailure != nil {
                if let h = try? fs.open(joinPath(directory, s.name), access: .readOnly, create: false),
                   let r = try? SegmentReader(handle: h, name: s.name) {
                    salvageOnly[s.name] = r
                }
                continue
            }
            do throws(WALError) {
                let handle = try fs.open(joinPath(directory, s.name), access: .readOnly, create: false)
                let reader = try SegmentReader(handle: handle, name: s.name)
                if reader.header.seq != s.seq || reader.header.firstIndex != s.firstIndex {
                    throw WALError.corrupted(file: s.name, offset: 48, indexes: nil,
                                             reason: "file name says seq \(s.seq) first index \(s.firstIndex), header says seq \(reader.header.seq) first index \(reader.header.firstIndex) (a copied or stale file)")
                }
                readers.append(reader)
            } catch {
                if case .corrupted = error {
                    headerFailure = Failure(label: .badSegmentHeader, position: k, offset: 0, error: error)
                    continue
                }
                throw error
            }
        }
        let identity: LogIdentity
        if let last = readers.last {
            identity = last.header.identity
        } else {
            // Not even the first header reads: nothing to keep.
            throw headerFailure!.error.labeled(headerFailure!.label)
        }
        if headerFailure == nil {
            for (k, r) in readers.enumerated() where r.header.identity != identity {
                headerFailure = Failure(label: .foreignSegment, position: k, offset: 16, error: .corrupted(
                    file: r.name, offset: 16, indexes: nil,
                    reason: "segment belongs to cluster \(r.header.identity.clusterID) member \(r.header.identity.memberID) epoch \(r.header.identity.epoch); the log is cluster \(identity.clusterID) member \(identity.memberID) epoch \(identity.epoch)"))
                for r in readers[k...] { salvageOnly[r.name] = r }
                readers.removeSubrange(k...)
                break
            }
        }

        // The newest valid snapshot of this log.
        var validSnapshots: [SnapshotFileInfo] = []
        for var info in snapshots {
            if info.problem == nil, let m = try? catalog.open(info.name).header,  // the header only: the data was verified by list
               m.identity.clusterID != identity.clusterID || m.identity.memberID != identity.memberID {
                info.problem = .corrupted(file: info.name, offset: 16, indexes: nil, reason: "snapshot belongs to another log")
            }
            if info.problem == nil { validSnapshots.append(info) } else {
                report.note(.damagedSnapshot)
                report.damagedSnapshots.append(info)
            }
        }
        let snapshot: SnapshotMetadata? = validSnapshots.first.map {
            SnapshotMetadata(index: $0.index, term: $0.term, membership: $0.membership ?? Membership())
        }

        // Segments older than the last sequence gap are orphans of an
        // interrupted compaction, if the snapshot covers them (checked below).
        var start = 0
        for k in readers.indices.dropFirst() where readers[k].header.seq != readers[k - 1].header.seq + 1 { start = k }
        let orphans = Array(readers[0..<start])
        let candidates = Array(readers[start...])
        if let f = headerFailure { headerFailure!.position = f.position - start }
        let candidateNames = segmentNames[start...].map(\.name)

        var built = try replay(candidates, names: candidateNames, firstFailure: headerFailure, salvageOnly: salvageOnly,
                               report: &report)

        // Snapshot versus log (S2, S3, C4).
        var pendingReset: LogShape.ResetPoint? = nil
        var pendingHardState: HardState? = nil
        if let snap = snapshot {
            var label: RecoveryLabel? = nil
            if snap.index > built.shape.lastIndex {
                label = .snapshotAheadOfLog
            } else if let t = built.shape.term(of: snap.index), t != snap.term {
                label = .snapshotConflictsWithLog
            }
            if let label {
                report.note(label)
                report.resetToSnapshot = (snap.index, snap.term)
                built.shape.applyReset(index: snap.index, term: snap.term)
                for k in built.segments.indices { built.segments[k].kill() }
                pendingReset = LogShape.ResetPoint(index: snap.index, term: snap.term)
                if writable { report.modifiedDirectory = true }  // the reset record is written right after
            }
        }
        let firstIndex = built.shape.rewriteFrom ?? (built.shape.lastIndex + 1)
        let required = firstIndex - 1
        if required > 0 && (snapshot?.index ?? 0) < required {
            var why = "the log starts at index \(firstIndex) but no valid snapshot covers 1...\(required)"
            if !report.damagedSnapshots.isEmpty {
                why += " (damaged: " + report.damagedSnapshots.map { "\($0.name): \($0.problem?.description ?? "")" }.joined(separator: "; ") + ")"
            }
            if !orphans.isEmpty { why += "; segments before seq \(candidates[0].header.seq) are missing" }
            report.note(.missingSegment)
            throw .corrupted(file: candidates[0].name, offset: nil, indexes: 1...required, reason: why, label: .missingSegment)
        }
        if !orphans.isEmpty {
            report.note(.orphanSegments)
            report.ignoredFiles.append(contentsOf: orphans.map(\.name))
        }
        if built.hardState.commit > max(built.shape.lastIndex, snapshot?.index ?? 0) {
            let why = "hard state commit \(built.hardState.commit) is beyond the last index \(built.shape.lastIndex)"
            if options.recovery == .strict {
                report.note(.commitBeyondLog)
                throw .corrupted(file: built.segments.last?.name ?? directory, offset: nil, indexes: nil, reason: why, label: .commitBeyondLog)
            }
            // Truncate mode: entries up to the commit index are gone; say so,
            // and lower the commit to what the log holds (persisted by a writer).
            report.note(.commitBeyondLog)
            let held = max(built.shape.lastIndex, snapshot?.index ?? 0)
            var dropped = report.dropped ?? DroppedRecords(segment: built.segments.last?.name ?? directory, offset: 0, problem: why,
                                                           indexes: [], includesCommitted: true, backups: [])
            dropped.includesCommitted = true
            if held + 1 <= built.hardState.commit { dropped.indexes.append((held + 1)...built.hardState.commit) }
            report.dropped = dropped
            built.hardState.commit = held
            pendingHardState = built.hardState
        }
        if report.labels.isEmpty { report.note(.clean) }

        var state = LogState(identity: identity, segments: built.segments, shape: built.shape, hardState: built.hardState,
                             snapshot: snapshot, snapshotNames: validSnapshots.map(\.name))
        if writable {
            try prepareForWriting(&state, report: &report, temporaries: temporaries, orphans: orphans.map(\.name), built: built)
        }
        if pendingHardState != nil && writable { report.modifiedDirectory = true }
        return Result(state: state, report: report, lock: nil, pendingReset: pendingReset, pendingHardState: pendingHardState)
    }

    struct Replayed {
        var segments: [SegmentState]
        var shape: LogShape
        var hardState: HardState
        var tornGarbage: UInt64 = 0
        /// Truncate mode: where the log was cut. `offset` nil means the whole
        /// segment at `position` and every later one are dropped; otherwise
        /// that segment is kept up to `offset`.
        var cut: (position: Int, offset: UInt64?)?
        var readers: [SegmentReader] = []
        /// Every candidate segment's name, including those whose header did not open.
        var names: [String] = []
    }

    /// Replays the candidate segments in order (seal summaries where present,
    /// scans otherwise), applying the decision table.
    private func replay(_ readers: [SegmentReader], names: [String], firstFailure: Failure?,
                        salvageOnly: [String: SegmentReader], report: inout RecoveryReport) throws(WALError) -> Replayed {
        guard let first = readers.first else {
            // The first candidate segment already failed (a foreign first
            // segment, C3): nothing precedes it, so nothing can be kept.
            guard let f = firstFailure else { preconditionFailure("no segment to replay and no failure") }
            report.note(f.label)
            guard options.recovery == .truncateAtFirstCorruption else { throw f.error.labeled(f.label) }
            throw .corrupted(file: names.first ?? directory, offset: f.offset, indexes: nil,
                             reason: "nothing precedes the first bad record: \(f.error.description)", label: f.label)
        }
        var out = Replayed(segments: [], shape: LogShape(continuingAfter: first.header.firstIndex - 1),
                           hardState: first.header.hardState)
        out.readers = readers
        out.names = names
        var failure: Failure? = nil
        var keptPrefix = false
        for (k, reader) in readers.enumerated() {
            if let f = firstFailure, f.position == k { failure = f; break }
            let isTail = k == readers.count - 1 && firstFailure == nil
            if reader.header.firstIndex != out.shape.lastIndex + 1 {
                failure = Failure(label: .indexGap, position: k, offset: 56, error: .corrupted(
                    file: reader.name, offset: 56, indexes: nil,
                    reason: "segment starts at index \(reader.header.firstIndex) but the log before it ends at \(out.shape.lastIndex)"))
                break
            }
            var segment: SegmentState
            if !isTail, let seal = reader.readSeal() {
                segment = SegmentState(name: reader.name, reader: reader, shape: seal.meta.shape, endOffset: seal.meta.batchTableOffset)
                segment.sealOffset = seal.offset
                segment.batchTableOffset = seal.meta.batchTableOffset
                segment.batchCount = seal.meta.batchCount
            } else {
                var shape = LogShape(continuingAfter: out.shape.lastIndex)
                var rows: [BatchRef] = []
                var inner: Failure? = nil
                var dataEnd = UInt64(Layout.segmentHeaderBytes)
                let scan = try reader.scan { (view) throws(WALError) in
                    guard inner == nil else { return }
                    if view.header.type == .batch || view.header.type == .reset {
                        dataEnd = view.offset + UInt64(view.header.recordBytes)
                    }
                    if let why = Self.apply(view, to: &shape, rows: &rows) {
                        inner = Failure(label: .indexGap, position: k, offset: view.offset,
                                        error: .corrupted(file: reader.name, offset: view.offset, indexes: nil, reason: why))
                    }
                }
                if let inner { failure = inner; break }
                let end = writable ? scan.end : liveEnd(of: scan, reader: reader, isTail: isTail, report: &report)
                let endOffset: UInt64
                if case .sealed = end { endOffset = dataEnd } else { endOffset = scan.endOffset }
                segment = SegmentState(name: reader.name, reader: reader, shape: shape, endOffset: endOffset)
                segment.rows = rows
                segment.index = SegmentIndex(rows)
                var scanFailure: Failure? = nil
                switch end {
                case .clean:
                    if !isTail { report.unsealedSegments.append(reader.name) }
                case .sealed:
                    if isTail && (writable || !sealedDuringRead(reader, report: &report)) {
                        scanFailure = Failure(label: .lostTailSegment, position: k, offset: endOffset, error: .corrupted(
                            file: reader.name, offset: endOffset, indexes: nil,
                            reason: "the last segment is sealed, so its successor (seq \(reader.header.seq + 1)) existed and is lost"))
                    } else {
                        report.unsealedSegments.append(reader.name)
                    }
                case let .torn(problem, garbage):
                    if isTail {
                        report.note(.tornTail)
                        report.tornTail = CutTail(segment: reader.name, offset: scan.endOffset, bytes: garbage,
                                                  problem: problem.description,
                                                  claimedIndexes: claimedIndexes(reader, at: scan.endOffset))
                        out.tornGarbage = garbage
                    } else {
                        report.note(.interruptedSeal)
                        report.unsealedSegments.append(reader.name)
                    }
                case let .corrupt(_, next) where !isTail && Self.isTornSeal(reader, damageAt: scan.endOffset, validAt: next,
                                                                         scanned: shape, batches: rows.count):
                    // The seal's bytes were written at once and a crash kept a later
                    // sector (the seal) but not an earlier one (the batch table): the
                    // valid seal names this offset as the end of the batches.
                    report.note(.interruptedSeal)
                    report.unsealedSegments.append(reader.name)
                case let .corrupt(problem, next):
                    scanFailure = Failure(label: .corruptRecord, position: k, offset: scan.endOffset, error: .corrupted(
                        file: reader.name, offset: scan.endOffset, indexes: claimedIndexes(reader, at: scan.endOffset),
                        reason: "\(problem.description), followed by a valid record at offset \(next): damage, not a torn write"))
                }
                if let scanFailure {
                    // The records before the failure are valid: keep them (truncate mode cuts after them).
                    failure = scanFailure
                    if out.shape.apply(segment.shape) == nil {
                        Self.clip(&out.segments, by: segment.shape)
                        if let hs = segment.shape.hardState { out.hardState = hs } else { out.hardState = reader.header.hardState }
                        out.segments.append(segment)
                        keptPrefix = true
                    }
                    break
                }
            }
            if let why = out.shape.apply(segment.shape) {
                failure = Failure(label: .indexGap, position: k, offset: segment.sealOffset ?? 0,
                                  error: .corrupted(file: reader.name, offset: segment.sealOffset, indexes: nil, reason: why))
                break
            }
            Self.clip(&out.segments, by: segment.shape)
            out.hardState = segment.shape.hardState ?? reader.header.hardState
            out.segments.append(segment)
        }

        if failure == nil, let f = firstFailure, f.position >= readers.count { failure = f }
        guard let failure else { return out }
        report.note(failure.label)
        guard options.recovery == .truncateAtFirstCorruption else { throw failure.error.labeled(failure.label) }
        // Truncate mode: keep what came before the failure, report what is dropped.
        var dropped = DroppedRecords(segment: names[failure.position], offset: keptPrefix ? failure.offset : 0,
                                     problem: failure.error.description, indexes: [], includesCommitted: false, backups: [])
        var persistedCommit = out.hardState.commit
        if keptPrefix, let claimed = claimedIndexes(readers[failure.position], at: failure.offset) {
            dropped.indexes.append(claimed)
        }
        for k in failure.position..<names.count {
            guard let reader = k < readers.count ? readers[k] : salvageOnly[names[k]] else {
                dropped.problem += "; \(names[k]) could not be read"
                continue
            }
            let from = (k == failure.position && keptPrefix) ? failure.offset : 0
            for (range, commit) in Self.salvage(reader, from: from) {
                if let range { dropped.indexes.append(range) }
                if let commit { persistedCommit = max(persistedCommit, commit) }
            }
        }
        if failure.label == .lostTailSegment {
            dropped.problem += " (the lost segment's entries are unknown)"
            dropped.includesCommitted = true
        }
        // Committed: at or below the highest commit index persisted anywhere, dropped records included.
        dropped.includesCommitted = dropped.includesCommitted
            || dropped.indexes.contains { $0.lowerBound <= persistedCommit }
            || persistedCommit > out.shape.lastIndex
        report.dropped = dropped
        if out.segments.isEmpty {
            throw .corrupted(file: names[0], offset: failure.offset, indexes: nil,
                             reason: "nothing precedes the first bad record: \(failure.error.description)", label: failure.label)
        }
        out.cut = (failure.position, keptPrefix ? failure.offset : nil)
        return out
    }

    /// A read-only open's view of how a scanned segment ends when a writer
    /// may be appending (`docs/RECOVERY.md`, "A live directory"): a torn or
    /// corrupt end whose bytes were being written during the read is the
    /// consistent cut's clean end, not damage.
    private func liveEnd(of scan: SegmentScan, reader: SegmentReader, isTail: Bool,
                         report: inout RecoveryReport) -> ScanEnd {
        guard scan.end.endsInBadBytes && reader.wasWrittenDuringRead(at: scan.endOffset) else { return scan.end }
        report.writtenDuringRead.append("\(reader.name) from offset \(scan.endOffset): being written during the read")
        return .clean
    }

    /// Read-only open: true when the sealed last segment's successor is
    /// listed now. The writer creates the successor before sealing, so a
    /// reader that listed the directory before the successor's rename and
    /// read the segment after its seal sees this shape; the view then ends
    /// with the sealed segment, as the log was at the listing.
    private func sealedDuringRead(_ reader: SegmentReader, report: inout RecoveryReport) -> Bool {
        guard segmentListed(seq: reader.header.seq + 1, in: directory, fileSystem: fs) else { return false }
        report.writtenDuringRead.append("\(reader.name): sealed during the read (its successor, seq \(reader.header.seq + 1), appeared after the listing)")
        return true
    }

    /// True when the valid record after damage at `damageAt` is a seal whose
    /// batch table was to start exactly there and whose summary matches the
    /// scanned batches: the damage is an interrupted seal (T2), and every
    /// batch before it is intact.
    static func isTornSeal(_ reader: SegmentReader, damageAt: UInt64, validAt next: UInt64,
                           scanned: LogShape, batches: Int) -> Bool {
        let seal = try? reader.withRecord(at: next) { (view) throws(WALError) -> SealMeta? in
            guard view.header.type == .seal else { return nil }
            return try? SealMeta.decode(view.meta, startingAfter: reader.header.firstIndex - 1)
        }
        guard let seal = seal ?? nil else { return false }
        return seal.batchTableOffset == damageAt && seal.batchCount == batches && seal.shape.lastIndex == scanned.lastIndex
    }

    /// Applies a scanned record to a segment's shape and batch rows.
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

    /// A later segment's shape cuts the live ranges of earlier ones.
    static func clip(_ segments: inout [SegmentState], by later: LogShape) {
        if later.reset != nil {
            for k in segments.indices { segments[k].kill() }
        }
        if let from = later.rewriteFrom {  // entries from `from` on, or a truncation there (lastIndex < from)
            for k in segments.indices { segments[k].clip(before: from) }
        }
    }

    /// The index range a damaged record's header claims, when it parses.
    private func claimedIndexes(_ reader: SegmentReader, at offset: UInt64) -> ClosedRange<UInt64>? {
        guard let head = try? reader.handle.read(at: offset, count: Layout.recordHeaderBytes),
              head.count == Layout.recordHeaderBytes else { return nil }
        let parsed = head.withUnsafeBytes { RecordFrame.parseHeader($0, available: Int.max) }
        guard case .success(let h) = parsed, h.type == .batch, h.entryCount > 0 else { return nil }
        return h.firstIndex...(h.firstIndex + UInt64(h.entryCount) - 1)
    }

    /// Index ranges and commit indexes of every valid batch record at or
    /// after `from` (used to report what a truncation drops; damage is
    /// skipped, not trusted).
    static func salvage(_ reader: SegmentReader, from: UInt64) -> [(ClosedRange<UInt64>?, UInt64?)] {
        reader.validRecords(from: max(from, UInt64(Layout.segmentHeaderBytes))).compactMap { record in
            guard record.header.type == .batch else { return nil }
            let h = record.header
            let range = h.entryCount > 0 ? h.firstIndex...(h.firstIndex + UInt64(h.entryCount) - 1) : nil
            return (range, record.hardState?.commit)
        }
    }

    /// A new, empty log: one segment, seq 1, first index 1.
    private func createLog() throws(WALError) -> LogState {
        let identity = LogIdentity(clusterID: options.clusterID ?? .random(), memberID: options.memberID, epoch: options.epoch)
        let writer = SegmentFactory(durability: durability, options: options)
        let segment = try writer.create(identity: identity, seq: 1, firstIndex: 1, hardState: .empty, previousTerm: 0)
        return LogState(identity: identity, segments: [segment], shape: LogShape(continuingAfter: 0), hardState: .empty,
                        snapshot: nil, snapshotNames: [])
    }

    /// Writable open: remove temporaries and orphans, apply a truncate-mode
    /// cut (keeping `.broken` copies of everything removed), cut the torn
    /// tail, and reopen the tail segment for writing.
    private func prepareForWriting(_ state: inout LogState, report: inout RecoveryReport, temporaries: [String],
                                   orphans: [String], built: Replayed) throws(WALError) {
        let d = durability
        if !temporaries.isEmpty { try d.remove(temporaries); report.modifiedDirectory = true }
        if !orphans.isEmpty { try d.remove(orphans); report.modifiedDirectory = true }
        var zeroFrom: UInt64? = nil
        if let cut = built.cut {
            var backups: [String] = []
            let firstDropped = cut.offset == nil ? cut.position : cut.position + 1
            for name in built.names[firstDropped...] {
                let backup = name + Layout.brokenSuffix
                try d.rename(name, to: backup)
                backups.append(backup)
            }
            if let offset = cut.offset {
                let r = built.readers[cut.position]
                let backup = r.name + ".cut-\(offset)" + Layout.brokenSuffix
                try d.copy(r.handle, range: offset..<r.fileSize, to: backup)
                backups.append(backup)
                zeroFrom = offset
            }
            report.dropped?.backups = backups
            report.modifiedDirectory = true
        }
        let tail = state.segments.removeLast()
        let handle = try fs.open(joinPath(directory, tail.name), access: .readWrite, create: false)
        let reader = try SegmentReader(handle: handle, name: tail.name)
        var reopened = SegmentState(name: tail.name, reader: reader, shape: tail.shape, endOffset: tail.endOffset)
        reopened.rows = tail.rows
        reopened.liveFirst = tail.liveFirst
        reopened.liveLast = tail.liveLast
        if tail.isSealed {
            // A sealed segment becomes the tail only after a truncate-mode cut: unseal it.
            let seal = SealMeta(shape: tail.shape, batchTableOffset: tail.batchTableOffset, batchCount: tail.batchCount)
            reopened.rows = try reader.readBatchTable(seal)
            reopened.endOffset = tail.batchTableOffset
            let backup = tail.name + ".seal-\(tail.batchTableOffset)" + Layout.brokenSuffix
            try d.copy(handle, range: tail.batchTableOffset..<reader.fileSize, to: backup)
            report.dropped?.backups.append(backup)
            zeroFrom = tail.batchTableOffset
        }
        reopened.index = SegmentIndex(reopened.rows)
        tail.reader.handle.close()
        if let from = zeroFrom, from < reader.fileSize {
            try d.zero(handle, at: from, count: reader.fileSize - from)
            report.modifiedDirectory = true
        } else if let cut = report.tornTail, built.tornGarbage > 0 {
            try d.zero(handle, at: cut.offset, count: built.tornGarbage)
            report.modifiedDirectory = true
        }
        // After a failed fsync (in this process or one before it, without a
        // reboot) the page cache can show records the disk never got, and the
        // scan above just trusted them. The failing writer left a marker:
        // rewrite and sync the tail's records before anything is acknowledged
        // on top of them ("fsyncgate"), then drop the marker.
        if d.hasSyncFailureMarker {
            try d.rewrite(handle, range: 0..<reopened.endOffset)
            try d.remove([Layout.syncFailedMarkerName])
            report.modifiedDirectory = true
        }
        // Names this open trusted (a segment or snapshot created just before a
        // failed directory fsync) may still be volatile: make them durable
        // before anything is acknowledged or compacted on top of them.
        try d.syncDirectory()
        state.segments.append(reopened)
    }
}

/// Who holds the lock, as written into the LOCK file.
func processDescription() -> String {
    "pid=\(currentProcessID()) host=\(currentHostName())"
}
