import Foundation
import RaftInterop
import RaftWAL

extension Inspect {
    /// `snapshots`: every snapshot file, newest first, verified. RaftWAL:
    /// header and body checksums, compression, membership. etcd/Swarm: each
    /// `.snap` (CRC, metadata against the name), decrypted (Swarm) with its
    /// membership, removed list and per-collection object counts; the WAL's
    /// snapshot records; other files (`db`, `*.snap.db`). With `extract`,
    /// writes that snapshot's data to `outputPath` (which must not exist and
    /// must be outside the data directory), or to stdout when it is `-`.
    package static func snapshots(directory: String, format: OutputFormat, extract: UInt64?, outputPath: String?,
                                 source: SourceOptions = SourceOptions(), output: Output) throws(ToolFailure) -> ExitStatus {
        if outputPath != nil && extract == nil { throw ToolFailure("--output needs --extract INDEX") }
        let v: InspectedLog
        if let s = try foreignSource(directory, source, keepSnapshotData: extract) {
            if let index = extract {
                return try extractSourceSnapshot(s, index: index, outputPath: outputPath, showSecrets: source.showSecrets,
                                                 format: format, output: output)
            }
            v = InspectedLog(log: s, raftwal: nil)
        } else {
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
            // The snapshot listing alone: no segment scan.
            var a = LogAnalysis(directory: directory, listing: listing)
            a.snapshots = list
            v = InspectedLog(log: LogSource(raftWAL: a), raftwal: a)
        }
        switch format {
        case .json: output.line(snapshotsJSON(v).pretty())
        case .text: snapshotsText(v, output: output)
        }
        if v.raftwal != nil { return v.log.snapshots.contains { $0.problem != nil } ? .damage : .healthy }
        return noteDamage(v.log, output)
    }

    static func snapshotsJSON(_ v: InspectedLog) -> JSON {
        let s = v.log
        var fields: [(String, JSON)] = [
            ("directory", .string(v.directory)), ("source", v.sourceJSON(full: false)),
            ("snapshots", .array(s.snapshots.enumerated().map { k, f in
                var o: [(String, JSON)] = [("name", .string(f.name)), ("index", .uint(f.index)), ("term", .uint(f.term)),
                                           ("fileBytes", .uint(f.fileBytes)), ("dataBytes", .uint(f.dataBytes))]
                if let a = v.raftwal {
                    let info = a.snapshots[k]
                    o += [("compressed", .bool(info.compressed)), ("members", info.membership.map(Members.membersJSON) ?? .null)]
                } else {
                    o += [("members", .array(f.members.map { m in
                        .object([("raftID", .uint(m.raftID)), ("raftIDHex", .string(rid(m.raftID))),
                                 ("nodeID", .string(m.name)), ("address", .string(m.address))])
                    }))]
                }
                o += [("valid", .bool(f.problem == nil)), ("problem", .optional(f.problem))]
                if v.raftwal == nil {
                    o += [
                        ("crcOK", .bool(f.crcOK)), ("inWAL", .bool(f.inWAL)),
                        ("voters", .array(f.voters.map { .uint($0) })), ("learners", .array(f.learners.map { .uint($0) })),
                        ("removed", .array(f.removed.map { .uint($0) })),
                        ("objectCounts", .object(f.objectCounts.map { ($0.0, .uint(UInt64($0.1))) })),
                        ("note", .optional(f.note)),
                    ]
                }
                return .object(o)
            })),
        ]
        if v.raftwal == nil {
            fields.append(("walSnapshotRecords", .array(s.walSnapshots.map { r in
                .object([("index", .uint(r.index)), ("term", .uint(r.term)), ("file", .string(r.file)), ("offset", .uint(r.offset))])
            })))
            fields.append(("otherFiles", .array(s.otherFiles.map { .object([("name", .string($0.name)), ("bytes", .uint($0.bytes))]) })))
        }
        return .object(fields)
    }

