import ArgumentParser
import RaftWAL
import RaftWALTools
import ToolMain


/// `raft-recover`: offline repair and quorum-loss recovery of RaftWAL data
/// directories. The logic is in `RaftWALTools/Recover`; this file parses
/// arguments, prints the report and maps outcomes to exit codes.
@main
struct RaftRecover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-recover",
        abstract: "Repair a damaged RaftWAL log, heal it from a peer, roll it back, or force a new cluster from one survivor.",
        discussion: """
        Every command reads the source with the engine, prints what it keeps, drops and \
        writes, and with --dry-run changes nothing. Results are built beside their final \
        place and renamed into it, so a crash never leaves a partial result; the report \
        is also written into the result as raft-recover-report.json.
        Exit status: 0 done (or nothing to do), 1 damage the command cannot use or a \
        repair that would drop committed entries, 2 usage or environment error \
        (not a RaftWAL directory, locked by a running process, output exists).
        DIR may also be a Docker Swarm manager's state directory (<data-root>/swarm, or the \
        data root) or, for repair, an etcd data directory: the result is a new etcd-format WAL \
        that the daemon accepts (see docs/RECOVER.md, "Docker Swarm managers").
        See docs/RECOVER.md for the quorum-loss procedure.
        """,
        version: raftWALVersion,
        subcommands: [ForceNewClusterCommand.self, RepairCommand.self, TruncateCommand.self, HealCommand.self])

    /// Runs the command with the tools' conventions (`runAsTool`).
    static func main() { runAsTool("raft-recover") }
}

enum Format: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum SourceKindOption: String, ExpressibleByArgument, CaseIterable {
    case swarm, etcd, raftwal
}

/// Options for Docker Swarm manager and etcd member directories.
struct ForeignOptions: ParsableArguments {
    @Option(name: .long, help: "The kind of directory: swarm, etcd or raftwal (detected by default).")
    var source: SourceKindOption?

    @Option(name: .long, help: "Autolocked swarm: the unlock key, SWMKEY-1-... (from `docker swarm unlock-key`).")
    var unlockKey: String?
}

struct CommonOptions: ParsableArguments {
    @Argument(help: "The data directory to read.")
    var directory: String

    @Option(name: .long, help: "Write the result to this new directory; the source is left as it was.")
    var output: String?

    @Flag(name: .long, help: "Replace the directory itself, keeping the original whole as DIR.raft-recover-backup[-N].")
    var inPlace = false

    @Flag(name: .long, help: "Print the plan (kept, dropped, written) and change nothing.")
    var dryRun = false

    @Option(name: .long, help: "Report format: text or json.")
    var format: Format = .text

    @Option(name: .long, help: "Segment size in bytes of a rebuilt log.")
    var segmentSizeBytes: UInt64 = 64 << 20

    func validate(defaultInPlace: Bool) throws {
        if output != nil && inPlace { throw ValidationError("--output and --in-place exclude each other") }
        if output == nil && !inPlace && !defaultInPlace {
            throw ValidationError("give --output NEWDIR (a new directory) or --in-place (replace DIR, keeping a backup)")
        }
        if segmentSizeBytes < 64 << 10 { throw ValidationError("--segment-size-bytes must be at least 65536") }
    }

    func options() -> RecoverOptions {
        var o = RecoverOptions(target: output.map { .directory($0) } ?? .inPlace)
        o.dryRun = dryRun
        o.segmentSizeBytes = segmentSizeBytes
        return o
    }
}

/// Runs a command body and prints its report on stdout; a status other than
/// 0 is thrown as the exit code, a ``RecoverError`` as a ``ToolFailure``
/// (`raft-recover: <message>` on stderr, `runAsTool`).
func finish(_ format: Format, _ body: () throws(RecoverError) -> RecoverReport) throws {
    let report: RecoverReport
    do { report = try body() } catch {
        throw ToolFailure(error.description, status: error.exitCode == ExitStatus.damage.rawValue ? .damage : .usage)
    }
    Terminal.write((format == .json ? report.json() : report.text()) + "\n", to: 1)
    if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
}

