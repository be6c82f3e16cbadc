/// Opens a data directory: the pipeline of `docs/ARCHITECTURE.md`, "The
/// open pipeline". ``DirectoryScan`` (names, headers, identity, snapshots,
/// orphans) → ``LogReplay`` (each segment through `SegmentReplay`, each
/// segment's facts through ``RecoveryDecision``) → the directory's rows
/// (S2/S3, C4, T3, C7) → for a writer, the repairs the decisions call for,
/// made by `RaftLog+OpenRepairs.swift`. The opener itself only reads (and,
/// for a writer, creates a missing directory and takes the lock).
struct LogOpener {
    let directory: String
    let options: LogOptions
    var fs: any FileSystem { options.fileSystem }
    var writable: Bool { options.access == .readWrite }
    var durability: Durability { Durability(fs: fs, directory: directory, policy: options.sync) }
    var mode: RecoveryDecision.Mode { options.recovery == .strict ? .strict : .truncate }

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
        /// What a writable open must change on disk (nil for a read-only open).
        var repairs: OpenRepairs?
        /// The confirmation file's marker, read before the listing (nil: none, or removed by the repairs).
        var ackMarker: AckMarker?
    }

    func open() throws(WALError) -> Result {
        if !fs.isDirectory(directory) {
            guard writable && !fs.fileExists(directory) else {
                throw .notALog(path: directory, reason: DirectoryListing.whyNotADirectory(directory, fs))
            }
            try durability.createDirectory()
        }
        guard writable else { return try readOnlyRebuild() }
        let lock = try fs.lockExclusive(joinPath(directory, Layout.lockFileName), owner: processDescription())
        do {
            var result = try rebuild()
            result.lock = lock
            return result
        } catch {
            lock.release()
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
            do {
                var result = try rebuild()
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

    private func rebuild() throws(WALError) -> Result {
        var report = RecoveryReport()
        // Before the listing: a writer's later marker must not name more than the listing holds.
        let ack = AckMarker.read(directory: directory, fs: fs).marker
        let listing = try DirectoryListing(directory: directory, fileSystem: fs)
        var facts = RecoveryDecision.DirectoryFacts()
        facts.hasSegments = !listing.segments.isEmpty
        facts.hasSnapshotFiles = !listing.snapshots.isEmpty
        facts.temporaries = !listing.temporaries.isEmpty
        if facts.temporaries { report.note(.leftoverTemporary) }
        report.ignoredFiles = listing.backups + listing.others + listing.temporaries

        var lostOnlySegment: AckMarkerCheck.Shortfall? = nil
        if !facts.hasSegments, let ack {
            lostOnlySegment = AckMarkerCheck.shortfall(ack, segments: [], lastIndex: 0, newestSnapshotIndex: 0)
            facts.acknowledgedMissing = lostOnlySegment != nil
        }
        if !facts.hasSegments {
            if let label = RecoveryDecision.labels(facts).last, label != .leftoverTemporary {
                report.note(label)
                if label == .acknowledgedMissing, let lost = lostOnlySegment, mode == .truncate, writable {
                    // Truncate mode: a new, empty log; what ACKED confirmed is reported as dropped.
                    report.dropped = DroppedRecords(segment: lost.file, offset: lost.offset ?? 0, problem: lost.reason,
                                                    indexes: lost.indexes.map { [$0] } ?? [], includesCommitted: true, backups: [])
                } else if label == .acknowledgedMissing, let lost = lostOnlySegment {
                    throw .corrupted(file: joinPath(directory, lost.file), offset: lost.offset, indexes: lost.indexes, reason: lost.reason, label: label)
                } else {
                    throw .corrupted(file: directory, offset: nil, indexes: nil,
                                     reason: "snapshot files but no segment file: the log's segments are lost", label: label)
                }
            }
            guard writable else { throw .notALog(path: directory, reason: "no segment files") }
            report.note(.clean)
            // A new, empty log: one segment, seq 1, first index 1 (created by the repairs).
            let identity = LogIdentity(clusterID: options.clusterID ?? .random(), memberID: options.memberID, epoch: options.epoch)
            let empty = LogState(identity: identity, segments: [], shape: LogShape(continuingAfter: 0), hardState: .empty,
                                 snapshot: nil, snapshotNames: [])
            var repairs = OpenRepairs(createLog: true, temporaries: listing.temporaries)
            repairs.removeAckMarker = lostOnlySegment != nil
            return Result(state: empty, report: report, lock: nil, repairs: repairs, ackMarker: lostOnlySegment == nil ? ack : nil)
        }

        let scan = try DirectoryScan(listing: listing, fs: fs, directory: directory)
        facts.damagedSnapshots = !scan.damagedSnapshots.isEmpty
        if facts.damagedSnapshots {
            report.note(.damagedSnapshot)
            report.damagedSnapshots = scan.damagedSnapshots
        }
        let snapshot = scan.snapshot
        var built = try LogReplay(opener: self, scan: scan).run(&report)

        // The directory's rows after the segments (S2/S3, C4, T3, C7).
        if let snap = snapshot {
            if snap.index > built.shape.lastIndex {
                facts.snapshotVersusLog = .ahead
            } else if let t = built.shape.term(of: snap.index), t != snap.term {
                facts.snapshotVersusLog = .conflicts
            }
        }
        var pendingReset: LogShape.ResetPoint? = nil
        if facts.snapshotVersusLog != .agrees, let snap = snapshot {
            report.resetToSnapshot = (snap.index, snap.term)
            built.shape.applyReset(index: snap.index, term: snap.term)
            for k in built.segments.indices { built.segments[k].kill() }
            pendingReset = LogShape.ResetPoint(index: snap.index, term: snap.term)
        }
        let firstIndex = built.shape.rewriteFrom ?? (built.shape.lastIndex + 1)
        let required = firstIndex - 1
        facts.startCovered = !(required > 0 && (snapshot?.index ?? 0) < required)
        facts.orphans = !scan.orphans.isEmpty && facts.startCovered
        facts.commitBeyondLog = built.hardState.commit > max(built.shape.lastIndex, snapshot?.index ?? 0)
        let ackShortfall = ack.flatMap { marker in
            AckMarkerCheck.shortfall(marker, segments: built.segments.map {
                AckMarkerCheck.Segment(name: $0.name, seq: $0.header.seq, salt: $0.header.salt, validEnd: $0.isSealed ? nil : $0.endOffset)
            }, lastIndex: built.shape.lastIndex, newestSnapshotIndex: snapshot?.index ?? 0)
        }
        facts.acknowledgedMissing = ackShortfall != nil

        // A cut that dropped a newer term or vote keeps them; a writer persists them.
        var pendingHardState: HardState? = built.hardStateRaised ? built.hardState : nil
        for label in RecoveryDecision.labels(facts) where label != .leftoverTemporary && label != .damagedSnapshot {
            report.note(label)
            switch (label, RecoveryDecision.action(label, mode)) {
            case (.missingSegment, _):
                var why = "the log starts at index \(firstIndex) but no valid snapshot covers 1...\(required)"
                if !report.damagedSnapshots.isEmpty {
                    why += " (damaged: " + report.damagedSnapshots.map { "\($0.name): \($0.problem?.description ?? "")" }.joined(separator: "; ") + ")"
                }
                if !scan.orphans.isEmpty { why += "; segments before seq \(scan.candidates[0].header.seq) are missing" }
                throw .corrupted(file: scan.candidates[0].name, offset: nil, indexes: 1...required, reason: why, label: label)
            case (.orphanSegments, _):
                report.ignoredFiles.append(contentsOf: scan.orphans.map(\.name))
            case (.commitBeyondLog, .refuse):
                let why = "hard state commit \(built.hardState.commit) is beyond the last index \(built.shape.lastIndex)"
                throw .corrupted(file: built.segments.last?.name ?? directory, offset: nil, indexes: nil, reason: why, label: label)
            case (.commitBeyondLog, _):
                // Truncate mode: entries up to the commit index are gone; say so,
                // and lower the commit to what the log holds (persisted by a writer).
                let why = "hard state commit \(built.hardState.commit) is beyond the last index \(built.shape.lastIndex)"
                let held = max(built.shape.lastIndex, snapshot?.index ?? 0)
                var dropped = report.dropped ?? DroppedRecords(segment: built.segments.last?.name ?? directory, offset: 0, problem: why,
                                                               indexes: [], includesCommitted: true, backups: [])
                dropped.includesCommitted = true
                if held + 1 <= built.hardState.commit { dropped.indexes.append((held + 1)...built.hardState.commit) }
                report.dropped = dropped
                built.hardState.commit = held
                pendingHardState = built.hardState
            case (.acknowledgedMissing, .refuse):
                let lost = ackShortfall!
                throw .corrupted(file: lost.file, offset: lost.offset, indexes: lost.indexes, reason: lost.reason, label: label)
            case (.acknowledgedMissing, _):
                // Truncate mode: keep what is there; what ACKED confirmed beyond it is reported as dropped.
                let lost = ackShortfall!
                var dropped = report.dropped ?? DroppedRecords(segment: lost.file, offset: lost.offset ?? 0, problem: lost.reason,
                                                               indexes: [], includesCommitted: false, backups: [])
                if let r = lost.indexes {
                    dropped.addUnlisted(r)
                    if r.lowerBound <= built.hardState.commit { dropped.includesCommitted = true }
                }
                report.dropped = dropped
            default:
                break
            }
        }
        if report.labels.isEmpty { report.note(.clean) }

        let state = LogState(identity: scan.identity, segments: built.segments, shape: built.shape, hardState: built.hardState,
                             snapshot: snapshot, snapshotNames: scan.validSnapshots.map(\.name))
        guard writable else { return Result(state: state, report: report, lock: nil, repairs: nil, ackMarker: ack) }
        var repairs = OpenRepairs(temporaries: listing.temporaries, orphans: scan.orphans.map(\.name))
        repairs.cut = built.cut
        repairs.candidateNames = built.names
        repairs.candidates = built.readers
        repairs.tornGarbage = built.tornGarbage
        repairs.reset = pendingReset
        repairs.hardState = pendingHardState
        repairs.removeTailHint = listing.hasTailHint && !report.usedTailHint
        repairs.keepTailHint = report.usedTailHint
        repairs.removeAckMarker = ackShortfall != nil
        return Result(state: state, report: report, lock: nil, repairs: repairs, ackMarker: ackShortfall == nil ? ack : nil)
    }
}

/// Who holds the lock, as written into the LOCK file.
func processDescription() -> String {
    "pid=\(currentProcessID()) host=\(currentHostName())"
}

/// What a writable open must change on disk for the decisions it took
/// (`docs/RECOVERY.md`, "What a writable open changes"). Made by
/// `Engine/RaftLog+OpenRepairs.swift`, the one place that repairs at open.
struct OpenRepairs {
    /// No segment file: create the first segment (seq 1, first index 1).
    var createLog = false
    /// T4: temporaries to remove.
    var temporaries: [String] = []
    /// T3: orphan segments to remove.
    var orphans: [String] = []
    /// Truncate mode: where the log was cut (see `LogReplay.Replayed.cut`).
    var cut: (position: Int, offset: UInt64?)?
    var candidateNames: [String] = []
    var candidates: [SegmentReader] = []
    /// T1: bytes of the torn tail to zero.
    var tornGarbage: UInt64 = 0
    /// S2/S3: the reset record to append.
    var reset: LogShape.ResetPoint?
    /// C7 in truncate mode: the lowered hard state to append.
    var hardState: HardState?
    /// A tail hint is listed but was not used: removed at open. (One that was
    /// used goes before the session's first write, `RaftLog+TailHint`.)
    var removeTailHint = false
    /// The tail hint was used: it stays until the session's first write
    /// (`RaftLog.tailHintOnDisk`).
    var keepTailHint = false
    /// A1 in truncate mode: the confirmation file names what the log no
    /// longer holds; removed (durably) before anything is written.
    var removeAckMarker = false
}
