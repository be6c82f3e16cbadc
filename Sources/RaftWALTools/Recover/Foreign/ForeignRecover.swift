import Foundation
import RaftInterop
import RaftWAL

/// `raft-recover force-new-cluster` and `repair` on a Docker Swarm
/// manager's state directory (`<data-root>/swarm`, or the data root above
/// it) and `repair` on an etcd member's data directory.
///
/// Pipeline: locate → refuse if a daemon holds it → read with the
/// interop reader (``LogSourceReader``, the one reader of these formats) →
/// judge what can be carried (``UsableLog``) → plan (kept, dropped, added,
/// hard state) → refuse a loss of committed entries without
/// `--accept-data-loss` → encode one new WAL file (``EtcdWALEncoder``) and
/// check it by reading it back → build the result tree in the staging
/// directory (every other file copied byte for byte) → report → present.
/// Writes go through ``Staging`` and the options' file system only; see
/// `docs/RECOVER.md` ("Docker Swarm managers") for what is written and why.
package struct ForeignRecover: Sendable {
    package enum Command: String, Sendable { case forceNewCluster = "force-new-cluster", repair }

    /// The directory as the operator named it.
    package var source: String
    package var command: Command
    package var options: RecoverOptions
    /// Force the kind (`--source`) instead of detecting it.
    package var kind: SourceKind?
    /// `--unlock-key SWMKEY-1-…` for an autolocked swarm.
    package var unlockKey: String?
    /// `--applied-index`: an index the store is known to have applied, above the persisted commit.
    package var appliedIndex: UInt64?

    package init(source: String, command: Command, options: RecoverOptions, kind: SourceKind? = nil,
                unlockKey: String? = nil, appliedIndex: UInt64? = nil) {
        self.source = normalizedDirectory(source)
        self.command = command
        self.options = options
        self.kind = kind
        self.unlockKey = unlockKey
        self.appliedIndex = appliedIndex
    }

    /// The same, with the kind spelled as `--source` takes it (`swarm`, `etcd`, `raftwal`; nil: detect).
    package init(source: String, command: Command, options: RecoverOptions, sourceKind: String?,
                unlockKey: String? = nil, appliedIndex: UInt64? = nil) {
        self.init(source: source, command: command, options: options, kind: sourceKind.flatMap(SourceKind.init(rawValue:)),
                  unlockKey: unlockKey, appliedIndex: appliedIndex)
    }

    /// True when `directory` should go to this command rather than the RaftWAL one.
    package static func handles(_ directory: String, sourceKind: String?) -> Bool {
        handles(directory, kind: sourceKind.flatMap(SourceKind.init(rawValue:)))
    }

    /// True when `directory` is an etcd or Swarm directory (or `kind` forces one).
    package static func handles(_ directory: String, kind: SourceKind?) -> Bool {
        if kind == .raftwal { return false }
        if kind != nil { return true }
        return SourceLocator.locate(directory, kind: nil) != nil
    }

    /// Plans and (unless a dry run or a refusal) performs the command.
    ///
    /// - Throws: ``RecoverError/usage(_:)`` (etcd force-new-cluster, a locked
    ///   swarm without its key, a bad `--applied-index`), ``RecoverError/environment(_:)``
    ///   (not a source, held by a daemon, output taken),
    ///   ``RecoverError/damage(_:advice:)`` (nothing usable), ``RecoverError/writeFailed(_:)``.
    package func run() throws(RecoverError) -> RecoverReport {
        guard let loc = SourceLocator.locate(source, kind: kind), loc.kind != .raftwal else {
            throw .environment(.notALog(path: source, reason: kind == .etcd
                ? "no member/wal or wal directory (an etcd data directory was expected)"
                : "no raft/wal-v3-encrypted (a Docker Swarm state directory, <data-root>/swarm, was expected)"))
        }
        let root = try rootDirectory(loc)
        if loc.kind == .etcd && command == .forceNewCluster {
            throw .usage("""
                force-new-cluster is not done on etcd members: etcd keeps its membership and applied \
                (consistent) index in the bbolt store member/snap/db too, which rewriting the WAL cannot \
                keep in step. Use etcd's own procedure on a copy: `etcdutl snapshot restore` (from a \
                snapshot, with the new --initial-cluster), or start the survivor once with \
                `etcd --force-new-cluster`. `raft-recover repair` does work on etcd WAL and snap files.
                """)
        }
        let staging = Staging(fs: options.fileSystem, source: root, target: options.target)
        if let done = try previousRun(staging, root: root, loc: loc) { return done }

        let walFiles = realDirectoryNames(loc.walDirectory).filter { $0.hasSuffix(".wal") }.map { loc.walDirectory + "/" + $0 }
        if let busy = ForeignLockProbe.holder(walFiles: walFiles, root: root, kind: loc.kind.rawValue) {
            throw .environment(.invalidArgument(busy))
        }
        let src = try read(root, loc)
        var plan = try makePlan(src, root: root, loc: loc, staging: staging)
        if plan.report.outcome == .refused || plan.report.outcome == .nothingToDo || options.dryRun { return plan.report }
        do { plan.report.sourceWALDigest = try walDigest(options.fileSystem, root + "/" + relativeWAL(loc)) } catch {
            throw .environment(error)
        }
        return try execute(&plan, root: root, loc: loc, staging: staging)
    }

    // MARK: - Reading

    /// The directory the command copies and presents: the `swarm` directory
    /// (even when the data root above it was named), or the etcd data directory.
    func rootDirectory(_ loc: SourceLocation) throws(RecoverError) -> String {
        switch loc.kind {
        case .swarm: return normalizedDirectory(loc.swarmRoot ?? source)
        case .etcd:
            if loc.walLabel == "member/wal" || loc.walLabel == "wal" { return source }
            throw .usage("\(source) is a bare WAL directory: name the etcd data directory (the one holding member/) so that snap/ is carried too")
        case .raftwal: return source
        }
    }

    func relativeWAL(_ loc: SourceLocation) -> String {
        loc.walLabel.hasPrefix("swarm/") ? String(loc.walLabel.dropFirst(6)) : loc.walLabel
    }

    func relativeSnap(_ loc: SourceLocation) -> String? {
        loc.snapLabel.map { $0.hasPrefix("swarm/") ? String($0.dropFirst(6)) : $0 }
    }

    func read(_ root: String, _ loc: SourceLocation) throws(RecoverError) -> LogSource {
        let reader = LogSourceReader(directory: root, options: .init(kind: loc.kind, unlockKey: unlockKey, keepRecords: true))
        do {
            guard let s = try reader.read() else { throw RecoverError.environment(.notALog(path: root, reason: "not an etcd or Swarm directory")) }
            return s
        } catch let e as InteropError {
            switch e {
            case .notASource, .unreadable: throw RecoverError.environment(.invalidArgument(e.description))
            default: throw RecoverError.usage(e.description)
            }
        } catch let e as RecoverError {
            throw e
        } catch {
            throw RecoverError.usage("\(error)")
        }
    }
}
