import RaftInterop
import RaftWAL

extension RecoverReport {
    /// A report on an etcd or Docker Swarm source: identity from its WAL
    /// metadata (Swarm: the certificate's cluster ID, the node ID), the last
    /// hard state, the entries the reader found.
    init(foreign src: LogSource, command: String, source: String, output: String, dryRun: Bool) {
        self.command = command
        self.source = source
        self.output = output
        self.backup = nil
        self.dryRun = dryRun
        self.outcome = dryRun ? .planned : .done
        var identity = Identity(LogIdentity(clusterID: ClusterID(high: 0, low: 0), memberID: src.identity.raftID ?? 0, epoch: 0))
        identity.clusterID = src.identity.clusterID ?? "?"
        self.sourceIdentity = identity
        let hs = src.hardState
        self.sourceHardState = HardState(term: hs?.term ?? 0, vote: hs?.vote ?? 0, commit: hs?.commit ?? 0)
        self.sourceLabels = src.findings.map { "\($0.severity.rawValue):\($0.kind)" }
        if sourceLabels.isEmpty { sourceLabels = ["clean"] }
        self.sourceFirstIndex = src.firstIndex ?? 0
        self.sourceLastIndex = src.lastIndex
        self.commitIndex = hs?.commit ?? 0
        self.dropped = []
        self.droppedRanges = []
        self.droppedIncludesCommitted = false
        self.added = []
        self.membershipBefore = []
        self.membershipAfter = []
        self.backupFiles = []
        self.notes = []
        self.sourceKind = src.kind.rawValue
        self.sourceNodeID = src.identity.nodeID
    }
}

extension RecoverReport.MemberInfo {
    /// A member of a foreign log (Swarm: name = node ID, address = raft address).
    init(foreign m: SourceMember) {
        raftID = m.raftID
        name = m.name
        address = m.address
        role = m.learner ? "learner" : "voter"
        addedAtIndex = m.addedAt
    }
}

extension RecoverReport.DroppedEntry {
    /// A dropped entry of a foreign log; conf changes say what they did.
    init(_ e: SourceEntry, committed: Bool, src: LogSource) {
        index = e.index
        term = e.term
        kind = e.kind.rawValue
        dataBytes = e.storedBytes
        self.committed = committed
        if e.kind != .normal {
            change = src.confChanges(e).map { $0.map { "\($0.type.rawValue) \(String($0.raftID, radix: 16))" + ($0.name.isEmpty ? "" : " (\($0.name))") }.joined(separator: ", ") }
                ?? "unreadable (\(e.problem ?? "does not decode"))"
        }
    }
}
