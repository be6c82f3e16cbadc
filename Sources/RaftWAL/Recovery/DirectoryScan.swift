/// The first stage of the open (`docs/RECOVERY.md`, order of evaluation,
/// steps 1–5): the names (``DirectoryListing``, the one classifier of the
/// engine and the tools), the segment headers in `seq` order, the log's
/// identity, the snapshots (each read once, against that identity), and the
/// orphans before the last `seq` gap. Only reads.
struct DirectoryScan {
    var listing: DirectoryListing
    /// Segments whose header opened and verified, in `seq` order, up to the
    /// first failure (C2) or the first foreign one (C3).
    var readers: [SegmentReader] = []
    /// The first header failure: C2 (bad header, name disagrees, not a
    /// regular file) or C3 (foreign), at its position among all segments.
    var headerFailure: LogOpener.Failure?
    /// Segments after a header failure that still open: read only to report
    /// what a truncate-mode cut drops.
    var salvageOnly: [String: SegmentReader] = [:]
    var identity: LogIdentity
    var validSnapshots: [SnapshotFileInfo] = []
    var damagedSnapshots: [SnapshotFileInfo] = []
    /// Readers before the last `seq` gap (accepted as T3 when the snapshot covers them).
    var orphans: [SegmentReader] = []
    /// The segments replayed, and the names of every candidate (header failures included).
    var candidates: [SegmentReader] = []
    var candidateNames: [String] = []

    /// The newest valid snapshot.
    var snapshot: SnapshotMetadata? {
        validSnapshots.first.map { SnapshotMetadata(index: $0.index, term: $0.term, membership: $0.membership ?? Membership()) }
    }

    /// Reads the headers and snapshots of a listing that holds at least one segment.
    init(listing: DirectoryListing, fs: any FileSystem, directory: String) throws(WALError) {
        self.listing = listing
        let segmentNames = listing.segments
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
                guard case .corrupted = error else { throw error }
                let position: SegmentFacts.Position = k == segmentNames.count - 1 ? .last : .beforeLast
                let label = RecoveryDecision.label(SegmentFacts(position: position, header: .unreadable, start: .followsOn, end: .notRead))
                headerFailure = LogOpener.Failure(label: label, position: k, offset: 0, error: error)
            }
        }
        guard let last = readers.last else {
            // Not even the first header reads: nothing to keep.
            let f = headerFailure!
            throw f.error.labeled(RecoveryDecision.label(SegmentFacts(position: .beforeLast, header: .unreadable,
                                                                      start: .followsOn, end: .notRead)))
        }
        identity = last.header.identity
        if headerFailure == nil, let k = readers.firstIndex(where: { $0.header.identity != identity }) {
            let r = readers[k]
            let label = RecoveryDecision.label(SegmentFacts(position: .beforeLast, header: .foreign, start: .followsOn, end: .notRead))
            headerFailure = LogOpener.Failure(label: label, position: k, offset: 16, error: .corrupted(
                file: r.name, offset: 16, indexes: nil,
                reason: "segment belongs to cluster \(r.header.identity.clusterID) member \(r.header.identity.memberID) epoch \(r.header.identity.epoch); the log is cluster \(identity.clusterID) member \(identity.memberID) epoch \(identity.epoch)"))
            for r in readers[k...] { salvageOnly[r.name] = r }
            readers.removeSubrange(k...)
        }

        // Every snapshot, read and verified once, against this log's identity (S1).
        let catalog = SnapshotCatalog(fs: fs, directory: directory)
        for info in catalog.list(identity: identity, names: listing.snapshots) {
            if info.problem == nil { validSnapshots.append(info) } else { damagedSnapshots.append(info) }
        }

        // Segments older than the last sequence gap are orphans of an
        // interrupted compaction, if the snapshot covers them (checked after replay).
        var start = 0
        for k in readers.indices.dropFirst() where readers[k].header.seq != readers[k - 1].header.seq + 1 { start = k }
        orphans = Array(readers[0..<start])
        candidates = Array(readers[start...])
        if headerFailure != nil { headerFailure!.position -= start }
        candidateNames = segmentNames[start...].map(\.name)
    }
}
