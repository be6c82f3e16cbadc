#!/usr/bin/env python3
"""Damages a copy of a real Docker Swarm / etcd WAL or snapshot file in one precise
way, for the damaged interop fixtures. Each command changes the file in place and
prints one JSON object saying exactly what it did (file, frame offset, byte offset).

Usage:
  interop-damage.py torn-tail WAL
      cut the last frame in the middle: the file ends at frame offset + 8 + size // 2
  interop-damage.py flip-entry WAL covered|uncovered
      flip the low bit of the middle byte of one entry record's data (a CRC mismatch).
      covered: the middle one of the entries at or below the newest snapshot record's
      index; uncovered: the middle one of the entries above it that other frames follow.
  interop-damage.py flip-middle-entry WAL
      the same for the middle entry of the file, whatever the snapshots
  interop-damage.py length-beyond-eof WAL
      set the length word of the middle frame so the frame ends 4096 bytes past the end
      of the file (pad bits kept); valid frames follow it
  interop-damage.py flip-snap SNAP
      flip the low bit of the middle byte of a .snap file
Exit: 0 done, 1 the file has no frame to damage, 2 usage. Standard library only.
"""
import importlib.util
import json
import os
import struct
import sys

_spec = importlib.util.spec_from_file_location(
    "interop_trim", os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop-trim.py"))
wal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wal)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([old ^ 0x01]))
    return old, old ^ 0x01


def flip_frame_data(path, frame, why):
    at = frame["data_offset"] + frame["data_len"] // 2
    old, new = flip(path, at)
    return {"file": path, "damage": "crc-mismatch", "why": why, "frame_offset": frame["offset"],
            "index": frame.get("index"), "term": frame.get("term"), "byte_offset": at,
            "old": old, "new": new}


def entries_of(found):
    return [f for f in found if f["type"] == 2 and f["data_len"] > 0]


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("Usage:")[1].split("Exit:")[0], file=sys.stderr)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "flip-snap":
        at = os.path.getsize(path) // 2
        old, new = flip(path, at)
        print(json.dumps({"file": path, "damage": "snap-crc-mismatch", "byte_offset": at, "old": old, "new": new}))
        return 0
    found, buf = wal.frames(path)
    if not found:
        print(f"interop-damage: {path}: no frames", file=sys.stderr)
        return 1
    if cmd == "torn-tail":
        last = found[-1]
        cut = last["offset"] + 8 + last["size"] // 2
        os.truncate(path, cut)
        print(json.dumps({"file": path, "damage": "torn-tail", "frame_offset": last["offset"],
                          "frame_end": last["end"], "record": last["type_name"], "cut_at": cut}))
        return 0
    if cmd == "flip-entry" and len(argv) == 4:
        snaps = [f["index"] for f in found if f["type"] == 5 and f["index"] > 0]
        if not snaps:
            print(f"interop-damage: {path}: no snapshot record", file=sys.stderr)
            return 1
        newest = max(snaps)
        if argv[3] == "covered":
            pick = [f for f in entries_of(found) if f["index"] <= newest]
        elif argv[3] == "uncovered":
            pick = [f for f in entries_of(found) if f["index"] > newest and f is not found[-1]]
        else:
            return 2
        if not pick:
            print(f"interop-damage: {path}: no {argv[3]} entry (newest snapshot {newest})", file=sys.stderr)
            return 1
        why = (f"covered by the newest snapshot, at {newest}" if argv[3] == "covered"
               else f"not covered by any snapshot: the newest is at {newest}")
        out = flip_frame_data(path, pick[len(pick) // 2], why)
        print(json.dumps(out))
        return 0
    if cmd == "flip-middle-entry":
        pick = [f for f in entries_of(found) if f is not found[-1]]
        print(json.dumps(flip_frame_data(path, pick[len(pick) // 2], "middle entry")))
        return 0
    if cmd == "length-beyond-eof":
        frame = found[len(found) // 2]
        off = frame["offset"]
        word = struct.unpack_from("<Q", buf, off)[0]
        size = len(buf) - off - 8 + 4096
        new_word = (word & ~wal.SIZE_MASK) | size
        with open(path, "r+b") as f:
            f.seek(off)
            f.write(struct.pack("<Q", new_word))
        print(json.dumps({"file": path, "damage": "length-beyond-eof", "frame_offset": off,
                          "old_word": f"{word:016x}", "new_word": f"{new_word:016x}",
                          "claimed_size": size, "file_size": len(buf)}))
        return 0
    print(__doc__.split("Usage:")[1].split("Exit:")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
