#!/usr/bin/env python3
"""Checks the on-disk facts of docs/shared SWARM-ETCD-FORMAT.md against the real files in
Fixtures/interop (no decryption): the CRC-32C chain of every WAL, record types and their
order, the fields always written, the WAL metadata, the MaybeEncryptedRecord envelopes,
the raft-dek PEM header, the .snap files' CRCs and names, state.json, and that no file
names a host path. Prints one line per fact checked; exit 0 if all hold, 1 if any does not.

Usage: interop-facts-check.py [FIXTURES_INTEROP_DIR]    (default: Fixtures/interop)
Standard library only.
"""
import base64
import collections
import glob
import importlib.util
import json
import os
import re
import sys

_spec = importlib.util.spec_from_file_location(
    "interop_trim", os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop-trim.py"))
wal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wal)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(crc, data):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def fields(buf):
    return collections.OrderedDict((n, v) for n, _, v, _ in wal.parse_fields(buf))


def field_numbers(buf):
    return [n for n, _, _, _ in wal.parse_fields(buf)]


def check_wal(path, kind):
    """kind: swarm or etcd. Returns facts for the summary."""
    found, buf = wal.frames(path, with_data=True)
    rel = os.path.relpath(path, ROOT)
    # CRC chain: running CRC-32C over the data of every non-crc record.
    crc, bad = 0, []
    for f in found:
        if f["type"] == 4:
            if crc != 0 and f["crc"] != crc:
                bad.append(f["offset"])
            crc = f["crc"]
            continue
        crc = crc32c(crc, f["data"])
        if f["crc"] != crc:
            bad.append(f["offset"])
    check(not bad, f"{rel}: CRC-32C chain verifies on all {len(found)} records" + (f" (bad at {bad[:5]})" if bad else ""))
    check(buf[:8] == bytes.fromhex("0400000000000084"), f"{rel}: first length word is 04 00 00 00 00 00 00 84")
    check(buf[8:12] == bytes.fromhex("08041000"), f"{rel}: first record is the crc record 08 04 10 00 (crc 0, no data)")
    types = [f["type"] for f in found]
    check(types[0] == 4 and types[1] == 1 and types[2] == 5, f"{rel}: order crc, metadata, snapshot: {types[:4]}")
    check(found[1]["offset"] == 16, f"{rel}: metadata at offset 16")
    mrec = buf[found[1]["offset"] + 8:found[1]["offset"] + 8 + found[1]["size"]]
    crc_varint_len = wal.read_varint(mrec, 3)[1] - 3
    check(found[2]["offset"] == found[1]["end"] and fields(found[2]["data"]) in ({}, {1: 0, 2: 0}),
          f"{rel}: snapshot {{0,0}} right after the metadata, at offset {found[2]['offset']} "
          f"(metadata data {found[1]['data_len']} B, its crc varint {crc_varint_len} B)")
    check(types.count(1) == 1, f"{rel}: exactly one metadata record")
    check(types.count(4) == 1, f"{rel}: one crc record (one segment)")
    check(set(types) <= {1, 2, 3, 4, 5}, f"{rel}: record types {sorted(set(types))}")
    check(all(f["offset"] % 8 == 0 for f in found), f"{rel}: every frame 8-aligned")
    pads = collections.Counter(f["pad"] for f in found)
    check(all((f["size"] + f["pad"]) % 8 == 0 for f in found), f"{rel}: size+pad multiple of 8; pads seen {dict(sorted(pads.items()))}")
    # Record fields: type and crc always written, data omitted when empty.
    rec_ok = True
    for f in found:
        start = f["offset"] + 8
        nums = field_numbers(buf[start:start + f["size"]])
        if nums[:2] != [1, 2] or (f["data_len"] == 0) != (3 not in nums):
            rec_ok = False
    check(rec_ok, f"{rel}: Record always has type and crc; data present iff non-empty")
    ent_ok, hs_ok, env = True, True, collections.Counter()
    etypes = collections.Counter()
    for f in found:
        if f["type"] == 2:
            nums = field_numbers(f["data"])
            if nums[:3] != [1, 2, 3]:
                ent_ok = False
            etypes[f["entry_type"]] += 1
            if kind == "swarm":
                payload = fields(f["data"]).get(4, b"")
                m = fields(payload)
                env[(m.get(1, 0), len(m.get(3, b"")), len(payload) == 46 and len(m.get(2, b"")) == 16)] += 1
        elif f["type"] == 3:
            if field_numbers(f["data"]) != [1, 2, 3]:
                hs_ok = False
    check(ent_ok, f"{rel}: every Entry writes fields 1-3 (type, term, index); entry types {dict(etypes)}")
    check(hs_ok, f"{rel}: every HardState writes fields 1-3")
    snaps = [f for f in found if f["type"] == 5]
    snap_fields = set(tuple(field_numbers(f["data"])) for f in snaps if f["data"])
    check(all(set(s) <= {1, 2} for s in snap_fields), f"{rel}: snapshot records carry only index/term (no conf_state): {sorted(snap_fields)}")
    meta = found[1]["data"]
    if kind == "swarm":
        m = fields(meta)
        check(list(m) == [1, 2, 3, 4] and m[4] == b"" and buf[found[1]["offset"] + 8:found[1]["end"]].find(b"\x22\x00") > 0,
              f"{rel}: metadata is RaftMember{{raft_id {m.get(1, 0):x}, node_id {m.get(2, b'').decode()}, addr {m.get(3, b'').decode()}, status empty (22 00)}}, {len(meta)} bytes, plaintext")
        algs = collections.Counter(k[0] for k in env.elements())
        nonces = collections.Counter(k[1] for k in env.elements())
        check(set(algs) == {1} and set(nonces) == {24},
              f"{rel}: all {sum(env.values())} entries are MaybeEncryptedRecord algorithm 1 with a 24-byte nonce")
        check(sum(v for k, v in env.items() if k[2]) > 0, f"{rel}: 46-byte envelopes (empty entries) seen: {sum(v for k, v in env.items() if k[2])}")
    else:
        m = fields(meta)
        check(set(m) <= {1, 2}, f"{rel}: etcd metadata is {{1 NodeID {m.get(1, 0):x}, 2 ClusterID {m.get(2, 0):x}}}")
    # Index continuity: gaps only where a snapshot record covers them.
    last, gap_ok, snap_idx = 0, True, 0
    for f in found:
        if f["type"] == 5:
            snap_idx = max(snap_idx, f["index"])
        if f["type"] == 2:
            i = f["index"]
            if i > last + 1 and i - 1 > snap_idx:
                gap_ok = False
            last = i
    check(gap_ok, f"{rel}: entry indexes continuous except where a snapshot record covers the gap")
    hs = [f for f in found if f["type"] == 3]
    ents = [f for f in found if f["type"] == 2]
    first = ents[0]
    term1 = [e for e in ents if e["term"] == 1]
    if kind == "swarm":
        check(first["index"] == 1 and first["entry_type"] == "confchange" and term1 == [first],
              f"{rel}: entry 1 is the only term-1 entry, a ConfChange (bootstrap AddNode)")
    else:
        check(first["index"] == 1 and term1 and all(e["entry_type"] == "confchange" for e in term1),
              f"{rel}: the term-1 entries are the bootstrap ConfChanges, one per initial member ({len(term1)})")
    return {"last_index": ents[-1]["index"] if ents else 0, "last_term": ents[-1]["term"] if ents else 0,
            "hardstate": (hs[-1]["term"], hs[-1]["vote"], hs[-1]["commit"]) if hs else None,
            "snapshots": [f["index"] for f in snaps], "entries": len(ents), "hardstates": len(hs),
            "confchanges": etypes.get("confchange", 0)}


