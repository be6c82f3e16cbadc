/// Row A1 of `docs/RECOVERY.md`: does the directory hold everything the
/// confirmation file `ACKED` (`docs/FORMAT.md` §8.5) says was acknowledged?
/// The engine's open (`LogOpener`) and `raft-inspect verify` both ask this
/// one function, with the segments as each of them read them.
///
/// The marker must be read *before* the directory is listed: a live
/// writer's later marker could name more than the reader's listing holds,
/// while an earlier one never does (segments only grow, and the segment it
/// names is the tail or older, never compacted).
package enum AckMarkerCheck {
    /// One replayed segment, as far as its valid records go.
    package struct Segment: Sendable {
        package var name: String
        package var seq: UInt64
        package var salt: UInt64
        /// Where its valid records end: the offset of a torn tail, the end of
        /// the records of an unsealed one; nil for a sealed segment (every
        /// record before its batch table verified).
        package var validEnd: UInt64?

        package init(name: String, seq: UInt64, salt: UInt64, validEnd: UInt64?) {
            self.name = name
            self.seq = seq
            self.salt = salt
            self.validEnd = validEnd
        }
    }

    /// What is missing, where, and the indexes `ACKED` confirms beyond the log.
    package struct Shortfall: Equatable, Sendable {
        package var file: String
        package var offset: UInt64?
        package var indexes: ClosedRange<UInt64>?
        package var reason: String
    }

    /// Nil when the directory holds what `marker` confirms.
    /// - Parameters:
    ///   - segments: the replayed segments in sequence order (orphans excluded); empty when there is none.
    ///   - lastIndex: the log's last index as replayed.
    ///   - newestSnapshotIndex: the newest valid snapshot's index (0: none).
    package static func shortfall(_ marker: AckMarker, segments: [Segment], lastIndex: UInt64,
                                  newestSnapshotIndex: UInt64) -> Shortfall? {
        let beyond: ClosedRange<UInt64>? = marker.lastIndex > lastIndex ? (lastIndex + 1)...marker.lastIndex : nil
        let confirms = "\(AckMarker.fileName) (slot \(marker.counter % 2), counter \(marker.counter)) confirms"
        if let s = segments.first(where: { $0.seq == marker.seq }) {
            guard s.salt == marker.salt else {
                return Shortfall(file: s.name, offset: nil, indexes: beyond,
                                 reason: "\(confirms) records of segment seq \(marker.seq) with salt \(hex(marker.salt)), but \(s.name) has salt \(hex(s.salt)): the segment was replaced; \(lost(beyond))")
            }
            if let end = s.validEnd, end < marker.endOffset {
                return Shortfall(file: s.name, offset: end, indexes: beyond,
                                 reason: "\(confirms) records up to offset \(marker.endOffset) of \(s.name), but its valid records end at \(end): acknowledged records were lost after they were written (a lost, misdirected or damaged write); \(lost(beyond))")
            }
        } else if !segments.contains(where: { $0.seq > marker.seq }) {
            return Shortfall(file: AckMarker.fileName, offset: marker.slotOffset, indexes: beyond,
                             reason: "\(confirms) records up to offset \(marker.endOffset) of segment seq \(marker.seq), which is missing"
                                 + (segments.isEmpty ? " (no segment file at all)" : " (the last segment is seq \(segments.last!.seq))")
                                 + "; \(lost(beyond))")
        }
        if marker.snapshotIndex > newestSnapshotIndex {
            return Shortfall(file: AckMarker.fileName, offset: marker.slotOffset, indexes: nil,
                             reason: "\(confirms) a snapshot at index \(marker.snapshotIndex) (term \(marker.snapshotTerm)), but the newest valid snapshot is "
                                 + (newestSnapshotIndex == 0 ? "none" : "at \(newestSnapshotIndex)") + ": an acknowledged snapshot is lost or damaged")
        }
        return nil
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    private static func lost(_ r: ClosedRange<UInt64>?) -> String {
        guard let r else { return "the lost records held no entry beyond the last index (a truncation or a hard state)" }
        return "acknowledged entries " + (r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)...\(r.upperBound)") + " are lost"
    }
}