struct ForceNewClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "force-new-cluster",
        abstract: "Make this surviving member the only voter of a new cluster (after quorum loss).",
        discussion: """
        Keeps every committed entry byte for byte, drops the entries above the commit index \
        (listed in the report), rewrites the snapshot's membership to this member alone, appends \
        configuration changes in a new term that remove every other voter and learner, and \
        records a new cluster ID and epoch (old + 1) so that members and directories from before \
        the recovery are refused. Requires --output NEWDIR or --in-place.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "This member's Raft ID, when the log's identity does not name it.")
    var member: UInt64?

    @Option(name: .long, help: "The state machine's applied index, when it is above the persisted commit index.")
    var appliedIndex: UInt64?

    @Option(name: .long, help: "The new cluster ID (32 hex digits; random by default). RaftWAL directories only.")
    var clusterID: String?

    @OptionGroup var foreign: ForeignOptions

    @Flag(name: .long, help: "Swarm: go on when damage reaches committed entries no snapshot covers (they are dropped and listed).")
    var acceptDataLoss = false

    func validate() throws {
        try common.validate(defaultInPlace: false)
        if let clusterID, ClusterID(hex: clusterID) == nil { throw ValidationError("--cluster-id must be 32 hex digits") }
    }

    func run() throws {
        if ForeignRecover.handles(common.directory, sourceKind: foreign.source?.rawValue) {
            var options = common.options()
            options.acceptDataLoss = acceptDataLoss
            let command = ForeignRecover(source: common.directory, command: .forceNewCluster, options: options,
                                         sourceKind: foreign.source?.rawValue, unlockKey: foreign.unlockKey, appliedIndex: appliedIndex)
            try finish(common.format) { () throws(RecoverError) in try command.run() }
            return
        }
        let command = ForceNewCluster(source: common.directory, options: common.options(), member: member,
                                      appliedIndex: appliedIndex, clusterID: clusterID.flatMap { ClusterID(hex: $0) })
        try finish(common.format) { () throws(RecoverError) in try command.run() }
    }
}

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Cut a torn or corrupt tail, keeping a backup of every byte removed.",
        discussion: """
        Reports exactly which entries are dropped; refuses when any is at or below the commit \
        index unless --accept-data-loss is given. In place by default (the original directory is \
        kept whole as the backup, and the cut bytes as .broken files in the result).
        """)

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Cut even when entries at or below the commit index are dropped.")
    var acceptDataLoss = false

    @OptionGroup var foreign: ForeignOptions

    func validate() throws { try common.validate(defaultInPlace: true) }

    func run() throws {
        var options = common.options()
        options.acceptDataLoss = acceptDataLoss
        if ForeignRecover.handles(common.directory, sourceKind: foreign.source?.rawValue) {
            let command = ForeignRecover(source: common.directory, command: .repair, options: options,
                                         sourceKind: foreign.source?.rawValue, unlockKey: foreign.unlockKey)
            try finish(common.format) { () throws(RecoverError) in try command.run() }
            return
        }
        let command = Repair(source: common.directory, options: options)
        try finish(common.format) { () throws(RecoverError) in try command.run() }
    }
}

struct TruncateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truncate",
        abstract: "Roll the log back so that INDEX is its last entry.",
        discussion: """
        Refuses to drop committed entries unless --accept-data-loss is given, and never goes \
        below the latest snapshot. In place by default, keeping the original as the backup.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "The last index to keep.")
    var after: UInt64

    @Flag(name: .long, help: "Drop entries at or below the commit index too.")
    var acceptDataLoss = false

    func validate() throws { try common.validate(defaultInPlace: true) }

    func run() throws {
        var options = common.options()
        options.acceptDataLoss = acceptDataLoss
        let command = Truncate(source: common.directory, after: after, options: options)
        try finish(common.format) { () throws(RecoverError) in try command.run() }
    }
}

struct HealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heal",
        abstract: "Replace damaged entries with another member's copies, when Raft's Log Matching proves them the same.",
        discussion: """
        Finds the damaged index ranges as `raft-inspect verify` does, and for each takes the \
        peer's entries only when the peer holds the first intact index after the range (at the \
        tail: the last damaged index, whose term the segment's seal records) in the same term, \
        every term in the range matches, and the peer's records verify. The peer directory is \
        opened read-only and never locked or changed. The result holds the same entries, hard \
        state, snapshots and metadata; the report lists each healed range and how it was \
        checked. In place by default (the original directory is kept whole as the backup). \
        Exit status: 0 healed (or nothing to heal), 1 when the peer cannot prove its entries \
        or the damage is not inside a sealed segment, 2 usage or environment (a peer of \
        another cluster or epoch). RaftWAL directories only (not Swarm or etcd).
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("from"), help: "The peer member's data directory to copy entries from (read only).")
    var from: String

    func validate() throws { try common.validate(defaultInPlace: true) }

    func run() throws {
        let command = Heal(source: common.directory, peer: from, options: common.options())
        try finish(common.format) { () throws(RecoverError) in try command.run() }
    }
}
