import Foundation
import RaftWAL

extension Inspect {
    /// `snapshots`: every snapshot file, newest first, verified. With
    /// `extract`, writes that snapshot's data to `outputPath` (which must not
    /// exist and must be outside the data directory), or to stdout when it is `-`.
    package static func snapshots(directory: String, format: OutputFormat, extract: UInt64?, outputPath: String?,
                                 source: SourceOptions = SourceOptions(), output: Output) throws(ToolFailure) -> ExitStatus {
        if let s = try foreignSource(directory, source) {
            if extract != nil { throw ToolFailure("--extract reads RaftWAL snapshots only; \(directory) is \(s.kind.rawValue)") }
            return sourceSnapshots(s, format: format, output: output)
        }
        let listing: DirectoryListing
        do { listing = try DirectoryListing(directory: directory) } catch { throw ToolFailure(error.description) }
        guard listing.looksLikeALog else {
            throw ToolFailure("\(directory) is not a RaftWAL data directory: no segment or snapshot files")
        }
        let list = SnapshotFiles.list(directory: directory)
        if let unreadable = list.first(where: { if case .io? = $0.problem { return true } else { return false } }) {
            throw ToolFailure("cannot read \(unreadable.name): \(unreadable.problem!.description)")
        }
        if let index = extract {
            return try extractSnapshot(directory: directory, list: list, index: index, outputPath: outputPath, format: format, output: output)
        }
        if outputPath != nil { throw ToolFailure("--output needs --extract INDEX") }
        switch format {
        case .json:
            output.line(JSON.object([
                ("directory", .string(directory)), ("source", raftWALSourceJSON),
                ("snapshots", .array(list.map { s in
                    .object([
                        ("name", .string(s.name)), ("index", .uint(s.index)), ("term", .uint(s.term)),
                        ("fileBytes", .uint(s.fileBytes)), ("dataBytes", .uint(s.dataBytes)), ("compressed", .bool(s.compressed)),
                        ("members", s.membership.map(Members.membersJSON) ?? .null),
                        ("valid", .bool(s.problem == nil)), ("problem", .optional(s.problem?.description)),
                    ])
                })),
            ]).pretty())
        case .text:
            if list.isEmpty { output.line("no snapshot files") } else {
                var t = TextTable(["FILE", "INDEX", "TERM", "BYTES", "DATA", "LZ4", "MEMBERS", "STATUS"],
                                  alignments: [.left, .right, .right, .right, .right, .left, .right, .left])
                for s in list {
                    t.add([s.name, String(s.index), String(s.term), String(s.fileBytes), s.problem == nil ? String(s.dataBytes) : "-",
                           s.problem == nil ? (s.compressed ? "yes" : "no") : "-",
                           s.membership.map { String($0.members.count) } ?? "-",
                           s.problem.map { output.style.bad("DAMAGED: " + $0.description) } ?? output.style.good("ok")])
                }
                output.line(t.render())
            }
        }
        return list.contains { $0.problem != nil } ? .damage : .healthy
    }

    static func extractSnapshot(directory: String, list: [SnapshotFileInfo], index: UInt64, outputPath: String?,
                                format: OutputFormat, output: Output) throws(ToolFailure) -> ExitStatus {
        guard let outputPath else { throw ToolFailure("--extract needs --output FILE") }
        guard let info = list.first(where: { $0.index == index && $0.problem == nil }) else {
            if let bad = list.first(where: { $0.index == index }) {
                output.err("raft-inspect: snapshot \(bad.name) is damaged: \(bad.problem?.description ?? "")\n")
                return .damage
            }
            throw ToolFailure("no snapshot at index \(index) (have: \(list.map { String($0.index) }.joined(separator: ", ")))")
        }
        // `-` is stdout, as for most Unix tools: the data goes there and the
        // one-line report to stderr.
        let toStdout = outputPath == "-"
        let target = URL(fileURLWithPath: outputPath).standardizedFileURL
        if !toStdout {
            let dir = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath()
            if target.deletingLastPathComponent().resolvingSymlinksInPath().path == dir.path {
                throw ToolFailure("refusing to write \(outputPath) inside the data directory (raft-inspect never modifies it)")
            }
            // lstat: a dangling symlink exists too, and is never written through.
            if let kind = POSIXFileSystem().fileKind(target.path) {
                throw ToolFailure("\(outputPath) exists (\(kind.rawValue)); not overwriting it")
            }
        }
        let snapshot: Snapshot
        do { snapshot = try SnapshotInspector.read(directory: directory, name: info.name) } catch {
            output.err("raft-inspect: \(error.description)\n")
            return .damage
        }
        if toStdout {
            output.outBytes(snapshot.data)
            output.err("raft-inspect: wrote \(snapshot.data.count) bytes of \(info.name) (index \(info.index), term \(info.term)) to stdout\n")
            return .healthy
        }
        do throws(WALError) {
            try writeNew(snapshot.data, to: target.path)
        } catch {
            throw ToolFailure("cannot write \(outputPath): \(error.description)")
        }
        switch format {
        case .json:
            output.line(JSON.object([
                ("snapshot", .string(info.name)), ("index", .uint(info.index)), ("term", .uint(info.term)),
                ("output", .string(outputPath)), ("dataBytes", .uint(UInt64(snapshot.data.count))),
            ]).pretty())
        case .text:
            output.line("wrote \(snapshot.data.count) bytes of \(info.name) (index \(info.index), term \(info.term)) to \(outputPath)")
        }
        return .healthy
    }

    /// Writes `bytes` as the new file `path` through the engine's
    /// ``Durability/createNewFile(_:contents:)`` on ``POSIXFileSystem``
    /// (`O_NOFOLLOW`: a symlink planted at `path` fails the open instead of
    /// redirecting the write), synced with its directory entry; a partial
    /// file is removed on failure (a full disk, say).
    private static func writeNew(_ bytes: [UInt8], to path: String) throws(WALError) {
        try Durability(fs: POSIXFileSystem(), directory: parentDirectory(of: path)).createNewFile(nameInParent(path), contents: bytes)
    }
}
