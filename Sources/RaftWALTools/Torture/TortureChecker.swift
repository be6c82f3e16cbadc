import RaftWAL

/// The invariants of issue 5, checked on a reopened log.
///
/// Strict (after a pure crash, an EIO or an ENOSPC): the log equals one of
/// the candidate models — the acknowledged state, or that state plus the
/// one operation the crash interrupted. That single comparison covers every
/// clause: each acknowledged entry is present with identical bytes (unless a
/// later acknowledged append replaced it), no entry that was never appended
/// appears, replaced entries do not come back, and the hard state and the
/// snapshot are the last acknowledged ones (or the interrupted operation's).
///
/// Weak (after damage to synced data): the engine may refuse to open, or
/// refuse to read, but only with ``WALError/corrupted(file:offset:indexes:reason:label:)``,
/// and every entry it does return is a version that was written at that index.
enum TortureChecker {
    /// Index of the candidate the log matches, or the reasons it matches none.
    static func strict(_ log: RaftLog, candidates: [TortureModel]) -> Result<Int, TortureViolation> {
        var reasons: [String] = []
        for (k, m) in candidates.enumerated() {
            if let why = mismatch(log, m) { reasons.append("candidate \(k): \(why)") } else { return .success(k) }
        }
        return .failure(TortureViolation(reason: reasons.joined(separator: "; ")))
    }

    /// Nil when `log` holds exactly what `m` says.
    static func mismatch(_ log: RaftLog, _ m: TortureModel) -> String? {
        if log.lastIndex != m.lastIndex { return "last index \(log.lastIndex), expected \(m.lastIndex)" }
        if log.hardState != m.hardState { return "hard state \(log.hardState), expected \(m.hardState)" }
        let snap = log.snapshotMetadata
        if snap?.index != m.snapshot?.index || snap?.term != m.snapshot?.term {
            return "snapshot \(snap.map { "\($0.index)/\($0.term)" } ?? "none"), expected \(m.snapshot.map { "\($0.index)/\($0.term)" } ?? "none")"
        }
        let first = log.firstIndex
        let covered = max(m.snapshot?.index ?? 0, m.resetIndex)
        if first > covered + 1 {
            return "first index \(first): entries \(covered + 1)..<\(first) are missing and no snapshot covers them"
        }
        if first <= m.resetIndex && first <= log.lastIndex {
            return "first index \(first) is at or below the reset at \(m.resetIndex): replaced entries came back"
        }
        var i = first
        while i <= log.lastIndex {
            let chunk: [Entry]
            do { chunk = try log.entries(i, log.lastIndex + 1, maxBytes: 4 << 20) } catch {
                return "reading entries from \(i): \(error)"
            }
            if chunk.isEmpty { return "reading entries from \(i) returned nothing" }
            for e in chunk {
                guard let want = m.entries[e.index] else {
                    if e.index <= (m.snapshot?.index ?? 0) { continue }  // below the snapshot, still held
                    return "entry \(e.index) (term \(e.term)) was never acknowledged"
                }
                if e != want {
                    return "entry \(e.index) differs: term \(e.term) kind \(e.kind) \(e.data.count) bytes, expected term \(want.term) kind \(want.kind) \(want.data.count) bytes"
                }
            }
            i = chunk.last!.index + 1
        }
        if m.snapshot != nil {
            do {
                guard let s = try log.latestSnapshot() else { return "the snapshot is unreadable" }
                let fp = TorturePayload.fingerprint(term: s.metadata.term, kind: .normal, data: s.data)
                if fp != m.snapshotFingerprint || s.metadata.membership != m.snapshot!.membership {
                    return "snapshot \(s.metadata.index) has other bytes than were saved"
                }
            } catch { return "reading the snapshot: \(error)" }
        }
        return nil
    }

    /// How a weakly checked log fared. A cut that dropped acknowledged state
    /// is *reported* when the open said so (a T5 damaged tail, or any label
    /// that is damage to the inspector), and *silent* when it passed for a
    /// torn write (T1) or a clean end: the loss issue 14 item 8 counts.
    enum WeakOutcome: String {
        case intact, detectedAtOpen = "detected at open", detectedAtRead = "detected at read"
        case cutReported = "cut, reported"
        case cutSilently = "cut silently"
        /// Every acknowledged entry and the hard state are there; only the
        /// snapshot is an older one (the newest snapshot file was lost or
        /// damaged, its entries are still in the log).
        case olderSnapshot = "older snapshot, log intact"
    }

    /// True when the open's report names a possible loss of acknowledged data.
    static func reportsLoss(_ report: RecoveryReport) -> Bool {
        report.labels.contains { RecoveryDecision.action($0, .inspect) == .damage }
    }

    /// The weak check: corrupted bytes are never returned as an entry.
    /// `model` is the state the log is judged against (the interrupted
    /// operation's candidate when there is one, with every version ever
    /// written); a log that lacks some of it but equals one of `candidates`
    /// (the acknowledged state: the interrupted, never acknowledged
    /// operation simply did not survive) lost nothing acknowledged: intact.
    static func weak(_ log: RaftLog, model: TortureModel, candidates: [TortureModel] = []) -> Result<WeakOutcome, TortureViolation> {
        var detected = false
        var i = log.firstIndex
        while i <= log.lastIndex {
            let entries: [Entry]
            do { entries = try log.entries(i, min(log.lastIndex + 1, i + 256), maxBytes: 4 << 20) } catch {
                guard error.isCorruption else {
                    return .failure(TortureViolation(reason: "reading \(i) failed with a non-corruption error: \(error)"))
                }
                detected = true
                i += 1
                continue
            }
            for e in entries {
                let versions = model.history[e.index] ?? []
                if !versions.contains(TorturePayload.fingerprint(e)) {
                    return .failure(TortureViolation(reason: "entry \(e.index) (term \(e.term), \(e.data.count) bytes) was never written: corrupted bytes returned as an entry"))
                }
            }
            i = (entries.last?.index ?? i) + 1
        }
        if detected { return .success(.detectedAtRead) }
        if log.lastIndex < model.lastIndex || mismatch(log, model) != nil {
            if candidates.contains(where: { mismatch(log, $0) == nil }) { return .success(.intact) }
            // The model with the log's (older) snapshot: nothing else differs?
            var withSnapshot = model
            withSnapshot.snapshot = log.snapshotMetadata
            if let s = try? log.latestSnapshot() {
                withSnapshot.snapshotFingerprint = TorturePayload.fingerprint(term: s.metadata.term, kind: .normal, data: s.data)
            }
            if model.snapshot != nil, (log.snapshotMetadata?.index ?? 0) < model.snapshot!.index, mismatch(log, withSnapshot) == nil {
                return .success(.olderSnapshot)
            }
            return .success(reportsLoss(log.recoveryReport) ? .cutReported : .cutSilently)
        }
        return .success(.intact)
    }
}

/// A broken invariant.
package struct TortureViolation: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}
