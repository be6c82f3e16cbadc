"""The three readers of a crash state, and the writable open.

- the engine: `RaftLog.open` read-only and strict, as `raft-inspect verify
  --format json` reports it in its `engine` object (labels of the open, or
  the row of its refusal);
- the inspector: the labels of `raft-inspect verify`'s findings;
- the Python reader: `Tools/format-check.py`, loaded as a module (the same
  steps as its `main`, without a process per state);
- `raft-torture check`: entries 1...acked present and byte-exact (read-only);
- the writable open: a copy opened by `raft-torture writer` (tail repair),
  then `raft-torture check` again and the Python reader on the result.
"""

import importlib.util
import json
import os
import shutil
import subprocess

R0 = "R0-clean"


def load_format_check(path):
    spec = importlib.util.spec_from_file_location("format_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Verdict:
    """What one state got from every reader; `failures` empty means it passed."""

    def __init__(self):
        self.engine = self.inspector = self.python = self.python_after_open = None
        self.python_last_index = None
        self.failures = []
        self.notes = []
        self.lost = False     # an acknowledged entry is missing, differs, or cannot be read

    def lose(self, message):
        self.lost = True
        self.failures.append(message)


class Readers:
    def __init__(self, bin_dir, format_check_path, seed, segment_size):
        self.inspect = os.path.join(bin_dir, "raft-inspect")
        self.torture = os.path.join(bin_dir, "raft-torture")
        self.fc = load_format_check(format_check_path)
        self.seed, self.segment_size = str(seed), str(segment_size)

    def _run(self, args):
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def python_labels(self, directory):
        """(label set, last index, refused message or None, problems)."""
        log = self.fc.Log()
        try:
            self.fc.check_directory(directory, True, log)
        except self.fc.Refused as e:
            log.note(e.label)
            return frozenset(log.labels), None, str(e), []
        return frozenset(log.labels), log.last_index, None, list(log.problems)

    def engine_and_inspector(self, directory):
        rc, out, err = self._run([self.inspect, "verify", directory, "--format", "json"])
        if rc not in (0, 1):
            raise RuntimeError(f"raft-inspect verify exited {rc}: {err.strip()[:300]}")
        report = json.loads(out)
        engine = report["engine"]
        if engine["opens"]:
            engine_labels = frozenset(engine["labels"])
        else:
            engine_labels = frozenset([engine.get("refusedAs") or "refused: " + (engine["error"] or "?")])
        found = [f["label"] for f in report["problems"] + report["notices"] if f.get("label")]
        inspector_labels = frozenset(found) if found else frozenset([R0])
        return engine_labels, inspector_labels, engine, report

    def check(self, directory, acked):
        return self._run([self.torture, "check", "--dir", directory, "--seed", self.seed, "--acked", str(acked),
                          "--segment-size", self.segment_size])

    def writable_open(self, directory):
        # --entries 1: the writer opens (repairing the tail) and appends only
        # when the log is empty.
        return self._run([self.torture, "writer", "--dir", directory, "--seed", self.seed, "--entries", "1",
                          "--segment-size", self.segment_size])

    def judge(self, directory, acked, scratch, writable=True):
        """Run every reader on `directory` (a crash state) that must hold 1...acked."""
        v = Verdict()
        if not any(n.endswith(".seg") for n in os.listdir(directory)):
            # No log yet (the first segment's rename is not durable): every
            # reader says "not a log"; nothing may have been acknowledged.
            v.notes.append("no log yet")
            rc, out, err = self.check(directory, acked)
            if acked or rc != 0:
                v.lose(f"no segment file but {acked} acknowledged: raft-torture check exit {rc}: {(out + err).strip()[:300]}")
            return v
        py, v.python_last_index, refused, problems = self.python_labels(directory)
        v.python = py
        eng, ins, engine, report = self.engine_and_inspector(directory)
        v.engine, v.inspector = eng, ins
        if refused:
            v.notes.append("python refused: " + refused)
        if problems:
            v.failures.append(f"python reader problems: {problems}")
        if engine["opens"]:
            agree = eng == ins == py
        else:
            # A refusal stops the engine at its row; the others also list the
            # crash leftovers they met first (T4 ...): compare the refusing rows (C, A1).
            def rows(labels):
                return {label for label in labels if label.startswith(("C", "A"))}
            agree = eng == rows(ins) == rows(py)
        if not agree:
            v.failures.append(f"readers disagree: engine {sorted(eng)}, inspector {sorted(ins)}, python {sorted(py)}")
        if engine["opens"] and not refused:
            # The same log, not only the same row: the last index each reads.
            ends = (engine["lastIndex"], report["lastIndex"], v.python_last_index)
            if len(set(ends)) != 1:
                v.failures.append(f"readers disagree on the last index: engine {ends[0]}, inspector {ends[1]}, python {ends[2]}")
        if acked and (v.python_last_index or 0) < acked:
            v.lose(f"python reader: last index {v.python_last_index} < acknowledged {acked}")
        rc, out, err = self.check(directory, acked)
        if rc != 0:
            v.lose(f"raft-torture check (read-only) exit {rc}: {(out + err).strip()[:400]}")
        if writable:
            copy = os.path.join(scratch, "writable")
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(directory, copy, symlinks=True)
            rc, out, err = self.writable_open(copy)
            if rc != 0:
                v.failures.append(f"writable open (raft-torture writer) exit {rc}: {(out + err).strip()[:400]}")
            else:
                rc, out, err = self.check(copy, acked)
                if rc != 0:
                    v.lose(f"raft-torture check after the writable open exit {rc}: {(out + err).strip()[:400]}")
                after, last, refused_after, problems_after = self.python_labels(copy)
                v.python_after_open = after
                if refused_after or problems_after or any(l.startswith(("C", "A")) for l in after):
                    v.failures.append(f"python reader after the writable open: {sorted(after)} {refused_after or ''} {problems_after}")
            shutil.rmtree(copy, ignore_errors=True)
        return v
