extension RaftLog {
    /// Confirmed mode (``LogOptions/confirmAppends``): after a record's own
    /// `fdatasync`, and before its append is acknowledged, the next slot of
    /// `ACKED` (`docs/FORMAT.md` §8.5) names where that record ends, and is
    /// synced: the second sync per append that lets an open tell a lost,
    /// misdirected or zeroed last record from a torn, unacknowledged one
    /// (row A1, `docs/RECOVERY.md`). Writer lock held; the caller
    /// fail-stops on a throw, as for the record's own write.
    ///
    /// - Parameters:
    ///   - seq, salt, endOffset: the segment the record went to and the offset just past it.
    ///   - lastIndex: the log's last index once the record is applied.
    func confirm(seq: UInt64, salt: UInt64, endOffset: UInt64, lastIndex: UInt64) throws(WALError) {
        guard options.confirmAppends, options.sync == .durable else { return }
        let snapshot = confirmation.snapshot  // no state lock per append
        let handle: any FileHandle
        if let open = confirmation.handle {
            handle = open
        } else {
            handle = try durability.openInPlaceFile(AckMarker.fileName)
            confirmation.handle = handle
        }
        confirmation.counter += 1
        let marker = AckMarker(counter: confirmation.counter, seq: seq, salt: salt, endOffset: endOffset, lastIndex: lastIndex,
                               snapshotIndex: snapshot?.index ?? 0, snapshotTerm: snapshot?.term ?? 0)
        try durability.appendAndSync(handle, marker.encoded(), at: marker.slotOffset)
    }

    /// After a snapshot file is durable (confirmed mode): a slot naming it,
    /// so that an open that finds no valid snapshot at or above it reports
    /// A1. The tail's position is the one the last slot named (nothing was
    /// appended since). Writer lock held; fail-stops on a throw.
    func confirmSnapshot() throws(WALError) {
        do { try confirmTail() } catch {
            failStop(error)
            throw error
        }
    }

    /// At the end of a writable open (confirmed mode): a slot naming the tail
    /// as the open hands it out. A crash can leave a record that was synced
    /// but never confirmed (its slot write failed, so its append failed); the
    /// open recovers it and from then on it is the log's state, which later
    /// sessions build on. Confirming it here means a later loss of it is A1,
    /// not a silent cut (found by `raft-torture sim --confirmed`, seeds 5016
    /// and 5017). One slot and one sync per writable open.
    func confirmAtOpen() throws(WALError) {
        try writerLock.withLock { () throws(WALError) in try confirmTail() }
    }

    /// A slot naming the tail's current end and the newest snapshot.
    private func confirmTail() throws(WALError) {
        guard options.confirmAppends, options.sync == .durable else { return }
        let (seq, salt, end, last) = stateLock.withLock {
            let t = state.segments[state.segments.count - 1]
            return (t.header.seq, t.header.salt, t.endOffset, state.lastIndex)
        }
        try confirm(seq: seq, salt: salt, endOffset: end, lastIndex: last)
    }

    /// Marks the log fail-stopped after a failed write or sync.
    func failStop(_ error: WALError) {
        stateLock.withLock { state.failStop = error.description }
        durability.markSyncFailure(error.description)
        logger.error("write failed, log is fail-stopped", metadata: ["error": "\(error)"])
    }
}

/// The writer's handle on `ACKED` and the counter of its last slot.
/// Guarded by ``RaftLog``'s writer lock.
struct ConfirmationFile {
    var handle: (any FileHandle)?
    /// The counter of the newest slot on disk (0: none): the next slot's is one more.
    var counter: UInt64
    /// The newest durable snapshot, as the slots name it: the open's, then
    /// each one ``RaftLog/installSnapshotLocked(_:name:)`` records. Kept
    /// here so that an append does not take the state lock to read it.
    var snapshot: SnapshotMetadata?
}
