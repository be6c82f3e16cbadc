import RaftWAL

/// The source directory of a command, opened read-only by the engine.
///
/// A run that will write takes the source's writer lock when the directory
/// has a LOCK file (a directory the engine has opened for writing), so that a
/// running member is refused instead of read while it changes. The lock is
/// the `flock` alone: the LOCK file's bytes (the last writer's owner line)
/// are not rewritten, and a directory without a LOCK file is never given
/// one, so the source's files stay byte for byte as they were.
struct SourceLog {
    let path: String
    let log: RaftLog
    let lock: (any DirectoryLock)?

    /// Opens `path`. Throws ``RecoverError/environment(_:)`` when it is not a
    /// RaftWAL directory or is locked, ``RecoverError/damage(_:advice:)`` when
    /// the engine refuses its contents.
    static func open(_ path: String, options: RecoverOptions, recovery: RecoveryMode = .strict,
                     takeLock: Bool, advice: String = "") throws(RecoverError) -> SourceLog {
        let fs = options.fileSystem
        let listing: DirectoryListing
        do { listing = try DirectoryListing(directory: path, fileSystem: fs) } catch { throw .environment(error) }
        guard listing.looksLikeALog else {
            throw .environment(.notALog(path: path, reason: "no segment or snapshot files"))
        }
        var lock: (any DirectoryLock)? = nil
        if takeLock && listing.hasLockFile {
            do { lock = try fs.lockExclusive(joinPath(path, Layout.lockFileName), owner: nil) } catch {
                throw .environment(error)
            }
        }
        do {
            let log = try RaftLog.open(directory: path, options: options.sourceOptions(recovery: recovery))
            return SourceLog(path: path, log: log, lock: lock)
        } catch {
            lock?.release()
            throw .reading(error, advice: advice)
        }
    }

    func close() {
        log.close()
        lock?.release()
    }
}