def check_snap(path, kind, wal_snaps):
    rel = os.path.relpath(path, ROOT)
    buf = open(path, "rb").read()
    top = fields(buf)
    data = top.get(2, b"")
    check(top.get(1) == crc32c(0, data), f"{rel}: snappb crc = CRC-32C(data) (not chained)")
    s = fields(data)
    md = fields(s.get(2, b""))
    term, index = (int(x, 16) for x in os.path.basename(path)[:-5].split("-"))
    check(md.get(2) == index and md.get(3) == term, f"{rel}: metadata index {md.get(2)} term {md.get(3)} match the name")
    cs = md.get(1, b"")
    voters = [v for n, w, v, _ in wal.parse_fields(cs) if n == 1]
    check(index in wal_snaps, f"{rel}: its index {index} has a WAL snapshot record")
    if kind == "swarm":
        env = fields(s.get(1, b""))
        check(env.get(1) == 1 and len(env.get(3, b"")) == 24, f"{rel}: data is a MaybeEncryptedRecord (algorithm 1, 24-byte nonce); voters {[hex(v) for v in voters]}")
    return index


def check_swarm_dir(d, expect_snaps=None, locked=False):
    rel = os.path.relpath(d, ROOT)
    w = sorted(glob.glob(os.path.join(d, "raft/wal-v3-encrypted/*.wal")))
    check(len(w) == 1 and re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{16}\.wal", os.path.basename(w[0])) is not None,
          f"{rel}: one WAL named %016x-%016x.wal")
    facts = check_wal(w[0], "swarm")
    snaps = sorted(glob.glob(os.path.join(d, "raft/snap-v3-encrypted/*.snap")))
    for s in snaps:
        check_snap(s, "swarm", facts["snapshots"])
    if expect_snaps is not None:
        check(len(snaps) == expect_snaps, f"{rel}: {len(snaps)} .snap files kept (expected {expect_snaps})")
    key = open(os.path.join(d, "certificates/swarm-node.key")).read()
    hdr = dict(re.findall(r"^([a-z-]+): (\S+)$", key, re.M))
    dek = base64.b64decode(hdr.get("raft-dek", ""))
    kind = "ENCRYPTED PRIVATE KEY" if "BEGIN ENCRYPTED PRIVATE KEY" in key else "PRIVATE KEY"
    if locked:
        e = fields(dek)
        check(kind == "ENCRYPTED PRIVATE KEY" and len(dek) == 78 and e.get(1) == 1 and len(e.get(2, b"")) == 48 and len(e.get(3, b"")) == 24,
              f"{rel}: {kind}; raft-dek is a sealed MaybeEncryptedRecord (78 bytes, alg 1, 48-byte box, 24-byte nonce); kek-version {hdr.get('kek-version')}")
    else:
        check(kind == "PRIVATE KEY" and len(dek) == 34 and dek[:2] == b"\x12\x20",
              f"{rel}: {kind}; raft-dek header = 12 20 + 32-byte DEK (34 bytes); kek-version {hdr.get('kek-version')}")
    check(not any(h in hdr for h in ("raft-dek-pending", "raft-dek-needs-rotation")), f"{rel}: no raft-dek-pending / needs-rotation header")
    st = json.load(open(os.path.join(d, "state.json")))
    check(isinstance(st, list) and all(set(x) == {"node_id", "addr"} for x in st), f"{rel}: state.json is a list of {{node_id, addr}} ({len(st)})")
    ds = json.load(open(os.path.join(d, "docker-state.json")))
    check(True, f"{rel}: docker-state.json keys {sorted(ds)}")
    blob = b"".join(open(p, "rb").read() for p in glob.glob(os.path.join(d, "**"), recursive=True) if os.path.isfile(p) and "captured" not in p)
    check(b"/tmp/" not in blob and b"/var/lib" not in blob, f"{rel}: no file holds a host path")
    print(f"      {rel}: {facts['entries']} entries ({facts['confchanges']} confchange), {facts['hardstates']} HardStates, "
          f"snapshot records {facts['snapshots']}, last entry {facts['last_index']} (term {facts['last_term']}), "
          f"last HardState (term, vote, commit) = {facts['hardstate']}")
    return facts


