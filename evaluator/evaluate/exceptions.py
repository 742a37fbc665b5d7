"""Exceptions governed outside the policy: a file (schemas/exceptions.schema.json) of one-off
grants, each giving one partner a tier (or no tier) from `granted` to `expires` (both inclusive),
with its reason, approver and ticket. The policy and its sha256 stay as they are; a decision an
exception made names it (`exception`: its id, approver, ticket, dates, the tier the partner would
hold without it, and the file's sha256). An exception not in force at the evaluation date (expired,
or not yet granted) is not applied, and is reported once, located. Program-wide overrides stay in
the policy.

Checked against the policy (`validate POLICY --exceptions FILE`, and before any evaluation): the
file's program is the policy's, each tier is one of its tiers (did-you-mean), `granted` is not
after `expires`, and no partner has two exceptions in force on one day (errors); an expired one
is a warning.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import EXIT_USAGE, EvaluatorError, Finding
from ..load.jsontext import Document, JSONProblem, decode_text, loads
from ..model.decision import tier_ref
from ..model.policy import Policy, Tier, sha256_of
from ..validate.checks import schema_findings
from ..validate.names import suggest

MAX_EXCEPTIONS_BYTES = 5 * 1024 * 1024


class ExceptionsError(EvaluatorError):
    """The exceptions file cannot be read or is invalid (for the policy): every finding, exit 2."""

    exit_code = EXIT_USAGE

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("; ".join(f.show() for f in self.findings))

    def show(self) -> str:
        lines = [f.show() for f in self.findings]
        lines.append(f"{sum(f.severity == 'error' for f in self.findings)} error(s) in the exceptions file")
        return "\n".join(lines)


@dataclass(frozen=True)
class Grant:
    """One exception of the file."""

    id: str
    partner_id: str
    tier: str | None
    reason: str
    approver: str
    ticket: str
    granted: _dt.date
    expires: _dt.date
    pointer: str

    def in_force(self, date: _dt.date) -> bool:
        return self.granted <= date <= self.expires

    def record(self, instead_of: Tier | None, file_sha256: str) -> dict[str, Any]:
        """The decision's `exception` member."""
        return {"id": self.id, "tier": self.tier, "reason": self.reason, "approver": self.approver,
                "ticket": self.ticket, "granted": self.granted.isoformat(), "expires": self.expires.isoformat(),
                "instead_of": tier_ref(instead_of), "file_sha256": file_sha256}


@dataclass(frozen=True)
class Exceptions:
    """An exceptions file, read and checked against its schema."""

    program: str
    grants: tuple[Grant, ...]
    sha256: str
    file: str | None
    document: Document

    def _at(self, message: str, pointer: str, expected: str, found: str, severity: str = "error") -> Finding:
        line, column = self.document.locate(pointer) if self.file is not None else (None, None)
        return Finding(message, pointer, self.file, line, column, expected, found, severity, "exceptions")

    def for_partner(self, partner_id: str | None, date: _dt.date) -> Grant | None:
        """The exception in force for the partner on `date` (the checks allow at most one)."""
        if partner_id is None:
            return None
        return next((g for g in self.grants if g.partner_id == partner_id and g.in_force(date)), None)

    def not_in_force(self, date: _dt.date) -> list[Finding]:
        """A warning for each exception not applied on `date`: expired, or not yet granted."""
        out = []
        for g in self.grants:
            if date > g.expires:
                out.append(self._at(f"exception {g.id} for partner {g.partner_id} expired on {g.expires.isoformat()}: "
                                    f"not applied", g.pointer + "/expires", expected=f"on or after {date.isoformat()}",
                                    found=g.expires.isoformat(), severity="warning"))
            elif date < g.granted:
                out.append(self._at(f"exception {g.id} for partner {g.partner_id} is granted from "
                                    f"{g.granted.isoformat()}: not applied yet", g.pointer + "/granted",
                                    expected=f"on or before {date.isoformat()}", found=g.granted.isoformat(),
                                    severity="warning"))
        return out

    def findings(self, policy: Policy, date: _dt.date | None = None) -> list[Finding]:
        """The file checked against the policy (and, given a date, what is not in force on it)."""
        out: list[Finding] = []
        if self.program != policy.id:
            out.append(self._at(f"the exceptions are to program {self.program}, not {policy.id}", "/program",
                                expected=policy.id, found=self.program))
        tiers = [t.id for t in policy.tiers]
        for g in self.grants:
            if g.tier is not None and g.tier not in tiers:
                out.append(self._at(f"exception {g.id}: unknown tier '{g.tier}'{suggest(g.tier, tiers)}",
                                    g.pointer + "/tier", expected="one of " + ", ".join(tiers) + ", or null",
                                    found=g.tier))
            if g.expires < g.granted:
                out.append(self._at(f"exception {g.id} expires before it is granted", g.pointer + "/expires",
                                    expected=f"a date on or after {g.granted.isoformat()}",
                                    found=g.expires.isoformat()))
        seen: dict[str, list[Grant]] = {}
        ids: dict[str, Grant] = {}
        for g in self.grants:
            if g.id in ids:
                out.append(self._at(f"exception id {g.id} is used twice (first at {ids[g.id].pointer})",
                                    g.pointer + "/id", expected="a unique id", found=g.id))
            ids.setdefault(g.id, g)
            for other in seen.get(g.partner_id, []):
                if g.granted <= other.expires and other.granted <= g.expires:
                    out.append(self._at(f"partner {g.partner_id} has two exceptions in force at once: {g.id} and "
                                        f"{other.id} (at {other.pointer})", g.pointer + "/partner_id",
                                        expected="one exception per partner at a time", found=g.partner_id))
            seen.setdefault(g.partner_id, []).append(g)
        if date is not None:
            out += [f for f in self.not_in_force(date) if "expired" in f.message]
        return out


