"""The worker processes of `evaluate --jobs N`, watched so that a run ends, with an error if it
must, and never waits forever (fast/parallel.py submits the chunks; fast/workers.py is what each
worker runs).

Under a memory limit (RLIMIT_AS, a container) every part of a process pool can fail on its own:
a worker cannot start (its exit status says why: workers.WORKER_SHORT), one of the executor's
threads cannot start or dies (its futures then never finish), a worker told to end is in the
middle of the fork and never reaches its handler. So:

- a chunk is awaited a TICK at a time, and between two waits the pool is checked: a thread of
  the pool that died, the executor's thread gone, or no worker started after START_SECONDS,
  each an error (exit 2: the environment's);
- a broken pool is explained by its workers' exit statuses: short of memory (exit 2), could
  not start (exit 3, the worker said why), or died (exit 3);
- ending the pool, after a run or when it stopped, waits STOP_SECONDS for the workers to end,
  then kills those left (SIGKILL), so no exit handler waits on a worker that cannot end.

A finished chunk wakes its wait at once: the checks cost nothing while chunks come back.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from ..errors import EngineError, ResourceError
from ..output.deadline import START_SECONDS as THREAD_START_SECONDS, Overdue, deadline
from .workers import WORKER_FAILED, WORKER_SHORT

TICK = 0.5            # seconds a chunk is awaited between two checks of the pool
START_SECONDS = 60.0  # no worker started by then: the pool cannot run (a policy compiles in well under that)
STOP_SECONDS = 5.0    # a worker told to end (SIGTERM, or no more work) gets this long before SIGKILL


class WorkerPool:
    """`jobs` worker processes, each set up by `initializer(started, *initargs)`; a context
    manager that ends them all on the way out."""

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]):
        context = multiprocessing.get_context()
        self.started = context.RawValue("i", 0)  # set to 1 by a worker that has started
        self.since = time.monotonic()
        self.failed: list[type] = []  # threads of this process that died (MemoryError, no thread)
        self.executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=initializer,
                                            initargs=(self.started, *initargs))
        self._previous_hook: Any = None
        self._first = True
        self._feeder_down: float | None = None  # since when the queue's thread is seen not running

    def __enter__(self) -> "WorkerPool":
        self._previous_hook = threading.excepthook
        threading.excepthook = self._thread_failed
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            self.close(stopped=exc_type is not None)
        finally:
            threading.excepthook = self._previous_hook

    def _thread_failed(self, args: Any) -> None:
        # the executor's thread (or its queue's) died: its futures would never finish; result()
        # sees this at its next check
        self.failed.append(args.exc_type)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        try:
            if self._first:  # forks the workers and starts the executor's thread: bounded
                self._first = False
                with deadline():
                    # and its queue's thread, which the executor's thread would start: from here
                    # a start that never ends can be interrupted
                    queue = getattr(self.executor, "_call_queue", None)
                    if queue is not None and getattr(queue, "_thread", False) is None:
                        queue._start_thread()
                    return self.executor.submit(fn, *args)
            return self.executor.submit(fn, *args)
        except BrokenProcessPool as exc:
            raise self._broken(exc) from None
        except Overdue:
            raise ResourceError("memory or threads", "the worker pool did not start") from None

    def result(self, future: Future) -> Any:
        """The chunk's result; an EvaluatorError if the pool can no longer give it."""
        while True:
            try:
                return future.result(timeout=TICK)
            except FutureTimeout:
                self._check()
            except BrokenProcessPool as exc:
                raise self._broken(exc) from None

    def _check(self) -> None:
        if self.failed:
            raise ResourceError("memory or threads")
        manager = getattr(self.executor, "_executor_manager_thread", None)
        if manager is not None and not manager.is_alive():
            raise ResourceError("memory or threads")
        queue = getattr(self.executor, "_call_queue", None)
        feeder = getattr(queue, "_thread", None)  # started by the executor's thread with the first chunk
        if feeder is not None and not feeder.is_alive():  # never started (it runs until the pool ends)
            self._feeder_down = self._feeder_down or time.monotonic()
            if time.monotonic() - self._feeder_down > THREAD_START_SECONDS:
                raise ResourceError("memory or threads", "the worker pool's queue did not start")
        if not self.started.value and time.monotonic() - self.since > START_SECONDS:
            raise ResourceError("memory or processes", f"no worker process started in {START_SECONDS:.0f} s")

    def _broken(self, exc: BaseException) -> Exception:
        deadline = time.monotonic() + STOP_SECONDS  # their exit statuses: the pool is ending them
        for process in self._processes():
            _quietly(process.join, max(0.0, deadline - time.monotonic()))
        codes = {process.exitcode for process in self._processes()}
        if WORKER_SHORT in codes:
            return ResourceError("memory or threads", "a worker process could not start")
        if WORKER_FAILED in codes:
            return EngineError("a worker process could not start (the line above says why); the run stopped")
        return EngineError(f"a worker process died ({exc}); no output was lost silently: the run stopped")

    def _processes(self) -> list[Any]:
        return list((getattr(self.executor, "_processes", None) or {}).values())

    def close(self, stopped: bool = False) -> None:
        """End the workers: after the last chunk, when they have read that there is no more
        work; when the run `stopped`, at once (SIGTERM). Those not ended in STOP_SECONDS are
        killed; then the executor's own thread and queues are released."""
        processes = self._processes()
        manager = getattr(self.executor, "_executor_manager_thread", None)  # shutdown forgets it
        if stopped:
            for process in processes:
                _quietly(process.terminate)
        self.executor.shutdown(wait=False, cancel_futures=stopped)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            _quietly(process.join, max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                _quietly(process.kill)
                _quietly(process.join, STOP_SECONDS)
        if manager is not None and manager.is_alive():
            manager.join(STOP_SECONDS)
        if manager is None or not manager.is_alive():
            self.executor.shutdown(wait=True)  # closes the result queue's pipe


def _quietly(call: Callable[..., Any], *args: Any) -> None:
    try:
        call(*args)
    except (OSError, ValueError, AssertionError):  # already reaped, or not this process's child
        pass
