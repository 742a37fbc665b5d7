"""Reload without restart: the policy file is looked at every `interval` seconds (its
modification time, size and inode, as tools/watch.py does) and SIGHUP asks for a reload at
once. A file holding a new valid policy is swapped in with `Evaluator.reload` (atomic: each
decision is wholly the old or the new policy, and names which); a file that does not load
(invalid, half written, gone) changes nothing: the policy in force stays, and the failure is
kept as the last reload's result, shown by /health/ready and counted in /metrics.

One Reloader per worker process, on a thread of its own: a signal handler only sets an event
(reloading inside it could deadlock on a lock the interrupted code holds).
"""
from __future__ import annotations

import datetime as _dt
import logging
import threading
from typing import Any, Callable

from ..errors import EvaluatorError, PolicyError
from ..evaluate.evaluator import Evaluator
from ..load.policyfile import load_policy
from ..model.policy import Policy
from ..tools.watch import file_signature

log = logging.getLogger("evaluator.service")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failure(exc: Exception) -> dict[str, Any]:
    """A failed reload as readiness shows it: the message and each located finding."""
    if isinstance(exc, PolicyError):
        return {"message": f"{sum(f.severity == 'error' for f in exc.findings)} error(s) in policy",
                "findings": [f.to_dict() for f in exc.findings if f.severity == "error"]}
    if isinstance(exc, EvaluatorError):
        return {"message": str(exc), "findings": []}
    return {"message": f"{type(exc).__name__}: {exc}", "findings": []}


class Reloader:
    """Keeps `evaluator` on the policy in `path`. `last` is the last reload's result (None before
    any): {"time", "trigger" (watch or signal), "result" (reloaded, unchanged or failed), "policy"
    (the one in force after it), "error" (when failed)}. `on_result(result)` is told each one."""

    def __init__(self, path: str, evaluator: Evaluator, interval: float,
                 on_result: Callable[[dict[str, Any]], Any] | None = None):
        self.path, self.evaluator, self.interval = path, evaluator, interval
        self.on_result = on_result or (lambda result: None)
        self.last: dict[str, Any] | None = None
        self._seen = self._signature()
        self._wake = threading.Event()
        self._forced = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _signature(self) -> tuple[int, ...]:
        return file_signature(self.path)

    def request(self) -> None:
        """Reload now (SIGHUP): safe from a signal handler or the event loop."""
        self._forced = True
        self._wake.set()

    def check(self, trigger: str = "watch") -> dict[str, Any] | None:
        """Look once: reload when forced or when the file changed; the result, or None (no change)."""
        with self._lock:
            signature = self._signature()
            if trigger == "watch" and signature == self._seen:
                return None
            self._seen = signature
            result: dict[str, Any] = {"time": _now(), "trigger": trigger}
            try:
                policy: Policy = load_policy(self.path)
                if policy.sha256 == self.evaluator.policy.sha256:
                    result["result"] = "unchanged"
                else:
                    self.evaluator.reload(policy)
                    result["result"] = "reloaded"
            except Exception as exc:  # any failure leaves the policy in force: reported, never raised
                result["result"], result["error"] = "failed", failure(exc)
                log.warning("policy %s not reloaded, the one in force stays: %s", self.path, result["error"]["message"])
            result["policy"] = self.evaluator.policy.ref
            if result["result"] == "reloaded":
                log.info("policy %s %s reloaded (sha256 %s)", policy.id, policy.version, policy.sha256)
            self.last = result
        self.on_result(result)
        return result

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.interval if self.interval > 0 else None)
            self._wake.clear()
            if self._stop:
                return
            forced, self._forced = self._forced, False
            if forced or self.interval > 0:
                self.check("signal" if forced else "watch")

    def start(self) -> "Reloader":
        self._thread = threading.Thread(target=self._run, name="policy-reloader", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
