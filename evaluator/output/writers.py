"""Report: write decisions as JSONL, JSON, CSV or a table for people (CSV and the table: tables.py).

Writers stream: each takes an iterator of decisions (and error records) and writes them in input
order, one per record, without holding the batch. `atomic_output` writes a file through a
temporary file renamed into place on success, so an interrupted run never leaves half a file
and never truncates an existing one.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import math
import os
import signal
import stat
import sys
import tempfile
from typing import IO, Any, Callable, Iterable, Iterator

import orjson

from ..model.decision import DETAILS, FULL, Decision, InvalidRecord
from ..errors import EvaluatorError, OutputError
from ..model.policy import Policy
from ..fast.jsonbytes import json_line as _dumps
from ..fast.template import jsonl_line as template_line
from ..render.text import visible
from .tables import write_csv, write_table
from .tempfiles import SUFFIX, clean_stale, lock, prefix as temp_prefix
from .writeback import Writeback

Result = Decision | InvalidRecord


def write_jsonl(results: Iterable[Result], out: IO[str], policy: Policy, detail: str = FULL) -> None:
    for result in results:
        line = template_line(result, detail)  # the same text, from the decision's encoding's template
        out.write((line if line is not None else _dumps(result.to_dict(detail))) + "\n")


def has_nonfinite(data: Any) -> bool:
    """Whether a NaN or an infinity is anywhere in `data` (orjson writes them as null)."""
    if isinstance(data, float):
        return not math.isfinite(data)
    if isinstance(data, dict):
        return any(has_nonfinite(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        return any(has_nonfinite(v) for v in data)
    return False


def indented(data: Any) -> str:
    """json.dumps(data, ensure_ascii=False, indent=2), about forty times faster on a decision:
    orjson writes the same text except for floats below 1e-4 or from 1e16 (`0.00001` against
    `1e-05`: then the text holds "e-", "e+" or "0.0000" and is redone), non-finite floats (looked
    for first) and what it refuses (integers beyond 64 bits, lone surrogates: redone)."""
    if not has_nonfinite(data):
        try:
            raw = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        except TypeError:  # orjson.JSONEncodeError
            raw = b"e-"
        if b"e-" not in raw and b"e+" not in raw and b"0.0000" not in raw:
            return raw.decode("utf-8")
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_json(results: Iterable[Result], out: IO[str], policy: Policy, detail: str = FULL) -> None:
    out.write("[")
    first = True
    for result in results:
        out.write("\n" if first else ",\n")
        out.write(indented(result.to_dict(detail)))
        first = False
    out.write("\n]\n" if not first else "]\n")


WRITERS: dict[str, Callable[[Iterable[Result], IO[str], Policy], None]] = {
    "jsonl": write_jsonl,
    "json": write_json,
    "csv": write_csv,
    "table": write_table,
}


def output_writer(fmt: str, *, csv_raw: bool = False,
                  detail: str = FULL) -> Callable[[Iterable[Result], IO[str], Policy], None]:
    """The writer of `fmt` at a detail level (model/decision.py DETAILS); with `csv_raw`, CSV
    cells are written as they are (`--csv-raw`)."""
    if detail not in DETAILS:
        raise ValueError(f"detail: expected one of {', '.join(DETAILS)}, found {detail!r}")
    if fmt == "csv":
        return functools.partial(write_csv, raw=csv_raw, detail=detail)
    return WRITERS[fmt] if detail == FULL else functools.partial(WRITERS[fmt], detail=detail)  # type: ignore[call-arg]


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[IO[str]]:
    """A text file written to a temporary name beside `path` and renamed over it only when the
    block completes; on any error or signal the temporary file is removed and `path` is untouched.
    The temporary files that runs killed by SIGKILL left beside `path` are removed first when their
    writer is provably gone, or reported (tempfiles.py).

    The new file keeps the mode of the file it replaces (else the umask's default); a symlink is
    followed, not replaced; a device or pipe (`/dev/null`, a FIFO) cannot be replaced atomically
    and is written directly. A path that cannot be written is an EvaluatorError (exit 2).
    The file is made durable (fsync) before the rename; it is written to disk as it grows
    (writeback.Writeback), so that fsync waits for the last few megabytes, not the whole file."""
    target = os.path.realpath(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise EvaluatorError(f"cannot write {path}: {exc.strerror or exc}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            special = open(target, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise EvaluatorError(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            with special:
                yield special
        except OSError as exc:
            if exc.errno not in WRITE_FAILURES:
                raise
            with contextlib.suppress(OSError):
                special.close()  # what is left in its buffer cannot be written either
            raise OutputError(f"cannot write {path}: {exc.strerror}") from None
        return
    directory = os.path.dirname(target)
    clean_stale(directory, _say)  # what a killed run left there: removed once provably abandoned
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=SUFFIX, dir=directory)
    except OSError as exc:
        raise EvaluatorError(f"cannot write {path}: {exc.strerror or exc}") from None
    lock(fd)  # held while it is written: a later run can tell it is in use
    try:
        os.chmod(tmp, stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            with Writeback(fh.fileno()):  # written to disk as it grows: the fsync below waits for the end only
                yield fh
                fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in WRITE_FAILURES:  # a full disk is not a bug
            raise OutputError(f"cannot write {path}: {exc.strerror}; {path} is unchanged") from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# the errors of a write that are the environment's (a full disk, a quota, a read-only or failing
# device), reported as `cannot write FILE: ...` (exit 2)
WRITE_FAILURES = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS}


def _say(text: str) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"note: {visible(text)}\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_handlers_pid = 0  # the process that installed _terminate


def _terminate(signum: int, _frame: Any) -> None:
    if os.getpid() != _handlers_pid:
        # a --jobs worker told to end before it set its own handlers (in the middle of the fork):
        # a SystemExit raised in an at-fork hook is only printed, and the worker lived on
        os._exit(128 + signum)
    raise SystemExit(128 + signum)


def exit_cleanly_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so `finally` blocks and atomic_output still clean
    up when a run is stopped (SIGINT already raises KeyboardInterrupt; SIGKILL cannot be caught,
    and then only the hidden temporary file can remain, which the next run into that folder removes:
    the output file is never half written)."""
    global _handlers_pid
    _handlers_pid = os.getpid()
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(ValueError, OSError):  # not the main thread: leave them be
                signal.signal(getattr(signal, name), _terminate)


def text_safe_stdout() -> None:
    """Output is UTF-8 whatever the locale says when it goes to a file or pipe (it is data); a
    terminal keeps its encoding but shows a character it lacks as '?' rather than failing."""
    stream = sys.stdout
    with contextlib.suppress(AttributeError, ValueError, OSError):
        if stream.isatty():
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        elif stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
