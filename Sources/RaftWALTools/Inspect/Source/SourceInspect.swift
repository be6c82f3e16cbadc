import Foundation
import RaftInterop

extension Inspect {
    /// Which reader a subcommand uses and what it may reveal.
    package struct SourceOptions: Sendable {
        /// Forced kind (`--source`); nil: detect.
        package var kind: SourceKind?
        /// `--unlock-key SWMKEY-1-…` for an autolocked swarm.
        package var unlockKey: String?
        /// `--show-secrets`: secret and config data, cluster keys, shown instead of redacted.
        package var showSecrets: Bool

        package init(kind: SourceKind? = nil, unlockKey: String? = nil, showSecrets: Bool = false) {
            self.kind = kind
            self.unlockKey = unlockKey
            self.showSecrets = showSecrets
        }
    }

    /// The etcd or Swarm log in `directory`, or nil when it is a RaftWAL
    /// directory (or `--source raftwal`). Unreadable input is exit 2.
    static func foreignSource(_ directory: String, _ options: SourceOptions, keepRecords: Bool = false,
                              allowLocked: Bool = false, keepSnapshotData: UInt64? = nil) throws(ToolFailure) -> LogSource? {
        if options.kind == .raftwal { return nil }
        let s: LogSource?
        do throws(InteropError) {
            s = try LogSourceReader(directory: directory,
                                    options: .init(kind: options.kind, unlockKey: options.unlockKey, keepRecords: keepRecords,
                                                   allowLocked: allowLocked, keepSnapshotData: keepSnapshotData)).read()
        } catch {
            throw ToolFailure(error.description)
        }
        if s == nil && options.unlockKey != nil {
            throw ToolFailure("--unlock-key applies to Docker Swarm directories only; \(directory) is not one")
        }
        return s
    }

    /// Tells stderr that damage was found, for subcommands whose stdout is data.
    static func noteDamage(_ s: LogSource, _ output: Output) -> ExitStatus {
        let status = s.status(strict: false)
        if status == .damage {
            output.err("raft-inspect: damage found (\(s.damage.count) problem\(s.damage.count == 1 ? "" : "s")); run `raft-inspect verify \(s.directory)` for details\n")
        }
        return status
    }

    static func sourceJSON(_ s: LogSource) -> JSON {
        var fields: [(String, JSON)] = [("kind", .string(s.kind.rawValue)), ("version", .string(s.version)),
                                        ("walDirectory", .string(s.walDirectory)), ("snapDirectory", .optional(s.snapDirectory))]
        let id = s.identity
        fields.append(("raftID", .optional(id.raftID)))
        if s.kind == .swarm {
            fields.append(("raftIDHex", .optional(id.raftID.map { String($0, radix: 16) })))
            fields.append(("nodeID", .optional(id.nodeID)))
            fields.append(("address", .optional(id.address)))
            fields.append(("clusterID", .optional(id.clusterID)))
            fields.append(("certificateRole", .optional(id.role)))
            fields.append(("certificate", .optional(id.certificate)))
            if let e = s.encryption { fields.append(("encryption", encryptionJSON(e))) }
        } else {
            fields.append(("memberIDHex", .optional(id.raftID.map { String($0, radix: 16) })))
            fields.append(("clusterIDHex", .optional(id.clusterID)))
        }
        return .object(fields)
    }

    /// Every JSON document names its source: `{"kind", "version"}` (the
    /// full object, with identity and encryption, in `summary` and `verify`).
    static func sourceBriefJSON(_ s: LogSource) -> JSON {
        .object([("kind", .string(s.kind.rawValue)), ("version", .string(s.version))])
    }

    /// The `source` object of a RaftWAL directory's documents.
    static let raftWALSourceJSON = JSON.object([("kind", .string("raftwal")), ("version", .string("RaftWAL segment format (docs/FORMAT.md)"))])

    static func encryptionJSON(_ e: EncryptionInfo) -> JSON {
        .object([
            ("autolocked", .bool(e.autolocked)), ("decrypted", .bool(!e.locked)),
            ("kekVersion", .optional(e.kekVersion)), ("privateKey", .optional(e.privateKey)),
            ("keys", .array(e.keysTried.map { .string($0) })),
            ("algorithms", .object(e.algorithms.keys.sorted().map { ($0, .uint(UInt64(e.algorithms[$0]!))) })),
            ("openedBy", .object(e.openedBy.keys.sorted().map { ($0, .uint(UInt64(e.openedBy[$0]!))) })),
            ("undecryptableEntries", .uint(UInt64(e.undecryptable))),
        ])
    }

    static func sourceMembersJSON(_ v: MembershipView) -> JSON {
        .object([
            ("index", .uint(v.index)), ("snapshotIndex", .optional(v.snapshotIndex)),
            ("changesApplied", .uint(UInt64(v.changesApplied))),
            ("members", .array(v.members.map { m in
                .object([("raftID", .uint(m.raftID)), ("raftIDHex", .string(String(m.raftID, radix: 16))),
                         ("name", .string(m.name)), ("address", .string(m.address)),
                         ("role", .string(m.learner ? "learner" : "voter")), ("addedAtIndex", .uint(m.addedAt))])
            })),
            ("removed", .array(v.removed.map { .uint($0) })),
            ("problem", .optional(v.problem)),
        ])
    }

    /// Raft IDs as Docker and etcd print them: hexadecimal.
    static func rid(_ id: UInt64) -> String { String(id, radix: 16) }
}

extension SourceFinding {
    /// `file at offset N (bytes) indexes a...b: message`, one line.
    var line: String {
        var s = file ?? "<directory>"
        if let offset { s += " at offset \(offset)" }
        if let bytes, bytes > 0 { s += " (\(bytes) bytes)" }
        if let indexes { s += " indexes \(formatRange(indexes))" }
        return s + ": " + message
    }

    var json: JSON {
        .object([
            ("severity", .string(severity.rawValue)), ("label", .string(kind)), ("file", .optional(file)),
            ("offset", .optional(offset)), ("bytes", .optional(bytes)), ("indexes", .range(indexes)),
            ("message", .string(message)),
        ])
    }
}

extension LogSource {
    /// Exit status: damage → 1; notices → 1 only when `strict`.
    func status(strict: Bool) -> ExitStatus {
        if !damage.isEmpty { return .damage }
        if strict && !notices.isEmpty { return .damage }
        return .healthy
    }

    func verdict(strict: Bool, naming: Bool = true) -> String {
        if !damage.isEmpty {
            let count = "damaged: \(damage.count) problem\(damage.count == 1 ? "" : "s")"
            return naming ? count + " (first: \(damage[0].line))" : count
        }
        if notices.isEmpty { return "healthy" }
        // A RaftWAL notice without a decision-table label is named by its message.
        let kinds = Array(Set(notices.map(\.kind).filter { !$0.isEmpty })).sorted()
        let what = kinds.isEmpty ? notices[0].message : kinds.joined(separator: ", ")
        let intro = kind == .raftwal ? "healthy, with crash shapes the engine handles: " : "healthy, with notices: "
        return (strict ? "not clean (--strict): " : intro) + what
    }
}
