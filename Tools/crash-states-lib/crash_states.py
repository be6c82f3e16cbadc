"""Enumerate the crash states of a recording (fs_model.Recording), bounded.

At each crash point (after every recorded call that changed something or
acknowledged an entry):

- all-kept      every volatile operation reached the disk;
- all-dropped   none did (only what was synced survives);
- drop-one      exactly one volatile data operation is lost, the others kept;
- torn          one volatile write keeps only some of its 512-byte sectors
                (a prefix, all but the first, only the last), the others kept;
                when the write grew the file, with and without the new size;
- names         a prefix of the volatile name operations survives (data kept).

States are deduplicated by content: one directory image stands for every
(point, choice) that produces it, and must hold the highest acknowledged index
among them.
"""

import hashlib

from fs_model import sectors

MAX_PREFIX_TEARS = 6


def tear_patterns(offset, length, old_size):
    """[(label, kept sectors, grown)] for one write; empty when it fits one sector."""
    secs = sectors(offset, length)
    n = len(secs)
    if n < 2:
        return []
    prefixes = range(1, n) if n - 1 <= MAX_PREFIX_TEARS else sorted({1, 2, n // 2, n - 2, n - 1})
    out = [(f"first {j}/{n} sectors", secs[:j]) for j in prefixes]
    out.append((f"all but the first of {n} sectors", secs[1:]))
    if n > 2:
        out.append((f"only the last of {n} sectors", secs[-1:]))
    grows = offset + length > old_size
    patterns = []
    for label, kept in out:
        patterns.append((label, kept, False))
        if grows:
            patterns.append((label + ", size grown", kept, True))
    return patterns


def _size_before(recording, inode, index):
    """The file's size just before op `index`, all earlier ops applied."""
    size = 0
    for op in recording.inodes[inode].ops[:index]:
        if op[1] == "write":
            size = max(size, op[2] + len(op[3]))
        elif op[1] == "truncate":
            size = op[2]
        elif op[1] == "allocate":
            size = max(size, op[2])
    return size


def choices(recording, point):
    """Yield (kind, description, kwargs for Recording.materialize) at a point."""
    vol = recording.volatile(point)
    yield "all-kept", "every volatile operation kept", {}
    if vol or point.ns_durable < point.ns_total:
        yield "all-dropped", "every volatile operation dropped", dict(
            dropped={(i, j) for _, i, j in vol}, ns_keep=point.ns_durable)
    if len(vol) > 1:
        for _, i, j in vol:
            yield "drop-one", f"only {describe(recording, i, j)} dropped", dict(dropped={(i, j)})
    for _, i, j in vol:
        op = recording.inodes[i].ops[j]
        if op[1] != "write":
            continue
        for label, kept, grown in tear_patterns(op[2], len(op[3]), _size_before(recording, i, j)):
            yield "torn", f"{describe(recording, i, j)} torn: {label}", dict(torn={(i, j): (kept, grown)})
    for keep in range(point.ns_durable, point.ns_total):
        yield "names", f"name operations {keep}/{point.ns_total} kept (data kept)", dict(ns_keep=keep)


def describe(recording, inode, index):
    op = recording.inodes[inode].ops[index]
    what = {"write": lambda: f"write @{op[2]} +{len(op[3])}", "truncate": lambda: f"truncate {op[2]}",
            "allocate": lambda: f"allocate {op[2]}"}[op[1]]()
    return f"op #{op[0]} ({what} to inode {inode})"


def digest(state):
    h = hashlib.sha256()
    for path in sorted(state):
        data = state[path]
        h.update(path.encode() + b"\0" + (b"D" if data is None else b"F" + len(data).to_bytes(8, "little") + data))
    return h.hexdigest()


class UniqueState:
    def __init__(self, key, state, point, kind, description):
        self.key, self.state = key, state
        self.acked = point.acked
        self.point, self.kind, self.description = point, kind, description
        self.origins = 0
        self.kinds = {}


def enumerate_states(recording, kinds=None):
    """(unique states in first-seen order, counts of (point, choice) pairs by kind).

    kinds: only these kinds of choice (default: all)."""
    unique = {}
    explored = {}
    for point in recording.points:
        for kind, description, kwargs in choices(recording, point):
            if kinds is not None and kind not in kinds:
                continue
            explored[kind] = explored.get(kind, 0) + 1
            state = recording.materialize(point, **kwargs)
            key = digest(state)
            u = unique.get(key)
            if u is None:
                u = unique[key] = UniqueState(key, state, point, kind, description)
            u.origins += 1
            u.kinds[kind] = u.kinds.get(kind, 0) + 1
            if point.acked > u.acked:
                # The strictest requirement wins; report the point that sets it.
                u.acked, u.point, u.kind, u.description = point.acked, point, kind, description
    return list(unique.values()), explored
