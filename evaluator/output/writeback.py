"""Writeback: have the kernel write an output file to disk while it is still being written.

`report.atomic_output` makes its file durable (fsync) before renaming it into place. Left alone,
the kernel keeps a run's output in memory until then (it starts writing on its own only after
30 s, or once dirty pages pass a tenth of memory), so that fsync waits for all of it after the
work is done: 0.5 to 0.6 s for the 1 GB of 200,000 decisions on this VM's disk, a tenth of the
run. While the file is open, a thread asks every INTERVAL seconds for what was written since to
go to disk (fdatasync, once at least WRITEBACK_BYTES more are there), so the final fsync waits
for the last few megabytes only. What is written, and when the file is durable, do not change.

The thread runs with every signal blocked, so a signal goes to the main thread, which may be
blocked reading stdin and must be interrupted (Ctrl-C, SIGTERM). A --jobs pool is forked while
the output is open; a child must not be a copy of a process whose other thread vanished
mid-call, so every writeback thread is stopped before a fork and started again after it in the
parent (os.register_at_fork).
"""
from __future__ import annotations

import os
import signal
import threading
from typing import Any

from .deadline import Overdue, deadline

WRITEBACK_BYTES = 16 * 1024 * 1024
INTERVAL = 0.05

_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
_active: set["Writeback"] = set()
_active_lock = threading.Lock()
_ALARM = frozenset({signal.SIGALRM}) if hasattr(signal, "SIGALRM") else frozenset()


class Writeback:
    """A thread that has the file `fd` written to disk as it grows; a context manager."""

    def __init__(self, fd: int, step: int = WRITEBACK_BYTES, interval: float = INTERVAL):
        self.fd, self.step, self.interval = fd, step, interval
        self.synced = 0  # the file's size at the last fdatasync
        self.calls = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Writeback":
        with _active_lock:
            _active.add(self)
            self._start()
        return self

    def __exit__(self, *exc: Any) -> None:
        with _active_lock:
            _active.discard(self)
            self._halt()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="evaluator-writeback",
                                        daemon=True)
        # started with every signal blocked (a thread inherits the mask), so the kernel gives
        # Ctrl-C or SIGTERM to the main thread, whose blocking read it must interrupt
        # but SIGALRM while it starts: deadline's timer, in case the start never ends (the thread blocks it first)
        blocked = _block_signals(but=_ALARM)
        try:
            with deadline():
                self._thread.start()
        except (RuntimeError, MemoryError, Overdue):  # no thread to be had (a memory limit): the final fsync does it all
            self._thread = None
        finally:
            _restore_signals(blocked)

    def _halt(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()  # at most one fdatasync of what was written since the last one
            self._thread = None

    def _run(self, stop: threading.Event) -> None:
        _block_signals()
        while not stop.wait(self.interval):
            try:
                size = os.fstat(self.fd).st_size
                if size - self.synced >= self.step:
                    _datasync(self.fd)
                    self.synced = size
                    self.calls += 1
            except OSError:
                return  # only ever early: the final fsync reports a real failure


def _block_signals(but: frozenset[int] = frozenset()) -> Any:
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals() - but)


def _restore_signals(mask: Any) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _before_fork() -> None:
    _active_lock.acquire()
    for writeback in _active:
        writeback._halt()


def _after_fork_in_parent() -> None:
    try:
        for writeback in _active:
            writeback._start()
    finally:
        _active_lock.release()


def _after_fork_in_child() -> None:
    for writeback in _active:  # its thread was not copied; the file is the parent's to finish
        writeback._thread = None
    _active.clear()
    _active_lock.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
