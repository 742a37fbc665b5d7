"""What `validate` checks of time: a folder of versions (each file, then the set as one program:
mixed ids, overlapping or gapped windows) and an exceptions file against the policy in force."""
from __future__ import annotations

import datetime as _dt
import os

from ..errors import Finding, PolicyError
from ..evaluate.exceptions import ExceptionsError, read_exceptions
from ..evaluate.versions import in_force as versions_in_force, policy_files, program_findings, read_versions
from ..load.jsontext import Document
from ..model.policy import Policy


def validation_report(paths: tuple[str, ...], exceptions: str | None = None,
                      as_of: _dt.date | None = None) -> list[tuple[str, list[Finding]]]:
    """Each file's findings, in order (a folder: each of its versions, then the program's own
    findings on the files they are about); with `exceptions`, the exceptions file's findings
    against the policy (of a folder: the version in force at `as_of`, default today)."""
    date = as_of or _dt.datetime.now(_dt.timezone.utc).date()
    report: list[tuple[str, list[Finding]]] = []
    policies: list[Policy] = []
    for path in paths:
        if not os.path.isdir(path):
            entries = list(read_versions([path]))
        else:
            entries = list(read_versions(policy_files(path)))
            if not entries:
                report.append((path, [Finding("the folder holds no policy file", file=path, check="versions",
                                              expected="one or more *.json policy versions", found="none")]))
        loaded: list[tuple[Document, Policy]] = [(d, p) for _f, d, p, fs in entries if d is not None and p is not None
                                                 and not any(f.severity == "error" for f in fs)]
        extra = program_findings(loaded) if os.path.isdir(path) else []
        for file, _doc, _policy, findings in entries:
            report.append((file, findings + [f for f in extra if f.file == file]))
        in_force = [p for _d, p in loaded if versions_in_force(p, date)]
        policies += in_force if os.path.isdir(path) else [p for _d, p in loaded]
    if exceptions is not None:
        try:
            found = read_exceptions(exceptions)
        except ExceptionsError as exc:
            report.append((exceptions, exc.findings))
            return report
        if not policies:
            report.append((exceptions, [Finding("no valid policy in force to check the exceptions against",
                                                file=exceptions, check="exceptions")]))
        for policy in policies[:1]:
            report.append((exceptions, found.findings(policy, date)))
    return report


__all__ = ["validation_report", "PolicyError"]
