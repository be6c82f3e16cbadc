import RaftWAL

/// What one inspection pass observed about the directory as a whole (a
/// sequence gap, a start no snapshot covers, orphans, a snapshot against
/// the log, the commit index, temporaries), each with the findings that
/// name it. The pass decides nothing here: ``findings()`` fills the
/// engine's `RecoveryDecision.DirectoryFacts`, takes the rows from
/// `RecoveryDecision.labels(_:)` and the severity from
/// `RecoveryDecision.action(_, .inspect)` (`docs/RECOVERY.md`, "One
/// inspection pass").
struct DirectoryObservations {
    /// One observed fact, the rows it leads to on its own, and the finding that names it.
    private struct Observation {
        let fact: (inout RecoveryDecision.DirectoryFacts) -> Void
        /// The fact alone, on fresh ``RecoveryDecision/DirectoryFacts``.
        let alone: RecoveryDecision.DirectoryFacts
        /// `RecoveryDecision.labels(alone)`.
        let labels: [RecoveryLabel]
        let finding: Finding
    }

    private var observed: [Observation] = []

    /// Records that `fact` holds, with the finding that describes it (its label and severity are decided later).
    mutating func observe(_ fact: @escaping (inout RecoveryDecision.DirectoryFacts) -> Void,
                          file: String?, offset: UInt64? = nil, indexes: ClosedRange<UInt64>? = nil, _ message: String) {
        var alone = RecoveryDecision.DirectoryFacts()
        fact(&alone)
        observed.append(Observation(fact: fact, alone: alone, labels: RecoveryDecision.labels(alone),
                                    finding: Finding(.damage, nil, file: file, offset: offset, indexes: indexes, message)))
    }

    /// True when an observation sets `fact` (read on a fresh ``RecoveryDecision/DirectoryFacts``).
    func has(_ read: (RecoveryDecision.DirectoryFacts) -> Bool) -> Bool {
        observed.contains { read($0.alone) }
    }

    /// The directory-level findings, in the table's order of evaluation:
    /// every row `RecoveryDecision.labels` gives for all the facts together,
    /// each with the findings of the observations whose fact alone leads to
    /// that row.
    func findings() -> [Finding] {
        var facts = RecoveryDecision.DirectoryFacts()
        for o in observed { o.fact(&facts) }
        var out: [Finding] = []
        for label in RecoveryDecision.labels(facts) {
            let severity: Finding.Severity = RecoveryDecision.action(label, .inspect) == .damage ? .damage : .notice
            for o in observed where o.labels.contains(label) {
                var f = o.finding
                f.label = label
                f.severity = severity
                out.append(f)
            }
        }
        return out
    }
}
