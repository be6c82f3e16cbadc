#!/usr/bin/env python3
"""Writes Fixtures/interop/README.md for Tools/make-interop-fixtures: one line per
fixture (how it was made, what it holds, what `raft-inspect verify` must say), with
the exact damage offsets of this build, the trim rule and its proof, the daemon
versions and the step timings. Standard library only.

Usage: interop-readme.py OUT_DIR DAMAGE_JSONL TIMINGS_TSV VERSIONS TOTAL_S
                         PROOF_SWARM PROOF_QUORUM PROOF_ETCD
"""
import glob
import importlib.util
import json
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "interop_trim", os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop-trim.py"))
wal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wal)


def summary(out, rel):
    """WAL and snapshot facts of one state directory, in words."""
    d = os.path.join(out, rel)
    parts = []
    for w in sorted(glob.glob(os.path.join(d, "**", "*.wal"), recursive=True)):
        found, buf = wal.frames(w)
        ents = [f for f in found if f["type"] == 2]
        states = [f for f in found if f["type"] == 3]
        snaps = [f["index"] for f in found if f["type"] == 5 and f["index"] > 0]
        idx = [f["index"] for f in ents]
        hs = states[-1] if states else {}
        parts.append(f"WAL {len(buf):,} B, {len(found)} records, entries {min(idx)}..{max(idx)} "
                     f"({len(ents)} records), snapshot records {snaps or 'none'}, "
                     f"last HardState term {hs.get('term')} commit {hs.get('commit')}")
    snapf = sorted(os.path.basename(s) for s in glob.glob(os.path.join(d, "**", "*.snap"), recursive=True))
    if snapf:
        parts.append(".snap: " + ", ".join(snapf))
    return "; ".join(parts)


