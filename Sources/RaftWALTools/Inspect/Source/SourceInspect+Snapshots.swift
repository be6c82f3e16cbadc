import Foundation
import RaftInterop

extension Inspect {
    /// `snapshots --extract INDEX --output FILE` on an etcd or Swarm log:
    /// the snapshot's state-machine data. Swarm: the decrypted store
    /// snapshot (`api.Snapshot` protobuf: membership and every store object,
    /// secret and config payloads and the cluster's keys in clear), so it
    /// needs `--show-secrets`. etcd: the raft snapshot's `data` (etcd 3.x:
    /// the v2 store, JSON); the key-value data lives in `snap/db` and
    /// `*.snap.db` files, which are not part of a `.snap` and not extracted.
    static func extractSourceSnapshot(_ s: LogSource, index: UInt64, outputPath: String?, showSecrets: Bool,
                                      format: OutputFormat, output: Output) throws(ToolFailure) -> ExitStatus {
        guard let outputPath else { throw ToolFailure("--extract needs --output FILE") }
        let files = s.snapshots.filter { $0.index == index }
        guard !files.isEmpty else {
            throw ToolFailure("no snapshot at index \(index) (have: \(s.snapshots.map { String($0.index) }.joined(separator: ", ")))")
        }
        if s.kind == .swarm {
            if s.encryption?.locked == true {
                throw ToolFailure("the swarm is autolocked: --extract needs --unlock-key SWMKEY-1-... to decrypt the snapshot")
            }
            if !showSecrets {
                let counts = files.first { $0.problem == nil }?.objectCounts ?? []
                let secrets = counts.first { $0.0 == "secrets" }?.1 ?? 0, configs = counts.first { $0.0 == "configs" }?.1 ?? 0
                throw ToolFailure("a Swarm snapshot is the whole store in clear: \(secrets) secret\(secrets == 1 ? "" : "s") and "
                    + "\(configs) config\(configs == 1 ? "" : "s") with their payloads, and the cluster's keys (CA signing key, "
                    + "unlock and network keys); pass --show-secrets to extract it anyway")
            }
        }
        guard let kept = s.snapshotData else {
            let bad = files[0]
            output.err("raft-inspect: snapshot \(bad.name) is damaged: \(bad.problem ?? "its data could not be opened")\n")
            return .damage
        }
        let file = files.first { $0.name == kept.name } ?? files[0]
        var notes: [String] = []
        switch s.kind {
        case .swarm:
            notes.append("this file holds the swarm's secrets, configs and keys in clear: protect it like the unlock key")
        case .etcd:
            let dbs = s.otherFiles.filter { $0.name.hasSuffix(".snap.db") || $0.name.hasSuffix("/db") }.map(\.name)
            notes.append("etcd keeps the key-value data in the v3 backend (snap/db, and *.snap.db received from a leader), "
                + "not in .snap files: not extracted" + (dbs.isEmpty ? "" : " (present: \(dbs.joined(separator: ", ")); copy them with cp)"))
        case .raftwal:
            break
        }
        let what = s.kind == .swarm ? "decrypted store snapshot" : "raft snapshot data"
        return try writeExtract([UInt8](kept.data), directory: s.directory, outputPath: outputPath,
                                what: "\(file.name) (index \(file.index), term \(file.term), \(what))",
                                json: [("source", sourceBriefJSON(s)), ("snapshot", .string(file.name)), ("index", .uint(file.index)),
                                       ("term", .uint(file.term)), ("content", .string(what))],
                                notes: notes, format: format, output: output)
    }
}
