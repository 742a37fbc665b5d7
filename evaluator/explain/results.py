"""Explain: turn per-comparison outcomes into criterion results a person can read.

`required` renders a condition in the policy's own terms (`annual_sales_usd >= 1000000`,
`all(region_count >= 2, countries contains "AU")`); `actual` lists the value of every fact or
measure the criterion reads; `checks` gives each comparison's outcome. `add_shortfalls` then
says, for every criterion not met in the tiers at or above the result, what it would take to
meet it (shortfall.py): a post-step on the finished results that never touches the engine.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Mapping

from ..language.conditions import combine, render
from ..language.expressions import Context, Missing
from ..model.decision import MET, MISSING, CheckResult, CriterionResult, TierResult
from ..model.policy import Comparison, Criterion, Operand, Policy, Tier, comparisons
from .shortfall import Shortfall, leaf_change, shortfall


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


def add_shortfalls(policy: Policy, tier_results: list[TierResult], result: Tier | None,
                   facts: Mapping[str, Any], as_of: _dt.date) -> None:
    """Attach a shortfall to every criterion (required or advisory) that is not met, in the tier
    the partner holds and every tier above it, and to each comparison that shortfall changes.
    `facts` are the record's coerced facts; `as_of` the evaluation date (for `days_since`)."""
    rank = result.rank if result is not None else len(policy.tiers) + 1
    ctx = Context(facts, {n: m.compute for n, m in policy.measures.items()}, as_of, {})
    for tier_result in tier_results:
        if tier_result.tier.rank > rank:
            continue
        for criterion, outcome in zip(tier_result.tier.criteria, tier_result.criteria):
            if outcome.status == MET:
                continue
            condition = criterion.condition
            if isinstance(condition, Comparison):  # one comparison, not met: its change (shortfall() in short)
                found = Shortfall([leaf_change(policy, condition, False, ctx)])
            else:
                statuses = {check.pointer: check.status for check in outcome.checks}
                found = shortfall(policy, condition, lambda c: statuses[c.pointer], ctx)
            outcome.shortfall = found
            by_pointer = {change.pointer: change for change in found.changes}
            for check in outcome.checks:
                check.shortfall = by_pointer.get(check.pointer)
