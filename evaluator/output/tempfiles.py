"""The hidden temporary file `--output FILE` is written to, and those a killed run leaves behind.

A run writes FILE through `.evaluator-PID-START-BOOT-XXXXXXXX.tmp` beside it (writers.atomic_output)
and holds an exclusive flock on it while it writes. SIGKILL (or a machine's crash) cannot be
caught, so such a file may remain, possibly hundreds of megabytes. Each later run that writes into
the same folder looks at the temporary files there (`clean_stale`) and removes those whose writer
is provably gone: nobody holds the flock, and the process the name records is not running (no
process PID, or one that started at another time, or a previous boot of the machine). A file it
cannot prove abandoned (an older version's name, without a PID) is reported, not removed; one
locked, or whose writer runs, is in use and left alone.
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock to test, so nothing is ever removed
    fcntl = None  # type: ignore[assignment]

PREFIX = ".evaluator-"
SUFFIX = ".tmp"
_OURS = re.compile(r"\.evaluator-(\d+)-(\d+)-([0-9a-f]{8})-[A-Za-z0-9_]+\.tmp")
_OLDER = re.compile(r"\.evaluator-[A-Za-z0-9_]+\.tmp")  # named by earlier versions: no PID in it


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, /proc), or None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()  # after "(comm)", which may hold spaces
    return int(fields[19]) if len(fields) > 19 else None


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip().replace("-", "")[:8]
    except OSError:
        return "00000000"


def prefix() -> str:
    """The start of this process's temporary file names: who writes them, since when, which boot."""
    pid = os.getpid()
    return f"{PREFIX}{pid}-{_start_time(pid) or 0}-{_boot_id()}-"


def lock(fd: int) -> None:
    """Hold an exclusive lock on the temporary file while it is written (released when it closes)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlocked(path: str) -> bool:
    """Whether nobody holds the file's lock (checked by taking it, then letting it go)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also releases the lock


def _writer_gone(pid: int, start: int, boot: str) -> bool:
    if boot != _boot_id():
        return True  # written before the machine last started
    now = _start_time(pid)
    if now is None:
        return not os.path.exists(f"/proc/{pid}") if os.path.isdir("/proc") else False
    return now != start  # the PID was reused by a later process


def clean_stale(directory: str, note: Callable[[str], None]) -> None:
    """Remove the abandoned temporary files in `directory`; `note` each one removed, and each that
    looks abandoned but cannot be proven so."""
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(PREFIX) and e.name.endswith(SUFFIX)]
    except OSError:
        return
    for entry in entries:
        path = entry.path
        ours = _OURS.fullmatch(entry.name)
        if ours is None and not _OLDER.fullmatch(entry.name):
            continue
        try:
            size = entry.stat(follow_symlinks=False).st_size
            if not entry.is_file(follow_symlinks=False) or not _unlocked(path):
                continue  # being written (or not ours to touch)
        except OSError:
            continue
        if ours is not None:
            if not _writer_gone(int(ours.group(1)), int(ours.group(2)), ours.group(3)):
                continue  # its writer runs (about to take its lock, or to rename it into place)
            try:
                os.unlink(path)
            except OSError as exc:
                note(f"cannot remove {path}, the temporary output of a stopped run ({size:,} bytes): "
                     f"{exc.strerror or exc}")
            else:
                note(f"removed {path}, the temporary output of a run that was stopped (pid {ours.group(1)}; "
                     f"{size:,} bytes)")
            continue
        note(f"{path} ({size:,} bytes) looks like the temporary output of an interrupted run; remove it if no "
             "run is writing there")
