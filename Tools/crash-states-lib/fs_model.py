"""A page-cache model rebuilt from a writer's recorded system calls.

Written for the crash-state test (Tools/crash-states), independently of the
project's simulated file system (Sources/RaftWALTesting/Sim*): it knows only
what strace saw the real writer do.

The model, per POSIX and in the spirit of "All File Systems Are Not Created
Equal" (Pillai et al., OSDI 2014):

- File data (writes, truncations, allocations) of a file is volatile until an
  fsync/fdatasync of that file *completes*; from then on, everything done to
  the file before that call *began* is durable.
- Names (creations, mkdir, renames, unlinks) are volatile until an fsync of the
  directory that holds them. Metadata reaches the disk in program order (a
  journaling file system's ordered metadata): a crash keeps a prefix of the
  volatile name operations. A rename is atomic.
- Data and names are independent: a kept rename may name a file whose
  unsynced data was lost, and the other way round.

A crash point is the moment after one recorded call. At a crash point every
durable operation survives; each volatile data operation may be kept, dropped
or (a write) torn at 512-byte sector granularity; a prefix of the volatile
name operations is kept.
"""

import os

SECTOR_BYTES = 512


class ModelError(Exception):
    """A call sequence this model does not handle (it refuses rather than guess)."""


class Inode:
    def __init__(self, number, kind):
        self.number, self.kind = number, kind
        self.ops = []        # data operations, in program order: (seq, kind, ...)
        self.synced = 0      # ops[:synced] are durable


class CrashPoint:
    """What is durable and what is volatile right after one recorded call."""

    def __init__(self, number, line, what, inode_counts, ns_durable, ns_total, acked):
        self.number, self.line, self.what = number, line, what
        self.inode_counts = inode_counts   # inode number -> (synced, total) data ops
        self.ns_durable, self.ns_total = ns_durable, ns_total
        self.acked = acked                 # highest index acknowledged before this point


