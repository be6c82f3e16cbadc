import Foundation
import SwiftProtobuf

typealias PBRecord = Raftinterop_Etcd_WalRecord
typealias PBEntry = Raftinterop_Etcd_LogEntry
typealias PBHardState = Raftinterop_Etcd_HardStateRecord
typealias PBWalSnapshot = Raftinterop_Etcd_WalSnapshot

/// Reads every file of an etcd-format WAL directory, in sequence order,
/// read-only and lock-free, the way etcd's `ReadAll` does, but reporting
/// every problem instead of stopping at the first.
///
/// The pipeline per frame: bound the length word → decode `Record` → extend
/// the running CRC-32C over its data and compare → decode the payload by
/// type. The CRC chain runs across files: each file's crc record carries the
/// value the previous file ended with.
struct WALReader {
    /// What one pass found.
    struct Scan {
        var files: [WALFile] = []
        var records: [WALRecordInfo] = []
        var entries: [SourceEntry] = []
        var replaced: [SourceEntry] = []
        var hardState: SourceHardState?
        var snapshots: [WALSnapshotRecord] = []
        /// The payload of the first metadata record, and where it was.
        var metadata: Data?
        var findings: [SourceFinding] = []
        /// Names of files in the directory that look like leftovers (`0.tmp`, `.broken`).
        var others: [(String, UInt64)] = []
        var sawSnapshotConfState = false
    }

    /// The WAL directory (absolute) and its label relative to the inspected directory.
    let directory: String
    let label: String
    /// Keep every record's description (for `segments --records`).
    var keepRecords = false
    /// Called with each file's path just before it is read: tests remove the
    /// file here, as a running daemon does between the listing and the read.
    var willRead: (String) -> Void = { _ in }
    /// Turns an entry's stored data into plaintext (Swarm decrypts; etcd returns it as is).
    var open: (Data, UInt64) -> (plaintext: Data?, problem: String?) = { data, _ in (data, nil) }

    /// The largest last WAL file read by copying rather than mapping (etcd
    /// and swarmkit preallocate 64 MB files).
    static let copiedTailLimit: UInt64 = 96 << 20

    func run() throws(InteropError) -> Scan {
        var scan = Scan()
        var names: [(seq: UInt64, index: UInt64, name: String)] = []
        for name in FileBytes.list(directory) {
            if let (seq, index) = parseHexPairName(name, ext: "wal") {
                names.append((seq, index, name))
            } else if !name.hasPrefix(".") {
                scan.others.append((name, FileBytes.size(directory + "/" + name)))
            }
        }
        names.sort { $0.seq < $1.seq }
        if names.isEmpty { return scan }
        var crc: UInt32 = 0
        for (k, n) in names.enumerated() {
            let path = label + "/" + n.name
            if k > 0 && n.seq != names[k - 1].seq + 1 {
                scan.findings.append(SourceFinding(.damage, "sequence-gap", file: path,
                    "WAL file sequence jumps from \(names[k - 1].seq) to \(n.seq): a file is missing"))
            }
            guard FileBytes.presence(directory + "/" + n.name) != .other else {
                // A FIFO, device or symbolic link named like a WAL file is never opened.
                scan.findings.append(SourceFinding(.damage, "not-a-file", file: path,
                    "named like a WAL file but not a regular file: not read"))
                continue
            }
            willRead(directory + "/" + n.name)
            let isLast = k == names.count - 1
            // The last file is the one a starting daemon truncates (ZeroToEnd, Repair): copied, unless it is
            // far beyond etcd's 64 MB preallocation (a copy would cost its whole size in memory).
            let copy = isLast && FileBytes.size(directory + "/" + n.name) <= Self.copiedTailLimit
            guard let data = try FileBytes.readIfPresent(directory + "/" + n.name, label: path, mapped: !copy) else {
                // Listed, then removed: a running daemon purges WAL files older than its snapshots.
                scan.findings.append(SourceFinding(.notice, "removed-while-reading", file: path,
                    "listed but removed before it was read (a running daemon purges old WAL files); not read"))
                continue
            }
            var file = WALFile(name: n.name, seq: n.seq, firstIndexFromName: n.index, fileBytes: UInt64(data.count))
            readFile(data, path: path, isLast: isLast, crc: &crc, file: &file, scan: &scan)
            scan.files.append(file)
        }
        return scan
    }

    /// Scans one file's bytes on its own (the CRC chain starts at 0), as the
    /// last file of a log: the fuzz targets' entry point.
    func scanOne(_ data: Data, name: String) -> Scan {
        var scan = Scan()
        var crc: UInt32 = 0
        var file = WALFile(name: name, seq: 0, firstIndexFromName: 0, fileBytes: UInt64(data.count))
        readFile(data, path: name, isLast: true, crc: &crc, file: &file, scan: &scan)
        scan.files.append(file)
        return scan
    }

