#!/usr/bin/env python3
"""Replay a recorded writer's crash states and judge each with every reader.

Usage (Tools/crash-states records the traces and calls this):
  replay.py --root R --data DIR --seed S --segment-size N --bin BIN --work W
            [--budget K] [--jobs J] [--canary] [--no-writable] TRACE...

TRACE: strace logs of successive writer processes on the same directory, in
order. R: the directory the writer's --dir lives in (exists before the first
trace). Exit status: 0 every state passed (with --canary: the lie was
caught), 1 a loss or a disagreement (with --canary: not caught), 2 usage or
environment error.
"""

import argparse
import concurrent.futures
import os
import random
import shutil
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import strace_log  # noqa: E402
from crash_states import enumerate_states  # noqa: E402
from fs_model import ModelError, Recording  # noqa: E402
from readers import Readers, Verdict  # noqa: E402


def record(args):
    recording = Recording(args.root, lying_sync=args.canary)
    for path in args.traces:
        with open(path, encoding="ascii", errors="replace") as f:
            for e in strace_log.events(f):
                recording.feed(e)
        recording.next_process()
    return recording


def write_state(state, directory):
    os.makedirs(directory)
    for rel in sorted(state):
        path = os.path.join(directory, rel)
        if state[rel] is None:
            os.makedirs(path, exist_ok=True)
    for rel in sorted(state):
        if state[rel] is not None:
            path = os.path.join(directory, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(state[rel])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--root", required=True)
    ap.add_argument("--data", required=True, help="the writer's --dir, relative to --root")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--segment-size", type=int, required=True)
    ap.add_argument("--bin", required=True, help="directory holding raft-inspect and raft-torture")
    ap.add_argument("--format-check", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "format-check.py"))
    ap.add_argument("--work", required=True, help="scratch directory (failing states are kept here)")
    ap.add_argument("--budget", type=int, default=3000, help="most distinct states judged (sampled, seeded, beyond)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--canary", action="store_true", help="model a disk whose fsync lies: the loss must be caught")
    ap.add_argument("--no-writable", action="store_true", help="skip the writable open of each state")
    args = ap.parse_args(argv)
    started = time.monotonic()

    try:
        recording = record(args)
    except (strace_log.TraceError, ModelError) as e:
        print(f"crash-states: cannot model the recording: {e}", file=sys.stderr)
        return 2
    c = recording.counts
    print(f"crash-states: recorded {c['calls']} calls that change the disk or acknowledge, over {len(args.traces)} writer process(es): "
          f"{c['writes']} writes, {c['syncs']} syncs, {c['creates']} creates/mkdirs, {c['renames']} renames, "
          f"{c['unlinks']} unlinks, {c['truncates']} truncates, {c['allocates']} fallocates, {c['acks']} acks "
          f"(highest acknowledged index {recording.acked})")
    if recording.acked == 0:
        print("crash-states: the writer acknowledged nothing: nothing was tested", file=sys.stderr)
        return 2

    # The canary needs no tears: on a disk whose fsync lies, dropping every
    # volatile operation at an acknowledgement must already lose it.
    states, explored = enumerate_states(recording, kinds={"all-kept", "all-dropped"} if args.canary else None)
    print(f"crash-states: {len(recording.points)} crash points, {sum(explored.values())} crash states explored ("
          + ", ".join(f"{k} {v}" for k, v in sorted(explored.items())) + f"), {len(states)} distinct")
    chosen = states
    if len(states) > args.budget:
        rng = random.Random(args.seed)
        chosen = sorted(rng.sample(range(len(states)), args.budget))
        chosen = [states[i] for i in chosen]
        print(f"crash-states: budget {args.budget}: judging a seeded sample of {len(chosen)} of {len(states)} distinct states")

    readers = Readers(args.bin, os.path.normpath(args.format_check), args.seed, args.segment_size)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    def judge(numbered):
        n, u = numbered
        state_dir = os.path.join(args.work, f"state-{n:05d}")
        write_state(u.state, state_dir)
        data = os.path.join(state_dir, args.data)
        scratch = os.path.join(args.work, f"scratch-{n:05d}")
        os.makedirs(scratch)
        try:
            if not os.path.isdir(data):
                v = Verdict()
                v.notes.append("no data directory yet")
                if u.acked:
                    v.lose(f"the data directory is lost but {u.acked} was acknowledged")
            else:
                v = readers.judge(data, u.acked, scratch, writable=not args.no_writable)
        except Exception as e:  # a reader crashing is a finding, not a pass
            v = Verdict()
            v.failures.append(f"reader error: {type(e).__name__}: {e}")
        shutil.rmtree(scratch, ignore_errors=True)
        if not v.failures:
            shutil.rmtree(state_dir, ignore_errors=True)
        return n, u, v, state_dir

    failures, label_counts, losses = [], {}, 0

    def tally(n, u, v, state_dir):
        nonlocal losses
        key = "no log yet" if v.engine is None or "no log yet" in v.notes else ", ".join(sorted(v.engine))
        label_counts[key] = label_counts.get(key, 0) + 1
        if v.failures:
            failures.append((n, u, v, state_dir))
            losses += v.lost
        if (n + 1) % 50 == 0:
            print(f"crash-states: {n + 1}/{len(chosen)} states judged ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    if args.canary:
        # The canary stops at the first loss: states that must hold an
        # acknowledged entry, in crash-point order.
        chosen = sorted((u for u in chosen if u.acked), key=lambda u: (u.kind != "all-dropped", u.point.number))
        for numbered in enumerate(chosen):
            tally(*judge(numbered))
            if losses:
                chosen = chosen[:numbered[0] + 1]
                break
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for result in pool.map(judge, enumerate(chosen)):
                tally(*result)

    elapsed = time.monotonic() - started
    print("crash-states: engine labels per distinct state: "
          + "; ".join(f"{k}: {v}" for k, v in sorted(label_counts.items(), key=lambda kv: -kv[1])))
    for n, u, v, state_dir in failures[:10]:
        p = u.point
        print(f"FAILED state {n} (kept in {state_dir}): crash point {p.number} after trace line {p.line} "
              f"({p.what}), acknowledged {u.acked}; {u.kind}: {u.description}")
        for f in v.failures:
            print(f"  {f}")
    if len(failures) > 10:
        print(f"... and {len(failures) - 10} more failing states")
    print(f"crash-states: {len(chosen)} distinct states judged in {elapsed:.1f} s: "
          f"{len(failures)} failing ({losses} with acknowledged entries lost or unreadable)")
    if args.canary:
        if losses:
            print("crash-states: canary caught (a disk that lies about fsync loses acknowledged entries)")
            return 0
        print("crash-states: CANARY NOT CAUGHT")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