class Recording:
    """The state machine fed with strace events (see strace_log.events)."""

    def __init__(self, root, lying_sync=False):
        self.root = os.path.normpath(root)
        self.lying_sync = lying_sync      # the canary: every fsync "succeeds" without syncing
        self.inodes = [Inode(0, "dir")]
        self.names = {self.root: 0}       # the live namespace (what the process sees)
        self.ns_ops = []                  # ("create"|"mkdir", path, inode) / ("rename", src, dst) / ("unlink", path)
        self.ns_durable = 0
        self.fds = {}                     # fd -> [path, inode or None, position] (one process: its threads share fds)
        self.sync_started = {}            # fd -> ops of its inode when an interleaved sync began
        self.acked = 0
        self.seq = 0
        self.points = []
        self.counts = {"calls": 0, "writes": 0, "syncs": 0, "renames": 0, "unlinks": 0, "creates": 0,
                       "truncates": 0, "allocates": 0, "acks": 0}

    # ------------------------------------------------------------ paths and fds

    def _path(self, dirfd, path):
        if path.startswith("/"):
            return os.path.normpath(path)
        if dirfd in ("AT_FDCWD", None):
            raise ModelError(f"relative path {path!r}: run the writer with an absolute --dir")
        base = self.fds.get(int(dirfd))
        if base is None:
            raise ModelError(f"path {path!r} relative to an unknown fd {dirfd}")
        return os.path.normpath(os.path.join(base[0], path))

    def _inside(self, path):
        return path == self.root or path.startswith(self.root + "/")

    def _ns(self, op):
        self.ns_ops.append(op)

    def _new(self, path, kind):
        """A new inode of `kind` named `path`: a create (file) or mkdir (dir)."""
        ino = len(self.inodes)
        self.inodes.append(Inode(ino, kind))
        self.names[path] = ino
        self._ns(("create" if kind == "file" else "mkdir", path, ino))
        self.counts["creates"] += 1
        return ino

    def _data(self, inode, op):
        self.seq += 1
        inode.ops.append((self.seq,) + op)

    # ------------------------------------------------------------ events

    def feed(self, e):
        # One trace is one process: its threads (strace -f shows their tids)
        # share the descriptor table, so fds are keyed by number alone.
        op = e["op"]
        changed = None
        if op == "open":
            path = self._path(e["dirfd"], e["path"])
            if not self._inside(path):
                return
            if e["append"]:
                # Each write would go to the end of the file, not to the
                # tracked position: refuse rather than model it wrong.
                raise ModelError(f"line {e['line']}: {path} opened with O_APPEND, which is not modelled")
            ino = self.names.get(path)
            if ino is None:
                if not e["create"]:
                    raise ModelError(f"line {e['line']}: {path} opened but not known to exist")
                ino = self._new(path, "file")
                changed = f"create {self._rel(path)}"
            elif e["trunc"] and self.inodes[ino].kind == "file":
                self._data(self.inodes[ino], ("truncate", 0))
                changed = f"truncate {self._rel(path)} (O_TRUNC)"
            self.fds[e["fd"]] = [path, ino, 0]
        elif op == "close":
            self.fds.pop(e["fd"], None)
        elif op == "dup":
            if e["old"] in self.fds:
                raise ModelError(f"line {e['line']}: dup of a recorded fd is not modelled")
        elif op == "lseek":
            if e["fd"] in self.fds:
                raise ModelError(f"line {e['line']}: lseek of a recorded fd is not modelled")
        elif op in ("pwrite", "write"):
            slot = self.fds.get(e["fd"])
            if slot is None:
                if e["fd"] == 1:
                    changed = self._acks(e["data"])
                return self._point(e, changed) if changed else None
            path, ino, pos = slot
            offset = e["offset"] if op == "pwrite" else pos
            if op == "write":
                slot[2] = pos + len(e["data"])
            self._data(self.inodes[ino], ("write", offset, e["data"]))
            self.counts["writes"] += 1
            changed = f"write {self._rel(path)} @{offset} +{len(e['data'])}"
        elif op == "ftruncate":
            slot = self._slot(e)
            if slot:
                self._data(self.inodes[slot[1]], ("truncate", e["size"]))
                self.counts["truncates"] += 1
                changed = f"ftruncate {self._rel(slot[0])} {e['size']}"
        elif op == "fallocate":
            slot = self._slot(e)
            if slot:
                if e["mode"] not in ("0",):
                    raise ModelError(f"line {e['line']}: fallocate mode {e['mode']} is not modelled")
                self._data(self.inodes[slot[1]], ("allocate", e["offset"] + e["length"]))
                self.counts["allocates"] += 1
                changed = f"fallocate {self._rel(slot[0])} {e['offset'] + e['length']}"
        elif op == "sync_start":
            slot = self._slot(e)
            if slot:
                self.sync_started[e["fd"]] = len(self.inodes[slot[1]].ops)
        elif op == "sync":
            slot = self._slot(e)
            if slot:
                self.counts["syncs"] += 1
                changed = f"{e['call']} {self._rel(slot[0]) or '.'}"
                if not self.lying_sync:
                    inode = self.inodes[slot[1]]
                    # Durable: what was done before the sync began.
                    inode.synced = max(inode.synced, self.sync_started.pop(e["fd"], len(inode.ops)))
                    if inode.kind == "dir":
                        self._sync_directory(slot[0])
        elif op == "rename":
            src, dst = self._path(e["srcdir"], e["src"]), self._path(e["dstdir"], e["dst"])
            if not self._inside(src) and not self._inside(dst):
                return
            if src not in self.names:
                raise ModelError(f"line {e['line']}: rename of unknown {src}")
            if self.inodes[self.names[src]].kind != "file":
                raise ModelError(f"line {e['line']}: rename of a directory is not modelled")
            self.names[dst] = self.names.pop(src)
            self._ns(("rename", src, dst))
            self.counts["renames"] += 1
            changed = f"rename {self._rel(src)} -> {self._rel(dst)}"
        elif op == "unlink":
            path = self._path(e["dirfd"], e["path"])
            if not self._inside(path):
                return
            self.names.pop(path, None)
            self._ns(("unlink", path))
            self.counts["unlinks"] += 1
            changed = f"unlink {self._rel(path)}"
        elif op == "mkdir":
            path = self._path(e["dirfd"], e["path"])
            if not self._inside(path):
                return
            self._new(path, "dir")
            changed = f"mkdir {self._rel(path)}"
        if changed:
            self._point(e, changed)

    def _slot(self, e):
        return self.fds.get(e["fd"])

    def _rel(self, path):
        return os.path.relpath(path, self.root) if path != self.root else ""

    def _acks(self, data):
        found = None
        for line in data.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "acked" and parts[1].isdigit():
                self.acked = max(self.acked, int(parts[1]))
                self.counts["acks"] += 1
                found = f"ack {self.acked}"
        return found

    def _sync_directory(self, path):
        # Durable: every name operation in this directory so far, and (ordered
        # metadata) every one before it.
        for i in range(len(self.ns_ops) - 1, self.ns_durable - 1, -1):
            op = self.ns_ops[i]
            paths = op[1:3] if op[0] == "rename" else op[1:2]
            if any(os.path.dirname(p) == path for p in paths):
                self.ns_durable = i + 1
                return

    def _point(self, e, what):
        self.counts["calls"] += 1
        counts = {i.number: (i.synced, len(i.ops)) for i in self.inodes if i.kind == "file"}
        self.points.append(CrashPoint(len(self.points), e["line"], what, counts, self.ns_durable, len(self.ns_ops), self.acked))

    def next_process(self):
        """A second writer process continues on the same page cache (fds die)."""
        self.fds = {}
        self.sync_started = {}

    # ------------------------------------------------------------ materializing

    def volatile(self, point):
        """The volatile data operations at a point: [(seq, inode, index)] in program order."""
        out = []
        for ino, (synced, total) in point.inode_counts.items():
            for j in range(synced, total):
                out.append((self.inodes[ino].ops[j][0], ino, j))
        return sorted(out)

    def materialize(self, point, dropped=(), torn=None, ns_keep=None):
        """The crash state as {relative path: bytes or None (a directory)}.

        dropped: set of (inode, index) volatile ops lost; torn: {(inode, index):
        (kept sector numbers, grown)}; ns_keep: how many name operations
        survive (default: all up to the point).
        """
        ns_keep = point.ns_total if ns_keep is None else ns_keep
        names = {self.root: 0}
        for op in self.ns_ops[:ns_keep]:
            if op[0] in ("create", "mkdir"):
                if os.path.dirname(op[1]) in names:
                    names[op[1]] = op[2]
            elif op[0] == "rename":
                if op[1] in names and os.path.dirname(op[2]) in names:
                    names[op[2]] = names.pop(op[1])
            elif op[0] == "unlink":
                names.pop(op[1], None)
        state = {}
        for path, ino in names.items():
            if path == self.root:
                continue
            inode = self.inodes[ino]
            if inode.kind == "dir":
                state[self._rel(path)] = None
                continue
            synced, total = point.inode_counts.get(ino, (0, 0))
            state[self._rel(path)] = self._contents(inode, synced, total, dropped, torn or {})
        return state

    def _contents(self, inode, synced, total, dropped, torn):
        buf = bytearray()
        for j in range(total):
            op = inode.ops[j]
            key = (inode.number, j)
            if j >= synced and key in dropped:
                continue
            kind = op[1]
            if kind == "write":
                offset, data = op[2], op[3]
                if j >= synced and key in torn:
                    kept, grown = torn[key]
                    _write_sectors(buf, offset, data, kept, grown)
                else:
                    _write(buf, offset, data)
            elif kind == "truncate":
                size = op[2]
                del buf[size:]
                buf.extend(bytes(size - len(buf)))
            elif kind == "allocate":
                if op[2] > len(buf):
                    buf.extend(bytes(op[2] - len(buf)))
        return bytes(buf)


def _write(buf, offset, data):
    if offset > len(buf):
        buf.extend(bytes(offset - len(buf)))
    buf[offset:offset + len(data)] = data


def sectors(offset, length):
    """The sector numbers a write of `length` bytes at `offset` touches."""
    return list(range(offset // SECTOR_BYTES, (offset + length - 1) // SECTOR_BYTES + 1)) if length else []


def _write_sectors(buf, offset, data, kept, grown):
    """Only the parts of the write in the `kept` sectors reach the disk; the
    rest keeps the old bytes (zeros past the old end). `grown`: the file's new
    size reached the disk even if its last sectors did not."""
    end = offset + len(data)
    for s in kept:
        lo, hi = max(offset, s * SECTOR_BYTES), min(end, (s + 1) * SECTOR_BYTES)
        _write(buf, lo, data[lo - offset:hi - offset])
    if grown and end > len(buf):
        buf.extend(bytes(end - len(buf)))
