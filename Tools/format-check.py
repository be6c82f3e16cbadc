#!/usr/bin/env python3
"""format-check: an independent reader of RaftWAL data directories.

Written from docs/FORMAT.md and docs/RECOVERY.md only (not from the Swift
code), with the Python standard library only, to show that the format can be
reimplemented from its spec. It parses segment headers, records (CRC32C bound
to the segment salt and the record offset), LZ4 block bodies (decompressed in
pure Python), batch meta and bodies, batch-table and seal records, trailers,
snapshot files, conf changes and memberships, and the confirmation file ACKED;
replays the log; applies the recovery decision table; and prints the entries,
the hard state and the snapshot.

It never writes to the directory.

Exit status: 0 the directory is a readable log (crash leftovers that recovery
handles -- torn tail, interrupted seal, orphans, temporaries, a snapshot ahead
of or conflicting with the log -- are reported but are not damage);
1 damage found (a C or A label of the decision table, a T5 damaged tail, or a damaged snapshot);
2 usage or environment error.

Usage: format-check.py [--json] [--entries] [--records] DIRECTORY
"""

import json
import os
import signal
import stat
import struct
import sys

# ---------------------------------------------------------------- constants (FORMAT.md §1-§3)

SEGMENT_MAGIC = b"RWALSEG1"
SNAPSHOT_MAGIC = b"RWALSNP1"
TRAILER_MAGIC = b"RWALEND1"
FORMAT_VERSION = 1
SEGMENT_HEADER_BYTES = 4096
SEGMENT_HEADER_FIELD_BYTES = 128
RECORD_HEADER_BYTES = 32
TRAILER_BYTES = 16
SNAPSHOT_HEADER_BYTES = 96
MAX_BODY_BYTES = 1 << 30
MAX_ENTRIES_PER_BATCH = 1 << 24
MAX_MEMBERSHIP_BYTES = 16 << 20
MAX_SNAPSHOT_DATA_BYTES = 0x7E000000
MAX_MEMBERS = 1 << 16
SNAPSHOT_V2 = 2                      # chunked snapshot files (FORMAT.md §8.2)
SNAPSHOT_FOOTER_BYTES = 40
SNAPSHOT_FOOTER_MAGIC = b"RWALSNPE"
SNAPSHOT_CHUNK_HEADER_BYTES = 16
MAX_SNAPSHOT_CHUNK_BYTES = 64 << 20
MAX_SNAPSHOT_V2_DATA_BYTES = 1 << 50
ACKED_NAME = "ACKED"                 # the confirmation file (FORMAT.md §8.5)
ACKED_MAGIC = b"RWALACKD"
ACKED_SLOT_BYTES = 512
ACKED_FILE_BYTES = 2 * ACKED_SLOT_BYTES
ACKED_CHECKED_BYTES = 72             # the checksum covers the slot's bytes 0..<72 and sits at 72

TYPE_BATCH, TYPE_SEAL, TYPE_RESET, TYPE_BATCH_TABLE = 1, 2, 3, 4
TYPE_NAMES = {1: "batch", 2: "seal", 3: "reset", 4: "batch-table"}
FLAG_LZ4 = 1
KIND_NAMES = {0: "normal", 1: "confChange"}
CONF_TYPES = {1: "addVoter", 2: "addLearner", 3: "promoteLearner", 4: "remove"}
ROLES = {1: "voter", 2: "learner"}

# The labels of docs/RECOVERY.md, spelled as the engine reports them.
R0, T1, T2, T3, T4 = "R0-clean", "T1-torn-tail", "T2-interrupted-seal", "T3-orphan-segments", "T4-leftover-temporary"
T5 = "T5-damaged-tail"
S1, S2, S3 = "S1-damaged-snapshot", "S2-snapshot-ahead-of-log", "S3-snapshot-conflicts-with-log"
C1, C2, C3, C4 = "C1-corrupt-record", "C2-bad-segment-header", "C3-foreign-segment", "C4-missing-segment"
C5, C6, C7 = "C5-lost-tail-segment", "C6-index-gap", "C7-commit-beyond-log"
A1 = "A1-acknowledged-missing"


class Damage(Exception):
    """Bytes that fail a check of the spec: where, and what."""

    def __init__(self, file, offset, reason):
        super().__init__(f"{file} at offset {offset}: {reason}" if offset is not None else f"{file}: {reason}")
        self.file, self.offset, self.reason = file, offset, reason


class Refused(Exception):
    """A decision-table row that a strict open refuses (a C or A label)."""

    def __init__(self, label, message):
        super().__init__(message)
        self.label = label


# ---------------------------------------------------------------- CRC32C (FORMAT.md §1.2)

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC32C (Castagnoli, reflected polynomial 0x82F63B78), chainable: crc32c(b, crc32c(a)) == crc32c(a + b)."""
    c = crc ^ 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mask(crc):
    """LevelDB's mask: rotate right by 15, add 0xa282ead8."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def u64le(v):
    return struct.pack("<Q", v)


# ---------------------------------------------------------------- LZ4 block format (FORMAT.md §3.3)

def lz4_decompress(src, raw_length):
    """Decodes one LZ4 block into exactly raw_length bytes; raises ValueError on any malformed input."""
    dst = bytearray()
    i, n = 0, len(src)
    while True:
        if i >= n:
            raise ValueError("LZ4 block ends before its last sequence")
        token = src[i]
        i += 1
        literals = token >> 4
        if literals == 15:
            while True:
                if i >= n:
                    raise ValueError("LZ4 literal length runs past the block")
                b = src[i]
                i += 1
                literals += b
                if b != 255:
                    break
        if i + literals > n or len(dst) + literals > raw_length:
            raise ValueError("LZ4 literals run past the block or the output")
        dst += src[i:i + literals]
        i += literals
        if i == n:
            break  # the last sequence has literals only
        if i + 2 > n:
            raise ValueError("LZ4 match offset runs past the block")
        offset = src[i] | (src[i + 1] << 8)
        i += 2
        if offset == 0 or offset > len(dst):
            raise ValueError(f"LZ4 match offset {offset} outside the output ({len(dst)} bytes)")
        length = token & 15
        if length == 15:
            while True:
                if i >= n:
                    raise ValueError("LZ4 match length runs past the block")
                b = src[i]
                i += 1
                length += b
                if b != 255:
                    break
        length += 4
        if len(dst) + length > raw_length:
            raise ValueError("LZ4 match runs past the output")
        start = len(dst) - offset
        if offset >= length:
            dst += dst[start:start + length]
        else:  # overlapping copy: repeats the last `offset` bytes
            for k in range(length):
                dst.append(dst[start + k])
    if len(dst) != raw_length:
        raise ValueError(f"LZ4 block decodes to {len(dst)} bytes, the header says {raw_length}")
    return bytes(dst)


# ---------------------------------------------------------------- little decoders

