"""Parse an `strace -f -xx -s BIG` log into the file-system calls of a writer.

Only what changes a file system's state (or acknowledges an entry) is kept:
opens (with O_CREAT / O_TRUNC / O_APPEND), write/pwrite64/writev/pwritev,
ftruncate, fallocate, fsync/fdatasync, rename*, unlink*, mkdir*, close, dup*,
lseek (which the model refuses on a recorded fd). A call that
failed (`= -1 ...`) changed nothing and is skipped. Every string argument must
be complete (`-xx` hex, no `...` truncation), or parsing stops with an error.
"""

import re

# One call: "PID name(args) = result" (strace -f writes the pid first).
_LINE = re.compile(r"^(\d+)\s+([a-z0-9_]+)\((.*)\)\s+=\s+(-?\d+|\?)(?:\s.*)?$")
_UNFINISHED = re.compile(r"^(\d+)\s+([a-z0-9_]+)\((.*) <unfinished \.\.\.>$")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. ([a-z0-9_]+) resumed>(.*)\)\s+=\s+(-?\d+|\?)(?:\s.*)?$")


class TraceError(Exception):
    """A line of the strace log this parser cannot trust."""


def _split_args(text):
    """Top-level comma split that respects quotes, brackets and braces."""
    out, depth, cur, quoted, i = [], 0, [], False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            cur.append(c)
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
            cur.append(c)
        elif c in "[{(":
            depth += 1
            cur.append(c)
        elif c in "]})":
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if cur or out:
        out.append("".join(cur).strip())
    return out


def _string(arg, where):
    """A `-xx` string argument as bytes; refuses a truncated one (`"..."...`)."""
    if not arg.startswith('"'):
        raise TraceError(f"{where}: expected a string, got {arg[:40]!r}")
    end = arg.rindex('"')
    if arg[end + 1:].strip().startswith("..."):
        raise TraceError(f"{where}: string truncated by strace (raise -s)")
    body = arg[1:end]
    if body and not re.fullmatch(r"(\\x[0-9a-f]{2})*", body):
        raise TraceError(f"{where}: string not in -xx form: {body[:40]!r}")
    return bytes.fromhex(body.replace("\\x", ""))


def _int(arg):
    return int(arg, 0)


def _iovecs(arg, where):
    """`[{iov_base="...", iov_len=N}, ...]` as one byte string."""
    data = b""
    for m in re.finditer(r'iov_base=("(?:[^"\\]|\\.)*"(?:\.\.\.)?)', arg):
        data += _string(m.group(1), where)
    return data


def calls(lines):
    """Yield (pid, name, args, result) for each completed call, in completion order."""
    pending = {}
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line or line.startswith("+++") or " +++ " in line or " --- " in line:
            continue
        m = _UNFINISHED.match(line)
        if m:
            pending[(m.group(1), m.group(2))] = m.group(3)
            if m.group(2) in ("fsync", "fdatasync"):
                # A sync covers what was written before it began: say when.
                yield number, m.group(1), m.group(2) + "_start", _split_args(m.group(3)), 0
            continue
        m = _RESUMED.match(line)
        if m:
            head = pending.pop((m.group(1), m.group(2)), None)
            if head is None:
                raise TraceError(f"line {number}: resumed call without its start: {line[:80]}")
            text = head + m.group(3)
            pid, name, result = m.group(1), m.group(2), m.group(4)
        else:
            m = _LINE.match(line)
            if not m:
                raise TraceError(f"line {number}: not a call: {line[:80]}")
            pid, name, text, result = m.groups()
        if result == "?":
            continue
        yield number, pid, name, _split_args(text), int(result)


AT_FDCWD = "AT_FDCWD"


def events(lines):
    """The calls as events: dicts with 'op' and what the op needs.

    ops: mkdir(path), open(fd, path, create, trunc, append),
    close(fd), dup(old, new), lseek(fd), pwrite(fd, offset, data), write(fd, data),
    ftruncate(fd, size), fallocate(fd, mode, offset, length), sync(fd),
    sync_start(fd) (a sync that another thread's calls interleave with),
    rename(src, dst), unlink(path). Paths are as the writer named them
    (absolute, or relative to AT_FDCWD or to a directory fd: 'dirfd').
    """
    for number, _pid, name, a, result in calls(lines):
        where = f"line {number} ({name})"
        if result < 0:
            continue
        e = None
        if name in ("open", "openat", "creat"):
            if name == "openat":
                dirfd, path, flags = a[0], _string(a[1], where), a[2]
            else:
                dirfd, path, flags = AT_FDCWD, _string(a[0], where), (a[1] if name == "open" else "O_CREAT|O_WRONLY|O_TRUNC")
            e = dict(op="open", fd=result, dirfd=dirfd, path=path.decode(), create="O_CREAT" in flags,
                     trunc="O_TRUNC" in flags, append="O_APPEND" in flags)
        elif name == "close":
            e = dict(op="close", fd=_int(a[0]))
        elif name in ("dup", "dup2", "dup3"):
            e = dict(op="dup", old=_int(a[0]), new=result)
        elif name in ("lseek", "_llseek"):
            e = dict(op="lseek", fd=_int(a[0]))
        elif name == "pwrite64":
            e = dict(op="pwrite", fd=_int(a[0]), data=_string(a[1], where)[:result], offset=_int(a[3]))
        elif name == "write":
            e = dict(op="write", fd=_int(a[0]), data=_string(a[1], where)[:result])
        elif name in ("writev",):
            e = dict(op="write", fd=_int(a[0]), data=_iovecs(a[1], where)[:result])
        elif name in ("pwritev", "pwritev2"):
            e = dict(op="pwrite", fd=_int(a[0]), data=_iovecs(a[1], where)[:result], offset=_int(a[3]))
        elif name == "ftruncate":
            e = dict(op="ftruncate", fd=_int(a[0]), size=_int(a[1]))
        elif name == "fallocate":
            e = dict(op="fallocate", fd=_int(a[0]), mode=a[1], offset=_int(a[2]), length=_int(a[3]))
        elif name in ("fsync", "fdatasync"):
            e = dict(op="sync", fd=_int(a[0]), call=name)
        elif name in ("fsync_start", "fdatasync_start"):
            e = dict(op="sync_start", fd=_int(a[0]))
        elif name in ("rename", "renameat", "renameat2"):
            if name == "rename":
                e = dict(op="rename", srcdir=AT_FDCWD, src=_string(a[0], where).decode(), dstdir=AT_FDCWD, dst=_string(a[1], where).decode())
            else:
                e = dict(op="rename", srcdir=a[0], src=_string(a[1], where).decode(), dstdir=a[2], dst=_string(a[3], where).decode())
        elif name in ("unlink", "unlinkat", "rmdir"):
            if name == "unlinkat":
                e = dict(op="unlink", dirfd=a[0], path=_string(a[1], where).decode())
            else:
                e = dict(op="unlink", dirfd=AT_FDCWD, path=_string(a[0], where).decode())
        elif name in ("mkdir", "mkdirat"):
            if name == "mkdirat":
                e = dict(op="mkdir", dirfd=a[0], path=_string(a[1], where).decode())
            else:
                e = dict(op="mkdir", dirfd=AT_FDCWD, path=_string(a[0], where).decode())
        elif name in ("truncate", "link", "linkat", "symlink", "symlinkat", "sync_file_range", "syncfs", "sync"):
            raise TraceError(f"{where}: {name} is not modelled by this recorder")
        if e is not None:
            e["line"] = number
            yield e