    private func readFile(_ data: Data, path: String, isLast: Bool, crc: inout UInt32, file: inout WALFile, scan: inout Scan) {
        var frames = WALFrames(data)
        var firstRecord = true
        // After damage, the next valid frame's CRC cannot be checked (the chain is broken): it reseeds it.
        var reseed = false
        while true {
            let frame: WALFrames.Frame
            switch frames.next() {
            case .success(let f): frame = f
            case .failure(let stop):
                switch stop.stop {
                case .zeros(let at):
                    if file.end != "damaged" { file.end = "zeros" }
                    if file.end != "damaged" { file.dataEndOffset = at }
                case .eof(let at):
                    if file.end != "damaged" { file.end = "eof" }
                    if file.end != "damaged" { file.dataEndOffset = at }
                case let .bad(at, why):
                    // A frame cut by the end of the file: etcd's unexpected EOF, a torn write,
                    // unless valid frames follow (then the length word itself is damaged).
                    let next = frames.nextValidFrame(after: at)
                    if badFrame(at: at, why: why, torn: isLast && next == nil, resumeAt: next, path: path, file: &file, scan: &scan),
                       let next {
                        frames.offset = next
                        reseed = true
                        continue
                    }
                }
                return
            }
            let record: PBRecord
            do {
                record = try PBRecord(serializedBytes: frame.record)
            } catch {
                let next = frames.nextValidFrame(after: frame.offset)
                let torn = isLast && frames.isTorn(from: frame.offset, bytes: frame.frameBytes)
                if badFrame(at: frame.offset, why: "record does not decode (\(error))", torn: torn, resumeAt: next,
                            path: path, file: &file, scan: &scan), let next {
                    frames.offset = next
                    reseed = true
                    continue
                }
                return
            }
            var info = WALRecordInfo(file: path, offset: frame.offset, length: frame.length, padding: frame.padding,
                                     type: record.type, crc: record.crc, computedCRC: crc, crcOK: true, detail: "")
            if record.type == WALRecordType.crc {
                // The value the previous file ended with; 0 at the start of the log (nothing to check).
                if crc != 0 && record.crc != crc && !reseed {
                    info.crcOK = false
                    scan.findings.append(SourceFinding(.damage, "crc-chain", file: path, offset: frame.offset,
                        String(format: "crc record holds %08x, the previous file ended with %08x", record.crc, crc)))
                }
                if !firstRecord {
                    scan.findings.append(SourceFinding(.notice, "crc-record-position", file: path, offset: frame.offset,
                        "a crc record that is not the file's first record"))
                }
                crc = record.crc
                info.computedCRC = crc
                info.detail = String(format: "seed %08x", record.crc)
            } else {
                let next = RunningCRC.extend(crc, record.data)
                info.computedCRC = reseed ? record.crc : next
                if next != record.crc && !reseed {
                    info.crcOK = false
                    if keepRecords { scan.records.append(info) }
                    let resume = frames.nextValidFrame(after: frame.offset)
                    let torn = isLast && frames.isTorn(from: frame.offset, bytes: frame.frameBytes)
                    if badFrame(at: frame.offset, why: String(format: "crc mismatch: record says %08x, data gives %08x", record.crc, next),
                                torn: torn, resumeAt: resume, path: path, file: &file, scan: &scan), let resume {
                        frames.offset = resume
                        reseed = true
                        continue
                    }
                    return
                }
                crc = record.crc
                info.detail = payload(record, frame: frame, path: path, file: &file, scan: &scan)
            }
            reseed = false
            firstRecord = false
            file.recordCount += 1
            if file.end != "damaged" { file.dataEndOffset = frames.offset }
            if keepRecords { scan.records.append(info) }
        }
    }

    /// A frame that does not read. In the last file, torn (etcd's repair
    /// cuts it): a notice. Anywhere else, or when valid frames follow in the
    /// same file, damage; reading resumes at `resumeAt`. Returns true when
    /// the caller should resume.
    private func badFrame(at: UInt64, why: String, torn: Bool, resumeAt: UInt64?, path: String,
                          file: inout WALFile, scan: inout Scan) -> Bool {
        if torn && resumeAt == nil {
            if file.end != "damaged" {
                file.end = "torn"
                file.dataEndOffset = at
            }
            file.damagedBytes += file.fileBytes - at
            scan.findings.append(SourceFinding(.notice, "torn-tail", file: path, offset: at, bytes: file.fileBytes - at,
                "torn write at the end of the last WAL file (\(why)); etcd's repair cuts the file here"))
            return false
        }
        let end = resumeAt ?? file.fileBytes
        if file.end != "damaged" { file.dataEndOffset = at }
        file.end = "damaged"
        file.damagedBytes += end - at
        let after = resumeAt.map { "; valid frames resume at offset \($0), read on with the CRC chain reseeded (etcd stops here)" }
            ?? "; no valid frame follows in the file"
        scan.findings.append(SourceFinding(.damage, "bad-frame", file: path, offset: at, bytes: end - at,
            "\(why)" + (torn ? "" : ", not a torn write") + after))
        return resumeAt != nil
    }