class Reader:
    """Bounded little-endian reads: a length from disk never reads past the buffer."""

    def __init__(self, data, what):
        self.data, self.pos, self.what = data, 0, what

    def need(self, n, field):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"{self.what}: {field} needs {n} bytes, {len(self.data) - self.pos} left")

    def u8(self, field="u8"):
        self.need(1, field)
        v = self.data[self.pos]
        self.pos += 1
        return v

    def u16(self, field="u16"):
        self.need(2, field)
        v = struct.unpack_from("<H", self.data, self.pos)[0]
        self.pos += 2
        return v

    def u32(self, field="u32"):
        self.need(4, field)
        v = struct.unpack_from("<I", self.data, self.pos)[0]
        self.pos += 4
        return v

    def u64(self, field="u64"):
        self.need(8, field)
        v = struct.unpack_from("<Q", self.data, self.pos)[0]
        self.pos += 8
        return v

    def raw(self, n, field="bytes"):
        self.need(n, field)
        v = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return v

    def string16(self, field):
        n = self.u16(field + " length")
        if n == 0xFFFF:  # escape: a u32 length follows
            n = self.u32(field + " long length")
        b = self.raw(n, field)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{self.what}: {field} is not UTF-8")

    def end(self):
        if self.pos != len(self.data):
            raise ValueError(f"{self.what}: {len(self.data) - self.pos} trailing bytes")


def decode_conf_change(data):
    """FORMAT.md §6.1."""
    r = Reader(data, "conf change")
    version = r.u8("version")
    if version != 1:
        raise ValueError(f"conf change version {version}")
    t = r.u8("type")
    if t not in CONF_TYPES:
        raise ValueError(f"conf change type {t}")
    if r.u16("reserved") != 0:
        raise ValueError("conf change reserved bytes are not zero")
    raft_id = r.u64("raftID")
    name = r.string16("name")
    address = r.string16("address")
    r.end()
    return {"type": CONF_TYPES[t], "raftID": raft_id, "name": name, "address": address}


def decode_membership(data):
    """FORMAT.md §6.2: returns members sorted by Raft ID."""
    r = Reader(data, "membership")
    count = r.u32("count")
    if count > MAX_MEMBERS:
        raise ValueError(f"member count {count}")
    members = {}
    for _ in range(count):
        raft_id = r.u64("raftID")
        role = r.u8("role")
        if role not in ROLES:
            raise ValueError(f"member role {role}")
        r.raw(7, "reserved")
        added = r.u64("addedAtIndex")
        name = r.string16("name")
        address = r.string16("address")
        if raft_id in members:
            raise ValueError(f"member {raft_id} appears twice")
        members[raft_id] = {"raftID": raft_id, "name": name, "address": address, "role": ROLES[role], "addedAtIndex": added}
    r.end()
    return members


def apply_conf_change(members, change, index):
    """FORMAT.md §6.3: applying is total (unknown members are ignored)."""
    rid = change["raftID"]
    t = change["type"]
    if t in ("addVoter", "addLearner"):
        role = "voter" if t == "addVoter" else "learner"
        if rid in members:
            m = members[rid]
            m["role"] = role
            if change["name"]:
                m["name"] = change["name"]
            if change["address"]:
                m["address"] = change["address"]
        else:
            members[rid] = {"raftID": rid, "name": change["name"], "address": change["address"], "role": role,
                            "addedAtIndex": index}
    elif t == "promoteLearner":
        if rid in members:
            members[rid]["role"] = "voter"
    elif t == "remove":
        members.pop(rid, None)


# ---------------------------------------------------------------- segment header (FORMAT.md §2)

def parse_segment_name(name):
    if not name.endswith(".seg") or len(name) != 37 or name[16] != "-":
        return None
    try:
        return int(name[0:16], 16), int(name[17:33], 16)
    except ValueError:
        return None


def parse_snapshot_name(name):
    if not (name.startswith("snap-") and name.endswith(".snap")) or len(name) != 43 or name[21] != "-":
        return None
    try:
        return int(name[5:21], 16), int(name[22:38], 16)
    except ValueError:
        return None


def decode_segment_header(block, name):
    if len(block) < SEGMENT_HEADER_FIELD_BYTES:
        raise Damage(name, 0, f"file is {len(block)} bytes, shorter than a header")
    if not any(block[:SEGMENT_HEADER_FIELD_BYTES]):
        raise Damage(name, 0, "header is all zeros")
    if block[0:8] != SEGMENT_MAGIC:
        raise Damage(name, 0, "bad magic")
    stored = struct.unpack_from("<I", block, 124)[0]
    computed = mask(crc32c(block[0:124]))
    if stored != computed:
        raise Damage(name, 124, f"header checksum mismatch (stored {stored:08x}, computed {computed:08x})")
    version, size, flags = struct.unpack_from("<HHI", block, 8)
    if version != FORMAT_VERSION:
        raise Damage(name, 8, f"format version {version}")
    if size != SEGMENT_HEADER_BYTES:
        raise Damage(name, 10, f"header size {size}")
    if flags != 0:
        raise Damage(name, 12, f"unknown flags {flags}")
    (c_hi, c_lo, member, epoch, seq, first, salt, hs_term, hs_vote, hs_commit,
     created) = struct.unpack_from("<11Q", block, 16)
    previous_term, present = struct.unpack_from("<QI", block, 104)
    return {
        "identity": {"clusterID": f"{c_hi:016x}{c_lo:016x}", "memberID": member, "epoch": epoch},
        "seq": seq, "firstIndex": first, "salt": salt,
        "hardState": {"term": hs_term, "vote": hs_vote, "commit": hs_commit},
        "createdNanos": created,
        "previousTerm": previous_term if present & 1 else None,
    }


# ---------------------------------------------------------------- records (FORMAT.md §3)

def align8(n):
    return (n + 7) & ~7


def parse_record(data, offset, salt):
    """Returns (record, None) when a valid record starts at `offset`, else (None, problem)
    where problem is one of 'zeroed', 'truncated', 'bad header: ...', 'checksum mismatch'."""
    size = len(data)
    if offset >= size:
        return None, "zeroed"
    head = data[offset:offset + RECORD_HEADER_BYTES]
    if len(head) < RECORD_HEADER_BYTES:
        return None, "zeroed" if not any(head) else "truncated"
    if not any(head):
        return None, "zeroed"
    checksum, rtype, flags, meta_len, stored, raw, first, count, reserved = struct.unpack_from("<IBBHIIQII", head, 0)
    if rtype not in TYPE_NAMES:
        return None, f"bad header: unknown type {rtype}"
    if flags & ~FLAG_LZ4:
        return None, f"bad header: unknown flags {flags}"
    if reserved != 0:
        return None, "bad header: reserved field is not zero"
    if stored > MAX_BODY_BYTES or raw > MAX_BODY_BYTES:
        return None, "bad header: body length out of bounds"
    compressed = bool(flags & FLAG_LZ4)
    if not compressed and stored != raw:
        return None, "bad header: raw body with stored != raw length"
    if compressed and (stored == 0 or raw == 0):
        return None, "bad header: compressed body of zero length"
    if count > MAX_ENTRIES_PER_BATCH:
        return None, "bad header: entry count out of bounds"
    end = offset + RECORD_HEADER_BYTES + meta_len + stored
    if end > size:
        return None, "truncated"
    crc = crc32c(u64le(salt))
    crc = crc32c(u64le(offset), crc)
    crc = crc32c(data[offset + 4:end], crc)
    if mask(crc) != checksum:
        return None, "checksum mismatch"
    meta = bytes(data[offset + RECORD_HEADER_BYTES:offset + RECORD_HEADER_BYTES + meta_len])
    body = bytes(data[offset + RECORD_HEADER_BYTES + meta_len:end])
    return {
        "offset": offset, "type": rtype, "compressed": compressed, "metaLength": meta_len, "storedLength": stored,
        "rawLength": raw, "firstIndex": first, "entryCount": count, "checksum": checksum,
        "recordBytes": align8(RECORD_HEADER_BYTES + meta_len + stored), "meta": meta, "body": body,
    }, None


