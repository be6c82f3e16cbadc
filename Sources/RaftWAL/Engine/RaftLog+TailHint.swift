extension RaftLog {
    /// A clean close of a writer leaves the tail hint `TAIL` (`docs/FORMAT.md`
    /// §8.4): the tail segment's rows and shape, so the next open need not
    /// scan the tail's records and preallocated zeros. Written atomically
    /// (temporary, `fsync`, rename, directory `fsync`) after every record it
    /// describes was synced; skipped when the log is read-only, already
    /// closed, fail-stopped, or owes a deferred reset (what memory holds then
    /// is not what the disk holds), under the fixtures' test hook, and when
    /// the hint is larger than an open would read (`TailHint.isWithinBound`:
    /// large segments of small records), as it could never be used, or when
    /// something other than a regular file is named `TAIL`. A
    /// failure only costs the next open a scan.
    /// Writer lock held (no round in flight).
    func writeTailHint() {
        guard lock != nil, options.leavesTailHint else { return }
        let hint: TailHint? = stateLock.withLock {
            // Still on disk: nothing was written since the open verified it.
            guard !state.closed, state.failStop == nil, state.pendingReset == nil, !tailHintOnDisk,
                  let tail = state.segments.last, !tail.isSealed else { return nil }
            return TailHint(seq: tail.header.seq, salt: tail.header.salt, endOffset: tail.endOffset, shape: tail.shape, rows: tail.rows)
        }
        guard let hint else { return }
        // Something else named TAIL (a directory, a FIFO) is not ours to replace.
        guard (options.fileSystem.fileKind(durability.path(TailHint.fileName)) ?? .regular) == .regular else { return }
        let bytes = hint.encoded()
        guard TailHint.isWithinBound(UInt64(bytes.count), maxFileBytes: options.tailHintMaxBytes) else {
            logger.info("tail hint not written: larger than an open reads; the next open scans the tail",
                        metadata: ["bytes": "\(bytes.count)"])
            return
        }
        do throws(WALError) { try durability.writeFile(TailHint.fileName, bytes) } catch {
            logger.info("tail hint not written; the next open scans the tail", metadata: ["error": "\(error)"])
        }
    }

    /// The tail hint the open used describes the tail before this session:
    /// removed, and the removal made durable (directory `fsync`), before the
    /// session's first record is written, so no later crash can leave a hint
    /// beside a tail that changed. Once per session, off the open's path.
    /// Writer lock held (it guards `tailHintOnDisk`: no other lock is taken
    /// on the append path); a failure fail-stops like any write failure.
    func removeTailHintBeforeFirstWrite() throws(WALError) {
        guard tailHintOnDisk else { return }
        try durability.remove([TailHint.fileName])
        tailHintOnDisk = false
    }
}
