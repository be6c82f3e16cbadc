#!/usr/bin/env python3
"""Self-test of the crash-state model on a small hand-written strace log.

Each check states one rule of fs_model's durability model; Tools/crash-states
runs this before it trusts the model with the real writer's trace.
Exit status: 0 every rule holds, 1 one does not.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import strace_log  # noqa: E402
from crash_states import enumerate_states, tear_patterns  # noqa: E402
from fs_model import ModelError, Recording  # noqa: E402


def hexs(data):
    return '"' + "".join(f"\\x{b:02x}" for b in data) + '"'


ROOT = "/r"
A, B, T = b"/r/d/a", b"/r/d/b", b"/r/d/a.tmp"
TRACE = [
    f'1 mkdir({hexs(b"/r/d")}, 0755) = 0',
    f'1 openat(AT_FDCWD, {hexs(b"/r")}, O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3',
    '1 fsync(3) = 0',
    f'1 openat(AT_FDCWD, {hexs(T)}, O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 4',
    f'1 pwrite64(4, {hexs(b"H" * 1024)}, 1024, 0) = 1024',
    '1 fsync(4) = 0',
    f'1 rename({hexs(T)}, {hexs(A)}) = 0',
    f'1 openat(AT_FDCWD, {hexs(b"/r/d")}, O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 5',
    '1 fsync(5) = 0',
    f'1 pwrite64(4, {hexs(b"x" * 1000)}, 1000, 1024) = 1000',
    '2 fdatasync(4 <unfinished ...>',
    '1 write(1, "\\x61\\x63\\x6b\\x65\\x64\\x20\\x31\\x0a", 8) = 8',
    '2 <... fdatasync resumed>) = 0',
    f'1 pwrite64(4, {hexs(b"y" * 1100)}, 1100, 2024) = 1100',
    f'1 openat(AT_FDCWD, {hexs(B)}, O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 6',
    f'1 write(1, {hexs(b"acked 2")}, 7) = 7',
]

failures = []


def expect(condition, rule):
    print(("ok    " if condition else "FAIL  ") + rule)
    if not condition:
        failures.append(rule)


def main():
    r = Recording(ROOT)
    for e in strace_log.events(TRACE):
        r.feed(e)
    last = r.points[-1]
    expect(last.acked == 2, "acknowledgements are read from the writer's stdout in trace order")
    # The ack line precedes the fdatasync's completion: the point after it
    # must not yet count the record as durable.
    ack1 = next(p for p in r.points if p.what == "ack 1")
    dropped = r.materialize(ack1, dropped={(i, j) for _, i, j in r.volatile(ack1)}, ns_keep=ack1.ns_durable)
    expect(dropped.get("d/a") == b"H" * 1024, "a write is volatile until its file's fsync completes")
    everything = r.materialize(last)
    expect(everything["d/a"] == b"H" * 1024 + b"x" * 1000 + b"y" * 1100, "all kept: every write applied in order")
    lost = r.materialize(last, dropped={(i, j) for _, i, j in r.volatile(last)}, ns_keep=last.ns_durable)
    expect(lost["d/a"] == b"H" * 1024 + b"x" * 1000, "all dropped: what was synced survives, the rest is gone")
    expect("d/b" not in lost and "d/b" in everything, "a creation is volatile until its directory's fsync")
    expect("d/a" in lost and "d/a.tmp" not in lost, "a rename followed by a directory fsync is durable")
    op = next((i, j) for _, i, j in r.volatile(last))
    seg = r.materialize(last, torn={op: ([4, 5], False)})   # write 2024..3124 covers sectors 3..6
    data = seg["d/a"]
    expect(data[2024:2048] == bytes(24) and data[2048:3072] == b"y" * 1024 and len(data) == 3072,
           "a torn write keeps only its kept sectors; the file ends at the last kept byte")
    grown = r.materialize(last, torn={op: ([3], True)})["d/a"]
    expect(len(grown) == 3124 and grown[2024:2048] == b"y" * 24 and grown[2048:] == bytes(1076),
           "a torn write with its size grown reads zeros where sectors were lost")
    expect(tear_patterns(0, 512, 0) == [], "a one-sector write is atomic")
    expect(len(tear_patterns(0, 2048, 0)) == 2 * (3 + 2), "a 4-sector write: 3 prefixes, all-but-first, last-only, each grown or not")
    expect(len(tear_patterns(0, 2048, 4096)) == 3 + 2, "a write inside the file's size has no grown variant")
    interleaved = Recording(ROOT)
    for e in strace_log.events(TRACE[:6] + [
            '2 fsync(4 <unfinished ...>',
            f'1 pwrite64(4, {hexs(b"z" * 10)}, 10, 1024) = 10',
            '2 <... fsync resumed>) = 0']):
        interleaved.feed(e)
    p = interleaved.points[-1]
    after = interleaved.materialize(p, dropped={(i, j) for _, i, j in interleaved.volatile(p)})
    expect(after["d/a.tmp"] == b"H" * 1024, "a write that lands while a sync runs is not made durable by it")
    states, explored = enumerate_states(r)
    expect(explored["all-kept"] == len(r.points) and len(states) >= 5, "every crash point yields its states")
    try:
        list(strace_log.events(['1 pwrite64(4, "\\x41\\x42"..., 10, 0) = 10']))
        expect(False, "a string truncated by strace is refused")
    except strace_log.TraceError:
        expect(True, "a string truncated by strace is refused")
    for extra, rule in ((f'1 openat(AT_FDCWD, {hexs(B)}, O_WRONLY|O_APPEND|O_CREAT, 0644) = 7',
                         "an O_APPEND open of a recorded file is refused, not modelled"),
                        ('1 lseek(4, 0, SEEK_END) = 3124', "an lseek of a recorded fd is refused, not modelled")):
        refused = Recording(ROOT)
        try:
            for e in strace_log.events(TRACE + [extra]):
                refused.feed(e)
            expect(False, rule)
        except ModelError:
            expect(True, rule)
    canary = Recording(ROOT, lying_sync=True)
    for e in strace_log.events(TRACE):
        canary.feed(e)
    point = canary.points[-1]
    lied = canary.materialize(point, dropped={(i, j) for _, i, j in canary.volatile(point)}, ns_keep=point.ns_durable)
    expect("d" not in lied, "the canary's lying fsync keeps nothing durable")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