def decode_batch_meta(rec):
    """FORMAT.md §4.1, with its consistency rules."""
    r = Reader(rec["meta"], "batch meta")
    runs_n = r.u32("termRunCount")
    confs_n = r.u32("confChangeCount")
    has_hs = r.u8("hasHardState")
    if has_hs > 1:
        raise ValueError(f"hasHardState is {has_hs}")
    r.raw(7, "reserved")
    hs = {"term": r.u64(), "vote": r.u64(), "commit": r.u64()}
    first, count = rec["firstIndex"], rec["entryCount"]
    if (count == 0) != (runs_n == 0) or runs_n > count or confs_n > count:
        raise ValueError(f"{runs_n} term runs / {confs_n} conf changes for {count} entries")
    runs = []
    for k in range(runs_n):
        idx, term = r.u64("run index"), r.u64("run term")
        if k == 0 and idx != first:
            raise ValueError("first term run does not start at the batch's first index")
        if k > 0 and not (runs[-1][0] < idx < first + count and term > runs[-1][1]):
            raise ValueError("term runs are not increasing inside the batch")
        runs.append((idx, term))
    confs = []
    for _ in range(confs_n):
        i = r.u64("conf change index")
        if not (first <= i < first + count) or (confs and i <= confs[-1]):
            raise ValueError(f"conf change index {i} outside the batch or not increasing")
        confs.append(i)
    r.end()
    return {"hardState": hs if has_hs else None, "termRuns": runs, "confChangeIndexes": confs}


def decode_batch_entries(rec, meta):
    """FORMAT.md §4.2: decompress (CRC was already checked on the stored bytes), then decode."""
    body = rec["body"]
    if rec["compressed"]:
        body = lz4_decompress(body, rec["rawLength"])
    r = Reader(body, "batch body")
    runs = meta["termRuns"]
    entries = []
    run = 0
    for k in range(rec["entryCount"]):
        index = rec["firstIndex"] + k
        while run + 1 < len(runs) and runs[run + 1][0] <= index:
            run += 1
        kind = r.u8("entry kind")
        if kind not in KIND_NAMES:
            raise ValueError(f"entry {index}: unknown kind {kind}")
        length = r.u32("entry length")
        data = r.raw(length, f"entry {index} data")
        entries.append({"index": index, "term": runs[run][1], "kind": KIND_NAMES[kind], "data": data})
    r.end()
    return entries


def decode_reset_meta(rec):
    r = Reader(rec["meta"], "reset meta")
    index, term = r.u64(), r.u64()
    r.end()
    if rec["firstIndex"] != index + 1:
        raise ValueError(f"reset record's first index {rec['firstIndex']} is not {index} + 1")
    return index, term


def decode_batch_table(rec, count):
    """FORMAT.md §7.1: rows of 32 bytes."""
    if rec["compressed"] or len(rec["body"]) != count * 32:
        raise ValueError(f"batch table of {len(rec['body'])} bytes for {count} rows")
    rows = []
    for k in range(count):
        offset, first, n, nbytes, t = struct.unpack_from("<QQIIB", rec["body"], k * 32)
        if t not in (TYPE_BATCH, TYPE_RESET):
            raise ValueError(f"batch table row {k} has type {t}")
        rows.append((offset, first, n, nbytes, t))
    return rows


def decode_seal_meta(rec):
    """FORMAT.md §7.2."""
    r = Reader(rec["meta"], "seal meta")
    seal = {"lastIndex": r.u64(), "rewriteFrom": r.u64(), "batchTableOffset": r.u64(), "batchCount": r.u32()}
    runs_n, confs_n = r.u32(), r.u32()
    has_hs, has_reset = r.u8(), r.u8()
    if has_hs > 1 or has_reset > 1:
        raise ValueError("seal flags are not 0 or 1")
    r.raw(2, "reserved")
    hs = {"term": r.u64(), "vote": r.u64(), "commit": r.u64()}
    reset = (r.u64(), r.u64())
    seal["hardState"] = hs if has_hs else None
    seal["reset"] = reset if has_reset else None
    seal["termRuns"] = [(r.u64(), r.u64()) for _ in range(runs_n)]
    seal["confChangeIndexes"] = [r.u64() for _ in range(confs_n)]
    r.end()
    f, last = seal["rewriteFrom"], seal["lastIndex"]
    if f and not (f <= last + 1 and ((seal["termRuns"] and seal["termRuns"][0][0] == f) or last < f)):
        raise ValueError(f"seal term runs do not start at rewriteFrom {f}")
    return seal


def is_torn_seal(data, salt, damage_at, valid_at, records, last_index):
    """RECOVERY.md T2: the valid record after the damage is a seal that names the damaged offset as its
    batch table and summarizes exactly the records before it (a later sector of the seal write reached
    the disk, an earlier one did not)."""
    rec, _ = parse_record(data, valid_at, salt)
    if rec is None or rec["type"] != TYPE_SEAL:
        return False
    try:
        seal = decode_seal_meta(rec)
    except ValueError:
        return False
    batches = sum(1 for r in records if r["type"] in (TYPE_BATCH, TYPE_RESET))
    return seal["batchTableOffset"] == damage_at and seal["batchCount"] == batches and seal["lastIndex"] == last_index


# ---------------------------------------------------------------- segment scan (FORMAT.md §3, §10; RECOVERY.md)

