import ArgumentParser
import RaftInterop
import RaftWALTools
import ToolMain

/// `raft-inspect`: a read-only view of a RaftWAL data directory. The logic
/// lives in `RaftWALTools.Inspect`; this file only parses arguments.
@main
struct RaftInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-inspect",
        abstract: "See everything in a RaftWAL, etcd or Docker Swarm data directory, read-only, in text or JSON.",
        discussion: """
            Never modifies the directory and takes no lock: safe on a live directory and on a copy.
            The directory may be a RaftWAL data directory, an etcd data directory (member/wal, member/snap)
            or a bare etcd WAL directory, or a Docker Swarm state directory (/var/lib/docker/swarm, or the
            --data-root above it); the kind is detected, or forced with --source.
            A damaged directory is inspected as far as it can be read.

            Exit status: 0 healthy, 1 damage found, 2 usage or environment error.
            A torn tail (left by a crash; the engine cuts it on the next open) exits 0 unless --strict.
            JSON schemas: docs/TOOLS.md.
            """,
        version: raftWALVersion,
        subcommands: [Summary.self, Segments.self, Entries.self, HardStateCommand.self, Snapshots.self, Members.self,
                      Verify.self, Stats.self, Compare.self],
        defaultSubcommand: nil)

    /// Runs the command with the tools' conventions (`runAsTool`).
    static func main() { runAsTool("raft-inspect") }
}

extension OutputFormat: ExpressibleByArgument {}
extension SourceKind: ExpressibleByArgument {}
extension DataRendering: ExpressibleByArgument {}

/// Options every subcommand takes.
struct Common: ParsableArguments {
    @Argument(help: "The data directory.")
    var directory: String

    @OptionGroup var source: SourceSelection

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text
}

/// How to read the directory: its kind, the Swarm unlock key, secrets.
struct SourceSelection: ParsableArguments {
    @Option(help: "The directory's kind: raftwal, etcd or swarm (default: detected).")
    var source: SourceKind?

    @Option(name: .customLong("unlock-key"),
            help: "A locked swarm's unlock key, SWMKEY-1-... (`docker swarm unlock-key` prints it).")
    var unlockKey: String?

    @Flag(name: .customLong("show-secrets"),
          help: "Show Swarm secret and config data and the cluster's keys (redacted to a length and a hash by default).")
    var showSecrets = false

    var options: Inspect.SourceOptions { .init(kind: source, unlockKey: unlockKey, showSecrets: showSecrets) }
}

/// Runs a subcommand's logic and turns its status into the exit code.
func finish(_ body: (Output) throws(ToolFailure) -> ExitStatus) throws {
    let output = Output.standard()
    defer { output.flush() }
    let status = try body(output)
    if status != .healthy { throw ExitCode(status.rawValue) }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segments, index range, hard state, snapshots, members, bytes and a health verdict.")
    @OptionGroup var common: Common
    @Flag(help: "Count crash shapes the engine handles (a torn tail, ...) as damage.")
    var strict = false

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.summary(directory: common.directory, format: common.format, strict: strict, source: common.source.options, output: o) }
    }
}

struct Segments: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One row per segment: header fields, records, byte ranges, state.")
    @OptionGroup var common: Common
    @Flag(help: "Every record: offset, length, stored/raw size, compression, CRC, index range.")
    var records = false

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.segments(directory: common.directory, format: common.format, records: records, source: common.source.options, output: o) }
    }
}

