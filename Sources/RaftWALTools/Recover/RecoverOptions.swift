import Foundation
import RaftWAL

/// Where a modifying command presents its result.
package enum OutputTarget: Sendable, Equatable {
    /// `--output NEWDIR`: a new directory; the source is never changed.
    case directory(String)
    /// `--in-place`: the source directory is replaced by the result and the
    /// original is kept, whole, as `DIR.raft-recover-backup[-N]`.
    case inPlace
}

/// Options shared by the `raft-recover` commands.
package struct RecoverOptions: Sendable {
    package var target: OutputTarget
    /// Print the plan and change nothing.
    package var dryRun = false
    /// Allow dropping entries at or below the commit index.
    package var acceptDataLoss = false
    /// The file system: POSIX for the CLI, a simulated one in crash tests.
    package var fileSystem: any FileSystem = POSIXFileSystem()
    /// Segment size of logs the command rebuilds (force-new-cluster, truncate).
    package var segmentSizeBytes: UInt64 = 64 << 20
    /// `.durable` except in tests that never crash.
    package var sync: SyncPolicy = .durable

    package init(target: OutputTarget) {
        self.target = target
    }

    /// Options for a log the command writes (no preallocation beyond what
    /// the segment size asks, the durability the command was given).
    func logOptions(identity: LogIdentity) -> LogOptions {
        var o = LogOptions()
        o.fileSystem = fileSystem
        o.sync = sync
        o.segmentSizeBytes = segmentSizeBytes
        o.memberID = identity.memberID
        o.clusterID = identity.clusterID
        o.epoch = identity.epoch
        // Saving the snapshot into the rebuilt log must not compact away entries just copied.
        o.compactionKeepEntries = .max
        return o
    }

    /// Options to read the source: read-only, no lock, nothing changed.
    func sourceOptions(recovery: RecoveryMode = .strict) -> LogOptions {
        var o = LogOptions.readOnly
        o.fileSystem = fileSystem
        o.recovery = recovery
        return o
    }

    /// The rule every command that cuts the log obeys: entries at or below the
    /// commit index are dropped only with ``acceptDataLoss``. When the cut in
    /// `report` breaks it, marks the report refused with `why(report)` and
    /// returns true: the command must stop there, having written nothing.
    func refusesCommittedLoss(_ report: inout RecoverReport, why: (RecoverReport) -> String) -> Bool {
        guard report.droppedIncludesCommitted && !acceptDataLoss else { return false }
        report.refusal = why(report)
        report.outcome = .refused
        return true
    }
}

/// `a/b/` → `a/b`, so that derived names (`a/b.raft-recover-staging`) land beside the directory.
func normalizedDirectory(_ path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    return p
}

/// `path` with symbolic links resolved (`realpath`); a path that does not
/// exist yet resolves through its parent. Unresolvable: `path` as given.
func resolvedPath(_ path: String) -> String {
    func real(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
    let p = normalizedDirectory(path)
    if let r = real(p) { return r }
    let parent = parentDirectory(of: p), name = String(p.split(separator: "/").last ?? "")
    if let r = real(parent) { return normalizedDirectory(r) + "/" + name }
    return p
}

/// True when `path` is `directory` or lies inside it.
func isWithin(_ path: String, _ directory: String) -> Bool {
    path == directory || path.hasPrefix(directory == "/" ? "/" : directory + "/")
}