def scan_segment(data, salt):
    """Reads records from offset 4096 on. Returns (records, end, end_offset, detail) where end is
    'clean' (zeros or EOF after the last record), 'sealed' (seal + trailer end the file),
    'torn' (a bad record, no valid record after it) or 'corrupt' (a bad record followed by a valid one)."""
    records = []
    offset = SEGMENT_HEADER_BYTES
    size = len(data)
    while True:
        rec, problem = parse_record(data, offset, salt)
        if rec is None:
            break
        records.append(rec)
        after = offset + rec["recordBytes"]
        if rec["type"] == TYPE_SEAL and after + TRAILER_BYTES == size:
            return records, "sealed", after, None
        offset = after
    if problem == "zeroed" and not any(data[offset:]):
        return records, "clean", offset, None
    # Is any record after the bad one valid? Only 8-aligned offsets can start one.
    q = offset + 8
    while q + RECORD_HEADER_BYTES <= size:
        if data[q + 4] in TYPE_NAMES and parse_record(data, q, salt)[0] is not None:
            return records, "corrupt", offset, {"problem": problem, "nextValidOffset": q}
        q += 8
    return records, "torn", offset, {"problem": problem}


TEAR_UNIT_BYTES = 512


def written_whole(data, offset, problem, lowest, next_index):
    """RECOVERY.md T5: True when the bad record at `offset` (a torn end) shows no sign of an
    interrupted write: a batch header that parses, a first index in lowest..next_index, the
    checksum is what fails, the full length is present, and neither its last checked byte nor
    any 512-byte piece of it (aligned in the file) is all zeros."""
    if problem != "checksum mismatch":
        return False
    rtype = data[offset + 4]
    meta_len, stored = struct.unpack_from("<HI", data, offset + 6)
    first = struct.unpack_from("<Q", data, offset + 16)[0]
    if rtype != TYPE_BATCH or not lowest <= first <= next_index:
        return False
    end = offset + RECORD_HEADER_BYTES + meta_len + stored
    p = offset
    while p < end:
        piece_end = min(end, (p // TEAR_UNIT_BYTES + 1) * TEAR_UNIT_BYTES)
        if not any(data[p:piece_end]):
            return False
        p = piece_end
    return data[end - 1] != 0


def check_seal(name, data, records, seal_rec, first_index, notes):
    """A sealed segment: the trailer points at the seal, the seal's batch table lists exactly the
    batch and reset records before it, and its summary matches a replay of them."""
    size = len(data)
    trailer_offset, magic = struct.unpack_from("<Q8s", data, size - TRAILER_BYTES)
    if magic != TRAILER_MAGIC or trailer_offset != seal_rec["offset"]:
        # The seal write (batch table, seal, trailer) was torn after the seal
        # record: the segment was scanned anyway, so the seal is checked against
        # its records below; the trailer only lets an opener skip the scan
        # (RECOVERY.md, R0 "unsealed, scanned"). Not damage.
        notes.append(f"{name}: the trailer at offset {size - TRAILER_BYTES} does not point at the seal record "
                     "(a torn seal write): the segment is scanned")
    seal = decode_seal_meta(seal_rec)
    table = [r for r in records if r["offset"] == seal["batchTableOffset"] and r["type"] == TYPE_BATCH_TABLE]
    if not table:
        raise Damage(name, seal["batchTableOffset"], "the seal does not point at a batch-table record")
    rows = decode_batch_table(table[0], seal["batchCount"])
    data_records = [r for r in records if r["type"] in (TYPE_BATCH, TYPE_RESET)]
    expected = [(r["offset"], r["firstIndex"], r["entryCount"], r["recordBytes"], r["type"]) for r in data_records]
    if rows != expected:
        raise Damage(name, table[0]["offset"], "batch table does not list the segment's records")
    # The summary: replay this segment alone (FORMAT.md §5.2, §7.2).
    last, rewrite_from, runs, confs, hs, reset = first_index - 1, None, [], [], None, None
    for r in data_records:
        if r["type"] == TYPE_RESET:
            reset = decode_reset_meta(r)
            last, rewrite_from, runs, confs = reset[0], None, [], []
            continue
        m = decode_batch_meta(r)
        if not r["entryCount"] and r["firstIndex"] <= last:
            # A truncation record: cut at firstIndex; rewriteFrom records it (lastIndex < rewriteFrom).
            f = r["firstIndex"]
            last = f - 1
            runs = [x for x in runs if x[0] < f]
            confs = [c for c in confs if c < f]
            rewrite_from = f if rewrite_from is None else min(rewrite_from, f)
        if r["entryCount"]:
            f = r["firstIndex"]
            last = min(last, f - 1)
            runs = [x for x in runs if x[0] < f]
            confs = [c for c in confs if c < f]
            rewrite_from = f if rewrite_from is None else min(rewrite_from, f)
            for run in m["termRuns"]:
                if not runs or runs[-1][1] != run[1]:
                    runs.append(run)
            confs += m["confChangeIndexes"]
            last = f + r["entryCount"] - 1
        if m["hardState"] is not None:
            hs = m["hardState"]
    summary = (last, rewrite_from or 0, runs, confs, hs, reset)
    stored = (seal["lastIndex"], seal["rewriteFrom"], seal["termRuns"], seal["confChangeIndexes"], seal["hardState"],
              seal["reset"])
    if summary != stored:
        raise Damage(name, seal_rec["offset"], f"seal summary {stored} does not match the records {summary}")
    return seal


# ---------------------------------------------------------------- snapshots (FORMAT.md §8)

def read_snapshot(path, name):
    data = open(path, "rb").read()
    if len(data) < SNAPSHOT_HEADER_BYTES:
        raise Damage(name, 0, "shorter than a snapshot header")
    if data[0:8] != SNAPSHOT_MAGIC:
        raise Damage(name, 0, "bad magic")
    stored = struct.unpack_from("<I", data, 92)[0]
    if mask(crc32c(data[0:92])) != stored:
        raise Damage(name, 92, "header checksum mismatch")
    version, size, flags = struct.unpack_from("<HHI", data, 8)
    if version == SNAPSHOT_V2 and size == SNAPSHOT_HEADER_BYTES and flags <= 1:
        return read_snapshot_v2(data, name)
    if version != FORMAT_VERSION or size != SNAPSHOT_HEADER_BYTES or flags > 1:
        raise Damage(name, 8, f"version {version}, header size {size}, flags {flags}")
    c_hi, c_lo, member, epoch, index, term = struct.unpack_from("<6Q", data, 16)
    m_len, _reserved, d_stored, d_raw = struct.unpack_from("<IIQQ", data, 64)
    if m_len > MAX_MEMBERSHIP_BYTES or d_stored > MAX_SNAPSHOT_DATA_BYTES or d_raw > MAX_SNAPSHOT_DATA_BYTES:
        raise Damage(name, 64, "lengths out of bounds")
    if flags == 0 and d_stored != d_raw:
        raise Damage(name, 72, "raw data with stored != raw length")
    expected_size = SNAPSHOT_HEADER_BYTES + m_len + d_stored + 8
    if expected_size != len(data):
        raise Damage(name, len(data), f"file is {len(data)} bytes, its header says {expected_size}")
    body_end = len(data) - 8
    crc = crc32c(data[SNAPSHOT_HEADER_BYTES:body_end], crc32c(u64le(term), crc32c(u64le(index))))
    if mask(crc) != struct.unpack_from("<I", data, body_end)[0]:
        raise Damage(name, body_end, "body checksum mismatch")
    try:
        members = decode_membership(data[SNAPSHOT_HEADER_BYTES:SNAPSHOT_HEADER_BYTES + m_len])
        stored_data = data[SNAPSHOT_HEADER_BYTES + m_len:body_end]
        payload = lz4_decompress(stored_data, d_raw) if flags == 1 else stored_data
    except ValueError as e:
        raise Damage(name, SNAPSHOT_HEADER_BYTES, str(e))
    if parse_snapshot_name(name) != (index, term):
        raise Damage(name, 48, f"header says index {index} term {term}, the name disagrees")
    return {"name": name, "index": index, "term": term, "compressed": flags == 1,
            "identity": {"clusterID": f"{c_hi:016x}{c_lo:016x}", "memberID": member, "epoch": epoch},
            "membership": members, "data": payload}


def read_snapshot_v2(data, name):
    """FORMAT.md §8.2: header, membership (own checksum), chunks (each checksummed, bound to the snapshot
    and its offset, LZ4 or raw), footer with the totals."""
    flags = struct.unpack_from("<I", data, 12)[0]
    c_hi, c_lo, member, epoch, index, term = struct.unpack_from("<6Q", data, 16)
    m_len, m_crc, chunk_bytes = struct.unpack_from("<III", data, 64)
    if m_len > MAX_MEMBERSHIP_BYTES or not 1 <= chunk_bytes <= MAX_SNAPSHOT_CHUNK_BYTES:
        raise Damage(name, 64, "lengths out of bounds")
    m_end = SNAPSHOT_HEADER_BYTES + m_len
    if len(data) < m_end + SNAPSHOT_FOOTER_BYTES:
        raise Damage(name, len(data), "too short for its membership and footer")
    membership = data[SNAPSHOT_HEADER_BYTES:m_end]
    if mask(crc32c(membership, crc32c(u64le(term), crc32c(u64le(index))))) != m_crc:
        raise Damage(name, 68, "membership checksum mismatch")
    end = len(data) - SNAPSHOT_FOOTER_BYTES
    footer = data[end:]
    if footer[32:40] != SNAPSHOT_FOOTER_MAGIC:
        raise Damage(name, end + 32, "no footer magic (an incomplete file)")
    if mask(crc32c(footer[0:28], crc32c(u64le(term), crc32c(u64le(index))))) != struct.unpack_from("<I", footer, 28)[0]:
        raise Damage(name, end + 28, "footer checksum mismatch")
    count, raw_total, stored_total, data_crc = struct.unpack_from("<QQQI", footer, 0)
    if raw_total > MAX_SNAPSHOT_V2_DATA_BYTES or stored_total > MAX_SNAPSHOT_V2_DATA_BYTES:
        raise Damage(name, end + 8, "data length out of bounds")
    try:
        members = decode_membership(membership)
    except ValueError as e:
        raise Damage(name, SNAPSHOT_HEADER_BYTES, str(e))
    pieces, offset, n, stored_sum, crc = [], m_end, 0, 0, 0
    while offset < end:
        if end - offset < SNAPSHOT_CHUNK_HEADER_BYTES:
            raise Damage(name, offset, "a chunk header runs into the footer")
        stored_crc, c_flags, stored, raw = struct.unpack_from("<IIII", data, offset)
        if c_flags > 1 or not 1 <= raw <= chunk_bytes or (c_flags == 0 and stored != raw) \
                or (c_flags == 1 and not 1 <= stored < raw):
            raise Damage(name, offset, f"chunk header: flags {c_flags}, stored {stored}, raw {raw}")
        if end - offset - SNAPSHOT_CHUNK_HEADER_BYTES < stored:
            raise Damage(name, offset, "a chunk runs into the footer")
        frame_end = offset + SNAPSHOT_CHUNK_HEADER_BYTES + stored
        check = crc32c(data[offset + 4:frame_end], crc32c(u64le(offset), crc32c(u64le(term), crc32c(u64le(index)))))
        if mask(check) != stored_crc:
            raise Damage(name, offset, "chunk checksum mismatch")
        body = data[offset + SNAPSHOT_CHUNK_HEADER_BYTES:frame_end]
        try:
            piece = lz4_decompress(body, raw) if c_flags == 1 else body
        except ValueError as e:
            raise Damage(name, offset, f"chunk: {e}")
        crc = crc32c(piece, crc)
        pieces.append(piece)
        n, stored_sum, offset = n + 1, stored_sum + stored, frame_end
    payload = b"".join(pieces)
    if (n, len(payload), stored_sum, mask(crc)) != (count, raw_total, stored_total, data_crc):
        raise Damage(name, end, f"data does not match the footer ({n} chunks, {len(payload)} bytes; footer: {count}, {raw_total})")
    if parse_snapshot_name(name) != (index, term):
        raise Damage(name, 48, f"header says index {index} term {term}, the name disagrees")
    return {"name": name, "index": index, "term": term, "compressed": flags == 1, "version": SNAPSHOT_V2,
            "identity": {"clusterID": f"{c_hi:016x}{c_lo:016x}", "memberID": member, "epoch": epoch},
            "membership": members, "data": payload}


def read_metadata(path):
    """FORMAT.md §8.3: the metadata file META; returns {key: bytes}."""
    data = open(path, "rb").read()
    if not 20 <= len(data) <= 1 << 20:
        raise Damage("META", 0, f"{len(data)} bytes")
    if data[0:8] != b"RWALMETA":
        raise Damage("META", 0, "bad magic")
    if mask(crc32c(data[:-4])) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise Damage("META", len(data) - 4, "checksum mismatch")
    r = Reader(data[:-4], "metadata")
    r.raw(8, "magic")
    version, reserved, count = r.u16(), r.u16(), r.u32()
    if version != 1 or reserved != 0 or count > 4096:
        raise Damage("META", 8, f"version {version}, reserved {reserved}, {count} keys")
    out, previous = {}, None
    try:
        for _ in range(count):
            key = r.string16("key")
            if not key or (previous is not None and key <= previous):
                raise ValueError("keys are not sorted, unique and non-empty")
            previous = key
            out[key] = r.raw(r.u32("valueLength"), "value")
        r.end()
    except ValueError as e:
        raise Damage("META", 16, str(e))
    return out


def is_regular_file(path):
    """A regular file, not followed through a symbolic link; False when absent."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def read_ack_marker(directory, notes):
    """FORMAT.md §8.5: the confirmation file ACKED. Returns the marker (the valid slot with the larger
    counter) or None: no regular file of that name, or no valid slot (a note says so; not damage)."""
    path = os.path.join(directory, ACKED_NAME)
    if not is_regular_file(path):
        return None  # absent, or not the marker: an unknown file, listed as ignored
    try:
        with open(path, "rb") as f:
            data = f.read(ACKED_FILE_BYTES)  # never more than two slots
    except FileNotFoundError:
        return None
    best = None
    for slot in range(2):
        start = slot * ACKED_SLOT_BYTES
        b = data[start:start + ACKED_CHECKED_BYTES + 4]
        if len(b) < ACKED_CHECKED_BYTES + 4:
            continue  # the file ends before this slot's checksum
        if b[0:8] != ACKED_MAGIC or struct.unpack_from("<I", b, 8)[0] != 1:
            continue
        if mask(crc32c(b[:ACKED_CHECKED_BYTES])) != struct.unpack_from("<I", b, ACKED_CHECKED_BYTES)[0]:
            continue
        counter, seq, salt, end, last, snap_index, snap_term = struct.unpack_from("<7Q", b, 16)
        # Counters start at 1 and a slot holds only its own parity (slot counter % 2): a counter in the
        # other slot is not a marker. Of two valid slots, the larger counter is the newer marker.
        if counter % 2 != slot or counter <= (best["counter"] if best else 0):
            continue
        best = {"slot": slot, "counter": counter, "seq": seq, "salt": salt, "endOffset": end, "lastIndex": last,
                "snapshotIndex": snap_index, "snapshotTerm": snap_term}
    if best is None:
        notes.append(f"{ACKED_NAME} holds no valid slot in {len(data)} bytes: nothing to check")
    return best


def format_indexes(first, last):
    return f"{first}" if first == last else f"{first}...{last}"


def ack_shortfall(marker, replayed, last_index, snapshot_index):
    """RECOVERY.md A1: None when the directory holds what the marker confirms, else why not.
    `replayed` lists (name, seq, salt, valid end or None for a sealed segment) of the segments
    replayed (orphans excluded), in seq order; `last_index` is the log's last index as replayed."""
    m = marker
    confirms = f"{ACKED_NAME} (slot {m['slot']}, counter {m['counter']}) confirms"
    lost = (f"; acknowledged entries {format_indexes(last_index + 1, m['lastIndex'])} are lost"
            if m["lastIndex"] > last_index else "")
    named = [r for r in replayed if r[1] == m["seq"]]
    if named:
        name, _, salt, end = named[0]
        if salt != m["salt"]:
            return (f"{confirms} records of segment seq {m['seq']} with salt {m['salt']:016x}, but {name} has salt "
                    f"{salt:016x}: the segment was replaced{lost}")
        if end is not None and end < m["endOffset"]:
            return f"{confirms} records up to offset {m['endOffset']} of {name}; its valid records end at {end}{lost}"
    elif not any(r[1] > m["seq"] for r in replayed):
        last = f"the last segment is seq {replayed[-1][1]}" if replayed else "no segment file at all"
        return (f"{confirms} records up to offset {m['endOffset']} of segment seq {m['seq']}: segment seq {m['seq']} "
                f"is missing ({last}){lost}")
    if snapshot_index < m["snapshotIndex"]:
        newest = f"at {snapshot_index}" if snapshot_index else "none"
        return f"{confirms} a snapshot at {m['snapshotIndex']} (term {m['snapshotTerm']}); the newest valid snapshot is {newest}"
    return None


# ---------------------------------------------------------------- the whole directory

class Log:
    def __init__(self):
        self.labels = []
        self.problems = []
        self.notes = []
        self.segments = []
        self.entries = []          # the live log, in index order
        self.last_index = 0
        self.reset_base = None     # (index, term) after a reset record or S2/S3
        self.hard_state = {"term": 0, "vote": 0, "commit": 0}
        self.identity = None
        self.snapshot = None
        self.snapshots = []
        self.ignored = []
        self.truncations = []      # truncation records met (FORMAT.md §5.2), in order
        self.metadata = None       # the META file's values (FORMAT.md §8.3), if any
        self.ack_marker = None     # the ACKED file's marker (FORMAT.md §8.5), if any

    def note(self, label):
        if label not in self.labels:
            self.labels.append(label)

    # FORMAT.md §5.2: the replay rules.
    def apply_batch(self, name, rec, meta, entries):
        f, n = rec["firstIndex"], rec["entryCount"]
        if n == 0:
            if f > self.last_index + 1:
                raise Refused(C6, f"{name} at offset {rec['offset']}: hard-state record at {f}, the log ends at {self.last_index}")
            if f <= self.last_index:
                # A truncation record: every index >= f is dropped.
                if f == 0 or (self.reset_base is not None and f <= self.reset_base[0]):
                    raise Refused(C6, f"{name} at offset {rec['offset']}: truncation at {f} cuts into the snapshot base")
                while self.entries and self.entries[-1]["index"] >= f:
                    self.entries.pop()
                self.last_index = f - 1
                self.truncations.append({"segment": name, "offset": rec["offset"], "from": f})
        else:
            if f > self.last_index + 1:
                raise Refused(C6, f"{name} at offset {rec['offset']}: index gap, entries start at {f}, the log ends at {self.last_index}")
            if self.reset_base is not None and f <= self.reset_base[0]:
                raise Refused(C6, f"{name} at offset {rec['offset']}: entries at {f} rewrite the snapshot base {self.reset_base[0]}")
            while self.entries and self.entries[-1]["index"] >= f:
                self.entries.pop()
            if self.entries and self.entries[-1]["index"] == f - 1 and entries[0]["term"] < self.entries[-1]["term"]:
                raise Refused(C6, f"{name} at offset {rec['offset']}: term decreases at index {f}")
            self.entries.extend(entries)
            self.last_index = f + n - 1
        if meta["hardState"] is not None:
            self.hard_state = meta["hardState"]

    def term_of(self, index):
        """The term of a live index, or of the reset base; None when unknown."""
        if self.entries and self.entries[0]["index"] <= index <= self.entries[-1]["index"]:
            entry = self.entries[index - self.entries[0]["index"]]
            if entry["index"] == index:
                return entry["term"]
        if self.reset_base is not None and self.reset_base[0] == index:
            return self.reset_base[1]
        return None

    def apply_reset(self, index, term):
        self.entries = []
        self.reset_base = (index, term)
        self.last_index = index


def check_directory(directory, want_records, log):
    # ACKED before the listing: a live writer's later marker must not name more than the listing holds.
    log.ack_marker = read_ack_marker(directory, log.notes)
    names = sorted(os.listdir(directory))
    segs, snaps, temporaries = [], [], []
    for name in names:
        p = parse_segment_name(name)
        if p is not None:
            segs.append((p[0], p[1], name))
        elif parse_snapshot_name(name) is not None:
            snaps.append(name)
        elif name.endswith(".tmp"):
            temporaries.append(name)
        elif name == "META":
            try:
                log.metadata = read_metadata(os.path.join(directory, name))
            except Damage as e:
                log.problems.append(f"damaged metadata file: {e}")
        elif name == ACKED_NAME and is_regular_file(os.path.join(directory, name)):
            pass  # read above, before the listing; only a regular file is the marker
        elif name not in ("LOCK", "SYNC-FAILED", "TAIL"):
            log.ignored.append(name)
    segs.sort()
    if temporaries:
        log.note(T4)
        log.ignored += temporaries
    if not segs and not snaps and log.ack_marker is not None:
        raise Refused(A1, ack_shortfall(log.ack_marker, [], 0, 0))
    if not segs:
        raise Refused(C4, "no segment files" + (" but snapshot files: the log's segments are lost" if snaps else ""))

    # Headers (C2), then identities (C3): every segment belongs to the last one's log.
    headers = []
    failure = None
    for seq, first, name in segs:
        data = open(os.path.join(directory, name), "rb").read()
        try:
            h = decode_segment_header(data[:SEGMENT_HEADER_BYTES], name)
        except Damage as e:
            failure = Refused(C2, str(e))
            break
        if (h["seq"], h["firstIndex"]) != (seq, first):
            failure = Refused(C2, f"{name}: the header says seq {h['seq']} first index {h['firstIndex']}")
            break
        headers.append((name, h, data))
    if not headers:
        raise failure
    log.identity = headers[-1][1]["identity"]
    if failure is None:
        for k, (name, h, _) in enumerate(headers):
            if h["identity"] != log.identity:
                failure = Refused(C3, f"{name}: belongs to cluster {h['identity']['clusterID']} member "
                                      f"{h['identity']['memberID']} epoch {h['identity']['epoch']}")
                del headers[k:]
                break

    # Snapshots: the newest valid one of this log wins; damaged ones are reported (S1).
    for name in snaps:
        try:
            s = read_snapshot(os.path.join(directory, name), name)
            if (s["identity"]["clusterID"], s["identity"]["memberID"]) != (log.identity["clusterID"], log.identity["memberID"]):
                raise Damage(name, 16, "snapshot belongs to another log")
            log.snapshots.append(s)
        except Damage as e:
            log.note(S1)
            log.problems.append(f"damaged snapshot: {e}")
            log.snapshots.append({"name": name, "problem": str(e)})
    valid = sorted((s for s in log.snapshots if "problem" not in s), key=lambda s: (s["index"], s["term"]), reverse=True)
    log.snapshot = valid[0] if valid else None

    # Orphans: segments older than the last gap in sequence numbers (T3, if the snapshot covers them).
    start = 0
    for k in range(1, len(headers)):
        if headers[k][1]["seq"] != headers[k - 1][1]["seq"] + 1:
            start = k
    orphans = [name for name, _, _ in headers[:start]]
    candidates = headers[start:]
    if not candidates and failure is not None:
        raise failure

    log.last_index = candidates[0][1]["firstIndex"] - 1 if candidates else 0
    replayed = []  # (name, seq, salt, where its valid records end; None when sealed) for row A1
    for k, (name, h, data) in enumerate(candidates):
        is_tail = k == len(candidates) - 1 and failure is None
        if h["firstIndex"] != log.last_index + 1:
            raise Refused(C6, f"{name}: segment starts at index {h['firstIndex']}, the log before it ends at {log.last_index}")
        held = log.term_of(h["firstIndex"] - 1) if k > 0 and h["firstIndex"] > 1 else None
        if h["previousTerm"] is not None and held is not None and held != h["previousTerm"]:
            # RECOVERY.md C6: the header's previousTerm contradicts the log before it (a rewrite record is lost).
            raise Refused(C6, f"{name} at offset 104: the segment header records index {h['firstIndex'] - 1} in term "
                              f"{h['previousTerm']}, the log before it holds it in term {held}")
        log.hard_state = h["hardState"]  # the header's hard state is in force from the segment's start
        records, end, end_offset, detail = scan_segment(data, h["salt"])
        info = {"name": name, "seq": h["seq"], "firstIndex": h["firstIndex"], "salt": f"{h['salt']:016x}",
                "fileBytes": len(data), "end": end, "records": len(records), "headerHardState": h["hardState"]}
        log.segments.append(info)
        replayed.append((name, h["seq"], h["salt"], None if end == "sealed" else end_offset))
        if want_records:
            info["recordList"] = [{"offset": r["offset"], "type": TYPE_NAMES[r["type"]], "firstIndex": r["firstIndex"],
                                   "entryCount": r["entryCount"], "compressed": r["compressed"],
                                   "storedLength": r["storedLength"], "rawLength": r["rawLength"],
                                   "recordBytes": r["recordBytes"], "checksum": f"{r['checksum']:08x}"} for r in records]
        for rec in records:
            try:
                if rec["type"] == TYPE_BATCH:
                    meta = decode_batch_meta(rec)
                    entries = decode_batch_entries(rec, meta)
                    log.apply_batch(name, rec, meta, entries)
                elif rec["type"] == TYPE_RESET:
                    log.apply_reset(*decode_reset_meta(rec))
            except ValueError as e:
                raise Refused(C6, f"{name} at offset {rec['offset']}: {e}")
        if end == "sealed":
            if is_tail:
                raise Refused(C5, f"{name}: the last segment is sealed, so its successor existed and is lost")
            try:
                check_seal(name, data, records, records[-1], h["firstIndex"], log.notes)
            except (Damage, ValueError) as e:
                log.problems.append(f"bad seal: {e}")
        elif end == "corrupt" and not is_tail and is_torn_seal(data, h["salt"], end_offset, detail["nextValidOffset"],
                                                               records, log.last_index):
            log.note(T2)
            log.notes.append(f"{name} is unsealed: its seal write was torn (batch table lost at offset {end_offset})")
        elif end == "corrupt":
            raise Refused(C1, f"{name} at offset {end_offset}: {detail['problem']}, followed by a valid record at "
                              f"offset {detail['nextValidOffset']}: damage, not a torn write")
        elif end == "torn":
            if is_tail and written_whole(data, end_offset, detail["problem"],
                                         min(h["firstIndex"], log.last_index + 1), log.last_index + 1):
                log.note(T5)
                log.problems.append(f"damaged tail in {name} at offset {end_offset}: {detail['problem']}, the record was "
                                    f"written whole (cut by recovery; the cut may hold acknowledged entries)")
            elif is_tail:
                log.note(T1)
                log.notes.append(f"torn tail in {name} at offset {end_offset}: {detail['problem']} (cut by recovery)")
            else:
                log.note(T2)
                log.notes.append(f"{name} is unsealed: its seal was interrupted at offset {end_offset}")
        elif not is_tail:
            log.notes.append(f"{name} is unsealed (zeros after offset {end_offset})")
    if failure is not None:
        raise failure

    # The snapshot versus the log (S2, S3), then the start of the log (C4).
    snap = log.snapshot
    if snap is not None:
        held = [e["term"] for e in log.entries if e["index"] == snap["index"]]
        if snap["index"] > log.last_index:
            log.note(S2)
            log.apply_reset(snap["index"], snap["term"])
        elif held and held[0] != snap["term"]:
            log.note(S3)
            log.apply_reset(snap["index"], snap["term"])
    first_index = log.entries[0]["index"] if log.entries else log.last_index + 1
    if first_index > 1 and (snap["index"] if snap else 0) < first_index - 1:
        raise Refused(C4, f"the log starts at index {first_index} but no valid snapshot covers 1...{first_index - 1}"
                      + (f"; segments before seq {candidates[0][1]['seq']} are missing" if orphans else ""))
    if orphans:
        log.note(T3)
        log.ignored += orphans
    if log.hard_state["commit"] > max(log.last_index, snap["index"] if snap else 0):
        raise Refused(C7, f"hard state commit {log.hard_state['commit']} is beyond the last index {log.last_index}")
    if log.ack_marker is not None:
        lost = ack_shortfall(log.ack_marker, replayed, log.last_index, snap["index"] if snap else 0)
        if lost is not None:
            raise Refused(A1, lost)
    if not log.labels:
        log.note(R0)
    return log


def membership_at_last(log):
    """FORMAT.md §6.3: the snapshot's membership plus the conf changes after it."""
    members = {}
    start = 1
    if log.snapshot is not None and log.snapshot["index"] <= log.last_index:
        members = {k: dict(v) for k, v in log.snapshot["membership"].items()}
        start = log.snapshot["index"] + 1
    for e in log.entries:
        if e["index"] >= start and e["kind"] == "confChange":
            apply_conf_change(members, decode_conf_change(e["data"]), e["index"])
    return [members[k] for k in sorted(members)]


def ack_marker_json(log):
    m = log.ack_marker
    return None if m is None else dict(m, salt=f"{m['salt']:016x}")


def ack_marker_line(marker):
    m = marker
    return (f"acked       slot {m['slot']} counter {m['counter']}: seq {m['seq']} salt {m['salt']} endOffset {m['endOffset']} "
            f"lastIndex {m['lastIndex']} snapshotIndex {m['snapshotIndex']} (term {m['snapshotTerm']})\n")


def to_json(log, directory):
    def entry(e):
        out = {"index": e["index"], "term": e["term"], "kind": e["kind"], "data": e["data"].hex()}
        if e["kind"] == "confChange":
            out["confChange"] = decode_conf_change(e["data"])
        return out

    def snapshot(s):
        if "problem" in s:
            return s
        return {"name": s["name"], "index": s["index"], "term": s["term"], "compressed": s["compressed"],
                "membership": [s["membership"][k] for k in sorted(s["membership"])], "data": s["data"].hex()}

    first = log.entries[0]["index"] if log.entries else log.last_index + 1
    return {
        "directory": directory, "labels": log.labels, "identity": log.identity, "hardState": log.hard_state,
        "firstIndex": first, "lastIndex": log.last_index, "segments": log.segments,
        "snapshot": snapshot(log.snapshot) if log.snapshot else None,
        "snapshots": [snapshot(s) for s in log.snapshots], "membership": membership_at_last(log),
        "entries": [entry(e) for e in log.entries], "notes": log.notes, "problems": log.problems,
        "ignoredFiles": log.ignored, "truncations": log.truncations,
        "metadata": {k: v.hex() for k, v in log.metadata.items()} if log.metadata is not None else None,
        "ackMarker": ack_marker_json(log),
    }


def print_text(report, show_entries, out):
    ident = report["identity"]
    out.write(f"directory   {report['directory']}\n")
    out.write(f"log         cluster {ident['clusterID']} member {ident['memberID']} epoch {ident['epoch']}\n")
    out.write(f"labels      {', '.join(report['labels'])}\n")
    hs = report["hardState"]
    out.write(f"hard state  term {hs['term']} vote {hs['vote']} commit {hs['commit']}\n")
    if report["entries"]:
        out.write(f"entries     {report['firstIndex']}...{report['lastIndex']}\n")
    else:
        out.write(f"entries     none (the log restarts after {report['lastIndex']})\n")
    for s in report["segments"]:
        out.write(f"segment     {s['name']}  salt {s['salt']}  {s['records']} records  {s['end']}\n")
        for r in s.get("recordList", []):
            lz = " lz4" if r["compressed"] else ""
            out.write(f"  @{r['offset']:<7} {r['type']:<11} first {r['firstIndex']:<6} n {r['entryCount']:<4} "
                      f"bytes {r['recordBytes']:<6} stored {r['storedLength']}/{r['rawLength']}{lz}  crc {r['checksum']}\n")
    for t in report["truncations"]:
        out.write(f"truncation  {t['segment']} @{t['offset']}: entries from {t['from']} on removed\n")
    for s in report["snapshots"]:
        if "problem" in s:
            out.write(f"snapshot    {s['name']}  DAMAGED: {s['problem']}\n")
        else:
            lz = ", lz4" if s["compressed"] else ""
            out.write(f"snapshot    {s['name']}  index {s['index']} term {s['term']}, {len(s['data']) // 2} data bytes{lz}, "
                      f"{len(s['membership'])} members\n")
    for m in report["membership"]:
        out.write(f"member      {m['raftID']} {m['name']} {m['address']} {m['role']} (added at {m['addedAtIndex']})\n")
    if report["ackMarker"] is not None:
        out.write(ack_marker_line(report["ackMarker"]))
    for n in report["notes"]:
        out.write(f"note        {n}\n")
    for p in report["problems"]:
        out.write(f"PROBLEM     {p}\n")
    if show_entries:
        for e in report["entries"]:
            data = bytes.fromhex(e["data"])
            if e["kind"] == "confChange":
                c = e["confChange"]
                text = f"{c['type']} {c['raftID']} {c['name']} {c['address']}"
            else:
                text = data[:60].decode("utf-8", "replace") + ("..." if len(data) > 60 else "")
            out.write(f"{e['index']:>8} t{e['term']:<4} {e['kind']:<10} {len(data):>6}B  {text}\n")


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--json", "--entries", "--records", "--help"}
    if "--help" in flags:
        sys.stdout.write(__doc__)
        return 0
    if unknown or len(args) != 1:
        sys.stderr.write("usage: format-check.py [--json] [--entries] [--records] DIRECTORY\n")
        return 2
    directory = args[0]
    if not os.path.isdir(directory):
        sys.stderr.write(f"format-check: {directory}: no such directory\n")
        return 2
    log = Log()
    try:
        check_directory(directory, "--records" in flags or "--json" in flags, log)
    except Refused as e:
        log.note(e.label)
        if "--json" in flags:
            json.dump({"directory": directory, "labels": log.labels, "refused": str(e), "ackMarker": ack_marker_json(log)},
                      sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(f"directory   {directory}\nlabels      {', '.join(log.labels)}\n")
            if log.ack_marker is not None:
                sys.stdout.write(ack_marker_line(ack_marker_json(log)))
            sys.stdout.write(f"REFUSED     {e}\n")
        return 1
    except OSError as e:
        sys.stderr.write(f"format-check: {e}\n")
        return 2
    report = to_json(log, directory)
    if "--json" in flags:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_text(report, "--entries" in flags, sys.stdout)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
