import RaftWAL

/// The explicit mode `heal` reads a damaged log in: open past damaged
/// committed entries, and say exactly which index ranges are damaged.
///
/// The engine's strict open already opens past a damaged record inside a
/// sealed segment (it trusts the seal's summary and decodes no body), so the
/// log answers its first and last index, its hard state and, from the seal's
/// term runs, the term of every index, damaged ones included; only reading a
/// damaged entry fails. What it does not say is where the damage is: that is
/// `raft-inspect verify`'s survey (``Analyzer`` decoding every body), the
/// same one `repair` checks its result with, so the tools keep one reader of
/// the truth. Every damaged range it names must be inside the log with a
/// term the engine knows, and its first entry must fail to read through the
/// engine; anything else (a segment header, the last segment, a snapshot) is
/// damage `heal` cannot bound, and is refused with the file and offset.
///
/// The engine's default opens are unchanged: this is a read-only view.
struct HealSurvey {
    /// A damaged index range of the local log and where verify found it.
    struct DamagedRange: Sendable {
        var indexes: ClosedRange<UInt64>
        var file: String?
        var offset: UInt64?
        var reason: String
    }

    /// Damaged ranges, sorted and merged (adjacent damaged records join).
    let damaged: [DamagedRange]
    /// Further findings after a damaged record in the same segment, which
    /// follow from it (the healed result must verify without them).
    let consequences: [Finding]

    /// Surveys `log` (opened strict and read-only from `directory`).
    ///
    /// - Throws: ``HealRefusal/unhealable(directory:file:offset:indexes:reason:advice:)``
    ///   for damage without a bounded, termed index range.
    init(log: RaftLog, directory: String, fileSystem: any FileSystem) throws(HealRefusal) {
        var o = Analyzer.Options()
        o.decodeBodies = true
        let analysis: LogAnalysis
        do { analysis = try Analyzer(directory: directory, options: o, fileSystem: fileSystem).run() } catch {
            throw .unhealable(directory: directory, file: nil, offset: nil, indexes: nil, reason: "the survey could not run: \(error)",
                              advice: Self.advice)
        }
        var found: [DamagedRange] = []
        var followers: [Finding] = []
        let records = analysis.damage.filter { $0.label == .corruptRecord && $0.indexes != nil }
        for finding in analysis.damage where !records.contains(finding) {
            // What verify's replay meets after a record it could not read (a hard state
            // "beyond" the entries it skipped, the next segment starting after a "gap"
            // that is those entries) is that record's consequence, not damage of its
            // own; the result is verified again before it is presented.
            let later = records.contains { r in
                finding.file != nil && r.file == finding.file && (r.offset ?? .max) < (finding.offset ?? 0)
            }
            let sameEntries = records.contains { r in
                guard let mine = finding.indexes, let theirs = r.indexes else { return false }
                return theirs.lowerBound <= mine.lowerBound && mine.upperBound <= theirs.upperBound
            }
            if later || sameEntries {
                followers.append(finding)
                continue
            }
            throw .unhealable(directory: directory, file: finding.file, offset: finding.offset, indexes: finding.indexes,
                              reason: finding.message + " (heal replaces damaged records of the log only)", advice: Self.advice)
        }
        for finding in records {
            guard let indexes = finding.indexes, indexes.lowerBound >= log.firstIndex, indexes.upperBound <= log.lastIndex else {
                throw .unhealable(directory: directory, file: finding.file, offset: finding.offset, indexes: finding.indexes,
                                  reason: finding.message + " (heal replaces damaged entries of the log only)", advice: Self.advice)
            }
            for i in [indexes.lowerBound, indexes.upperBound] where (try? log.term(i)) == nil {
                throw .unhealable(directory: directory, file: finding.file, offset: finding.offset, indexes: indexes,
                                  reason: "no term is known for index \(i) (only a sealed segment's summary gives the term of a damaged entry)",
                                  advice: Self.advice)
            }
            // The engine must agree the entry is unreadable: a finding it reads past is not ours to replace.
            guard (try? log.entry(indexes.lowerBound)) == nil else {
                throw .unhealable(directory: directory, file: finding.file, offset: finding.offset, indexes: indexes,
                                  reason: "verify calls this damaged but the engine reads index \(indexes.lowerBound): " + finding.message,
                                  advice: Self.advice)
            }
            found.append(DamagedRange(indexes: indexes, file: finding.file, offset: finding.offset, reason: finding.message))
        }
        damaged = Self.merged(found)
        consequences = followers
    }

    static let advice = "heal replaces only damaged records inside sealed segments, whose seal records each entry's term; "
        + "for damage the engine's open stops at use `raft-recover repair` (or restore this member from another member)"

    /// Sorted, overlapping or adjacent ranges joined (the first one's file and offset kept).
    static func merged(_ ranges: [DamagedRange]) -> [DamagedRange] {
        var out: [DamagedRange] = []
        for r in ranges.sorted(by: { $0.indexes.lowerBound < $1.indexes.lowerBound }) {
            if let last = out.last, r.indexes.lowerBound <= last.indexes.upperBound &+ 1 {
                out[out.count - 1].indexes = last.indexes.lowerBound...max(last.indexes.upperBound, r.indexes.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