def check_etcd_dir(d):
    rel = os.path.relpath(d, ROOT)
    w = sorted(glob.glob(os.path.join(d, "member/wal/*.wal")))
    facts = check_wal(w[0], "etcd")
    for s in sorted(glob.glob(os.path.join(d, "member/snap/*.snap"))):
        check_snap(s, "etcd", facts["snapshots"])
    print(f"      {rel}: {facts['entries']} entries, {facts['hardstates']} HardStates, snapshot records "
          f"{facts['snapshots']}, last entry {facts['last_index']}, last HardState {facts['hardstate']}")
    return facts


def chain_breaks(path):
    """Offsets of the records whose CRC does not match the running CRC-32C."""
    found, _ = wal.frames(path, with_data=True)
    crc, bad = 0, []
    for f in found:
        if f["type"] == 4:
            crc = f["crc"]
            continue
        crc = crc32c(crc, f["data"])
        if f["crc"] != crc:
            bad.append(f["offset"])
            crc = f["crc"]
    return bad


def check_damaged(d):
    """The damage DAMAGE.json records is what a stdlib reader finds, at that offset."""
    rel = os.path.relpath(d, ROOT)
    r = json.load(open(os.path.join(d, "DAMAGE.json")))
    kind = r["damage"]
    if kind == "missing-wal":
        check(not glob.glob(os.path.join(d, "**", "*.wal"), recursive=True), f"{rel}: no .wal file left")
        return
    path = os.path.join(d, r["file"])
    if kind == "snap-crc-mismatch":
        top = fields(open(path, "rb").read())
        check(top.get(1) != crc32c(0, top.get(2, b"")), f"{rel}: {r['file']} fails its CRC")
        return
    if kind in ("torn-tail", "length-beyond-eof"):
        try:
            wal.frames(path)
            check(False, f"{rel}: frame reader should stop at offset {r['frame_offset']}")
        except wal.WALError as e:
            check(e.offset == r["frame_offset"], f"{rel}: frame reader stops at offset {e.offset}: {e}")
        return
    bad = chain_breaks(path)
    check(bad == [r["frame_offset"]], f"{rel}: the CRC chain breaks exactly at offset {r['frame_offset']} (found {bad})")


