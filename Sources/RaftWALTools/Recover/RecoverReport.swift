import Foundation
import RaftWAL

/// What a `raft-recover` command planned or did: the audit record printed to
/// stdout (text or JSON) and written, as JSON, into the directory it produced.
///
/// The JSON schema is documented in `docs/TOOLS.md` ("raft-recover"). Field
/// names are stable; optional fields are omitted when they do not apply.
package struct RecoverReport: Codable, Sendable, Equatable {
    /// How the command ended.
    package enum Outcome: String, Codable, Sendable {
        /// `--dry-run`: nothing was written; the plan is what would be done.
        case planned
        /// The result directory was written and verified.
        case done
        /// Nothing needed doing (a healthy log, or a truncation point at the end).
        case nothingToDo = "nothing-to-do"
        /// The command would drop committed entries and `--accept-data-loss` was not given.
        case refused
        /// An earlier run of the same command had already produced this result
        /// (re-run after it completed, or after a crash at its last step).
        case alreadyDone = "already-done"
    }

    /// A log's identity as printed in reports.
    package struct Identity: Codable, Sendable, Equatable {
        package var clusterID: String
        package var memberID: UInt64
        package var epoch: UInt64

        package init(_ identity: LogIdentity) {
            clusterID = identity.clusterID.description
            memberID = identity.memberID
            epoch = identity.epoch
        }
    }

    /// An inclusive index range.
    package struct IndexRange: Codable, Sendable, Equatable {
        package var first: UInt64
        package var last: UInt64
        package var count: UInt64 { last >= first ? last - first + 1 : 0 }

        package init(first: UInt64, last: UInt64) {
            self.first = first
            self.last = last
        }

        package init(_ range: ClosedRange<UInt64>) { self.init(first: range.lowerBound, last: range.upperBound) }
    }

    /// A member as printed in reports (the role spelled out).
    package struct MemberInfo: Codable, Sendable, Equatable {
        package var raftID: UInt64
        package var name: String
        package var address: String
        /// `voter` or `learner`.
        package var role: String
        /// The index of the configuration change that added it (0 when unknown).
        package var addedAtIndex: UInt64

        package init(_ m: Member) {
            raftID = m.raftID
            name = m.name
            address = m.address
            role = m.role == .voter ? "voter" : "learner"
            addedAtIndex = m.addedAtIndex
        }

        static func list(_ membership: Membership) -> [MemberInfo] { membership.sorted.map(MemberInfo.init) }
    }

    /// An entry removed from the log (known because it was readable).
    package struct DroppedEntry: Codable, Sendable, Equatable {
        package var index: UInt64
        package var term: UInt64
        package var kind: String
        package var dataBytes: Int
        /// True when the entry is at or below the commit index the command honoured.
        package var committed: Bool
        /// For a configuration change, what it did (`addVoter 4 (manager-4)`).
        package var change: String?

        init(_ e: Entry, committed: Bool) {
            index = e.index
            term = e.term
            kind = "\(e.kind)"
            dataBytes = e.data.count
            self.committed = committed
            if e.kind == .confChange {
                let c = try? ConfChange(decoding: e.data, index: e.index)
                change = c.map { "\($0.type) \($0.raftID) (\($0.name))" } ?? "undecodable"
            }
        }
    }

    /// An entry the command wrote that the source did not hold.
    package struct AddedEntry: Codable, Sendable, Equatable {
        package var index: UInt64
        package var term: UInt64
        /// For example `remove 2 (manager-2)`, or `no-op`.
        package var change: String
    }

    /// The snapshot carried into the result.
    package struct SnapshotInfo: Codable, Sendable, Equatable {
        package var index: UInt64
        package var term: UInt64
        package var dataBytes: Int
        /// The membership the source snapshot recorded.
        package var membership: [MemberInfo]
        /// The membership written into the result's snapshot (differs only for force-new-cluster).
        package var resultMembership: [MemberInfo]
    }

    /// `heal`: a damaged range replaced by the peer's entries, and how it was checked.
    package struct HealedRange: Codable, Sendable, Equatable {
        package var first: UInt64
        package var last: UInt64
        /// Where the local damage is (segment file and record offset, as verify reports it).
        package var localFile: String?
        package var localOffset: UInt64?
        /// What verify found there.
        package var damage: String
        /// The index whose (index, term) agreement proves the peer's entries are the lost ones.
        package var anchorIndex: UInt64
        package var anchorTerm: UInt64
        /// Which local copy gave the anchor's term.
        package var anchor: String
        /// The peer's segment files the entries were read from.
        package var peerFiles: [String]
        /// Each check passed, in order.
        package var checks: [String]
    }

    /// `force-new-cluster`, `repair`, `truncate` or `heal`.
    package var command: String
    /// The data directory the command read.
    package var source: String
    /// Where the result is (or would be) presented.
    package var output: String
    /// Where the original directory was moved (in-place runs).
    package var backup: String?
    /// True for `--dry-run`: nothing was written.
    package var dryRun: Bool
    package var outcome: Outcome
    /// Whose log the source is.
    package var sourceIdentity: Identity
    /// Whose log the result is (force-new-cluster: new cluster ID, epoch + 1).
    package var resultIdentity: Identity?
    /// The source's hard state as the engine read it.
    package var sourceHardState: HardState
    /// The result's hard state.
    package var resultHardState: HardState?
    /// Decision-table labels the engine met reading the source (`docs/RECOVERY.md`).
    package var sourceLabels: [String]
    /// The source's first and last index as the engine read it.
    package var sourceFirstIndex: UInt64
    package var sourceLastIndex: UInt64
    /// The commit index the command honoured (persisted commit, snapshot index or `--applied-index`).
    package var commitIndex: UInt64
    /// The latest valid snapshot, carried into the result.
    package var snapshot: SnapshotInfo?
    /// Entries carried byte for byte into the result, with their original terms.
    package var kept: IndexRange?
    /// Entries readable in the source that the result does not hold.
    package var dropped: [DroppedEntry]
    /// Index ranges removed whose entries could not be read (damaged or torn records).
    package var droppedRanges: [IndexRange]
    /// Readable entries removed but not listed one by one in ``dropped``
    /// (past ``maxListedDropped``): a batch may hold 2^24 entries, and the
    /// report stays of bounded size.
    package var droppedNotListed: IndexRange?
    /// At most this many dropped entries are listed in ``dropped``.
    package static let maxListedDropped = 100
    /// True when anything dropped was at or below the commit index.
    package var droppedIncludesCommitted: Bool
    /// Entries the command appended (force-new-cluster's configuration changes).
    package var added: [AddedEntry]
    /// The source's membership (force-new-cluster: at the commit index it honours; truncate: at the last index).
    package var membershipBefore: [MemberInfo]
    /// The membership of the result.
    package var membershipAfter: [MemberInfo]
    /// Copies kept of bytes removed (`.broken` files inside the result, and the backup directory).
    package var backupFiles: [String]
    /// Facts worth an operator's attention (what was skipped and why).
    package var notes: [String]
    /// Why the command refused, when ``outcome`` is ``Outcome/refused``.
    package var refusal: String?
    /// `swarm` or `etcd` when the source was a Docker Swarm manager or an etcd
    /// member (nil: a RaftWAL directory). Their raft IDs print in hex.
    package var sourceKind: String?
    /// Swarm: the node ID (kept by the result).
    package var sourceNodeID: String?
    /// Foreign sources: CRC-32C (hex) of the source's WAL files, and of the
    /// result's, so that a re-run recognizes its own earlier result.
    package var sourceWALDigest: String?
    package var resultWALDigest: String?
    /// Foreign sources: files written into the result (relative paths).
    package var written: [String]?
    /// `heal`: the peer directory entries were taken from (read only), and its identity.
    package var peer: String?
    package var peerIdentity: Identity?
    /// `heal`: the damaged ranges replaced from the peer.
    package var healed: [HealedRange]?

    init(command: String, source: String, output: String, dryRun: Bool, log: RaftLog) {
        self.command = command
        self.source = source
        self.output = output
        self.backup = nil
        self.dryRun = dryRun
        self.outcome = dryRun ? .planned : .done
        self.sourceIdentity = Identity(log.identity)
        self.sourceHardState = log.hardState
        self.sourceLabels = log.recoveryReport.labels.map(\.rawValue)
        self.sourceFirstIndex = log.firstIndex
        self.sourceLastIndex = log.lastIndex
        self.commitIndex = log.hardState.commit
        self.dropped = []
        self.droppedRanges = []
        self.droppedNotListed = nil
        self.droppedIncludesCommitted = false
        self.added = []
        self.membershipBefore = []
        self.membershipAfter = []
        self.backupFiles = []
        self.notes = []
    }

    /// Lists the source's readable entries in `range` as dropped, the first
    /// ``maxListedDropped`` one by one and the rest as ``droppedNotListed``,
    /// reading them one at a time (`forEachEntry`).
    mutating func listDropped(_ range: ClosedRange<UInt64>, from log: RaftLog, commit: UInt64) throws(WALError) {
        var listed: [DroppedEntry] = []
        try log.forEachEntry(range.lowerBound, range.upperBound + 1) { e in
            listed.append(DroppedEntry(e, committed: e.index <= commit))
            return listed.count < Self.maxListedDropped
        }
        dropped.append(contentsOf: listed)
        if let last = listed.last?.index, last < range.upperBound {
            droppedNotListed = IndexRange(first: last + 1, last: range.upperBound)
        }
    }

    /// The report as pretty-printed JSON with sorted keys (stable across runs).
    package func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes a report written by ``json()``; nil when the bytes are not one.
    package static func decode(_ bytes: [UInt8]) -> RecoverReport? {
        try? JSONDecoder().decode(RecoverReport.self, from: Data(bytes))
    }
}
