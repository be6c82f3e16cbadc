/// The whole-log checks that need every file read: where the log starts,
/// the commit index, snapshot files against the WAL's snapshot records,
/// and entries that cannot be decrypted.
///
/// | case | severity |
/// |---|---|
/// | entries before the first held one, not covered by a valid snapshot | damage |
/// | a hole inside the log (after damage), below a usable snapshot | notice; else damage (from the reader) |
/// | hard state commit beyond the last index | damage |
/// | a snapshot file that does not verify | damage (notice when a newer one verifies) |
/// | the newest WAL snapshot record has no file, and the log does not cover what follows the newest usable one | damage, else notice |
/// | a snapshot file with no WAL record, or beyond the commit index | notice (etcd does not load it) |
/// | an undecryptable entry at or below the newest usable snapshot | notice (an older key, rotated away) |
/// | an undecryptable entry above it | damage |
enum SourceChecks {
    static func run(_ s: inout LogSource) {
        let walIndexes = Set(s.walSnapshots.map(\.index))
        for k in s.snapshots.indices { s.snapshots[k].inWAL = walIndexes.contains(s.snapshots[k].index) }
        let commit = s.hardState?.commit ?? 0
        let usable = s.snapshots.first { $0.problem == nil }
        let usableIndex = usable?.index ?? 0

        // A hole in the log that a usable snapshot file replaces is not a loss.
        for k in s.findings.indices where s.findings[k].kind == "index-gap" {
            if let r = s.findings[k].indexes, r.upperBound <= usableIndex {
                s.findings[k].severity = .notice
                s.findings[k].message = (r.count == 1 ? "entry \(r.lowerBound) is" : "entries \(formatIndexes(r)) are") + " missing from the log, but the snapshot at \(usableIndex) replaces \(r.count == 1 ? "it" : "them")"
            }
        }

        for (k, f) in s.snapshots.enumerated() {
            if let p = f.problem {
                let newerValid = s.snapshots[..<k].contains { $0.problem == nil }
                s.findings.append(SourceFinding(newerValid ? .notice : .damage, "bad-snapshot", file: f.name,
                    indexes: f.index...f.index, "snapshot file does not verify: \(p)"))
                continue
            }
            if !f.inWAL {
                s.findings.append(SourceFinding(.notice, "snapshot-without-record", file: f.name, indexes: f.index...f.index,
                    "no WAL snapshot record names index \(f.index) (written before a crash, or after a live daemon's WAL was read); etcd does not load it"))
            }
            if s.hardState != nil && f.index > commit {
                s.findings.append(SourceFinding(.notice, "snapshot-beyond-commit", file: f.name, indexes: f.index...f.index,
                    "snapshot index \(f.index) is beyond the hard state's commit \(commit); etcd does not load it"))
            }
        }

        if let newest = s.newestWALSnapshot, newest.index > 0, !s.snapshots.contains(where: { $0.index == newest.index && $0.problem == nil }) {
            let covered = logCovers(s, from: usableIndex + 1, to: newest.index)
            s.findings.append(SourceFinding(covered ? .notice : .damage, "snapshot-file-missing", file: newest.file,
                offset: newest.offset, indexes: newest.index...newest.index,
                "the WAL's snapshot record at index \(newest.index) has no valid snapshot file"
                    + (covered ? "; the log still holds the entries after the newest usable one" : "; entries \(usableIndex + 1)...\(newest.index) are lost")))
        }

        if let first = s.firstIndex, first > 1, first - 1 > usableIndex {
            let walCovers = s.walSnapshots.contains { $0.index + 1 >= first && $0.index > 0 }
            s.findings.append(SourceFinding(.damage, "log-start-gap", file: s.entries.first?.file, offset: s.entries.first?.offset,
                indexes: (usableIndex + 1)...(first - 1),
                "entries \(usableIndex + 1)...\(first - 1) are neither in the log nor in a valid snapshot file"
                    + (walCovers ? " (the WAL names a snapshot there, but its file is missing or broken)" : "")))
        }

        if let hs = s.hardState, hs.commit > s.lastIndex {
            s.findings.append(SourceFinding(.damage, "commit-beyond-log", file: hs.file, offset: hs.offset,
                indexes: (s.lastIndex + 1)...hs.commit,
                "hard state commit \(hs.commit) is beyond the last index \(s.lastIndex): committed entries are missing"))
        }

        // Undecryptable entries, in runs.
        var runStart: SourceEntry?
        var runEnd: SourceEntry?
        func flush() {
            guard let a = runStart, let b = runEnd else { return }
            let below = b.index <= usableIndex
            s.findings.append(SourceFinding(below ? .notice : .damage, "undecryptable", file: a.file, offset: a.offset,
                indexes: a.index...b.index,
                below ? "entries \(a.index)...\(b.index) cannot be decrypted with the keys in the key file; they are below the snapshot at \(usableIndex), which replaces them (a key rotation leaves this)"
                      : "entries \(a.index)...\(b.index) cannot be decrypted: \(a.problem ?? "no key opens them")"))
            runStart = nil
            runEnd = nil
        }
        for e in s.entries where !(s.encryption?.locked ?? false) {
            if e.plaintext == nil {
                let sameSide = runStart.map { ($0.index <= usableIndex) == (e.index <= usableIndex) } ?? true
                if !sameSide { flush() }
                if runStart == nil { runStart = e }
                runEnd = e
            } else {
                flush()
            }
        }
        flush()
    }

    static func formatIndexes(_ r: ClosedRange<UInt64>) -> String {
        r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)...\(r.upperBound)"
    }

    /// True when every index in `from...to` is a live entry.
    static func logCovers(_ s: LogSource, from: UInt64, to: UInt64) -> Bool {
        guard from <= to else { return true }
        guard let first = s.firstIndex, first <= from, let last = s.entries.last?.index, last >= to else { return false }
        return s.entries.filter { $0.index >= from && $0.index <= to }.count == Int(to - from + 1)
    }
}
