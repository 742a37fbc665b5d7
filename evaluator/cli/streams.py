"""Standard streams a run may find closed (`>&-`, `<&-`), or unwritable (a full disk).

Started with a standard stream closed, Python sets sys.stdout (or stdin) to None, and the first
use was an AttributeError reported as an internal error (exit 3), or, through click.echo, output
silently lost with exit 0. `guard_standard_streams` puts a stand-in there whose first use raises
`cannot write standard output: it is closed` (OutputError) or `cannot read standard input: it is
closed` (InputError), exit 2: a command that writes to a file and reads no stdin still runs. The
closed descriptor itself is held open on /dev/null, so no file opened later takes its number
(an output file on descriptor 1 would receive whatever a library prints).

`flush_stdout` flushes standard output before the process exits, so a full disk is reported as
`cannot write standard output: No space left on device` (exit 2) instead of Python's "Exception
ignored" at shutdown, and `silence_stdout` makes later flushes harmless once that is said.
"""
from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, NoReturn

from ..errors import InputError, OutputError
from ..output.writers import WRITE_FAILURES

STDOUT, STDIN = "standard output", "standard input"


class ClosedStream:
    """Stands for a standard stream that was closed when the process started."""

    encoding = "utf-8"
    errors = "strict"
    closed = False

    def __init__(self, name: str, error: type[Exception]):
        self.name, self._error = name, error

    def _fail(self, *_args: Any, **_kw: Any) -> NoReturn:
        verb = "write" if self._error is OutputError else "read"
        raise self._error(f"cannot {verb} {self.name}: it is closed")

    write = writelines = read = read1 = readline = readinto = readlines = _fail

    @property
    def buffer(self) -> "ClosedStream":
        return self

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "closed")

    def isatty(self) -> bool:
        return False

    def flush(self) -> None:  # nothing was ever written
        return None

    def readable(self) -> bool:
        return self._error is InputError

    def writable(self) -> bool:
        return self._error is OutputError

    def __iter__(self) -> "ClosedStream":
        return self

    def __next__(self) -> str:
        self._fail()


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def guard_standard_streams() -> None:
    """Stand-ins for the standard streams that were closed at start (see the module docstring)."""
    for fd in (0, 1, 2):
        if not _closed(fd):
            continue
        null = os.open(os.devnull, os.O_RDWR)  # the lowest free number: `fd` itself
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if fd == 0:
            sys.stdin = ClosedStream(STDIN, InputError)
        elif fd == 1:
            sys.stdout = ClosedStream(STDOUT, OutputError)
        else:
            sys.stderr = open(os.devnull, "w")  # nowhere to report to: messages are dropped
    if sys.stdin is None:
        sys.stdin = ClosedStream(STDIN, InputError)
    if sys.stdout is None:
        sys.stdout = ClosedStream(STDOUT, OutputError)


def stdin_hint(path: str) -> None:
    """A run that reads standard input from a terminal says so, on one line of stderr: without
    it, `evaluator evaluate` with no FACTS seems to hang. Piped input gets no word."""
    if path != "-":
        return
    with contextlib.suppress(Exception):  # a stand-in or odd stream: no hint rather than an error
        if sys.stdin.isatty():
            sys.stderr.write("evaluator: reading partner records from standard input (JSON lines; end with Ctrl-D), "
                             "or give a FACTS file\n")
            sys.stderr.flush()


def silence_stdout() -> None:
    """Standard output to /dev/null from now on (descriptor and object), so what is left in its
    buffer can no longer fail at exit."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    with contextlib.suppress(Exception):
        sys.stdout = open(os.devnull, "w")


def flush_stdout() -> None:
    """Flush standard output; a write failure of the environment is an OutputError."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        if exc.errno not in WRITE_FAILURES:
            raise
        silence_stdout()
        raise OutputError(f"cannot write {STDOUT}: {exc.strerror}") from None
