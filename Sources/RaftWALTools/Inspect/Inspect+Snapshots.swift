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
        // Streamed: one verified chunk in memory at a time (a chunked,
        // version-2 snapshot has no size cap). The file's totals are checked
        // after the last chunk: on damage the partial output file is removed.
        let written: UInt64
        if toStdout {
            do throws(WALError) {
                written = try SnapshotInspector.forEachChunk(directory: directory, name: info.name) { output.outBytes($0); return true }
            } catch {
                output.err("raft-inspect: \(error.description) (the bytes already written to stdout are not a valid snapshot)\n")
                return .damage
            }
            output.err("raft-inspect: wrote \(written) bytes of \(info.name) (index \(info.index), term \(info.term)) to stdout\n")
            return .healthy
        }
        // O_NOFOLLOW: a symlink planted at the path fails the open instead of
        // redirecting the write; a partial file is removed on any failure.
        let fs = POSIXFileSystem()
        let handle: any RaftWAL.FileHandle
        do throws(WALError) { handle = try fs.open(target.path, access: .readWrite, create: true) } catch {
            throw ToolFailure("cannot write \(outputPath): \(error.description)")
        }
        var offset: UInt64 = 0
        var writeError: WALError? = nil
        do throws(WALError) {
            written = try SnapshotInspector.forEachChunk(directory: directory, name: info.name) { chunk in
                do throws(WALError) { try handle.write(chunk, at: offset) } catch { writeError = error; return false }
                offset += UInt64(chunk.count)
                return true
            }
            if writeError == nil { try handle.sync(dataOnly: false) }
        } catch {
            handle.close()
            try? fs.remove(target.path)
            if writeError == nil, error.isCorruption {
                output.err("raft-inspect: \(error.description) (nothing written)\n")
                return .damage
            }
            throw ToolFailure("cannot write \(outputPath): \((writeError ?? error).description)")
        }
        handle.close()
        if let writeError {
            try? fs.remove(target.path)
            throw ToolFailure("cannot write \(outputPath): \(writeError.description)")
        }
        switch format {
        case .json:
            output.line(JSON.object([
                ("snapshot", .string(info.name)), ("index", .uint(info.index)), ("term", .uint(info.term)),
                ("output", .string(outputPath)), ("dataBytes", .uint(written)),
            ]).pretty())
        case .text:
            output.line("wrote \(written) bytes of \(info.name) (index \(info.index), term \(info.term)) to \(outputPath)")
        }
        return .healthy
    }
}
