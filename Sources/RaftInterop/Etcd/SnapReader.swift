import Foundation
import SwiftProtobuf

typealias PBSnapFile = Raftinterop_Etcd_SnapFile
typealias PBRaftSnapshot = Raftinterop_Etcd_RaftSnapshot

/// Reads and verifies etcd-format `.snap` files.
///
/// Format: `snappb.snapshot{1 crc uint32, 2 data bytes}`; `crc` is CRC-32C
/// of `data` alone; `data` is `raftpb.Snapshot{1 data, 2 metadata{1
/// conf_state, 2 index, 3 term}}`; the name is `%016x-%016x.snap` (term, index).
///
/// A snapshot file is valid if and only if: it is non-empty, decodes, its
/// CRC matches, its metadata decodes and agrees with its name.
struct SnapReader {
    let directory: String
    let label: String
    /// Opens the state-machine data (Swarm decrypts and decodes it into the
    /// file's membership and counts; etcd keeps its size) and returns it
    /// (Swarm: the plaintext; nil when it cannot be opened).
    var openData: (Data, inout SnapshotFile) -> Data? = { data, file in
        file.dataBytes = UInt64(data.count)
        return data
    }
    /// The index of the snapshot whose opened data ``run()`` returns
    /// (`snapshots --extract`); nil keeps none.
    var keepDataOf: UInt64?
    /// Called with each file's path just before it is read: tests remove the
    /// file here, as a running daemon does between the listing and the read.
    var willRead: (String) -> Void = { _ in }

    /// What ``run()`` found in the snap directory.
    struct Listing {
        /// Snapshot files, newest first.
        var files: [SnapshotFile] = []
        /// Other files in the directory (name, size).
        var others: [(String, UInt64)] = []
        /// The opened data of the snapshot ``keepDataOf`` names.
        var kept: (name: String, data: Data)?
        /// Files listed but gone before they were read (a running daemon purges old snapshots).
        var vanished: [String] = []
    }

    func run() throws(InteropError) -> Listing {
        var listing = Listing()
        for name in FileBytes.list(directory) {
            guard let (term, index) = parseHexPairName(name, ext: "snap") else {
                if !name.hasPrefix(".") { listing.others.append((name, FileBytes.size(directory + "/" + name))) }
                continue
            }
            let path = directory + "/" + name
            var file = SnapshotFile(name: label + "/" + name, term: term, index: index, fileBytes: FileBytes.size(path))
            willRead(path)
            switch FileBytes.presence(path) {
            case .absent:
                listing.vanished.append(file.name)
                continue
            case .other:
                file.problem = "not a regular file"
            case .regular:
                guard let data = try FileBytes.readIfPresent(path, label: file.name) else {
                    listing.vanished.append(file.name)
                    continue
                }
                let opened = verify(data, &file)
                // Names sort by term first: the last valid file for the index has the highest term.
                if index == keepDataOf, file.problem == nil, let opened { listing.kept = (file.name, opened) }
            }
            listing.files.append(file)
        }
        listing.files.sort { ($0.index, $0.term) > ($1.index, $1.term) }
        return listing
    }

    /// Verifies one file's bytes into `file`; returns the opened state-machine data.
    @discardableResult
    func verify(_ data: Data, _ file: inout SnapshotFile) -> Data? {
        if data.isEmpty { file.problem = "empty file"; return nil }
        guard let snap = try? PBSnapFile(serializedBytes: data) else {
            file.problem = "does not decode as a snap file"
            return nil
        }
        let crc = RunningCRC.extend(0, snap.data)
        guard snap.hasCrc, crc == snap.crc else {
            file.problem = String(format: "crc mismatch: file says %08x, data gives %08x", snap.crc, crc)
            return nil
        }
        file.crcOK = true
        guard let raft = try? PBRaftSnapshot(serializedBytes: snap.data) else {
            file.problem = "snapshot data does not decode as a raft snapshot"
            return nil
        }
        let meta = raft.metadata
        if meta.index != file.index || meta.term != file.term {
            file.problem = "metadata says index \(meta.index) term \(meta.term); the name says index \(file.index) term \(file.term)"
            return nil
        }
        file.voters = meta.confState.voters
        file.learners = meta.confState.learners
        return openData(raft.data, &file)
    }
}
