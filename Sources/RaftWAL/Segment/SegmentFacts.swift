/// What recovery observes about one segment: the inputs of the decision
/// table (`RecoveryDecision`, `docs/RECOVERY.md`). Plain values, no I/O.
///
/// The directory scan fills `position`, `header` and `start`; the segment
/// replay (``SegmentReplay``) fills `end`. Every combination the scanner can
/// produce (``isProducible``) maps to exactly one row of the table.
package struct SegmentFacts: Hashable, Sendable, CustomStringConvertible {
    /// Where the segment sits among the log's segments (orphans set aside).
    package enum Position: String, Hashable, Sendable, CaseIterable {
        case beforeLast, last
    }

    /// What its header says.
    package enum Header: String, Hashable, Sendable, CaseIterable {
        /// Verifies, agrees with the file name, and has the log's identity.
        case valid
        /// Does not verify (zeros, magic, checksum, version, sizes, flags),
        /// disagrees with the file name, or the name is not a regular file.
        case unreadable
        /// Verifies, but another log's identity (cluster, member or epoch).
        case foreign
    }

    /// Whether its first index follows the previous segment's last index + 1.
    package enum Start: String, Hashable, Sendable, CaseIterable {
        case followsOn, gap
    }

    /// How its records end (`docs/RECOVERY.md`, "Scan end").
    package enum End: String, Hashable, Sendable, CaseIterable {
        /// Not read: the header is not valid or the start does not follow on.
        case notRead
        /// A valid seal (trailer, checksum, summary in range) was taken
        /// instead of a scan. Only before the last segment.
        case trustedSeal
        /// Zeros or the end of the file after the last valid record.
        case clean
        /// The scan ends with a seal record and its trailer.
        case sealed
        /// Read-only open: sealed, but its successor was listed only after
        /// the listing the open started from (sealed during the read).
        case sealedDuringRead
        /// A record that is not valid, no valid record after it.
        case torn
        /// Torn, but the bad record bears no sign of an interrupted write
        /// (``SegmentReader/writtenWhole(at:problem:indexes:)``): written
        /// whole, then damaged, so it may have held acknowledged entries.
        case tornWrittenWhole
        /// A record that is not valid, a valid record after it.
        case corrupt
        /// Corrupt, but the valid record after the damage is the segment's
        /// own seal naming the damaged offset as its batch table and
        /// summarizing exactly the records before it (a torn seal write).
        case corruptBeforeItsSeal
        /// A valid record breaks a replay rule (FORMAT.md §5.2).
        case ruleBroken
    }

    package var position: Position
    package var header: Header
    package var start: Start
    package var end: End

    package init(position: Position, header: Header, start: Start, end: End) {
        self.position = position
        self.header = header
        self.start = start
        self.end = end
    }

    /// True for the combinations the scan and replay can produce: records
    /// are read only from a valid header whose start follows on; a seal is
    /// trusted only before the last segment; "sealed during the read" is
    /// only ever said of the last segment.
    package var isProducible: Bool {
        let read = header == .valid && start == .followsOn
        if !read { return end == .notRead && (header == .valid || start == .followsOn) }
        switch end {
        case .notRead: return false
        case .trustedSeal: return position == .beforeLast
        case .sealedDuringRead: return position == .last
        case .clean, .sealed, .torn, .tornWrittenWhole, .corrupt, .corruptBeforeItsSeal, .ruleBroken: return true
        }
    }

    /// Every combination the scanner can produce.
    package static var producible: [SegmentFacts] {
        var all: [SegmentFacts] = []
        for p in Position.allCases {
            for h in Header.allCases {
                for s in Start.allCases {
                    for e in End.allCases {
                        let f = SegmentFacts(position: p, header: h, start: s, end: e)
                        if f.isProducible { all.append(f) }
                    }
                }
            }
        }
        return all
    }

    package var description: String { "\(position.rawValue)/\(header.rawValue)/\(start.rawValue)/\(end.rawValue)" }
}
