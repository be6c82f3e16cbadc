import RaftInterop
import RaftWAL

/// The one model `raft-inspect`'s subcommands render, whatever wrote the
/// directory: a ``LogSource`` holds the facts every kind has (files,
/// index range, hard state, snapshots, findings); for a RaftWAL directory,
/// ``raftwal`` is the analysis it was made from (``LogAnalysis``, the
/// Analyzer's output), whose RaftWAL-only facts (identity and epoch, the
/// engine's verdict, what a live writer added during the pass) a renderer
/// adds in their own fields, as it adds Swarm's identity and encryption.
/// Pipeline: load (``Inspect/inspected(_:_:_:decode:keepLive:keepRecords:allowLocked:)``) → render.
struct InspectedLog {
    var log: LogSource
    /// Set for a RaftWAL directory.
    var raftwal: LogAnalysis?

    var kind: SourceKind { log.kind }
    var directory: String { log.directory }
    /// A RaftWAL log's entries are streamed from its segments, not held in
    /// ``LogSource/entries``: its index range comes from the analysis.
    var firstIndex: UInt64? { raftwal.map { $0.firstIndex } ?? log.firstIndex }
    var lastIndex: UInt64 { raftwal?.lastIndex ?? log.lastIndex }
    var lastTerm: UInt64 { raftwal?.lastTerm ?? log.lastTerm }
    /// The highest index the commit may name: the log's last index, or a
    /// newer valid snapshot's (RaftWAL; an etcd/Swarm WAL records its snapshots).
    var commitLimit: UInt64 { max(lastIndex, raftwal?.newestValidSnapshot?.index ?? 0) }
    /// Entry records read: RaftWAL segments' entries; etcd/Swarm live and replaced entries.
    var entryRecords: Int {
        raftwal.map { $0.segments.reduce(0) { $0 + $1.entryCount } } ?? log.entries.count + log.replaced.count
    }
    var recordCount: Int { log.walFiles.reduce(0) { $0 + $1.recordCount } }

    /// The `source` object of every JSON document: kind and version, and for
    /// etcd/Swarm (in `summary` and `verify`) identity and encryption.
    func sourceJSON(full: Bool) -> JSON {
        if raftwal != nil { return Inspect.raftWALSourceJSON }
        return full ? Inspect.sourceJSON(log) : Inspect.sourceBriefJSON(log)
    }
}

extension Inspect {
    /// Reads `directory` into the common model: an etcd or Swarm log through
    /// ``LogSourceReader``, a RaftWAL directory through the Analyzer and
    /// ``LogSource/init(raftWAL:)``. Unreadable input is exit 2.
    static func inspected(_ directory: String, _ source: SourceOptions, _ output: Output, decode: Bool = false,
                          keepLive: Bool = false, keepRecords: Bool = false, allowLocked: Bool = false) throws(ToolFailure) -> InspectedLog {
        if let s = try foreignSource(directory, source, keepRecords: keepRecords, allowLocked: allowLocked) {
            return InspectedLog(log: s, raftwal: nil)
        }
        let a = try analyze(directory, output, decode: decode, keepLive: keepLive)
        return InspectedLog(log: LogSource(raftWAL: a), raftwal: a)
    }

    /// A finding as JSON: `label` is the decision-table row or the problem's
    /// kind (null for a RaftWAL finding that is no table row).
    static func findingJSON(_ f: SourceFinding) -> JSON {
        .object([
            ("severity", .string(f.severity.rawValue)), ("label", .optional(f.kind.isEmpty ? nil : f.kind)), ("file", .optional(f.file)),
            ("offset", .optional(f.offset)), ("bytes", .optional(f.bytes)), ("indexes", .range(f.indexes)),
            ("message", .string(f.message)),
        ])
    }

    /// `[label] ` before a finding's line, when it has one.
    static func labelPrefix(_ f: SourceFinding) -> String { f.kind.isEmpty ? "" : "[\(f.kind)] " }

    /// The hard state as JSON: term, vote, commit, and where it was read when known.
    static func logHardStateJSON(_ h: SourceHardState?) -> JSON {
        guard let h else { return .null }
        var fields: [(String, JSON)] = [("term", .uint(h.term)), ("vote", .uint(h.vote)), ("commit", .uint(h.commit))]
        if !h.file.isEmpty { fields += [("file", .string(h.file)), ("offset", .uint(h.offset))] }
        return .object(fields)
    }
}

extension LogSource {
    /// A RaftWAL directory's analysis in the common model (the RaftWAL
    /// adapter): segments as the log's files, the hard state and where it was
    /// read, snapshots, and findings labelled with their decision-table row.
    /// Entries are not copied: they are streamed from the segments
    /// (``LiveEntries``) when a subcommand needs them.
    init(raftWAL a: LogAnalysis) {
        var identity = SourceIdentity()
        identity.raftID = a.identity?.memberID
        identity.clusterID = a.identity.map { "\($0.clusterID)" }
        self.init(kind: .raftwal, version: "RaftWAL segment format (docs/FORMAT.md)", directory: a.directory, walDirectory: ".",
                  snapDirectory: ".", identity: identity)
        walFiles = a.segments.map { s in
            var f = WALFile(name: s.name, seq: s.seqFromName, firstIndexFromName: s.firstIndexFromName, fileBytes: s.fileBytes)
            f.recordCount = s.recordCount
            f.entryCount = s.entryCount
            f.dataEndOffset = s.dataEndOffset
            f.end = s.end.rawValue
            f.lowestIndex = s.lowestIndex
            f.highestIndex = s.highestIndex
            f.damagedBytes = s.damagedBytes
            return f
        }
        hardState = SourceHardState(term: a.hardState.term, vote: a.hardState.vote, commit: a.hardState.commit,
                                    file: a.hardStateFile ?? "", offset: a.hardStateOffset ?? 0)
        snapshots = a.snapshots.map { s in
            var f = SnapshotFile(name: s.name, term: s.term, index: s.index, fileBytes: s.fileBytes)
            f.problem = s.problem?.description
            f.crcOK = s.problem == nil
            f.dataBytes = s.dataBytes
            if let m = s.membership {
                f.voters = m.voters.map(\.raftID)
                f.learners = m.learners.map(\.raftID)
                f.members = m.sorted.map { SourceMember(raftID: $0.raftID, name: $0.name, address: $0.address, learner: $0.role == .learner) }
            }
            return f
        }
        findings = a.findings.map { f in
            SourceFinding(f.severity == .damage ? .damage : .notice, f.label?.rawValue ?? "", file: f.file, offset: f.offset,
                          bytes: f.bytes, indexes: f.indexes, f.message)
        }
    }
}