    static func snapshotsText(_ v: InspectedLog, output: Output) {
        let s = v.log
        let st = output.style
        if s.snapshots.isEmpty {
            output.line("no snapshot files")
        } else {
            let raftwal = v.raftwal != nil
            var t = TextTable(raftwal ? ["FILE", "INDEX", "TERM", "BYTES", "DATA", "LZ4", "MEMBERS", "STATUS"]
                                      : ["FILE", "INDEX", "TERM", "BYTES", "DATA", "MEMBERS", "STATUS"],
                              alignments: raftwal ? [.left, .right, .right, .right, .right, .left, .right, .left]
                                                  : [.left, .right, .right, .right, .right, .right, .left])
            for (k, f) in s.snapshots.enumerated() {
                let ok = f.problem == nil
                var row = [f.name, String(f.index), String(f.term), String(f.fileBytes), ok ? String(f.dataBytes) : "-"]
                if let a = v.raftwal {
                    let info = a.snapshots[k]
                    row += [ok ? (info.compressed ? "yes" : "no") : "-", info.membership.map { String($0.members.count) } ?? "-"]
                } else {
                    row += [ok ? String(max(f.members.count, f.voters.count + f.learners.count)) : "-"]
                }
                row.append(f.problem.map { st.bad("DAMAGED: " + $0) } ?? (raftwal ? st.good("ok") : st.good("verified") + (f.inWAL ? "" : ", no WAL record")))
                t.add(row)
            }
            output.line(t.render())
        }
        guard v.raftwal == nil else { return }
        // etcd/Swarm: what each verified file holds.
        for f in s.snapshots where f.problem == nil {
            output.line()
            output.line(f.name + ":")
            output.line("  voters: " + (f.voters.isEmpty ? "none" : f.voters.map(rid).joined(separator: ", "))
                + (f.learners.isEmpty ? "" : "; learners: " + f.learners.map(rid).joined(separator: ", ")))
            for m in f.members { output.line("  member \(rid(m.raftID))  node \(m.name)  address \(m.address)") }
            if !f.removed.isEmpty { output.line("  removed: " + f.removed.map(rid).joined(separator: ", ")) }
            if !f.objectCounts.isEmpty {
                output.line("  store: " + f.objectCounts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
            }
            if let note = f.note { output.line("  \(note)") }
        }
        output.line()
        output.line("WAL snapshot records: " + s.walSnapshots.map { "\($0.index)/\($0.term)" }.joined(separator: ", "))
        if !s.otherFiles.isEmpty {
            output.line("other files: " + s.otherFiles.map { "\($0.name) (\(formatBytes($0.bytes)))" }.joined(separator: ", "))
        }
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
        // Streamed: one verified chunk in memory at a time (a chunked,
        // version-2 snapshot has no size cap); the file's totals are checked
        // after the last chunk.
        return try writeExtract({ (visit: ([UInt8]) -> Bool) throws(WALError) -> UInt64 in
                                    try SnapshotInspector.forEachChunk(directory: directory, name: info.name, visit)
                                }, directory: directory, outputPath: outputPath,
                                what: "\(info.name) (index \(info.index), term \(info.term))",
                                json: [("snapshot", .string(info.name)), ("index", .uint(info.index)), ("term", .uint(info.term))],
                                format: format, output: output)
    }

    /// The bytes to extract, handed to `visit` in pieces (which returns false
    /// to stop); returns the bytes produced. A corruption error means the
    /// source failed its checks part way.
    typealias ExtractChunks = (_ visit: ([UInt8]) -> Bool) throws(WALError) -> UInt64

    /// ``writeExtract(_:directory:outputPath:what:json:notes:format:output:)``
    /// for bytes already in memory (an etcd or Swarm snapshot's data).
    static func writeExtract(_ bytes: [UInt8], directory: String, outputPath: String, what: String, json: [(String, JSON)],
                             notes: [String] = [], format: OutputFormat, output: Output) throws(ToolFailure) -> ExitStatus {
        try writeExtract({ (visit: ([UInt8]) -> Bool) throws(WALError) -> UInt64 in
                             _ = visit(bytes)
                             return UInt64(bytes.count)
                         }, directory: directory, outputPath: outputPath, what: what, json: json, notes: notes,
                         format: format, output: output)
    }

    /// Writes extracted snapshot data to `outputPath`: `-` is stdout (the
    /// data there, the one-line report on stderr, as for most Unix tools);
    /// otherwise a new file outside the data directory, never through a
    /// symlink, never over an existing file, removed again if the source
    /// turns out damaged or the disk fills.
    static func writeExtract(_ chunks: ExtractChunks, directory: String, outputPath: String, what: String, json: [(String, JSON)],
                             notes: [String] = [], format: OutputFormat, output: Output) throws(ToolFailure) -> ExitStatus {
        if outputPath == "-" {
            let written: UInt64
            do throws(WALError) { written = try chunks { output.outBytes($0); return true } } catch {
                output.err("raft-inspect: \(error.description) (the bytes already written to stdout are not a valid snapshot)\n")
                return .damage
            }
            output.err("raft-inspect: wrote \(written) bytes of \(what) to stdout\n")
            for note in notes { output.err("raft-inspect: \(note)\n") }
            return .healthy
        }
        let target = URL(fileURLWithPath: outputPath).standardizedFileURL
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        let parent = target.deletingLastPathComponent().resolvingSymlinksInPath().path
        if parent == dir || parent.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/") {
            throw ToolFailure("refusing to write \(outputPath) inside the data directory (raft-inspect never modifies it)")
        }
        // lstat: a dangling symlink exists too, and is never written through.
        if let kind = POSIXFileSystem().fileKind(target.path) {
            throw ToolFailure("\(outputPath) exists (\(kind.rawValue)); not overwriting it")
        }
        let written: UInt64
        var writeError: WALError? = nil
        do throws(WALError) {
            written = try writeNew(to: target.path) { (handle: any RaftWAL.FileHandle) throws(WALError) -> UInt64 in
                var offset: UInt64 = 0
                let produced = try chunks { chunk in
                    do throws(WALError) { try handle.write(chunk, at: offset) } catch { writeError = error; return false }
                    offset += UInt64(chunk.count)
                    return true
                }
                if let writeError { throw writeError }
                return produced
            }
        } catch {
            if writeError == nil, error.isCorruption {
                output.err("raft-inspect: \(error.description) (nothing written)\n")
                return .damage
            }
            throw ToolFailure("cannot write \(outputPath): \(error.description)")
        }
        switch format {
        case .json:
            output.line(JSON.object(json + [
                ("output", .string(outputPath)), ("dataBytes", .uint(written)),
                ("notes", .array(notes.map { .string($0) })),
            ]).pretty())
        case .text:
            output.line("wrote \(written) bytes of \(what) to \(outputPath)")
            for note in notes { output.line("note: " + note) }
        }
        return .healthy
    }

    /// Creates the new file `path` through the engine's
    /// ``Durability/createNewFile(_:fill:)`` on ``POSIXFileSystem``
    /// (`O_NOFOLLOW`: a symlink planted at `path` fails the open instead of
    /// redirecting the write), synced with its directory entry; a partial
    /// file is removed on failure (a full disk, say).
    private static func writeNew(to path: String, fill: (any RaftWAL.FileHandle) throws(WALError) -> UInt64) throws(WALError) -> UInt64 {
        try Durability(fs: POSIXFileSystem(), directory: parentDirectory(of: path)).createNewFile(nameInParent(path), fill: fill)
    }
}