def _problem(name: str, message: str, **where: Any) -> ExceptionsError:
    return ExceptionsError([Finding(message, file=name, check="exceptions", **where)])


def read_exceptions(path: str | os.PathLike[str]) -> Exceptions:
    """Read and schema-check an exceptions file; ExceptionsError with every located finding."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_EXCEPTIONS_BYTES + 1)
    except OSError as exc:
        raise _problem(name, f"cannot read exceptions file: {exc.strerror or exc}") from None
    if len(raw) > MAX_EXCEPTIONS_BYTES:
        raise _problem(name, f"exceptions file is larger than {MAX_EXCEPTIONS_BYTES} bytes",
                       expected=f"at most {MAX_EXCEPTIONS_BYTES} bytes", found="a larger file")
    try:
        text = decode_text(raw, "exceptions file")
        doc = Document(loads(text), text, name)
    except JSONProblem as exc:
        raise _problem(name, str(exc), pointer=exc.pointer, line=exc.line, column=exc.column,
                       expected=exc.expected, found=exc.found) from None
    return exceptions_of(doc, hashlib.sha256(raw).hexdigest())


def exceptions_of(doc: Document, sha256: str) -> Exceptions:
    """The Exceptions of a parsed document; ExceptionsError (located) if it breaks the schema or a date is not real."""
    findings = []
    for f in schema_findings(doc.data, "exceptions"):
        line, column = doc.locate(f.pointer) if doc.file is not None else (None, None)
        findings.append(Finding(f.message, f.pointer, doc.file, line, column, f.expected, f.found, check="exceptions"))
    if findings:
        raise ExceptionsError(findings)
    grants = []
    for i, item in enumerate(doc.data["exceptions"]):
        pointer = f"/exceptions/{i}"
        dates = {}
        for key in ("granted", "expires"):
            try:
                dates[key] = _dt.date.fromisoformat(item[key])
            except ValueError:
                line, column = doc.locate(f"{pointer}/{key}") if doc.file is not None else (None, None)
                findings.append(Finding(f"{key} is not a real date", f"{pointer}/{key}", doc.file, line, column,
                                        "a calendar date YYYY-MM-DD", item[key], check="exceptions"))
        if len(dates) == 2:
            grants.append(Grant(item["id"], item["partner_id"], item["tier"], item["reason"], item["approver"],
                                item["ticket"], dates["granted"], dates["expires"], pointer))
    if findings:
        raise ExceptionsError(findings)
    return Exceptions(doc.data["program"], tuple(grants), sha256, doc.file, doc)


def load_exceptions(source: str | os.PathLike[str] | dict[str, Any]) -> Exceptions:
    """An exceptions file (a path), or its content as a dict (its sha256: of its canonical JSON)."""
    if not isinstance(source, dict):
        return read_exceptions(source)
    try:
        text = json.dumps(source, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ExceptionsError([Finding(f"the exceptions are not JSON data: {exc}", check="exceptions")]) from None
    return exceptions_of(Document(source, text, None), sha256_of(source))


def checked(exceptions: Exceptions, policy: Policy) -> Exceptions:
    """The exceptions, if they hold for the policy; ExceptionsError with the errors otherwise."""
    errors = [f for f in exceptions.findings(policy) if f.severity == "error"]
    if errors:
        raise ExceptionsError(errors)
    return exceptions
