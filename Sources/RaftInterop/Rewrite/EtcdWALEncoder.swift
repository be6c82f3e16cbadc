import Foundation
import SwiftProtobuf

/// Encodes an etcd-format WAL file, the inverse of ``WALFrames`` and
/// ``WALReader``: what `raft-recover` writes for Docker Swarm managers and
/// etcd members.
///
/// Format (see `docs/RECOVER.md` and the facts file, section 2):
/// `{u64 LE length word}{walpb.Record}{0-7 zero bytes}` per record, every
/// frame 8-aligned; the word's low 56 bits are the record size and its top
/// byte is `0x80 | pad` when padding follows. `Record{1 type, 2 crc, 3 data}`
/// with type and crc always written and data left out when empty. The crc of
/// a non-crc record is the running CRC-32C over every record's data since
/// the chain began; the file's first record is a crc record carrying the
/// chain's seed (0 for a log that starts here).
public struct EtcdWALEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// The running CRC-32C after the last record.
    public private(set) var crc: UInt32
    /// Records written, by type name.
    public private(set) var recordCount = 0

    /// Starts a file with its crc record holding `seed`.
    public init(seed: UInt32 = 0) {
        crc = seed
        var r = PBRecord()
        r.type = WALRecordType.crc
        r.crc = seed
        frame(r)
    }

    /// The metadata record (type 1): swarmkit's `RaftMember`, etcd's `Metadata`, copied as read.
    public mutating func metadata(_ data: Data) { append(type: WALRecordType.metadata, data: data) }

    /// A snapshot record (type 5) `{index, term}`, as etcd 3.3 writes it (no conf state).
    public mutating func snapshot(index: UInt64, term: UInt64) {
        var s = PBWalSnapshot()
        s.index = index
        s.term = term
        append(type: WALRecordType.snapshot, data: try! s.serializedData())
    }

    /// An entry record (type 2) whose data is an already serialized `raftpb.Entry` (copied byte for byte).
    public mutating func entryRecord(_ serializedEntry: Data) { append(type: WALRecordType.entry, data: serializedEntry) }

    /// An entry record (type 2) for a new entry; `kind` 0 normal, 1 conf change.
    public mutating func entry(index: UInt64, term: UInt64, kind: Int32, data: Data) {
        var e = PBEntry()
        e.type = kind
        e.term = term
        e.index = index
        e.data = data
        append(type: WALRecordType.entry, data: try! e.serializedData())
    }

    /// A hard state record (type 3), all three fields written.
    public mutating func hardState(term: UInt64, vote: UInt64, commit: UInt64) {
        var h = PBHardState()
        h.term = term
        h.vote = vote
        h.commit = commit
        append(type: WALRecordType.state, data: try! h.serializedData())
    }

    private mutating func append(type: Int64, data: Data) {
        crc = RunningCRC.extend(crc, data)
        var r = PBRecord()
        r.type = type
        r.crc = crc
        if !data.isEmpty { r.data = data }
        frame(r)
    }

    /// Length word (with the padding flag), record, zero padding.
    private mutating func frame(_ r: PBRecord) {
        let record = [UInt8](try! r.serializedData())
        let pad = (8 - record.count % 8) % 8
        var word = UInt64(record.count)
        if pad != 0 { word |= UInt64(0x80 | pad) << 56 }
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(k)))) }
        bytes += record
        bytes += [UInt8](repeating: 0, count: pad)
        recordCount += 1
    }

    /// `%016x-%016x.wal`: sequence and the index the file starts after.
    public static func fileName(seq: UInt64, index: UInt64) -> String {
        String(format: "%016llx-%016llx.wal", seq, index)
    }
}

/// Reads back the stored bytes of records a ``LogSource`` listed, so that a
/// rewrite can copy them byte for byte (entries keep their original
/// ciphertext and nonce).
public struct WALRecordBytes {
    private var files: [String: Data] = [:]
    let directory: String

    /// `directory` is ``LogSource/directory``; record files are relative to it.
    public init(directory: String) { self.directory = directory }

    /// The `data` field of the record framed at `offset` of `file` (a path
    /// relative to the source directory, as in ``SourceEntry/file``).
    /// Nil when the frame there does not decode (the reader already checked it).
    public mutating func recordData(file: String, offset: UInt64) throws(InteropError) -> Data? {
        let data: Data
        if let d = files[file] { data = d } else {
            data = try FileBytes.read(directory + "/" + file, label: file)
            files[file] = data
        }
        var frames = WALFrames(data)
        frames.offset = offset
        guard offset < UInt64(data.count), case .success(let frame) = frames.next(),
              let r = try? PBRecord(serializedBytes: frame.record) else { return nil }
        return r.data
    }
}
