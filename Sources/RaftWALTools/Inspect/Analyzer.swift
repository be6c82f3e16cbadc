import RaftWAL

/// One read-only pass over a data directory that checks everything it
/// can: segment headers and names, every record's CRC (damage is skipped,
/// and the scan resynchronizes on the next valid record so every problem is
/// found), index continuity, non-decreasing terms, the commit index, the
/// snapshots and their agreement with the log. With `decodeBodies` every
/// batch is also decompressed and decoded, and every conf change parsed.
///
/// Never writes: segments are read through ``SegmentInspector``, snapshots
/// through ``SnapshotInspector``, and the engine's view through
/// `RaftLog.open` with ``LogOptions/readOnly`` (no lock, no change).
/// Memory is bounded by the largest record, plus the live-batch list when
/// `keepLiveBatches` is set (a few words per batch).
package struct Analyzer {
    package struct Options {
        /// Decompress and decode every batch and parse every conf change (verify, not summary).
        package var decodeBodies = false
        /// Keep the list of live batches, for a second pass that reads entries.
        package var keepLiveBatches = false
        /// Called for every record and damaged range, in file order.
        package var onEvent: ((ScanEvent) -> Void)?
        /// Called with bytes scanned so far and the total.
        package var onProgress: ((UInt64, UInt64) -> Void)?
        package init() {}
    }

    /// A record or damaged range met by the scan.
    package enum ScanEvent {
        case segment(Int, SegmentReport)
        case record(segment: Int, RecordInfo)
        case damage(segment: Int, offset: UInt64, bytes: UInt64, problem: String, torn: Bool)
    }

    package let directory: String
    package let options: Options
    let fs: any FileSystem

    package init(directory: String, options: Options = Options(), fileSystem: any FileSystem = POSIXFileSystem()) {
        self.directory = directory
        self.options = options
        self.fs = fileSystem
    }

    /// Runs the pass. Throws ``ToolFailure`` (exit 2) when the directory is
    /// missing, unreadable or holds no segment and no snapshot.
    ///
    /// When the pass fails or finds damage and the directory's segment and
    /// snapshot names changed meanwhile (a live writer compacted files away
    /// or rolled over), the pass was not a consistent cut: it runs once more
    /// from a new listing (`docs/TOOLS.md`, "A live directory"), up to
    /// ``maxPasses`` passes (a writer that compacts continuously can change
    /// the names again during the second pass). Damage found with no change
    /// of names during its pass is reported.
    package func run() throws(ToolFailure) -> LogAnalysis {
        // ACKED before the listing: a live writer's later marker must not name more than the listing holds.
        var ack = AckMarker.read(directory: directory, fs: fs)
        var listing = try list()
        var reruns: [String] = []
        var pass = 1
        while true {
            let outcome: Result<LogAnalysis, ToolFailure>
            do { outcome = .success(try run(listing, ack: ack)) } catch { outcome = .failure(error) }
            let why: String
            switch outcome {
            case .success(var a) where a.damage.isEmpty:
                a.writtenDuringInspection.append(contentsOf: reruns)
                return a
            case .success(let a): why = a.damage[0].line
            case .failure(let error): why = error.message
            }
            let ackNow = AckMarker.read(directory: directory, fs: fs)
            guard pass < Self.maxPasses, let now = try? list(),
                  now.segments != listing.segments || now.snapshots != listing.snapshots else {
                var result = try outcome.get()
                result.writtenDuringInspection.append(contentsOf: reruns)
                return result
            }
            reruns.append("files were removed or added during pass \(pass) (\(why)): inspected again")
            listing = now
            ack = ackNow
            pass += 1
        }
    }

    /// Passes over a directory whose names keep changing before the last result is reported.
    static let maxPasses = 4

    private func list() throws(ToolFailure) -> DirectoryListing {
        do { return try DirectoryListing(directory: directory, fileSystem: fs) } catch {
            throw ToolFailure(error.description)
        }
    }

    private func run(_ listing: DirectoryListing, ack: AckMarker.Presence) throws(ToolFailure) -> LogAnalysis {
        guard listing.looksLikeALog else {
            throw ToolFailure("\(directory) is not a RaftWAL data directory: no segment or snapshot files")
        }
        var a = LogAnalysis(directory: directory, listing: listing)
        a.ackMarker = ack
        a.decodedBodies = options.decodeBodies
        try readHeaders(&a)
        try checkSnapshotFiles(&a)
        var observed = DirectoryObservations()
        try scanSegments(&a, &observed)
        observeLog(a, &observed)
        observeTemporaries(&a, &observed)
        a.findings.append(contentsOf: observed.findings())
        checkOtherFiles(&a)
        checkWithEngine(&a)
        return a
    }

    // MARK: Headers and identity

    /// Throws ``ToolFailure`` (exit 2) when a file cannot be read at all
    /// (permission, I/O error): that is the environment, not damage.
    private func readHeaders(_ a: inout LogAnalysis) throws(ToolFailure) {
        for s in a.listing.segments {
            var report = SegmentReport(name: s.name, seqFromName: s.seq, firstIndexFromName: s.firstIndex, fileBytes: 0)
            do {
                let inspector = try SegmentInspector(directory: directory, name: s.name, fileSystem: fs)
                report.fileBytes = inspector.fileBytes
                report.header = inspector.header
                if let problem = inspector.headerProblem {
                    report.headerProblem = problem.reason
                    report.end = .unreadable
                    a.findings.append(Finding(.damage, .badSegmentHeader, file: s.name, offset: problem.offset,
                                              indexes: unreadableRange(a.listing, s), "unreadable header: " + problem.reason))
                }
                inspector.close()
            } catch {
                if case .io = error { throw ToolFailure("cannot read \(s.name): \(error.description)") }
                report.headerProblem = error.description
                report.end = .unreadable
                a.findings.append(Finding(.damage, .badSegmentHeader, file: s.name, "cannot open segment: \(error.description)"))
            }
            if let h = report.header, !RecordInfo.isPlausibleIndex(h.firstIndex) {
                report.header = nil
                report.headerProblem = "first index \(h.firstIndex) is out of range"
                report.end = .unreadable
                a.findings.append(Finding(.damage, .badSegmentHeader, file: s.name, offset: 56,
                                          "segment header's first index \(h.firstIndex) is out of range (1...\(Layout.maxIndex))"))
            }
            if let h = report.header, h.seq != s.seq || h.firstIndex != s.firstIndex {
                a.findings.append(Finding(.damage, .badSegmentHeader, file: s.name, offset: h.seq != s.seq ? 48 : 56,
                                          "file name says seq \(s.seq) first index \(s.firstIndex), header says seq \(h.seq) first index \(h.firstIndex) (a copied or stale file)"))
            }
            a.segments.append(report)
        }
        // The log's identity: the most common among readable headers, the last one on a tie.
        var counts: [LogIdentity: Int] = [:]
        for h in a.segments.compactMap(\.header) { counts[h.identity, default: 0] += 1 }
        let best = counts.values.max() ?? 0
        a.identity = a.segments.compactMap(\.header).last { counts[$0.identity] == best }?.identity
        if let identity = a.identity {
            for s in a.segments {
                guard let h = s.header, h.identity != identity else { continue }
                a.findings.append(Finding(.damage, .foreignSegment, file: s.name, offset: 16,
                                          "segment belongs to cluster \(h.identity.clusterID) member \(h.identity.memberID) epoch \(h.identity.epoch); the log is cluster \(identity.clusterID) member \(identity.memberID) epoch \(identity.epoch)"))
            }
        }
    }

    /// The indexes an unreadable segment held, from its name and the next segment's name.
    private func unreadableRange(_ listing: DirectoryListing, _ s: DirectoryListing.SegmentName) -> ClosedRange<UInt64>? {
        guard let k = listing.segments.firstIndex(of: s), k + 1 < listing.segments.count else { return nil }
        let next = listing.segments[k + 1].firstIndex
        return next > s.firstIndex ? s.firstIndex...(next - 1) : nil
    }

    // MARK: Snapshots

    private func checkSnapshotFiles(_ a: inout LogAnalysis) throws(ToolFailure) {
        var list = SnapshotFiles.list(directory: directory, fileSystem: fs)
        for k in list.indices {
            if case .io? = list[k].problem { throw ToolFailure("cannot read \(list[k].name): \(list[k].problem!.description)") }
            if list[k].problem == nil && list[k].index > Layout.maxIndex {
                list[k].problem = .corrupted(file: list[k].name, offset: 48, indexes: nil, reason: "snapshot index \(list[k].index) is out of range")
            }
            if let problem = list[k].problem {
                a.findings.append(Finding(.damage, .damagedSnapshot, file: list[k].name, offset: problem.offset,
                                          indexes: list[k].index...list[k].index,
                                          "damaged snapshot (skipped by the engine, never deleted): " + problem.reason))
                continue
            }
            if let identity = a.identity,
               let theirs = try? SnapshotInspector.identity(directory: directory, name: list[k].name, fileSystem: fs),
               theirs.clusterID != identity.clusterID || theirs.memberID != identity.memberID {
                list[k].problem = .corrupted(file: list[k].name, offset: 16, indexes: nil, reason: "snapshot belongs to another log")
                a.findings.append(Finding(.damage, .damagedSnapshot, file: list[k].name, offset: 16,
                                          indexes: list[k].index...list[k].index,
                                          "snapshot belongs to cluster \(theirs.clusterID) member \(theirs.memberID), not this log"))
            }
        }
        a.snapshots = list
    }

    // MARK: Segments

    private func scanSegments(_ a: inout LogAnalysis, _ observed: inout DirectoryObservations) throws(ToolFailure) {
        let total = a.segments.reduce(UInt64(0)) { $0 + $1.fileBytes }
        var done: UInt64 = 0
        // Segments older than the last sequence gap are orphans of an
        // interrupted compaction when the snapshot covers them (T3).
        var start = 0
        for k in a.segments.indices.dropFirst() where a.segments[k].seqFromName != a.segments[k - 1].seqFromName + 1 { start = k }
        let snapshotIndex = a.newestValidSnapshot?.index ?? 0
        var orphansCovered = start > 0 && snapshotIndex >= max(a.segments[start].firstIndexFromName, 1) - 1
        if start > 0 && !orphansCovered {
            let before = a.segments[start - 1], after = a.segments[start]
            let missing = before.seqFromName + 1 == after.seqFromName - 1
                ? "segment seq \(before.seqFromName + 1) is" : "segments seq \(before.seqFromName + 1)...\(after.seqFromName - 1) are"

            observed.observe({ $0.startCovered = false }, file: after.name,
                             indexes: after.firstIndexFromName > 1 && snapshotIndex < after.firstIndexFromName - 1
                                 ? (snapshotIndex + 1)...(after.firstIndexFromName - 1) : nil,
                             "\(missing) missing before this one, and no valid snapshot covers the indexes before \(after.firstIndexFromName) (newest valid snapshot: \(snapshotIndex))")
            orphansCovered = false
        }

        var tracker: ShapeTracker? = nil
        var hardState = HardState.empty
        var hardStateFile: String? = nil
        var hardStateOffset: UInt64? = nil
        var readableBefore = true

        for k in a.segments.indices {
            var report = a.segments[k]
            let isLast = k == a.segments.count - 1
            let isOrphan = k < start && orphansCovered
            report.orphan = isOrphan
            defer {
                a.segments[k] = report
                done += report.fileBytes
                options.onProgress?(done, total)
            }
            guard report.header != nil else {
                readableBefore = false
                options.onEvent?(.segment(k, report))
                continue
            }
            let header = report.header!
            if isOrphan {
                observed.observe({ $0.orphans = true }, file: report.name,
                                 "older than a sequence gap and covered by the snapshot at \(snapshotIndex): left by an interrupted compaction, ignored (a writer removes it)")
            }
            if k == start || tracker == nil || isOrphan {
                tracker = ShapeTracker(continuingAfter: header.firstIndex - 1, keepLive: options.keepLiveBatches)
            } else if header.firstIndex != tracker!.lastIndex + 1 {
                if readableBefore {
                    let last = tracker!.lastIndex
                    let gap = header.firstIndex > last + 1 ? (last + 1)...(header.firstIndex - 1) : header.firstIndex...last
                    a.findings.append(Finding(.damage, .indexGap, file: report.name, offset: 56, indexes: gap,
                                              "segment starts at index \(header.firstIndex) but the log before it ends at \(last)"))
                }
                tracker!.rebase(after: header.firstIndex - 1)
            } else if readableBefore, let why = RecoveryDecision.previousTermMismatch(
                header, replayedTerm: tracker!.term(of: header.firstIndex - 1)) {
                a.findings.append(Finding(.damage, .indexGap, file: report.name, offset: SegmentHeader.previousTermOffset,
                                          indexes: (header.firstIndex - 1)...(header.firstIndex - 1), why))
            }
            readableBefore = true
            hardState = header.hardState
            hardStateFile = report.name
            hardStateOffset = 88
            options.onEvent?(.segment(k, report))

            var t = tracker!
            let keepShape = !isOrphan
            let result = scanOne(k, &report, tracker: &t, isLast: isLast, severity: isOrphan ? .notice : .damage, a: &a,
                                 hardState: &hardState, hardStateOffset: &hardStateOffset)
            if !result { readableBefore = false }
            if keepShape { tracker = t } else { tracker = nil }
            if isOrphan { hardState = .empty; hardStateFile = nil; hardStateOffset = nil }
        }
        a.hardState = hardState
        a.hardStateFile = hardStateFile
        a.hardStateOffset = hardStateOffset
        if let t = tracker {
            a.firstIndex = t.heldFrom
            a.lastIndex = t.lastIndex
            a.lastTerm = t.lastTerm
            a.termRuns = t.termRuns
            a.confChangeIndexes = t.confChangeIndexes
            a.resetIndex = t.reset?.index
            a.resetTerm = t.reset?.term
            a.liveBatches = t.live
        }
    }

    /// Scans one segment's records. Returns false when the scan could not run.
    private func scanOne(_ k: Int, _ report: inout SegmentReport, tracker t: inout ShapeTracker, isLast: Bool,
                         severity: Finding.Severity, a: inout LogAnalysis,
                         hardState: inout HardState, hardStateOffset: inout UInt64?) -> Bool {
        let name = report.name
        let inspector: SegmentInspector
        do { inspector = try SegmentInspector(directory: directory, name: name, fileSystem: fs) } catch {
            a.findings.append(Finding(.damage, nil, file: name, "cannot open segment: \(error.description)"))
            return false
        }
        defer { inspector.close() }
        var lastSeal: (offset: UInt64, lastIndex: UInt64?)? = nil
        // End of the last batch or reset record: where the batch table of a seal starts.
        var dataEnd = UInt64(0)
        // After corrupt bytes the next record's indexes follow the damaged
        // ones: continue from there instead of reporting the same loss as a gap.
        var afterDamage = false
        var findings: [Finding] = []
        let decode = options.decodeBodies
        let onEvent = options.onEvent
        let progress = options.onProgress
        let base = a.segments[..<k].reduce(UInt64(0)) { $0 + $1.fileBytes }
        let total = a.segmentBytes
        var lastProgress: UInt64 = 0

        var interruptedSeal = false
        /// Damaged bytes, labelled by the decision table from the same facts the engine reads.
        func damaged(_ d: (offset: UInt64, bytes: UInt64, problem: String), _ end: SegmentFacts.End) {
            let label = RecoveryDecision.label(SegmentFacts(position: isLast ? .last : .beforeLast, header: .valid,
                                                            start: .followsOn, end: end))
            report.damagedBytes += d.bytes
            let torn = end == .torn || end == .tornWrittenWhole
            onEvent?(.damage(segment: k, offset: d.offset, bytes: d.bytes, problem: d.problem, torn: torn))
            let claimed = inspector.claimedIndexes(at: d.offset)
            switch label {
            case .tornTail:
                report.end = .torn
                var why = "torn tail (\(d.problem)): the shape a crash leaves; the engine cuts \(d.bytes) bytes here on the next writable open"
                if let c = claimed { why += " (the torn record claims indexes \(formatRange(c)), never acknowledged)" }
                findings.append(Finding(.notice, label, file: name, offset: d.offset, bytes: d.bytes, indexes: claimed, why))
            case .damagedTail:
                report.end = .torn
                var why = "damaged tail (\(d.problem)): the last record was written whole (its full length present, no 512-byte piece of it zeros, the next index) and fails its checksum: damage after the write, not a torn write; the engine cuts \(d.bytes) bytes here on the next writable open, and the cut may hold acknowledged entries"
                if let c = claimed { why += " (the damaged record claims indexes \(formatRange(c)))" }
                findings.append(Finding(severity, label, file: name, offset: d.offset, bytes: d.bytes, indexes: claimed, why))
            case .interruptedSeal where torn:
                report.end = .torn
                interruptedSeal = true
                findings.append(Finding(.notice, label, file: name, offset: d.offset, bytes: d.bytes,
                                        "unsealed segment before the last ends with \(d.problem): a seal interrupted by a crash; the engine accepts it when the next segment follows on"))
            case .interruptedSeal:
                interruptedSeal = true
                findings.append(Finding(.notice, label, file: name, offset: d.offset, bytes: d.bytes,
                                        "\(d.problem), followed by this segment's own seal, which names this offset as its batch table: a seal write torn by a crash (the batch table lost); the engine scans the segment on each open"))
            default:
                let severity = RecoveryDecision.action(label, .inspect) == .damage ? severity : .notice
                findings.append(Finding(severity, label, file: name, offset: d.offset, bytes: d.bytes, indexes: claimed,
                                        "\(d.problem), followed by a valid record at offset \(d.offset + d.bytes): damage, not a torn write"))
                afterDamage = true
            }
        }

        do {
            let summary = try inspector.scan { (event) throws(WALError) -> Bool in
                switch event {
                case let .damage(offset, bytes, problem, end):
                    damaged((offset, bytes, problem), end)
                case let .record(info, entries):
                    report.recordCount += 1
                    report.dataEndOffset = info.offset + UInt64(info.recordBytes)
                    if info.offset - lastProgress > 8 << 20 {
                        lastProgress = info.offset
                        progress?(base + info.offset, total)
                    }
                    switch info.type {
                    case .batch where info.entryCount > 0 && !RecordInfo.isPlausibleIndex(info.firstIndex):
                        findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset,
                                                "batch's first index \(info.firstIndex) is out of range (1...\(Layout.maxIndex))"))
                    case .batch:
                        dataEnd = info.offset + UInt64(info.recordBytes)
                        if afterDamage, info.entryCount > 0 { t.rebase(after: info.firstIndex - 1) }
                        afterDamage = false
                        report.batchCount += 1
                        report.entryCount += info.entryCount
                        report.storedBodyBytes += UInt64(info.storedBytes)
                        report.rawBodyBytes += UInt64(info.rawBytes)
                        if let r = info.safeIndexes {
                            report.lowestIndex = min(report.lowestIndex ?? r.lowerBound, r.lowerBound)
                            report.highestIndex = max(report.highestIndex ?? r.upperBound, r.upperBound)
                        }
                        for why in t.applyBatch(info, segment: k) {
                            findings.append(Finding(severity, .indexGap, file: name, offset: info.offset, indexes: info.safeIndexes, why))
                        }
                        if let hs = info.hardState {
                            hardState = hs
                            hardStateOffset = info.offset
                        }
                        if decode {
                            do throws(WALError) {
                                try checkDecoded(entries, info, name: name, severity: severity, into: &findings)
                            } catch {
                                findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset, indexes: info.safeIndexes,
                                                        "batch passes its checksum but does not decode: " + error.reason))
                            }
                        }
                    case .reset:
                        dataEnd = info.offset + UInt64(info.recordBytes)
                        afterDamage = false
                        if let r = info.resetTo, r.index > Layout.maxIndex {
                            findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset,
                                                    "reset record's index \(r.index) is out of range"))
                        } else if let r = info.resetTo {
                            if info.firstIndex != r.index + 1 {
                                findings.append(Finding(severity, .indexGap, file: name, offset: info.offset,
                                                        "reset record's first index \(info.firstIndex) is not \(r.index) + 1"))
                            }
                            t.applyReset(index: r.index, term: r.term)
                        } else {
                            findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset, "reset record's meta does not decode"))
                        }
                    case .seal:
                        lastSeal = (info.offset, info.sealLastIndex)
                        if info.sealLastIndex == nil {
                            // The checksum holds but the summary is impossible: not a crash shape.
                            // The engine ignores the seal and scans the segment, so nothing is lost.
                            findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset,
                                                    "seal record's meta does not decode (an index out of range, or counts that do not fit); the engine ignores this seal and scans the segment"))
                        } else if let sealed = info.sealLastIndex, sealed != t.lastIndex {
                            findings.append(Finding(severity, .indexGap, file: name, offset: info.offset,
                                                    "seal says the segment ends at index \(sealed), its records end at \(t.lastIndex)"))
                        }
                    case .batchTable:
                        break
                    }
                    onEvent?(.record(segment: k, info))
                }
                return true
            }
            if report.end != .torn { report.end = summary.sealed ? .sealed : .open }
            if let from = summary.writtenDuringScanFrom {
                a.writtenDuringInspection.append("\(name) from offset \(from): being written during the scan")
            }
            if report.end == .torn || interruptedSeal {
                // Said above, with the damage.
            } else if isLast && summary.sealed && successorListedNow(after: report.seqFromName) {
                a.writtenDuringInspection.append("\(name): sealed during the scan (its successor, seq \(report.seqFromName + 1), appeared after the listing); shown as the log's end")
            } else if isLast && summary.sealed {
                findings.append(Finding(severity, .lostTailSegment, file: name, offset: dataEnd,
                                        "the last segment is sealed (batch table at offset \(dataEnd), seal at \(lastSeal?.offset ?? 0)), so its successor (seq \(report.seqFromName + 1)) existed and is lost"))
            } else if !isLast && !summary.sealed && severity == .damage && !interruptedSeal {
                // Zeros after its records: a crash between creating the successor and
                // sealing; the table's row is R0 (RECOVERY.md, no label of its own).
                let label = RecoveryDecision.label(SegmentFacts(position: .beforeLast, header: .valid, start: .followsOn, end: .clean))
                findings.append(Finding(.notice, label == .clean ? nil : label, file: name, offset: report.dataEndOffset,
                                        "segment before the last is not sealed (a crash before its seal was written); the engine scans it in full on each open"))
            }
        } catch {
            findings.append(Finding(.damage, nil, file: name, "scan failed: \(error.description)"))
            a.findings.append(contentsOf: findings)
            return false
        }
        a.findings.append(contentsOf: findings)
        a.storedBodyBytes += report.storedBodyBytes
        a.rawBodyBytes += report.rawBodyBytes
        return true
    }

    /// True when the directory lists segment `seq + 1` now. A writer creates
    /// the successor before it seals, so a sealed last segment whose successor
    /// appears after the listing was sealed during this pass, not orphaned (C5).
    private func successorListedNow(after seq: UInt64) -> Bool {
        guard let now = try? DirectoryListing(directory: directory, fileSystem: fs) else { return false }
        return now.segments.contains { $0.seq == seq + 1 }
    }

    /// Entries of a batch that decoded: indexes follow on, conf changes parse.
    /// Visits the batch's entries one at a time (none kept: a checksum-valid
    /// header can claim 2^24 entries, and memory must not grow with them).
    private func checkDecoded(_ entries: BatchEntries, _ info: RecordInfo, name: String, severity: Finding.Severity,
                              into findings: inout [Finding]) throws(WALError) {
        // Most batches hold no conf change: look at kinds only (no copy of each entry's payload).
        let listed = info.confChangeIndexes.isEmpty ? [] : Set(info.confChangeIndexes)
        var count = 0
        var found: [Finding] = []
        try entries.forEach { e in
            count += 1
            guard e.kind == .confChange || (!listed.isEmpty && listed.contains(e.index)) else { return true }
            if e.kind != .confChange || !listed.contains(e.index) {
                found.append(Finding(severity, .corruptRecord, file: name, offset: info.offset, indexes: e.index...e.index,
                                     "entry \(e.index) is \(e.kind == .confChange ? "a conf change missing from" : "normal but listed in") the batch's conf-change list"))
            }
            if e.kind == .confChange {
                // The record's checksum held: a payload in another encoding is
                // not damage (verdicts come from checksums and structure only).
                do throws(WALError) { _ = try ConfChange(decoding: e.data, index: e.index) } catch {
                    found.append(Finding(.notice, nil, file: name, offset: info.offset, indexes: e.index...e.index,
                                         error.description + "; the membership cannot be replayed past it"))
                }
            }
            return true
        }
        if count != info.entryCount {
            findings.append(Finding(severity, .corruptRecord, file: name, offset: info.offset, indexes: info.safeIndexes,
                                    "batch decodes to \(count) entries, its header says \(info.entryCount)"))
            return
        }
        findings.append(contentsOf: found)
    }

    // MARK: The log as a whole

    /// The facts about the log as a whole (its segments, its start, the
    /// commit index, the newest valid snapshot against the log); the rows
    /// they land on are `RecoveryDecision.labels`'.
    private func observeLog(_ a: LogAnalysis, _ observed: inout DirectoryObservations) {
        let snapshot = a.newestValidSnapshot
        let snapIndex = snapshot?.index ?? 0
        if a.segments.isEmpty {
            if !a.snapshots.isEmpty {
                observed.observe({ $0.hasSegments = false; $0.hasSnapshotFiles = true }, file: nil,
                                 "snapshot files but no segment file: the log's segments are lost")
            } else if let marker = a.ackMarker.marker,
                      let lost = AckMarkerCheck.shortfall(marker, segments: [], lastIndex: 0, newestSnapshotIndex: 0) {
                observed.observe({ $0.hasSegments = false; $0.acknowledgedMissing = true }, file: lost.file, offset: lost.offset,
                                 indexes: lost.indexes, lost.reason)
            }
            return
        }
        // What ACKED confirms against what the segments hold (row A1).
        if let marker = a.ackMarker.marker {
            let replayed = a.segments.compactMap { s -> AckMarkerCheck.Segment? in
                guard let h = s.header, !s.orphan else { return nil }
                // A segment without records ends its valid bytes at its header (the engine's end offset), not at 0.
                let end = max(s.dataEndOffset, UInt64(Layout.segmentHeaderBytes))
                return AckMarkerCheck.Segment(name: s.name, seq: h.seq, salt: h.salt, validEnd: s.end == .sealed ? nil : end)
            }
            if let lost = AckMarkerCheck.shortfall(marker, segments: replayed, lastIndex: a.lastIndex, newestSnapshotIndex: snapIndex) {
                observed.observe({ $0.acknowledgedMissing = true }, file: lost.file, offset: lost.offset, indexes: lost.indexes, lost.reason)
            }
        }
        // The start of the log must be covered by a snapshot (one finding: a sequence gap already said it).
        if let first = a.firstIndex, first > 1, snapIndex < first - 1, a.resetIndex == nil,
           !observed.has({ !$0.startCovered }) {
            let firstSegment = a.segments.first { !$0.orphan && $0.header != nil }
            var why = "the log starts at index \(first) but no valid snapshot covers 1...\(first - 1)"
            let damaged = a.snapshots.filter { $0.problem != nil }.map(\.name)
            if !damaged.isEmpty { why += " (damaged: \(damaged.joined(separator: ", ")))" }
            observed.observe({ $0.startCovered = false }, file: firstSegment?.name, indexes: 1...(first - 1), why)
        }
        // Commit index within the log.
        let limit = max(a.lastIndex, snapIndex)
        if a.hardState.commit > limit {
            observed.observe({ $0.commitBeyondLog = true }, file: a.hardStateFile, offset: a.hardStateOffset,
                             "hard state commit \(a.hardState.commit) is beyond the last index \(a.lastIndex)"
                                 + (snapIndex > 0 ? " and the snapshot at \(snapIndex)" : ""))
        }
        // The newest valid snapshot against the log.
        if let snapshot {
            if snapshot.index > a.lastIndex {
                observed.observe({ $0.snapshotVersusLog = .ahead }, file: snapshot.name, indexes: snapshot.index...snapshot.index,
                                 "snapshot at \(snapshot.index) is beyond the log's last index \(a.lastIndex) (installed, crash before the log reset): the engine restarts the log after it")
            } else if let held = a.firstIndex, snapshot.index >= held, let t = termAt(a, snapshot.index), t != snapshot.term {
                let discarded = (snapshot.index + 1)...max(snapshot.index + 1, a.lastIndex)
                var why = "snapshot at \(snapshot.index) has term \(snapshot.term), the log holds that index in term \(t): the engine discards entries \(formatRange(a.lastIndex > snapshot.index ? discarded : nil)) and restarts after the snapshot"
                if a.hardState.commit > snapshot.index { why += " (the hard state's commit \(a.hardState.commit) is among them)" }
                observed.observe({ $0.snapshotVersusLog = .conflicts }, file: snapshot.name, indexes: snapshot.index...snapshot.index, why)
            }
        }
    }

    /// Temporaries still there after the scan (one renamed or removed meanwhile was a segment being created).
    private func observeTemporaries(_ a: inout LogAnalysis, _ observed: inout DirectoryObservations) {
        guard !a.listing.temporaries.isEmpty else { return }
        let now = try? DirectoryListing(directory: directory, fileSystem: fs)
        for name in a.listing.temporaries {
            if let now, !now.temporaries.contains(name) {
                a.writtenDuringInspection.append("\(name): a segment being created during the scan (renamed or removed since the listing)")
                continue
            }
            let why = name.hasPrefix("next-segment-")
                ? "the next segment, made ready ahead by a writer (a running writer renames it at its roll-over; after a crash, the open removes it)"
                : "temporary file from an interrupted creation: ignored (a writer removes it)"
            observed.observe({ $0.temporaries = true }, file: name, why)
        }
    }

    private func termAt(_ a: LogAnalysis, _ index: UInt64) -> UInt64? {
        guard let first = a.firstIndex, index >= first, index <= a.lastIndex else { return nil }
        var result: UInt64? = nil
        for run in a.termRuns {
            if run.firstIndex <= index { result = run.term } else { break }
        }
        return result
    }

    private func checkOtherFiles(_ a: inout LogAnalysis) {
        if case .unreadable(let why) = a.ackMarker {
            // A crash while the file was created, or damage: nothing to check against (FORMAT.md §8.5).
            a.findings.append(Finding(.notice, nil, file: AckMarker.fileName, "confirmation file with no valid slot (\(why)): row A1 is not checked"))
        }
        for name in a.listing.backups {
            a.findings.append(Finding(.notice, nil, file: name, "backup of bytes removed by an earlier repair"))
        }
        if a.listing.hasMetadataFile, let problem = MetadataInspector.problem(directory: directory, fileSystem: fs) {
            a.findings.append(Finding(.damage, nil, file: "META", offset: problem.offset, "damaged metadata file (FORMAT.md §8.3): " + problem.reason))
        }
        for name in a.listing.others {
            if let artifact = ToolArtifacts.describe(name) {
                a.findings.append(Finding(.notice, nil, file: name, artifact))
            } else {
                a.findings.append(Finding(.notice, nil, file: name, "not a RaftWAL file: ignored by the engine"))
            }
        }
    }

    // MARK: The engine's verdict

    private func checkWithEngine(_ a: inout LogAnalysis) {
        var options = LogOptions.readOnly
        options.fileSystem = fs
        do {
            let log = try RaftLog.open(directory: directory, options: options)
            a.engine.opened = true
            a.engine.labels = log.recoveryReport.labels
            a.engine.tornTail = log.recoveryReport.tornTail
            a.engine.firstIndex = log.firstIndex
            a.writtenDuringInspection += log.recoveryReport.writtenDuringRead.map { "engine: " + $0 }
            a.engine.lastIndex = log.lastIndex
            log.close()
        } catch {
            a.engine.error = error
            if a.damage.isEmpty {
                // The engine refuses something this pass did not see: never report healthy then.
                a.findings.append(Finding(.damage, nil, file: errorFile(error), offset: error.offset, indexes: error.indexes,
                                          "the engine's strict open refuses the directory: " + error.reason))
            }
        }
    }

    private func errorFile(_ error: WALError) -> String? {
        if case let .corrupted(file, _, _, _, _) = error { return file == directory ? nil : file }
        return nil
    }
}
