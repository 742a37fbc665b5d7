"""Errors that know how to show themselves, and the located findings they carry.

Every user error ends as one of these exception classes; the CLI prints `.show()` and exits
with `.exit_code`, never a traceback. Exit codes: 0 all records evaluated, 1 some records
invalid, 2 a user's or the environment's error (usage, policy, unreadable input, unwritable
output), 3 only for a bug.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_INVALID_RECORDS = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Finding:
    """One located problem: where (file, line, column, JSON Pointer), what was expected, what was found."""

    message: str
    pointer: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    expected: str | None = None
    found: str | None = None
    severity: str = "error"
    check: str | None = None

    @property
    def location(self) -> str:
        """FILE:LINE:COLUMN, as much of it as is known ('' when nothing is)."""
        if self.file is None and self.line is None:
            return ""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def show(self) -> str:
        text = f"{self.location}: " if self.location else ""
        text += f"{self.severity}: {self.message}"
        if self.pointer:
            text += f" (at {self.pointer})"
        if self.expected is not None:
            text += f"\n    expected: {self.expected}"
        if self.found is not None:
            text += f"\n    found: {self.found}"
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "message": self.message, "pointer": self.pointer}
        for key in ("file", "line", "column", "expected", "found", "check"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


class EvaluatorError(Exception):
    """Base class of every error the evaluator reports to a user."""

    exit_code = EXIT_USAGE

    def show(self) -> str:
        return f"error: {self}"


class PolicyError(EvaluatorError):
    """A policy could not be read, is invalid, or cannot be compiled. Carries every finding."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("; ".join(f.show() for f in self.findings))

    def show(self) -> str:
        errors = [f for f in self.findings if f.severity == "error"]
        lines = [f.show() for f in self.findings]
        lines.append(f"{len(errors)} error(s) in policy")
        return "\n".join(lines)


class RecordError(EvaluatorError):
    """A partner record is invalid: carries every finding about it (each with a JSON Pointer)."""

    exit_code = EXIT_INVALID_RECORDS

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("; ".join(f.show() for f in self.findings))


class InputError(EvaluatorError):
    """The partner input as a whole cannot be read (unknown format, unreadable file, bad encoding)."""


class OutputError(EvaluatorError):
    """The output cannot be written: a closed standard output, a full disk (exit 2: the
    environment's error, not a bug)."""


class ResourceError(EvaluatorError):
    """The machine ran short: memory (MemoryError), threads or processes (`can't start new
    thread`, a fork refused). Exit 2, the environment's error, with what ran short and what to
    do; never a traceback and never exit 1 (which means "some records invalid")."""

    def __init__(self, what: str, why: str = ""):
        super().__init__(f"not enough {what} to finish{f' ({why})' if why else ''}; nothing more was written "
                         "(raise the process's limits, `ulimit -v` or the container's memory, or run with fewer --jobs)")


class EngineError(EvaluatorError):
    """durable-rules misbehaved (an action raised, an unexpected error code). Never silent."""

    exit_code = 3

    def show(self) -> str:
        return f"internal engine error: {self}"
