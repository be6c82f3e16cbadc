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
///    for that index (beside the anchor, a check on every index; at the tail,
///    where the anchor is `hi` itself, the two compare the same pair there);
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
            anchorTerm = try localTerm(hi, range)
            how = "the log's tail: the term the local seal records for the last damaged index"
        }
        guard peer.lastIndex >= anchor else {
            throw .peerLacksRange(peer: peerPath, range: lo...anchor, peerFirst: peer.firstIndex, peerLast: peer.lastIndex)
        }
        let peerAnchorTerm = try peerTerm(anchor)
        guard peerAnchorTerm == anchorTerm else {
            throw .termMismatch(peer: peerPath, index: anchor, localTerm: anchorTerm, peerTerm: peerAnchorTerm, localFile: range.file)
        }
        // 3. Every term in the range.
        for i in range.indexes {
            let want = try localTerm(i, range), got = try peerTerm(i)
            guard want == got else { throw .termMismatch(peer: peerPath, index: i, localTerm: want, peerTerm: got, localFile: range.file) }
        }
        // 4. The peer's copy verifies, read in one pass.
        var next = lo
        var mismatch: HealRefusal?
        do {
            try peer.forEachEntry(lo, hi + 1) { e in
                guard e.index == next, let want = try? local.term(next), e.term == want else {
                    mismatch = .peerDamaged(peer: peerPath, file: "", offset: nil, indexes: next...next,
                                            reason: "read index \(e.index) term \(e.term), expected index \(next) in the local seal's term")
                    return false
                }
                next += 1
                return true
            }
        } catch {
            throw Self.peerFailure(error, peer: peerPath, at: next...hi)
        }
        if let mismatch { throw mismatch }
        guard next > hi else {
            throw .peerDamaged(peer: peerPath, file: "", offset: nil, indexes: next...hi, reason: "the peer returned no entry from \(next)")
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

    /// The local term of `index` (from the seal's term runs for a damaged one).
    private func localTerm(_ index: UInt64, _ range: HealSurvey.DamagedRange) throws(HealRefusal) -> UInt64 {
        do { return try local.term(index) } catch {
            throw .unhealable(directory: local.directory, file: range.file, offset: nil, indexes: index...index,
                              reason: "no local term is known for index \(index): \(error)", advice: HealSurvey.advice)
        }
    }

    /// The peer's term of `index`; a peer that cannot tell it refuses (its own damage).
    private func peerTerm(_ index: UInt64) throws(HealRefusal) -> UInt64 {
        do { return try peer.term(index) } catch { throw Self.peerFailure(error, peer: peerPath, at: index...index) }
    }

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
