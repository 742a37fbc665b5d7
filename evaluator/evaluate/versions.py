"""Policies in force over time: a policy's effective window enforced, and a program's versions
(a folder of policy files with one program id), of which the one in force at a date is chosen.

A window is `effective: {"from": DATE, "until": DATE or null}`, both days inclusive; a policy with
no `effective` is in force on every date. Evaluating at a date outside the window is refused
(`NotInForce`, exit 2) unless the caller allows it (`--outside-window`); then every decision's
`policy` member says so (`outside_window`). The versions of a program must not overlap (two in
force on one day: an error, located at the later one's `/effective/from`); a gap between two
versions is a warning (no version is in force in it, so evaluating there is refused).
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import EXIT_USAGE, EvaluatorError, Finding, PolicyError
from ..load.jsontext import Document
from ..load.policyfile import policy_from_document, read_document, validate_document
from ..model.policy import Policy

ONE_DAY = _dt.timedelta(days=1)


class NotInForce(EvaluatorError):
    """No policy (version) is in force at the evaluation date: a user's error, exit 2."""

    exit_code = EXIT_USAGE


def window_of(policy: Policy) -> tuple[_dt.date, _dt.date | None] | None:
    """The policy's (from, until) as dates (until None: open-ended), or None when it has none.
    The dates were checked by validate (checks.check_effective)."""
    window = policy.effective
    if not isinstance(window, dict) or not isinstance(window.get("from"), str):
        return None
    until = window.get("until")
    try:
        return (_dt.date.fromisoformat(window["from"]),
                _dt.date.fromisoformat(until) if isinstance(until, str) else None)
    except ValueError:  # not a real date: validate says so (checks.check_effective); no window to enforce
        return None


def describe_window(policy: Policy) -> str:
    window = window_of(policy)
    if window is None:
        return "always in force (no effective window)"
    start, end = window
    return f"in force from {start.isoformat()}" + (f" until {end.isoformat()}" if end is not None else " (open-ended)")


def in_force(policy: Policy, date: _dt.date) -> bool:
    window = window_of(policy)
    return window is None or (window[0] <= date and (window[1] is None or date <= window[1]))


def outside_note(policy: Policy, date: _dt.date) -> dict[str, Any] | None:
    """What a decision's `policy` member records of an evaluation outside the window (None: inside)."""
    if in_force(policy, date):
        return None
    window = window_of(policy)
    assert window is not None
    return {"as_of": date.isoformat(), "from": window[0].isoformat(),
            "until": window[1].isoformat() if window[1] is not None else None}


def check_in_force(policy: Policy, date: _dt.date) -> None:
    """Raise NotInForce unless the policy is in force on `date`."""
    if not in_force(policy, date):
        raise NotInForce(f"policy {policy.id} {policy.version} is not in force on {date.isoformat()}: it is "
                         f"{describe_window(policy)} (choose another --as-of, or --outside-window to evaluate "
                         f"anyway; each decision then says so)")


@dataclass(frozen=True)
class Program:
    """The versions of one partner program, ordered by the first day each is in force."""

    id: str
    versions: tuple[Policy, ...]
    source: str | None = None

    def at(self, date: _dt.date) -> Policy:
        """The version in force on `date`; NotInForce (naming every version's window) if none is."""
        for policy in self.versions:
            if in_force(policy, date):
                return policy
        windows = "; ".join(f"{p.version} ({os.path.basename(p.source or '?')}) {describe_window(p)}"
                            for p in self.versions)
        raise NotInForce(f"no version of program {self.id} in {self.source or 'the list'} is in force on "
                         f"{date.isoformat()}: {windows}")

    def by_sha256(self, sha256: str) -> Policy | None:
        return next((p for p in self.versions if p.sha256 == sha256), None)


def policy_files(folder: str | os.PathLike[str]) -> list[str]:
    """The policy files of a folder of versions: its *.json files (not *.tests.json, not in sub-folders)."""
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json") and not n.endswith(".tests.json"))
    return [str(Path(folder) / n) for n in names if (Path(folder) / n).is_file()]


def _at(doc: Document, finding: Finding) -> Finding:
    line, column = doc.locate(finding.pointer)
    return Finding(finding.message, finding.pointer, doc.file, line, column, finding.expected, finding.found,
                   finding.severity, "versions")


