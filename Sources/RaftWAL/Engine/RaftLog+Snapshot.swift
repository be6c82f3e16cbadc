extension RaftLog {
    /// Saves a snapshot (taken from the local state machine, or installed
    /// from the leader), then compacts the log and retires old snapshots.
    ///
    /// Order, so that no crash loses both the entries and the snapshot that
    /// covers them: (1) the snapshot file is written to a temporary name,
    /// synced, renamed and the directory synced; (2) if the log does not hold
    /// the snapshot's (index, term), a reset record is appended and synced:
    /// the log restarts after the snapshot; (3) segments wholly at or below
    /// `index − compactionKeepEntries` are removed, oldest first; (4) valid
    /// snapshot files beyond ``LogOptions/snapshotRetention`` are removed,
    /// oldest first. Damaged snapshot files are never removed.
    ///
    /// - Throws: ``WALError/invalidArgument(_:)`` when the snapshot is older
    ///   than the latest one, below the log's first index, or at a committed
    ///   index the log holds in another term (Raft never replaces a committed
    ///   entry).
    public func saveSnapshot(_ snapshot: Snapshot) throws(WALError) {
        if snapshot.data.count > SnapshotFile.maxDataBytes {
            // Beyond what a version-1 file holds: written chunked (version 2).
            try saveSnapshot(snapshot.metadata, chunks: CollectionOfOne(snapshot.data))
            return
        }
        try writerLock.withLock { () throws(WALError) in
            let identity = try checkSnapshotLocked(snapshot.metadata)
            let name = FileNames.snapshot(index: snapshot.metadata.index, term: snapshot.metadata.term)
            try durability.createFile(name, contents: SnapshotFile.encode(snapshot, identity: identity, compress: options.compression)).close()
            try installSnapshotLocked(snapshot.metadata, name: name)
        }
    }

    /// Why a snapshot at `meta` may not be saved now (it throws), else the
    /// log's identity. Writer lock held.
    func checkSnapshotLocked(_ meta: SnapshotMetadata) throws(WALError) -> LogIdentity {
        let (current, identity, failStop, closed) = stateLock.withLock {
            (state.snapshot, state.identity, state.failStop, state.closed)
        }
        if closed { throw WALError.closed }
        if options.access == .readOnly { throw WALError.readOnly }
        if let failStop { throw WALError.failStopped(cause: failStop) }
        if let current, meta.index < current.index {
            throw WALError.invalidArgument("snapshot at \(meta.index) is older than the latest at \(current.index)")
        }
        if meta.index >= Layout.maxIndex {
            throw WALError.invalidArgument("snapshot index \(meta.index) exceeds \(Layout.maxIndex), the largest index the format reads back")
        }
        let first = stateLock.withLock { state.firstIndex }
        if meta.index + 1 < first {
            // Restarting the log after it would drop entries the log holds beyond it.
            throw WALError.invalidArgument("snapshot at \(meta.index) is below the log's first index \(first)")
        }
        let conflict = stateLock.withLock { () -> UInt64? in
            guard meta.index <= state.hardState.commit, meta.index <= state.lastIndex,
                  let held = state.shape.term(of: meta.index) ?? state.baseTerm(at: meta.index), held != meta.term else { return nil }
            return held
        }
        if let conflict {
            // Restarting the log after it would discard committed entries (and leave commit beyond the log: C7).
            throw WALError.invalidArgument("snapshot at \(meta.index) in term \(meta.term) conflicts with the committed entry \(meta.index) in term \(conflict)")
        }
        return identity
    }

    /// After the snapshot file `name` is durable: record it, restart the log
    /// after it when the log does not hold (index, term), compact, retire
    /// old snapshots. Writer lock held.
    func installSnapshotLocked(_ meta: SnapshotMetadata, name: String) throws(WALError) {
        let holds = stateLock.withLock { () -> Bool in
            let first = state.firstIndex
            guard meta.index <= state.lastIndex, meta.index + 1 >= first else { return false }
            if meta.index == first - 1 { return state.baseTerm(at: meta.index) == meta.term || state.shape.term(of: meta.index) == meta.term }
            return state.shape.term(of: meta.index) == meta.term
        }
        stateLock.withLock {
            state.snapshot = meta
            state.snapshotNames.removeAll { $0 == name }
            state.snapshotNames.insert(name, at: 0)
        }
        confirmation.snapshot = meta
        try confirmSnapshot()
        let deferred = stateLock.withLock { state.pendingReset != nil }  // a reset deferred at open (a full disk)
        if !holds || deferred { try writeReset(index: meta.index, term: meta.term) }
        logger.info("snapshot saved", metadata: ["index": "\(meta.index)", "term": "\(meta.term)", "reset": "\(!holds)"])
        let keep = options.compactionKeepEntries
        try compactLocked(through: meta.index > keep ? meta.index - keep : 0)
        try retireSnapshotsLocked()
    }

    /// Removes segments whose entries are all at or below `index` (which
    /// must be covered by the latest snapshot). The last segment is never
    /// removed. Returns the names removed.
    @discardableResult
    public func compact(through index: UInt64) throws(WALError) -> [String] {
        try writerLock.withLock { () throws(WALError) -> [String] in
            let (snapshot, closed) = stateLock.withLock { (state.snapshot, state.closed) }
            if closed { throw WALError.closed }
            if options.access == .readOnly { throw WALError.readOnly }
            guard let snapshot, index <= snapshot.index else {
                throw WALError.invalidArgument("compaction through \(index) is beyond the latest snapshot (\(snapshotMetadata?.index ?? 0))")
            }
            return try compactLocked(through: index)
        }
    }

    /// Writer lock held.
    @discardableResult
    private func compactLocked(through index: UInt64) throws(WALError) -> [String] {
        let victims = stateLock.withLock { () -> [SegmentState] in
            var out: [SegmentState] = []
            for s in state.segments.dropLast() {
                guard !s.hasLiveEntries || s.liveLast <= index else { break }
                out.append(s)
            }
            // Keep the term of the new first index − 1 known (log matching
            // needs it): stop before a first segment that cannot tell it
            // (written by an older build, or rewritten below its own start).
            while !out.isEmpty {
                var after = state
                after.segments.removeFirst(out.count)
                let first = after.firstIndex
                if after.baseTerm(at: first - 1) != nil { break }
                out.removeLast()
            }
            return out
        }
        guard !victims.isEmpty else { return [] }
        let names = victims.map(\.name)
        try durability.remove(names)
        stateLock.withLock {
            state.segments.removeFirst(victims.count)
            for v in victims {
                v.reader.retire()
                readCache.forget(segment: v.name)
            }
            state.shape.forget(below: state.firstIndex)
        }
        logger.info("compacted", metadata: ["through": "\(index)", "removed": "\(names)"])
        return names
    }

    /// Removes valid snapshot files beyond the retention count, oldest first. Writer lock held.
    private func retireSnapshotsLocked() throws(WALError) {
        let retention = max(options.snapshotRetention, 1)
        let victims = stateLock.withLock { Array(state.snapshotNames.dropFirst(retention)) }
        guard !victims.isEmpty else { return }
        try durability.remove(victims.reversed())
        stateLock.withLock { state.snapshotNames.removeAll { victims.contains($0) } }
    }

    /// The newest valid snapshot, read and verified; nil when there is none.
    /// A snapshot damaged since the log was opened is skipped for the next
    /// newest (the damage is logged). One too large to read into memory is
    /// an error naming ``latestSnapshotStream()``, never a reason to return
    /// an older snapshot.
    public func latestSnapshot() throws(WALError) -> Snapshot? {
        try newestReadableSnapshot { (catalog, name) throws(WALError) in try catalog.read(name).1 }
    }

    /// The first of the log's snapshots, newest first, that `open` reads;
    /// each one that fails is logged and the next tried, except for a
    /// refusal that is not damage (``WALError/invalidArgument(_:)``: too
    /// large for memory), which is thrown. Nil when there is none; the last
    /// error when none reads.
    func newestReadableSnapshot<T>(_ open: (SnapshotCatalog, String) throws(WALError) -> T) throws(WALError) -> T? {
        let names = try stateLock.withLock { () throws(WALError) -> [String] in
            if state.closed { throw WALError.closed }
            return state.snapshotNames
        }
        let catalog = SnapshotCatalog(fs: options.fileSystem, directory: directory)
        var lastError: WALError? = nil
        for name in names {
            do { return try open(catalog, name) } catch {
                if case .invalidArgument = error { throw error }
                logger.warning("snapshot unreadable", metadata: ["file": "\(name)", "error": "\(error)"])
                lastError = error
            }
        }
        if let lastError { throw lastError }
        return nil
    }
}
