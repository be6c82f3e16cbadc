/// The files of a data directory, classified by name. Reading only.
package struct DirectoryListing: Sendable {
    package struct SegmentName: Sendable, Equatable {
        package var name: String
        package var seq: UInt64
        package var firstIndex: UInt64
    }
    /// Segment files, by sequence number.
    package var segments: [SegmentName] = []
    /// Snapshot file names.
    package var snapshots: [String] = []
    /// `.tmp` files left by interrupted creations.
    package var temporaries: [String] = []
    /// `.broken` backups kept by repairs.
    package var backups: [String] = []
    /// Anything else (the LOCK file excluded).
    package var others: [String] = []
    package var hasLockFile = false
    /// A writer's write or sync failed; its next writable open rewrites the tail.
    package var hasSyncFailureMarker = false
    /// The state machine's metadata file (`META`, FORMAT.md §8.3).
    package var hasMetadataFile = false
    /// The tail hint `TAIL` left by a clean close (FORMAT.md §8.4): only a
    /// regular file counts; anything else of that name (a directory, a FIFO,
    /// a symlink) is listed in ``others``, never read or removed.
    package var hasTailHint = false
    /// The confirmation file `ACKED` (FORMAT.md §8.5): only a regular file counts.
    package var hasAckMarker = false

    /// Lists `directory`. Throws ``WALError/notALog(path:reason:)`` when it
    /// is missing or not a directory (the reason says which).
    package init(directory: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(WALError) {
        guard fileSystem.isDirectory(directory) else { throw .notALog(path: directory, reason: Self.whyNotADirectory(directory, fileSystem)) }
        for name in try fileSystem.listDirectory(directory).sorted() {
            if let p = FileNames.parseSegment(name) {
                segments.append(SegmentName(name: name, seq: p.seq, firstIndex: p.firstIndex))
            } else if FileNames.parseSnapshot(name) != nil {
                snapshots.append(name)
            } else if name.hasSuffix(Layout.temporarySuffix) {
                temporaries.append(name)
            } else if name.hasSuffix(Layout.brokenSuffix) {
                backups.append(name)
            } else if name == Layout.lockFileName {
                hasLockFile = true
            } else if name == Layout.syncFailedMarkerName {
                hasSyncFailureMarker = true
            } else if name == MetadataFile.name {
                hasMetadataFile = true
            } else if name == TailHint.fileName, fileSystem.fileKind(joinPath(directory, name)) == .regular {
                hasTailHint = true
            } else if name == AckMarker.fileName, fileSystem.fileKind(joinPath(directory, name)) == .regular {
                hasAckMarker = true
            } else {
                others.append(name)
            }
        }
        segments.sort { $0.seq < $1.seq }
    }

    /// Why a path that is not a directory cannot be opened as one: it is
    /// missing, or it is something else (a regular file, a device, ...).
    package static func whyNotADirectory(_ path: String, _ fileSystem: any FileSystem) -> String {
        fileSystem.fileExists(path) ? "it exists but is not a directory" : "no such directory"
    }

    /// True when the directory holds at least one segment or snapshot (or
    /// `ACKED`, which confirms that it did).
    package var looksLikeALog: Bool { !segments.isEmpty || !snapshots.isEmpty || hasAckMarker }
}
