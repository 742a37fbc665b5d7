"""Measure expressions: evaluating one for a record, and reading what it depends on.

An expression is a number (a constant), a name (a number fact or another measure), or an object
with exactly one operation key (measures.py declares the operations). A measure whose inputs are
missing is `Missing` (naming the facts it needs), never a guess; one whose value is not a finite
number is Missing too, with the reason.
"""
from __future__ import annotations

import datetime as _dt
import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from .measures import FORMS, MEASURES
from .missing import Missing

if TYPE_CHECKING:
    from ..model.policy import Policy

__all__ = ["Context", "Missing", "evaluate", "facts_of", "names_in", "operations", "uses_as_of"]


@dataclass
class Context:
    """What an expression reads: the record's coerced facts, the measure definitions and the
    evaluation date. Measure values are memoised per record. `exact` (money.exact), when given,
    makes every number a Decimal as it is read and every result one as it is made: an amount's
    basis is worked out in exact decimal (evaluate/payouts.py), by the same operations."""

    facts: Mapping[str, Any]
    measures: Mapping[str, Any]  # name -> expression
    as_of: _dt.date
    cache: dict[str, Any]
    exact: Callable[[Any], Any] | None = None

    def value(self, name: str) -> Any:
        if name in self.facts:
            value = self.facts[name]
            return value if self.exact is None else self.exact(value)
        if name in self.measures:
            if name not in self.cache:
                self.cache[name] = evaluate(self.measures[name], self)
            return self.cache[name]
        return Missing(frozenset([name]))


def evaluate(expr: Any, ctx: Context) -> Any:
    """Value of an expression for one record: a number, or Missing."""
    if isinstance(expr, bool):  # never reached for schema-valid policies; keep True out of arithmetic
        raise TypeError("boolean is not a number")
    if isinstance(expr, (int, float)):
        return expr if ctx.exact is None else ctx.exact(expr)
    if isinstance(expr, str):
        return ctx.value(expr)
    ((op, arg),) = expr.items()
    spec = MEASURES[op]
    values = FORMS[spec.args].gather(arg, ctx, evaluate)
    if isinstance(values, Missing):
        return values
    if isinstance(values, list) and any(isinstance(v, Missing) for v in values):
        return Missing.merge(values)
    try:
        result = spec.compute(values, arg, ctx)
    except OverflowError:  # an integer too large for a float: like 1/5e-324, no finite value
        result = math.inf
    if isinstance(result, float) and not math.isfinite(result):  # never compared, never output
        return Missing(frozenset(), f"{op} is not a finite number")
    if type(result) is int and not -_LARGEST <= result <= _LARGEST:  # beyond a double: as infinity
        return Missing(frozenset(), f"{op} is not a finite number")
    return result if ctx.exact is None else ctx.exact(result)


_LARGEST = int(sys.float_info.max)  # a product of many large integers grows without end (and str() fails)


def names_in(expr: Any, pointer: str) -> Iterator[tuple[str, str, str]]:
    """(name, role, pointer) for every fact or measure an expression reads. role is the value
    type the argument needs: number, list or date."""
    if isinstance(expr, str):
        yield expr, "number", pointer
        return
    if not isinstance(expr, dict) or len(expr) != 1:
        return
    ((op, arg),) = expr.items()
    spec = MEASURES.get(op)
    if spec is None:
        return
    yield from FORMS[spec.args].names(arg, f"{pointer}/{op}", names_in)


def operations(expr: Any) -> Iterator[tuple[str, Any]]:
    """(operation, argument) of an expression and of every expression nested in it."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        yield op, arg
        spec = MEASURES.get(op)
        if spec is not None:
            for sub in FORMS[spec.args].subexpressions(arg):
                yield from operations(sub)


def uses_as_of(expr: Any) -> bool:
    """Whether an expression reads the evaluation date (through its own operations)."""
    return any(MEASURES[op].reads_as_of for op, _arg in operations(expr) if op in MEASURES)


def facts_of(policy: "Policy", expr: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Every fact an expression reads, through the measures it names (each measure read once:
    measures that name one another twice over would otherwise cost twice per level)."""
    return set(_facts_of(policy, expr, seen, {}))


def _facts_of(policy: "Policy", expr: Any, seen: frozenset[str], memo: dict[str, frozenset[str]]) -> set[str]:
    out: set[str] = set()
    for name, _role, _ptr in names_in(expr, ""):
        if name in policy.measures and name not in seen:
            if name not in memo:
                memo[name] = frozenset()  # (a cycle, which validation refuses, ends here)
                memo[name] = frozenset(_facts_of(policy, policy.measures[name].compute, seen | {name}, memo))
            out |= memo[name]
        elif name in policy.facts:
            out.add(name)
    return out
