"""The optional decision log (`evaluator serve --decision-log FILE`), off by default: one JSONL
line per decision appended to FILE, for audit:

    {"decision_id", "time", "policy": {id, version, sha256}, "input_sha256", "partner_id", "tier",
     "input": the record, each field named by --mask written as "***"}

An error record is logged with "tier": null and its "error" message. Each line is one write to
a file opened for appending, so the lines of several workers do not interleave.
"""
from __future__ import annotations

import datetime as _dt
import os
import threading
import uuid
from typing import Any

import orjson

MASKED = "***"


def decision_id() -> str:
    return uuid.uuid4().hex


class DecisionLog:
    def __init__(self, path: str, mask: tuple[str, ...] = ()):
        self.path, self.mask = path, frozenset(mask)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    def write(self, line: bytes, record: Any, decision: str) -> None:
        """Log the decision (or error record) `line` made of input `record`."""
        data = orjson.loads(line)
        tier = data.get("tier")
        entry: dict[str, Any] = {
            "decision_id": decision,
            "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "policy": data.get("policy"), "input_sha256": data.get("input_sha256"),
            "partner_id": None if data.get("partner_id") is not None and "partner_id" in self.mask
            else data.get("partner_id"),
            "tier": tier["id"] if isinstance(tier, dict) else None}
        if "error" in data:
            entry["error"] = data["error"]["message"]
        if isinstance(record, dict):
            entry["input"] = {key: MASKED if key in self.mask else value for key, value in record.items()}
        text = orjson.dumps(entry, default=str) + b"\n"
        with self._lock:
            os.write(self._fd, text)

    def close(self) -> None:
        os.close(self._fd)
