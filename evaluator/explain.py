"""Explain: turn per-comparison outcomes into criterion results a person can read.

`required` renders a condition in the policy's own terms (`annual_sales_usd >= 1000000`,
`all(region_count >= 2, countries contains "AU")`); `actual` lists the value of every fact or
measure the criterion reads; `checks` gives each comparison's outcome.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .decision import MET, MISSING, NOT_MET, CheckResult, CriterionResult
from .measures import Missing
from .policy import All, Any_, Comparison, Condition, Criterion, Not, Operand, comparisons


def render_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return json.dumps(value)


def render(condition: Condition) -> str:
    """A condition as one line of text."""
    if isinstance(condition, Comparison):
        return f"{condition.operand.name} {condition.op} {render_value(condition.value)}"
    if isinstance(condition, Not):
        return f"not({render(condition.part)})"
    word = "all" if isinstance(condition, All) else "any"
    return f"{word}(" + ", ".join(render(p) for p in condition.parts) + ")"


def combine(condition: Condition, leaf_status: Callable[[Comparison], str]) -> str:
    """Three-valued (Kleene) logic: `all` is not_met if any part is not_met, else missing if any
    part is missing; `any` is met if any part is met, else missing if any part is missing; `not`
    swaps met and not_met and keeps missing. A criterion is `missing` only when the absent data
    could change its outcome."""
    if isinstance(condition, Comparison):
        return leaf_status(condition)
    if isinstance(condition, Not):
        inner = combine(condition.part, leaf_status)
        return {MET: NOT_MET, NOT_MET: MET}.get(inner, MISSING)
    statuses = [combine(p, leaf_status) for p in condition.parts]
    decisive, other = (NOT_MET, MET) if isinstance(condition, All) else (MET, NOT_MET)
    if decisive in statuses:
        return decisive
    if MISSING in statuses:
        return MISSING
    return other


def criterion_result(criterion: Criterion, leaf_status: Callable[[Comparison], str],
                     values: dict[Operand, Any]) -> CriterionResult:
    checks = []
    actual: dict[str, Any] = {}
    missing_facts: set[str] = set()
    for comparison in comparisons(criterion.condition):
        value = values.get(comparison.operand)
        if isinstance(value, Missing):
            missing_facts |= value.facts
            value = None
        actual.setdefault(comparison.operand.name, value)
        checks.append(CheckResult(comparison.operand, comparison.op, comparison.value, value,
                                  leaf_status(comparison), comparison.pointer))
    status = combine(criterion.condition, leaf_status)
    return CriterionResult(criterion.id, criterion.description, criterion.advisory, status, actual,
                           render(criterion.condition), checks,
                           sorted(missing_facts) if status == MISSING else [], criterion.pointer)
