"""Solving a measure for the one fact it depends on: the value of the fact at which the measure
reaches a target, through each operation's `inverse` facet (measures.py).

A measure that is a function of one fact (a count of a list, sums and differences with
constants, products and ratios by constants, min/max caps, days since a date) can have its
required change restated on that fact; shortfalls (explain/) and boundary cases (tools/) use it.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from ..model.policy import Policy
from .expressions import Context, evaluate, facts_of
from .facttypes import FACT_TYPES
from .measures import MEASURES
from .missing import Missing
from .moves import dec


class Unreachable(Exception):
    """No value of the fact gives the measure the value required (a cap, a floor, a zero factor)."""


class _Solver:
    """The Inversion interface of measures.py, for one policy, fact and record."""

    def __init__(self, policy: Policy, ctx: Context, fact: str):
        self.policy, self.ctx, self.fact = policy, ctx, fact
        self.as_of: _dt.date = ctx.as_of

    def depends(self, expr: Any) -> bool:
        return self.fact in facts_of(self.policy, expr)

    def constant(self, expr: Any) -> Decimal:
        value = evaluate(expr, Context({}, self.ctx.measures, self.ctx.as_of, {}))
        if isinstance(value, Missing):
            raise Unreachable("the measure is undefined")
        return dec(value)

    def invert(self, expr: Any, target: Decimal) -> tuple[Decimal, int]:
        return invert(self.policy, expr, target, self.ctx, self.fact)

    def unreachable(self, why: str) -> Exception:
        return Unreachable(why)


def invert(policy: Policy, expr: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    """The value x of `fact` at which `expr` equals `target`, and +1 or -1 as `expr` rises or
    falls with x. Raises LookupError when the expression is not invertible in this simple sense,
    Unreachable when no x gives the target. (Counts: x is the number of items.)"""
    if isinstance(expr, str):
        if expr == fact:
            return target, 1
        if expr in policy.measures:
            return invert(policy, policy.measures[expr].compute, target, ctx, fact)
        raise LookupError(expr)
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        spec = MEASURES.get(op)
        if spec is not None and spec.inverse is not None:
            return spec.inverse(arg, target, _Solver(policy, ctx, fact))
    raise LookupError("not invertible")


def terminal(policy: Policy, expr: Any, fact: str) -> Any:
    """The innermost operation applied to the fact (a `terminal` one: count, days_since, ...) or
    the fact itself."""
    while True:
        if isinstance(expr, str):
            if expr in policy.measures:
                expr = policy.measures[expr].compute
                continue
            return expr
        ((op, arg),) = expr.items()
        if MEASURES[op].terminal:
            return expr
        parts = arg if isinstance(arg, list) else [arg]
        expr = next(p for p in parts if fact in facts_of(policy, p))


def pool(expr: Any) -> tuple[Any, ...] | None:
    """The set a terminal operation counts items among (count_in), if any; for an aggregate over
    items, (the operation, its argument)."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        return MEASURES[op].pool(arg)
    return None


def integral(policy: Policy, expr: Any) -> bool:
    """Whether an expression always has a whole-number value (so strict bounds move by 1)."""
    if isinstance(expr, bool):
        return False
    if isinstance(expr, int):
        return True
    if isinstance(expr, float):
        return expr.is_integer()
    if isinstance(expr, str):
        if expr in policy.measures:
            return integral(policy, policy.measures[expr].compute)
        return expr in policy.facts and FACT_TYPES[policy.facts[expr].type].integral
    ((op, arg),) = expr.items()
    return MEASURES[op].integral(arg, lambda sub: integral(policy, sub))
