#!/usr/bin/env python3
"""Trims etcd-format WAL files (Docker Swarm's wal-v3-encrypted, etcd's member/wal)
to the end of their last complete frame, and lists their frames.

Both daemons preallocate every WAL segment to 64,000,000 bytes of zeros. The log ends
at the first length word that is 0 or at the end of the file, so the zeros after the
last frame carry nothing. Trim rule (see Fixtures/interop/README.md): cut the file
exactly at the end of the last complete frame (8-aligned: offset + 8 + size + pad).
The tool refuses to trim, and changes nothing, if any byte it would remove is not zero
(it only ever removes preallocation) or if a frame runs past the end of the file.

Frame: [u64 little-endian length word][walpb.Record][0-7 zero pad bytes]; the low 56
bits of the word are the record size; if the top bit is set, its low 3 bits (of the
top byte) are the pad. Record: proto2 {1 type varint, 2 crc varint, 3 data bytes}.

Usage:
  interop-trim.py trim WAL...     trim each file in place; prints "file old -> new"
  interop-trim.py frames WAL      one JSON object per frame on stdout
Exit: 0 done, 1 a file cannot be trimmed (named with the offset), 2 usage.
Standard library only.
"""
import json
import os
import re
import struct
import sys

SIZE_MASK = (1 << 56) - 1
RECORD_TYPES = {1: "metadata", 2: "entry", 3: "state", 4: "crc", 5: "snapshot"}
ENTRY_TYPES = {0: "normal", 1: "confchange", 2: "confchangev2"}
MAX_RECORD_BYTES = 10 * 1024 * 1024  # etcd's own limit for one record


class WALError(Exception):
    """Damage or a format surprise, naming the file and the offset."""

    def __init__(self, path, offset, message):
        super().__init__(f"{path}: offset {offset}: {message}")
        self.path, self.offset = path, offset


def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def parse_fields(buf):
    """Top-level protobuf fields of buf: list of (number, wire type, value, value offset)."""
    fields, pos = [], 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            start = pos
            value, pos = read_varint(buf, pos)
            fields.append((number, wire, value, start))
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("length-delimited field past the end")
            fields.append((number, wire, buf[pos:pos + length], pos))
            pos += length
        elif wire == 1:
            fields.append((number, wire, buf[pos:pos + 8], pos))
            pos += 8
        elif wire == 5:
            fields.append((number, wire, buf[pos:pos + 4], pos))
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return fields


def varints(buf):
    return {n: v for n, w, v, _ in parse_fields(buf) if w == 0}


def describe(record, frame):
    """Adds record type, crc, data position and the decoded plaintext fields to frame."""
    rtype, crc, data, data_at = 0, 0, b"", None
    for number, wire, value, at in parse_fields(record):
        if number == 1 and wire == 0:
            rtype = value
        elif number == 2 and wire == 0:
            crc = value
        elif number == 3 and wire == 2:
            data, data_at = value, at
    frame.update(type=rtype, type_name=RECORD_TYPES.get(rtype, "unknown"), crc=crc,
                 data_len=len(data),
                 data_offset=None if data_at is None else frame["offset"] + 8 + data_at)
    if rtype == 2:
        f = {n: (v, w) for n, w, v, _ in parse_fields(data)}
        frame.update(entry_type=ENTRY_TYPES.get(f.get(1, (0, 0))[0], "unknown"),
                     term=f.get(2, (0, 0))[0], index=f.get(3, (0, 0))[0],
                     entry_data_len=len(f[4][0]) if 4 in f else 0)
    elif rtype == 3:
        v = varints(data)
        frame.update(term=v.get(1, 0), vote=v.get(2, 0), commit=v.get(3, 0))
    elif rtype == 5:
        v = varints(data)
        frame.update(index=v.get(1, 0), term=v.get(2, 0))
    return data


def frames(path, with_data=False):
    """Every complete frame of path, in order. Stops at the end-of-log (a zero length
    word or the end of the file). Raises WALError if a frame runs past the end."""
    with open(path, "rb") as f:
        buf = f.read()
    out, off = [], 0
    while off + 8 <= len(buf):
        word = struct.unpack_from("<Q", buf, off)[0]
        if word == 0:
            break
        size = word & SIZE_MASK
        pad = (word >> 56) & 0x7 if word >> 63 else 0
        if size > MAX_RECORD_BYTES:
            raise WALError(path, off, f"length word claims {size} bytes")
        end = off + 8 + size + pad
        if end > len(buf):
            raise WALError(path, off, f"frame of {size}+{pad} bytes runs past the end ({len(buf)})")
        frame = {"offset": off, "size": size, "pad": pad, "end": end}
        try:
            data = describe(buf[off + 8:off + 8 + size], frame)
        except ValueError as e:
            raise WALError(path, off, f"record does not parse: {e}")
        if with_data:
            frame["data"] = data
        out.append(frame)
        off = end
    if off < len(buf) and off + 8 > len(buf) and any(buf[off:]):
        raise WALError(path, off, "a partial length word at the end of the file")
    return out, buf


def trim(path):
    found, buf = frames(path)
    cut = found[-1]["end"] if found else 0
    nonzero = re.compile(rb"[^\x00]").search(buf, cut)
    if nonzero is not None:
        raise WALError(path, nonzero.start(), f"non-zero byte after the last frame (which ends at {cut}); not trimming")
    old = len(buf)
    if cut < old:
        os.truncate(path, cut)
    print(f"{path}: {old} -> {cut} ({len(found)} frames)")


def main(argv):
    if len(argv) >= 3 and argv[1] == "trim":
        try:
            for p in argv[2:]:
                trim(p)
        except (WALError, OSError) as e:
            print(f"interop-trim: {e}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 3 and argv[1] == "frames":
        try:
            found, _ = frames(argv[2])
        except (WALError, OSError) as e:
            print(f"interop-trim: {e}", file=sys.stderr)
            return 1
        for fr in found:
            print(json.dumps(fr))
        return 0
    print(__doc__.split("Usage:")[1].split("Standard")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
