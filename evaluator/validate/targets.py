"""Checks of a policy's targets (the goals `evaluator report` measures, such as the channel share
of sales): the facts they name exist and can be added up, the segments are values their fact can
take, the dates are real dates. Each finding is located by JSON Pointer, like checks.py's."""
from __future__ import annotations

import datetime as _dt
from typing import Iterator

from ..errors import Finding
from ..language.facttypes import FACT_TYPES
from ..model.policy import Policy, Target
from .names import suggest


def _real_date(value: object, pointer: str, what: str) -> Iterator[Finding]:
    if not isinstance(value, str):
        return
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        yield Finding(f"{what} is not a real date", pointer, expected="a calendar date YYYY-MM-DD", found=value,
                      check="targets")


def _share_facts(policy: Policy, target: Target) -> Iterator[Finding]:
    pointer = f"{target.pointer}/share"
    units: dict[str | None, str] = {}
    for i, name in enumerate(target.whole):
        spec = policy.facts.get(name)
        where = f"{pointer}/whole/{i}"
        if spec is None:
            yield Finding(f"target '{target.id}' adds up unknown fact '{name}'" + suggest(name, list(policy.facts)),
                          where, expected="a number fact of the catalogue", found=name, check="targets")
        elif FACT_TYPES[spec.type].report_role != "amount":
            yield Finding(f"target '{target.id}' adds up '{name}', a {spec.type} fact", where,
                          expected="a number or integer fact", found=spec.type, check="targets")
        else:
            units.setdefault(spec.unit, name)
    if len(units) > 1:
        shown = ", ".join(f"{name} in {unit or 'no unit'}" for unit, name in units.items())
        yield Finding(f"target '{target.id}' adds up facts of different units ({shown})", f"{pointer}/whole",
                      expected="facts of one unit", found=shown, check="targets")
    if target.part not in target.whole:
        yield Finding(f"target '{target.id}': part '{target.part}' is not one of the facts of whole",
                      f"{pointer}/part", expected="one of " + ", ".join(target.whole), found=str(target.part),
                      check="targets")


def _segments(policy: Policy, target: Target) -> Iterator[Finding]:
    if target.per is None:
        return
    spec = policy.facts.get(target.per)
    pointer = f"{target.pointer}/per/fact"
    if spec is None:
        yield Finding(f"target '{target.id}' is set per unknown fact '{target.per}'"
                      + suggest(target.per, list(policy.facts)), pointer, expected="a string or string_list fact",
                      found=target.per, check="targets")
        return
    if FACT_TYPES[spec.type].report_role != "dimension" or target.per == policy.id_fact:
        yield Finding(f"target '{target.id}' is set per '{target.per}', a {spec.type} fact", pointer,
                      expected="a string or string_list fact (not the partner id)", found=spec.type, check="targets")
        return
    for segment in target.segments:
        if spec.enum is not None and segment.value not in spec.enum:
            yield Finding(f"target '{target.id}': '{segment.value}' is not a value of '{target.per}'"
                          + suggest(segment.value, list(spec.enum)), segment.pointer,
                          expected="one of " + ", ".join(spec.enum), found=segment.value, check="targets")


def check_targets(policy: Policy) -> Iterator[Finding]:
    """Target ids once each; the share's facts, the segments and the dates make sense."""
    seen: dict[str, str] = {}
    start = (policy.effective or {}).get("from")
    for target in policy.targets:
        if target.id in seen:
            yield Finding(f"duplicate target id '{target.id}' (first at {seen[target.id]})", target.pointer + "/id",
                          expected="a unique target id", found=target.id, check="targets")
        seen.setdefault(target.id, target.pointer)
        yield from _share_facts(policy, target)
        yield from _segments(policy, target)
        yield from _real_date(target.by, target.pointer + "/by", f"target '{target.id}' date")
        dates = [(target.by, target.pointer + "/by")] + [(s.by, s.pointer + "/by") for s in target.segments
                                                         if s.by is not None]
        for by, where in dates[1:]:
            yield from _real_date(by, where, f"target '{target.id}' date")
        for by, where in dates:
            if isinstance(start, str) and isinstance(by, str) and by < start:
                yield Finding(f"target '{target.id}' is due {by}, before the program starts ({start})", where,
                              expected=f"a date on or after {start}", found=by, severity="warning", check="targets")
