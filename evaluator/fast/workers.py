"""The worker side of `evaluate --jobs N` (fast/parallel.py): what each worker process runs.

A worker is forked by the parent's pool (fast/pool.py), builds its own Evaluator once
(init_worker) and then turns each chunk of input into output text (work). A worker that cannot
start never prints a traceback: short of memory, threads or processes (a memory limit the parent
just fitted under) it ends with exit status WORKER_SHORT, for any other failure with
WORKER_FAILED after one line on stderr, and the parent turns either into a clear error (exit 2 or
3). When it has started it says so in `started`, shared memory the parent reads, so that a pool
none of whose workers ever starts is an error rather than a wait.
"""
from __future__ import annotations

import datetime as _dt
import errno
import io
import os
import sys
from typing import Any, Iterable, Iterator

from ..load import records as _records
from ..evaluate.evaluator import Evaluator
from ..model.decision import FULL
from ..model.policy import Policy
from ..output.writers import output_writer
from .lane import jsonl_bytes

WORKER_SHORT = 75    # exit status of a worker that could not start for want of memory, threads or processes
WORKER_FAILED = 76   # exit status of a worker that could not start for another reason (said on stderr)
_NO_MEMORY = ("failed to map segment", "cannot allocate memory", "out of memory")

_worker: dict[str, Any] = {}


def short_of_resources(exc: BaseException) -> bool:
    """The machine ran short: what a process under a memory limit (RLIMIT_AS, a container) sees
    when it allocates, starts a thread or loads a shared library (evaluator_launch.py)."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, RuntimeError):
        return "can't start new thread" in str(exc)
    if isinstance(exc, ImportError):
        return any(words in str(exc).lower() for words in _NO_MEMORY)
    if isinstance(exc, SystemError):  # a C extension that failed to allocate without saying so
        return "without" in str(exc) and "exception" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOMEM, errno.EAGAIN)


def _die_with_parent(parent: int) -> None:
    """A worker whose parent is killed (SIGKILL, a timeout) would wait for work forever: on Linux
    ask the kernel to end it with its parent. A worker writes no file, so SIGTERM and SIGHUP get
    their default action back (the CLI turns them into a clean exit, which a worker blocked on
    its queue would never reach), and Ctrl-C is left to the parent, which stops the pool."""
    import signal
    for name, action in (("SIGTERM", signal.SIG_DFL), ("SIGHUP", signal.SIG_DFL), ("SIGINT", signal.SIG_IGN)):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), action)
    import ctypes  # an ImportError under a memory limit is the worker's start failing: see init_worker
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def init_worker(started: Any, policy: Policy, as_of: _dt.date | None, with_input: bool, fmt: str, parent: int,
                csv_raw: bool = False, options: dict[str, Any] | None = None, detail: str = FULL) -> None:
    """The pool's initializer: the worker's Evaluator, then `started.value = 1`. A failure ends
    the process at once (os._exit: no traceback from the executor's logger, no exit handler of
    the parent's run in this copy of it)."""
    try:
        _die_with_parent(parent)
        evaluator = Evaluator(policy, as_of=as_of, with_input=with_input, **(options or {}))
        _worker.update(evaluator=evaluator, policy=policy, fmt=fmt, detail=detail,
                       write=output_writer(fmt, csv_raw=csv_raw, detail=detail))
    except BaseException as exc:
        if short_of_resources(exc):
            os._exit(WORKER_SHORT)
        try:
            sys.stderr.write(f"error: a worker process could not start: {type(exc).__name__}: {exc}\n")
            sys.stderr.flush()
        finally:
            os._exit(WORKER_FAILED)
    started.value = 1


def _write_chunk(results: Iterable[Any]) -> tuple[str, int, int]:
    """A chunk as csv rows or json records (jsonl goes through template.jsonl_bytes)."""
    fmt, policy = _worker["fmt"], _worker["policy"]
    total = invalid = 0

    def counted() -> Iterator[Any]:
        nonlocal total, invalid
        for result in results:
            total += 1
            invalid += not result.ok
            yield result

    buffer = io.StringIO()
    _worker["write"](counted(), buffer, policy)
    text = buffer.getvalue()
    if fmt == "csv":
        text = text.split("\n", 1)[1]  # the header: the parent writes it once
    else:  # json: "[\n" record (",\n" record)* "\n]\n" -> the records only
        text = text[2:-3] if total else ""
    return text, total, invalid


def work(task: tuple[Any, ...], slot: int | None = None) -> tuple[str | bytes | int, int, int]:
    """A chunk's output, counted; jsonl output is written into the spool file `slot` (see
    parallel._Spool) when there is one, and only its size comes back."""
    kind, payload = task[0], task[1:]
    evaluator: Evaluator = _worker["evaluator"]
    if kind == "block":
        first, block, name = payload
        items: Iterable[Any] = _records.jsonl_records(_records.numbered_lines(io.BytesIO(block)), name, first)
    elif kind == "lines":
        first, lines, name = payload
        items = _records.jsonl_records(lines, name, first)
    else:
        (items,) = payload
    if _worker["fmt"] == "jsonl":  # written from per-encoding templates, as in one process; as bytes
        data, total, invalid = jsonl_bytes(evaluator, items, _worker["detail"])
        if slot is None:
            return data, total, invalid
        view, written = memoryview(data), 0
        try:
            while written < len(data):
                written += os.pwrite(slot, view[written:], written)
        except OSError:  # no memory for the spool file: the bytes come back through the pipe
            return data, total, invalid
        return len(data), total, invalid
    return _write_chunk(evaluator.evaluate_many(items))
