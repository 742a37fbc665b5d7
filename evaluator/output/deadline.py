"""A bound on a call that CPython can leave waiting for ever when memory runs short.

`threading.Thread.start` waits for the new thread to say it has started; under a memory limit
(RLIMIT_AS) the thread can fail in its first step ("Exception ignored in thread started by:
MemoryError") and never say so, and the starting thread then waits for ever: the writeback
thread of an output file, the executor thread of a --jobs pool. In the main thread a timer
(SIGALRM) interrupts such a wait with Overdue; elsewhere (no signal reaches another thread)
the call runs unbounded.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

START_SECONDS = 15.0  # starting a thread or forking the workers takes milliseconds; this is a backstop


class Overdue(Exception):
    """The call did not finish in time: the process is short of memory or threads."""


def _ring(_signum: int, _frame: Any) -> None:
    raise Overdue()


@contextlib.contextmanager
def deadline(seconds: float = START_SECONDS) -> Iterator[None]:
    """The block, interrupted with Overdue after `seconds` (in the main thread, where POSIX)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
