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
    /// One observed fact and what its findings name (file, offset, indexes, message).
    private struct Observation {
        let fact: (inout RecoveryDecision.DirectoryFacts) -> Void
        let findings: [Finding]
    }

    private var observed: [Observation] = []

    /// Records that `fact` holds, with the findings that describe it (their label and severity are decided later).
    mutating func observe(_ fact: @escaping (inout RecoveryDecision.DirectoryFacts) -> Void,
                          file: String?, offset: UInt64? = nil, indexes: ClosedRange<UInt64>? = nil, _ message: String) {
        let finding = Finding(.damage, nil, file: file, offset: offset, indexes: indexes, message)
        observed.append(Observation(fact: fact, findings: [finding]))
    }

    /// True when an observation sets `fact` (read on a fresh ``RecoveryDecision/DirectoryFacts``).
    func has(_ read: (RecoveryDecision.DirectoryFacts) -> Bool) -> Bool {
        observed.contains { o in
            var one = RecoveryDecision.DirectoryFacts()
            o.fact(&one)
            return read(one)
        }
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
            for o in observed {
                var one = RecoveryDecision.DirectoryFacts()
                o.fact(&one)
                guard RecoveryDecision.labels(one).contains(label) else { continue }
                for var f in o.findings {
                    f.label = label
                    f.severity = severity
                    out.append(f)
                }
            }
        }
        return out
    }
}