    /// Decodes a CRC-valid record's payload into the scan; returns a short description.
    private func payload(_ record: PBRecord, frame: WALFrames.Frame, path: String, file: inout WALFile, scan: inout Scan) -> String {
        switch record.type {
        case WALRecordType.metadata:
            if scan.metadata == nil { scan.metadata = record.data }
            return "\(record.data.count) bytes"
        case WALRecordType.entry:
            guard let e = try? PBEntry(serializedBytes: record.data) else {
                scan.findings.append(SourceFinding(.damage, "bad-entry", file: path, offset: frame.offset,
                    "entry record's data does not decode as a raft entry (its CRC is valid)"))
                return "undecodable entry"
            }
            addEntry(e, frame: frame, path: path, scan: &scan)
            file.entryCount += 1
            file.lowestIndex = min(file.lowestIndex ?? e.index, e.index)
            file.highestIndex = max(file.highestIndex ?? e.index, e.index)
            return "index \(e.index) term \(e.term)" + (e.type == 0 ? "" : e.type == 1 ? " conf-change" : " conf-change-v2")
        case WALRecordType.state:
            guard let hs = try? PBHardState(serializedBytes: record.data) else {
                scan.findings.append(SourceFinding(.damage, "bad-hardstate", file: path, offset: frame.offset,
                    "state record's data does not decode as a hard state"))
                return "undecodable state"
            }
            // etcd skips empty hard states; so does its reader.
            if hs.term != 0 || hs.vote != 0 || hs.commit != 0 {
                scan.hardState = SourceHardState(term: hs.term, vote: hs.vote, commit: hs.commit, file: path, offset: frame.offset)
            }
            return "term \(hs.term) vote \(String(hs.vote, radix: 16)) commit \(hs.commit)"
        case WALRecordType.snapshot:
            guard let s = try? PBWalSnapshot(serializedBytes: record.data) else {
                scan.findings.append(SourceFinding(.damage, "bad-snapshot-record", file: path, offset: frame.offset,
                    "snapshot record's data does not decode"))
                return "undecodable snapshot"
            }
            if s.hasConfState { scan.sawSnapshotConfState = true }
            scan.snapshots.append(WALSnapshotRecord(index: s.index, term: s.term, file: path, offset: frame.offset,
                                                    voters: s.hasConfState ? s.confState.voters : nil))
            return "index \(s.index) term \(s.term)"
        default:
            scan.findings.append(SourceFinding(.damage, "unknown-record", file: path, offset: frame.offset,
                "record type \(record.type) is not one etcd writes"))
            return ""
        }
    }

    /// etcd's rule: an entry for index i replaces the live entry at i and every one after it.
    private func addEntry(_ e: PBEntry, frame: WALFrames.Frame, path: String, scan: inout Scan) {
        let kind: SourceEntry.Kind = e.type == 1 ? .confChange : e.type == 2 ? .confChangeV2 : .normal
        let opened = open(e.data, e.index)
        var entry = SourceEntry(index: e.index, term: e.term, kind: kind, file: path, offset: frame.offset,
                                storedBytes: e.data.count, plaintext: opened.plaintext, problem: opened.problem)
        if let last = scan.entries.last {
            if e.index <= last.index {
                let cut = scan.entries.firstIndex { $0.index >= e.index } ?? scan.entries.count
                for var old in scan.entries[cut...] {
                    old.replacedAt = (path, frame.offset)
                    if old.index == e.index { entry.rewrote.append((old.file, old.offset, old.term)) }
                    scan.replaced.append(old)
                }
                scan.entries.removeSubrange(cut...)
            } else if e.index > last.index + 1 {
                let covered = scan.snapshots.contains { $0.index + 1 >= e.index && $0.index > last.index }
                if !covered {
                    scan.findings.append(SourceFinding(.damage, "index-gap", file: path, offset: frame.offset,
                        indexes: (last.index + 1)...(e.index - 1),
                        "entr\(e.index - last.index > 2 ? "ies \(last.index + 1)...\(e.index - 1) are" : "y \(last.index + 1) is") missing and no snapshot record covers \(e.index - last.index > 2 ? "them" : "it")"))
                }
            }
        }
        scan.entries.append(entry)
    }
}