def main(argv):
    if len(argv) != 9:
        print(__doc__.split("Usage: ")[1].split("\n\n")[0], file=sys.stderr)
        return 2
    out, damage_path, timings_path, versions, total, proof_swarm, proof_quorum, proof_etcd = argv[1:9]
    damages = [json.loads(l) for l in open(damage_path) if l.strip()]
    timings = [l.rstrip("\n").split("\t") for l in open(timings_path) if l.strip()]
    survivor = open(os.path.join(out, "swarm-quorum-lost/captured/survivor.txt")).read().strip()
    db_note = ("kept" if os.path.exists(os.path.join(out, "etcd-single/member/snap/db"))
               else open(os.path.join(out, "etcd-single/DB-DROPPED")).read().strip())
    w = []
    p = w.append
    p("# Interop fixtures: real Docker Swarm and etcd data\n")
    p("Made by `Tools/make-interop-fixtures` (as root, about 3 minutes) with the real daemons, in a private")
    p("network namespace on 127.0.0.1-3 (`Tools/lib/cluster.sh`). Rebuilding replaces this directory;")
    p("node IDs, keys, nonces, terms and the offsets below change on every build, the shape does not.")
    p(f"Built with: {versions}. Build time: {total} s.\n")
    p("Each Swarm fixture is a manager's `<data-root>/swarm/` without `worker/` (a 64 KiB bolt DB of")
    p("tasks): `raft/wal-v3-encrypted`, `raft/snap-v3-encrypted`, `certificates/` (the DEK is in the")
    p("`raft-dek` PEM header of `swarm-node.key`), `state.json`, `docker-state.json`. Each etcd fixture")
    p(f"is a member's `member/wal` and `member/snap` (bbolt `member/snap/db`: {db_note}).")
    p("`captured/` holds what the live daemon said just before it was stopped (JSON where the CLI")
    p("gives it): `node-ls.jsonl`, `node-inspect.json`, `service-inspect.json`, `secret-inspect.json`,")
    p("`config-inspect.json`, `info-swarm.json` (NodeID, cluster ID, managers); for etcd")
    p("`member-list.json`, `endpoint-status.json` (raft term, raft index, leader), `get-all.json`")
    p("(keys and values base64). dockerd's API does not expose the raft term or commit index; the")
    p("last HardState in the WAL (listed below) is the only source. `values.json` holds the plaintext")
    p("of every secret and config: secret values must never appear in tool output without")
    p("`--show-secrets`.\n")
    p("## Trim rule\n")
    p("Both daemons preallocate each WAL segment to 64,000,000 bytes of zeros. `Tools/interop-trim.py`")
    p("cuts each WAL **exactly at the end of its last complete frame** (offset + 8 + size + pad, so")
    p("8-aligned); it refuses if any byte it would remove is non-zero. A reader's end-of-log rule")
    p("(a zero length word, or the end of the file on a frame boundary) gives the same log before")
    p("and after. The `0.tmp` preallocated next segment exists only while a daemon runs and is")
    p("never copied. Proof, repeated on every build:\n")
    p(f"- {proof_swarm}.")
    p(f"- {proof_quorum}.")
    p(f"- {proof_etcd}.\n")
    p("## What `raft-inspect verify` must say\n")
    p("Healthy: exit 0. Torn tail (the last frame cut short, as a crash leaves it): exit 0 with a")
    p("notice naming the file and the frame offset. Any other damage: exit 1 naming the file and")
    p("the offset.\n")
    p("| fixture | how it was made | what it holds | verify |")
    p("|---|---|---|---|")
    p("| `swarm-single` | one manager, `swarm init --snapshot-interval 20 --max-snapshots 1`; 4 node labels, "
      "2 secrets, 2 configs, 3 services (`--replicas 0 --no-resolve-image`: web with a secret and a config, "
      "worker, cron), 3 service updates, 30+ node label updates until at least 5 entries follow the newest "
      f"snapshot | {summary(out, 'swarm-single')} | healthy, exit 0 |")
    p("| `swarm-autolock` | one manager; a label, a secret, a config, a service; `swarm update --autolock=true` "
      "(a DEK rotation: the older entries stay under the old DEK, which is in no file); a label; "
      "`swarm unlock-key --rotate`; a label. `unlock-key.txt` is the current key, "
      "`unlock-key-before-rotation.txt` the first one | "
      f"{summary(out, 'swarm-autolock')}; `swarm-node.key` is an ENCRYPTED PRIVATE KEY | healthy, exit 0 "
      "(the CRC chain needs no key; with the key, entries before the rotation snapshot are not decryptable) |")
    for i in (1, 2, 3):
        how = ("three managers on 127.0.0.1-3 (`--snapshot-interval 20`) taken through the seed story of "
               "`captured/story.tsv`: init on manager-1, two workers joined and promoted; labels, a secret, "
               "a config, a service; leader stopped, a new leader elected, the old one restarted (Reachable); "
               "all three stopped and started in parallel; then the two managers other than the leader stopped "
               f"({survivor} survived), a write made on it at that moment (it fails: `captured/quorum-lost-write.txt`) "
               "and `node ls` polled until it fails (`captured/quorum-lost-node-ls.txt`); `captured/` is the "
               "survivor's view just before the two stopped, `captured/1-built/` the view after the build"
               if i == 1 else "as manager-1: the same swarm, this manager's directory")
        role = " (the survivor: its last entry is uncommitted)" if survivor == f"manager-{i}" else ""
        p(f"| `swarm-quorum-lost/manager-{i}`{role} | {how} | "
          f"{summary(out, f'swarm-quorum-lost/manager-{i}')} | healthy, exit 0 |")
    p("| `etcd-single` | one member, `--snapshot-count 10`; 30 puts `/raftwal/fixture/key-NN`, key-01 "
      f"overwritten, key-02 deleted; clean stop | {summary(out, 'etcd-single')} | healthy, exit 0 |")
    for i in (1, 2, 3):
        how = ("three members on 127.0.0.1-3, `--snapshot-count 10`; 20 puts; member-2 and member-3 stopped, "
               "then a put and a read on member-1 (both fail: `captured/quorum-lost-*.txt`; endpoint status "
               "says `etcdserver: no leader`), then member-1 stopped" if i == 1
               else "as member-1: the same cluster, this member's directory")
        p(f"| `etcd-quorum-lost/member-{i}` | {how} | {summary(out, f'etcd-quorum-lost/member-{i}')} | healthy, exit 0 |")
    verdicts = {
        "torn-tail": "torn tail: exit 0 with a notice naming the file and frame offset {frame_offset} "
                     "(the frame ending at {frame_end} is cut at {cut_at})",
        "crc-mismatch": "damaged: exit 1, CRC mismatch in the record at offset {frame_offset} "
                        "(entry {index}, term {term}; byte {byte_offset} flipped, valid records follow)",
        "length-beyond-eof": "damaged: exit 1, the length word at offset {frame_offset} claims a {claimed_size}-byte "
                             "record, 4096 bytes past the end of the {file_size}-byte file, while valid frames follow "
                             "(etcd's reader would call it an unexpected EOF and its Repair would cut them)",
        "snap-crc-mismatch": "damaged: exit 1, snapshot CRC mismatch in `{file}` (byte {byte_offset} flipped); "
                             "the older snapshot is intact",
        "missing-wal": "damaged: exit 1, a snapshot but no WAL file (`{file}` renamed to `{renamed_to}`)",
    }
    how = {
        "torn-tail": "the last frame of the WAL cut in the middle (file truncated)",
        "crc-mismatch": "one bit flipped in the middle byte of one entry's data",
        "length-beyond-eof": "the length word of the middle frame rewritten to point 4096 bytes past the end",
        "snap-crc-mismatch": "one bit flipped in the middle byte of the newest .snap file",
        "missing-wal": "the only WAL file renamed out of the sequence: both daemons cut a second segment only "
                       "after 64 MB and have no segment-size setting, so a small multi-segment log cannot be made",
    }
    for d in damages:
        r = dict(d["record"])
        kind = r["damage"]
        extra = f" ({r['why']})" if "why" in r else ""
        if kind == "snap-crc-mismatch" and "file" in r:
            r["file"] = r["file"]
        p(f"| `{d['fixture']}` | `{d['from']}` with {how[kind]}{extra}; `DAMAGE.json` says exactly what | "
          f"`{r.get('file', '')}` | {verdicts[kind].format(**r)} |")
    p("\n## Build timings (this build)\n")
    p("| seconds | step |")
    p("|---|---|")
    for t, name in timings:
        p(f"| {t} | {name} |")
    print("\n".join(w))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