struct Entries: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The log's entries in index order (JSON Lines with --format json).")
    @OptionGroup var common: Common
    @Option(help: "First index shown.") var from: UInt64?
    @Option(help: "Last index shown (inclusive).") var to: UInt64?
    @Option(help: "Only entries of this term.") var term: UInt64?
    @Option(help: "Only entries of this type: normal or conf-change.") var type: String?
    @Option(help: "At most this many entries.") var limit: Int?
    @Option(help: "Payload rendering: none, hex, utf8 or base64 (default utf8 for text, base64 for json). etcd/Swarm: the (decrypted) plaintext, shown in text only when this is given.")
    var data: DataRendering?
    @Option(help: "Cut rendered payloads to this many characters, 0 for no limit (default 64 for text, 0 for json).")
    var width: Int?

    func validate() throws {
        if let type, type != "normal" && type != "conf-change" {
            throw ValidationError("--type must be normal or conf-change")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        if let width, width < 0 { throw ValidationError("--width must not be negative") }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() throws {
        let json = common.format == .json
        let filter = Inspect.EntryFilter(
            from: from, to: to, term: term, kind: type.map { $0 == "normal" ? .normal : .confChange }, limit: limit,
            data: data ?? (json ? .base64 : .utf8), width: width ?? (json ? 0 : 64))
        try finish { (o) throws(ToolFailure) in try Inspect.entries(directory: common.directory, format: common.format, filter: filter, source: common.source.options, dataGiven: data != nil, output: o) }
    }
}

struct HardStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardstate", abstract: "The persisted term, vote and commit index, and where they were read.")
    @OptionGroup var common: Common

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.hardState(directory: common.directory, format: common.format, source: common.source.options, output: o) }
    }
}

struct Snapshots: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Snapshot files, newest first, verified; --extract writes one snapshot's data to a file.")
    @OptionGroup var common: Common
    @Option(help: "Index of the snapshot whose data to write.") var extract: UInt64?
    @Option(help: "File to write the extracted data to (must not exist, outside the data directory); - for stdout.") var output: String?

    func validate() throws {
        if extract != nil && output == nil { throw ValidationError("--extract needs --output FILE") }
        if output != nil && extract == nil { throw ValidationError("--output needs --extract INDEX") }
    }

    func run() throws {
        try finish { (o) throws(ToolFailure) in
            try Inspect.snapshots(directory: common.directory, format: common.format, extract: extract, outputPath: output, source: common.source.options, output: o)
        }
    }
}

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Membership as of the last index and as of the commit index, like `docker node ls`.")
    @OptionGroup var common: Common

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.members(directory: common.directory, format: common.format, source: common.source.options, output: o) }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every CRC, header, index, term, the commit index and the snapshots; report every problem.",
        discussion: """
            Decodes every batch and reports every problem found, not just the first, each with its file,
            byte offset and index range, and what the engine's strict open says about the directory.
            DAMAGE lines (exit 1) are what the engine refuses or skips; NOTICE lines are shapes a crash
            leaves that the engine handles itself (a torn tail it cuts, an interrupted seal, leftover
            files, a snapshot ahead of the log): exit 0, or 1 with --strict.
            """)
    @OptionGroup var common: Common
    @Flag(help: "Count crash shapes the engine handles (a torn tail, ...) as damage.")
    var strict = false

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.verify(directory: common.directory, format: common.format, strict: strict, source: common.source.options, output: o) }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Entries and bytes per term and type, batch sizes, compression ratio.")
    @OptionGroup var common: Common

    func run() throws {
        try finish { (o) throws(ToolFailure) in try Inspect.stats(directory: common.directory, format: common.format, source: common.source.options, output: o) }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Several members' logs side by side: divergence, entries only some hold, the member to recover from.",
        discussion: """
            For each directory (one per member, any kind): last index and term, commit, snapshot, membership.
            Then the first index where the logs diverge (entries of different terms), the index ranges only
            some members hold, the members with the highest commit, and the member to recover from after
            quorum loss: the most up-to-date log that holds every entry any member committed.
            Exit 1 when any directory is damaged.
            """)
    @Argument(help: "Two or more data directories, one per member.")
    var directories: [String]
    @OptionGroup var source: SourceSelection
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if directories.count < 2 { throw ValidationError("compare needs at least two directories") }
    }

    func run() throws {
        try finish { (o) throws(ToolFailure) in
            try Inspect.compare(directories: directories, format: format, source: source.options, output: o)
        }
    }
}
