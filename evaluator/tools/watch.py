"""Watch a policy file and hot-reload an Evaluator when it changes.

For a long-running process (a web service, a queue consumer) that keeps one Evaluator:

    evaluator = Evaluator(load_policy(path))
    with PolicyWatcher(path, evaluator, interval=2.0):
        serve(evaluator)

The watcher polls the file's status (modification time, size, inode): portable, no dependency,
and it sees the atomic replace (write a temporary file, rename it over) that editors and deploy
tools use. On a change it loads and validates the file; a valid policy whose content differs
from the one in force is swapped in with `Evaluator.reload` (atomic: each decision is wholly
the old or the new policy). A file that does not load (invalid, half-written, deleted) changes
nothing: the old policy stays in force and the problem is reported once per version of the file.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from ..errors import EvaluatorError
from ..evaluate.evaluator import Evaluator
from ..load.policyfile import load_policy
from ..model.policy import Policy

log = logging.getLogger("evaluator.watch")


def _log_reload(policy: Policy) -> None:
    log.info("policy %s %s reloaded (sha256 %s)", policy.id, policy.version, policy.sha256)


def _log_error(error: Exception) -> None:
    text = error.show() if isinstance(error, EvaluatorError) else f"{type(error).__name__}: {error}"
    log.warning("policy not reloaded, the previous one stays in force:\n%s", text)


def file_signature(path: str | os.PathLike[str]) -> tuple[int, ...]:
    """What tells a changed file without reading it: modification time, size, inode and device
    (an editor's or a deploy tool's write-then-rename changes the inode); (-1,) when it is absent."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1,)
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


class PolicyWatcher:
    """Reloads `evaluator` from `path` when the file changes. `check()` looks once (for callers
    with their own loop, and tests); `start()`/`stop()` (or `with`) run it in a daemon thread
    every `interval` seconds. `on_reload(policy)` and `on_error(exception)` default to logging."""

    def __init__(self, path: str | os.PathLike[str], evaluator: Evaluator, *, interval: float = 1.0,
                 on_reload: Callable[[Policy], Any] | None = None,
                 on_error: Callable[[Exception], Any] | None = None):
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.path = Path(path)
        self.evaluator = evaluator
        self.interval = interval
        self.on_reload = on_reload or _log_reload
        self.on_error = on_error or _log_error
        self._seen: tuple[int, ...] | None = None  # None: never looked; the first check compares content
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._check_lock = threading.Lock()

    def _signature(self) -> tuple[int, ...]:
        return file_signature(self.path)

    def check(self) -> bool:
        """Look at the file once; reload if it changed and holds a new valid policy. True if reloaded."""
        with self._check_lock:
            signature = self._signature()
            if signature == self._seen:
                return False
            self._seen = signature
            try:
                policy = load_policy(self.path)
                if policy.sha256 == self.evaluator.policy.sha256:
                    return False
                self.evaluator.reload(policy)
            except Exception as exc:  # any failure leaves the policy in force; report, keep watching
                self.on_error(exc)
                return False
        self.on_reload(policy)
        return True

    # -- the polling thread --
    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception as exc:  # pragma: no cover - check() reports its own failures
                self.on_error(exc)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "PolicyWatcher":
        if not self.running:
            self._stop.clear()
            self.check()
            self._thread = threading.Thread(target=self._run, name=f"policy-watcher:{self.path.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> "PolicyWatcher":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
