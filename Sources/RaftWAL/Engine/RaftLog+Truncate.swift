extension RaftLog {
    /// Removes every entry after `index`, durably, without appending
    /// (openraft's `truncate_after`, hashicorp/raft's `DeleteRange` on the
    /// tail). The removed entries never come back, even after a crash.
    ///
    /// On disk this is one *truncation record* (a batch record without
    /// entries whose first index is `index + 1`, `docs/FORMAT.md` §5.2),
    /// written and synced like an append: a crash leaves either the whole log
    /// or the truncated one, never a mix. It is ordered with appends as
    /// ``saveSnapshot(_:)`` is: between two group-commit rounds, so an append
    /// queued concurrently lands wholly before or wholly after it.
    ///
    /// Nothing is written when `index` ≥ ``lastIndex``.
    ///
    /// - Parameter index: the last index to keep.
    /// - Throws: ``WALError/truncationBelowCommit(after:commit:)`` when
    ///   `index` is below the persisted commit index (committed entries are
    ///   never removed); ``WALError/invalidArgument(_:)`` when `index` is
    ///   below the snapshot a reset restarted the log after, or below
    ///   ``firstIndex`` − 1 (compacted entries); in both cases nothing is
    ///   written. The write errors of ``append(_:hardState:)``
    ///   (``WALError/failStopped(cause:)``, ``WALError/io(errno:operation:path:)``,
    ///   ``WALError/noSpace(path:)``, ``WALError/readOnly``, ``WALError/closed``).
    public func truncate(after index: UInt64) throws(WALError) {
        try writerLock.withLock { () throws(WALError) in
            let write = try stateLock.withLock { () throws(WALError) -> Bool in
                if state.closed { throw WALError.closed }
                if options.access == .readOnly { throw WALError.readOnly }
                if let cause = state.failStop { throw WALError.failStopped(cause: cause) }
                return try Self.truncationNeeded(after: index, in: state)
            }
            guard write else { return }
            try writeTruncation(from: index + 1)
            logger.info("log truncated", metadata: ["after": "\(index)"])
        }
    }

    /// Whether a truncation after `index` changes the log (false: nothing to
    /// remove), or why it may not be written.
    static func truncationNeeded(after index: UInt64, in state: LogState) throws(WALError) -> Bool {
        guard index < state.lastIndex else { return false }
        if index < state.hardState.commit { throw WALError.truncationBelowCommit(after: index, commit: state.hardState.commit) }
        let base = max(state.snapshot?.index ?? 0, state.shape.reset?.index ?? 0)
        if index < base {
            throw WALError.invalidArgument("truncation after \(index) cuts into the snapshot at \(base)")
        }
        if index + 1 < state.firstIndex {
            throw WALError.invalidArgument("truncation after \(index) is below the first index \(state.firstIndex) (compacted)")
        }
        return true
    }

    /// Writes and syncs a truncation record at `first`: a batch record
    /// without entries or hard state whose first index is at or below the
    /// last index. Writer lock held; a failure fail-stops the log.
    func writeTruncation(from first: UInt64) throws(WALError) {
        let batch = BatchRecordCodec.prepare([], hardState: nil, compression: false, acceleration: 1, emptyAt: first)
        let row = BatchRef(offset: 0, firstIndex: first, entryCount: 0, recordBytes: 0, type: .batch)
        try writeRecord(recordBytes: batch.recordBytes, row: row, hardState: nil) { salt, offset, out in
            batch.frame(salt: salt, offset: offset, into: &out)
        } apply: { shape in
            let why = shape.applyBatch(firstIndex: first, entryCount: 0, meta: batch.meta)
            assert(why == nil, "truncation record refused by the replay rules: \(why ?? "")")
        }
    }
}