def main(argv):
    global ROOT
    ROOT = os.path.abspath(argv[1] if len(argv) > 1 else "Fixtures/interop")
    check_swarm_dir(os.path.join(ROOT, "swarm-single"), expect_snaps=2)
    check_swarm_dir(os.path.join(ROOT, "swarm-autolock"), expect_snaps=1, locked=True)
    q = {}
    for i in (1, 2, 3):
        q[i] = check_swarm_dir(os.path.join(ROOT, f"swarm-quorum-lost/manager-{i}"), expect_snaps=1)
    surv = open(os.path.join(ROOT, "swarm-quorum-lost/captured/survivor.txt")).read().strip()
    s = q[int(surv[-1])]
    check(s["last_index"] > s["hardstate"][2],
          f"swarm-quorum-lost/{surv} (survivor): last entry {s['last_index']} above its commit {s['hardstate'][2]} (uncommitted entry on disk)")
    check_etcd_dir(os.path.join(ROOT, "etcd-single"))
    for i in (1, 2, 3):
        check_etcd_dir(os.path.join(ROOT, f"etcd-quorum-lost/member-{i}"))
    for d in sorted(glob.glob(os.path.join(ROOT, "damaged", "*"))):
        check_damaged(d)
    print(f"{len(failures)} fact(s) do not hold" if failures else "all facts hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
