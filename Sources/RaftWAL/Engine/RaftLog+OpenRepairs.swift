/// Everything a writable open changes on disk, in one place
/// (`docs/RECOVERY.md`, "What a writable open changes"): `LogOpener` only
/// reads and decides; these make its decisions durable, all through
/// `IO/Durability.swift` and the record writer. A read-only open never
/// comes here.
extension RaftLog {
    /// Before the log is handed out: create a new log, remove a tail hint
    /// that was not used, temporaries and orphans (T4, T3), apply a truncate-mode cut (keeping `.broken`
    /// copies of everything removed), zero the torn tail (T1), rewrite the
    /// tail after a failed sync, sync the directory, and reopen the tail
    /// segment for writing.
    static func repairBeforeUse(_ opened: inout LogOpener.Result, _ repairs: OpenRepairs, directory: String,
                                options: LogOptions) throws(WALError) {
        let fs = options.fileSystem
        let d = Durability(fs: fs, directory: directory, policy: options.sync)
        // A1 accepted (truncate mode): ACKED names what is gone; it goes first.
        if repairs.removeAckMarker {
            try d.remove([AckMarker.fileName])
            opened.report.modifiedDirectory = true
        }
        if repairs.createLog {
            let writer = SegmentFactory(durability: d, options: options)
            let segment = try writer.create(identity: opened.state.identity, seq: 1, firstIndex: 1, hardState: .empty, previousTerm: 0)
            opened.state.segments = [segment]
            if !repairs.temporaries.isEmpty { try d.remove(repairs.temporaries) }
            return
        }
        var report = opened.report
        defer { opened.report = report }
        // A tail hint that was not used goes first, durably, before anything
        // is written (FORMAT.md §8.4): a crash in the repairs below must not
        // leave it beside a tail they changed. A verified one stays until the
        // first write (`RaftLog+TailHint`).
        if repairs.removeTailHint { try d.remove([TailHint.fileName]) }
        if !repairs.temporaries.isEmpty { try d.remove(repairs.temporaries); report.modifiedDirectory = true }
        if !repairs.orphans.isEmpty { try d.remove(repairs.orphans); report.modifiedDirectory = true }
        var zeroFrom: UInt64? = nil
        if let cut = repairs.cut {
            var backups: [String] = []
            let firstDropped = cut.offset == nil ? cut.position : cut.position + 1
            for name in repairs.candidateNames[firstDropped...] {
                let backup = name + Layout.brokenSuffix
                try d.rename(name, to: backup)
                backups.append(backup)
            }
            if let offset = cut.offset {
                let r = repairs.candidates[cut.position]
                let backup = r.name + ".cut-\(offset)" + Layout.brokenSuffix
                try d.copy(r.handle, range: offset..<r.fileSize, to: backup)
                backups.append(backup)
                zeroFrom = offset
            }
            report.dropped?.backups = backups
            report.modifiedDirectory = true
        }
        let tail = opened.state.segments.removeLast()
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
        } else if let cut = report.tornTail, repairs.tornGarbage > 0 {
            try d.zero(handle, at: cut.offset, count: repairs.tornGarbage)
            report.modifiedDirectory = true
        }
        // After a failed fsync (in this process or one before it, without a
        // reboot) the page cache can show records the disk never got, and the
        // scan just trusted them. The failing writer left a marker: rewrite
        // and sync the tail's records before anything is acknowledged on top
        // of them ("fsyncgate"), then drop the marker.
        if d.hasSyncFailureMarker {
            try d.rewrite(handle, range: 0..<reopened.endOffset)
            try d.remove([Layout.syncFailedMarkerName])
            report.modifiedDirectory = true
        }
        // Names this open trusted (a segment or snapshot created just before a
        // failed directory fsync) may still be volatile: make them durable
        // before anything is acknowledged or compacted on top of them.
        try d.syncDirectory()
        opened.state.segments.append(reopened)
        // The records appended by `appendRecords` below.
        if repairs.hardState != nil || repairs.reset != nil { report.modifiedDirectory = true }
    }

    /// After the log exists: append the records the decisions call for,
    /// through the record writer, before any append. C7 in truncate mode:
    /// the commit lowered to what the log holds. S2/S3: a reset record, so
    /// the restart after the snapshot survives the next crash.
    func appendRecords(_ repairs: OpenRepairs) throws(WALError) {
        if let hs = repairs.hardState {
            try writerLock.withLock { () throws(WALError) in try writeBatch([], hardState: hs) }
        }
        if let reset = repairs.reset {
            // S2/S3: make the restart after the snapshot durable before any append.
            do {
                try writerLock.withLock { () throws(WALError) in try writeReset(index: reset.index, term: reset.term) }
            } catch .noSpace(let path) {
                // A full disk (an install interrupted by ENOSPC, say): open what
                // is there, as the snapshot on disk keeps deciding the reset, and
                // write the reset before the next record (`writeBatch`). Nothing
                // reached the tail: the roll-over failed creating its successor.
                stateLock.withLock {
                    state.failStop = nil
                    state.pendingReset = reset
                }
                logger.info("recovery: reset record deferred, no space left on device", metadata: ["file": "\(path)"])
            }
        }
    }
}