def program_findings(versions: Sequence[tuple[Document, Policy]]) -> list[Finding]:
    """What is wrong with a set of versions as one program: mixed program ids, a version without
    an effective window, a version string used twice, overlapping windows (errors), gaps (warnings)."""
    findings: list[Finding] = []
    if not versions:
        return findings
    first_doc, first = versions[0]
    for doc, policy in versions[1:]:
        if policy.id != first.id:
            findings.append(_at(doc, Finding(f"a folder of versions holds one program: this is {policy.id}, "
                                             f"{first_doc.file} is {first.id}", "/id", expected=first.id,
                                             found=policy.id)))
    dated = []
    for doc, policy in versions:
        window = window_of(policy)
        if window is None:
            findings.append(_at(doc, Finding("a version of a program needs an effective window to be chosen by "
                                             "date", "/effective", expected='"effective": {"from": DATE, ...}',
                                             found="no effective window")))
        else:
            dated.append((window, doc, policy))
    seen: dict[str, Document] = {}
    for doc, policy in versions:
        if policy.version in seen:
            findings.append(_at(doc, Finding(f"version {policy.version} is also {seen[policy.version].file}",
                                             "/version", expected="a version string of its own",
                                             found=policy.version)))
        seen.setdefault(policy.version, doc)
    dated.sort(key=lambda item: item[0][0])
    for (a_window, a_doc, a), (b_window, b_doc, b) in zip(dated, dated[1:]):
        a_end = a_window[1]
        if a_end is None or b_window[0] <= a_end:
            findings.append(_at(b_doc, Finding(
                f"version {b.version} overlaps version {a.version} ({a_doc.file}, {describe_window(a)}): two "
                f"versions would be in force on {b_window[0].isoformat()}", "/effective/from",
                expected=f"a date after {a_end.isoformat()}" if a_end is not None
                else f"version {a.version} to end (effective until) before it", found=b_window[0].isoformat())))
        elif b_window[0] > a_end + ONE_DAY:
            findings.append(_at(b_doc, Finding(
                f"no version is in force from {(a_end + ONE_DAY).isoformat()} to "
                f"{(b_window[0] - ONE_DAY).isoformat()} (between version {a.version} and {b.version})",
                "/effective/from", expected=(a_end + ONE_DAY).isoformat(), found=b_window[0].isoformat(),
                severity="warning")))
    return findings


def read_versions(paths: Sequence[str]) -> Iterator[tuple[str, Document | None, Policy | None, list[Finding]]]:
    """Each file read and validated: (path, document, policy or None, its findings)."""
    for path in paths:
        try:
            doc = read_document(path)
        except PolicyError as exc:
            yield path, None, None, exc.findings
            continue
        policy, findings = validate_document(doc)
        yield path, doc, policy, findings


def load_program(source: str | os.PathLike[str] | Sequence[Policy]) -> Program:
    """The program of a folder of versions (or one policy file, or a list of policies), checked:
    PolicyError with every located finding if a version is invalid or the set is not one program."""
    if isinstance(source, (str, os.PathLike)):
        if not os.path.isdir(source):
            policy = policy_from_document(read_document(source))
            return Program(policy.id, (policy,), str(source))
        paths = policy_files(source)
        if not paths:
            raise PolicyError([Finding("the folder holds no policy file", file=str(source),
                                       expected="one or more *.json policy versions", found="none",
                                       check="versions")])
        loaded: list[tuple[Document, Policy]] = []
        errors: list[Finding] = []
        for _path, doc, version, findings in read_versions(paths):
            errors += [f for f in findings if f.severity == "error"]
            if doc is not None and version is not None:
                loaded.append((doc, version))
        if errors:
            raise PolicyError(errors)
        name: str | None = str(source)
    else:
        loaded = [(Document(p.document, "", p.source), p) for p in source]
        name = None
    findings = program_findings(loaded)
    if any(f.severity == "error" for f in findings):
        raise PolicyError(findings)
    ordered = sorted((p for _d, p in loaded), key=lambda p: (window_of(p) or (_dt.date.min, None))[0])
    return Program(ordered[0].id, tuple(ordered), name)
