import Testing
import RaftWAL

/// The decision function against the table of `docs/RECOVERY.md`: every
/// combination of facts the scanner can produce lands on the row the
/// table's prose states, every segment row is reachable, and every mode has
/// one action per row.
@Suite("Recovery decision function")
struct RecoveryDecisionTests {
    /// The table's "situation" column for one segment, read from RECOVERY.md
    /// (written here from the prose, not from `RecoveryDecision`).
    static func rowTheTableStates(_ f: SegmentFacts) -> RecoveryLabel {
        if f.header == .unreadable { return .badSegmentHeader }          // C2
        if f.header == .foreign { return .foreignSegment }               // C3
        if f.start == .gap || f.end == .ruleBroken { return .indexGap }  // C6
        let last = f.position == .last
        switch f.end {
        case .torn: return last ? .tornTail : .interruptedSeal           // T1 / T2
        case .tornWrittenWhole: return last ? .damagedTail : .interruptedSeal  // T5 / T2
        case .corruptBeforeItsSeal: return last ? .corruptRecord : .interruptedSeal  // C1 / T2
        case .corrupt: return .corruptRecord                             // C1
        case .sealed: return last ? .lostTailSegment : .clean            // C5 / unsealed, R0
        case .sealedDuringRead, .trustedSeal, .clean: return .clean      // R0
        case .notRead, .ruleBroken: return .badSegmentHeader             // not producible
        }
    }

    @Test func everyProducibleCombinationOfSegmentFactsLandsOnTheRowTheTableStates() {
        let space = SegmentFacts.producible
        // Valid and following on: 8 ends per position; a gap, an unreadable or a foreign header: not read (2 positions each).
        #expect(space.count == 22, "producible facts: \(space.count)")
        var reached: Set<RecoveryLabel> = []
        for facts in space {
            let label = RecoveryDecision.label(facts)
            #expect(label == Self.rowTheTableStates(facts), "\(facts): the decision says \(label.rawValue)")
            reached.insert(label)
        }
        let segmentRows: Set<RecoveryLabel> = [.clean, .tornTail, .damagedTail, .interruptedSeal, .corruptRecord, .badSegmentHeader,
                                               .foreignSegment, .lostTailSegment, .indexGap]
        #expect(reached == segmentRows)
    }

    @Test func everyCombinationOfDirectoryFactsListsEachRowOnceInTheTablesOrder() {
        let order: [RecoveryLabel] = [.leftoverTemporary, .damagedSnapshot, .snapshotAheadOfLog, .snapshotConflictsWithLog,
                                      .missingSegment, .orphanSegments, .commitBeyondLog, .acknowledgedMissing]
        var reached: Set<RecoveryLabel> = []
        for bits in 0..<(1 << 8) {
            for relation in RecoveryDecision.DirectoryFacts.SnapshotVersusLog.allCases {
                var d = RecoveryDecision.DirectoryFacts()
                d.hasSegments = bits & 1 != 0
                d.hasSnapshotFiles = bits & 2 != 0
                d.temporaries = bits & 4 != 0
                d.damagedSnapshots = bits & 8 != 0
                d.startCovered = bits & 16 != 0
                d.orphans = bits & 32 != 0
                d.commitBeyondLog = bits & 64 != 0
                d.acknowledgedMissing = bits & 128 != 0
                d.snapshotVersusLog = relation
                let labels = RecoveryDecision.labels(d)
                #expect(Set(labels).count == labels.count, "\(d): \(labels)")
                #expect(labels == order.filter(labels.contains), "\(d): \(labels) out of order")
                #expect(labels.contains(.leftoverTemporary) == d.temporaries)
                if !d.hasSegments {
                    // No segment: C4 when snapshot files remain, A1 when ACKED confirms a segment, else a new (or no) log.
                    #expect(labels.filter { $0 != .leftoverTemporary }
                            == (d.hasSnapshotFiles ? [.missingSegment] : d.acknowledgedMissing ? [.acknowledgedMissing] : []))
                } else {
                    #expect(labels.contains(.missingSegment) == !d.startCovered)
                    #expect(labels.contains(.commitBeyondLog) == d.commitBeyondLog)
                    #expect(labels.contains(.acknowledgedMissing) == d.acknowledgedMissing)
                    #expect(labels.contains(.snapshotAheadOfLog) == (relation == .ahead))
                }
                reached.formUnion(labels)
            }
        }
        #expect(reached == Set(order))
    }

    /// The columns of the table: a C row refuses in strict mode, is damage
    /// to the inspector, and keeps what precedes it in truncate mode except
    /// C4 (nothing to keep) and C7 (the commit is lowered); A1 is refused
    /// like a C row; T and S rows open (S1 and T5 are damage to the
    /// inspector all the same).
    @Test(arguments: RecoveryLabel.allCases)
    func eachRowHasTheTablesActionInEveryMode(_ label: RecoveryLabel) {
        let refused = label.rawValue.hasPrefix("C") || label.rawValue.hasPrefix("A")
        #expect(RecoveryDecision.action(label, .strict) == (refused ? .refuse : .open))
        let inspect: RecoveryDecision.Action = refused || label == .damagedSnapshot || label == .damagedTail ? .damage : label == .clean ? .open : .notice
        #expect(RecoveryDecision.action(label, .inspect) == inspect)
        let truncate: RecoveryDecision.Action = !refused ? .open
            : label == .missingSegment ? .refuse : label == .commitBeyondLog ? .lowerCommit : .keepBeforeDamage
        #expect(RecoveryDecision.action(label, .truncate) == truncate)
    }
}
