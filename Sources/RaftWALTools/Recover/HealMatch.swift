import RaftWAL

/// The check that decides whether a peer's entries may replace a damaged
/// range, by Raft's Log Matching property: if two logs hold an entry with
/// the same index and term, they hold the same entries at every index up to
/// and including it.
///
/// For a damaged range `lo...hi` of the local log the peer's entries are
/// taken only when all of these hold (each is recorded in the report):
/// 1. the peer holds every index of the range (its first index ≤ lo, its last ≥ hi);
/// 2. the *anchor*: the peer holds the first intact local index after the
///    range, `hi + 1`, in the term of the local copy (read and checksummed
///    here). At the log's tail, where no intact local entry follows, the
///    anchor is `hi` itself, in the term the local segment's seal recorded
///    for it (the seal is a checksummed record of its own; the only damage
///    heal accepts is inside sealed segments). Either way Log Matching at the
///    anchor makes the peer's entries up to it the ones this log held;
/// 3. every peer term in the range equals the term the local seal recorded
///    for that index (a second, independent agreement);
/// 4. every peer entry reads back through the engine: its record's checksum
///    verifies and it decodes to the index and term expected.
struct HealMatch {
    let local: RaftLog
    let peer: RaftLog
    let peerPath: String

    /// Checks `range` against the peer; returns how it was checked.
    func check(_ range: HealSurvey.DamagedRange) throws(HealRefusal) -> RecoverReport.HealedRange {
        let lo = range.indexes.lowerBound, hi = range.indexes.upperBound
        guard peer.firstIndex <= lo, peer.lastIndex >= hi else {
            throw .peerLacksRange(peer: peerPath, range: range.indexes, peerFirst: peer.firstIndex, peerLast: peer.lastIndex)
        }
        // 2. The anchor.
        let anchor: UInt64, anchorTerm: UInt64, how: String
        if hi < local.lastIndex {
            anchor = hi + 1
            do { anchorTerm = try local.entry(anchor).term } catch {
                throw .unhealable(directory: local.directory, file: range.file, offset: nil, indexes: anchor...anchor,
                                  reason: "the local entry after the damage does not read: \(error)", advice: HealSurvey.advice)
            }
            how = "the first intact local entry after the damage"
        } else {
            anchor = hi
            anchorTerm = localTerm(hi)
            how = "the log's tail: the term the local seal records for the last damaged index"
        }
        guard peer.lastIndex >= anchor else {
            throw .peerLacksRange(peer: peerPath, range: lo...anchor, peerFirst: peer.firstIndex, peerLast: peer.lastIndex)
        }
        let peerAnchorTerm = peerTerm(anchor)
        guard peerAnchorTerm == anchorTerm else {
            throw .termMismatch(peer: peerPath, index: anchor, localTerm: anchorTerm, peerTerm: peerAnchorTerm, localFile: range.file)
        }
        // 3. Every term in the range.
        for i in range.indexes {
            let want = localTerm(i), got = peerTerm(i)
            guard want == got else { throw .termMismatch(peer: peerPath, index: i, localTerm: want, peerTerm: got, localFile: range.file) }
        }
        // 4. The peer's copy verifies.
        var next = lo
        while next <= hi {
            let batch: [Entry]
            do { batch = try peer.entries(next, hi + 1, maxBytes: 1 << 20) } catch {
                throw Self.peerFailure(error, peer: peerPath, at: next...hi)
            }
            for e in batch {
                guard e.index == next, e.term == localTerm(next) else {
                    throw .peerDamaged(peer: peerPath, file: "", offset: nil, indexes: next...next,
                                       reason: "read index \(e.index) term \(e.term), expected index \(next) term \(localTerm(next))")
                }
                next += 1
            }
        }
        let files = segmentsHolding(lo...hi)
        return RecoverReport.HealedRange(
            first: lo, last: hi, localFile: range.file, localOffset: range.offset, damage: range.reason,
            anchorIndex: anchor, anchorTerm: anchorTerm, anchor: how, peerFiles: files,
            checks: [
                "peer holds \(lo)...\(hi) (its log is \(peer.firstIndex)...\(peer.lastIndex))",
                "peer term at \(anchor) = \(peerAnchorTerm) = local term (\(how)): Log Matching",
                "peer terms at \(lo)...\(hi) equal the local seal's term runs",
                "peer records read back through the engine: checksums verified, indexes and terms as expected",
            ])
    }

    /// The local term of `index` (from the seal's term runs for a damaged one); the survey checked it is known.
    private func localTerm(_ index: UInt64) -> UInt64 { (try? local.term(index)) ?? 0 }

    /// The peer's term of `index` (0 when it has none: never equal to a real term).
    private func peerTerm(_ index: UInt64) -> UInt64 { (try? peer.term(index)) ?? 0 }

    /// The peer's segment files holding indexes of `range`, by name (for the report).
    private func segmentsHolding(_ range: ClosedRange<UInt64>) -> [String] {
        guard let listing = try? DirectoryListing(directory: peerPath, fileSystem: peerFileSystem) else { return [] }
        let segments = listing.segments
        var out: [String] = []
        for (k, s) in segments.enumerated() {
            let end = k + 1 < segments.count ? segments[k + 1].firstIndex : UInt64.max
            if s.firstIndex <= range.upperBound && end > range.lowerBound { out.append(s.name) }
        }
        return out
    }

    let peerFileSystem: any FileSystem

    /// The peer's read (or open) error as a refusal naming the peer's file.
    static func peerFailure(_ error: WALError, peer: String, at range: ClosedRange<UInt64>?) -> HealRefusal {
        if case let .corrupted(file, offset, indexes, reason, _) = error {
            return .peerDamaged(peer: peer, file: nameInParent(file), offset: offset, indexes: indexes ?? range, reason: reason)
        }
        return .peerDamaged(peer: peer, file: "", offset: nil, indexes: range, reason: "\(error)")
    }
}
