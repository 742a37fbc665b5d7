"""Derived measures: one small function per operation and one table mapping names to them.

An expression is a number (a constant), a name (a number fact or another measure), or an object
with exactly one operation key. Adding an operation is adding one function and one MEASURES entry.
A measure whose inputs are missing is `Missing` (naming the facts it needs), never a guess.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping


@dataclass(frozen=True)
class Missing:
    """No value: the facts named are absent, or the value is undefined (reason says why)."""

    facts: frozenset[str] = frozenset()
    reason: str = ""

    def __bool__(self) -> bool:  # a Missing must never be used as a truth value by accident
        raise TypeError("Missing has no truth value")

    @staticmethod
    def merge(values: list[Any]) -> "Missing":
        facts: set[str] = set()
        reasons = []
        for v in values:
            if isinstance(v, Missing):
                facts |= v.facts
                if v.reason:
                    reasons.append(v.reason)
        return Missing(frozenset(facts), "; ".join(reasons))


@dataclass(frozen=True)
class MeasureOp:
    """args: how the operation's argument is read.
    numbers: a list of expressions; pair: exactly two; list: a string_list fact name;
    count_in: {"list": fact, "values": [...]}; constant: a number; date: a date fact name;
    dates: two date fact names."""

    args: str
    compute: Callable[..., Any]
    description: str


def _ratio(values: list[Any], _ctx: "Context") -> Any:
    numerator, denominator = values
    if denominator == 0:
        return Missing(frozenset(), "ratio with a zero denominator")
    return numerator / denominator


def _count_in(items: list[str], arg: Mapping[str, Any], _ctx: "Context") -> int:
    return len(set(items) & set(arg["values"]))


MEASURES: dict[str, MeasureOp] = {
    "sum": MeasureOp("numbers", lambda xs, _c: sum(xs), "sum of"),
    "product": MeasureOp("numbers", lambda xs, _c: _product(xs), "product of"),
    "min": MeasureOp("numbers", lambda xs, _c: min(xs), "smallest of"),
    "max": MeasureOp("numbers", lambda xs, _c: max(xs), "largest of"),
    "difference": MeasureOp("pair", lambda xs, _c: xs[0] - xs[1], "difference of"),
    "ratio": MeasureOp("pair", _ratio, "ratio of"),
    "count": MeasureOp("list", lambda items, _c: len(items), "number of items in"),
    "count_in": MeasureOp("count_in", _count_in, "number of items in a set"),
    "constant": MeasureOp("constant", lambda value, _c: value, "constant"),
    "days_since": MeasureOp("date", lambda d, c: (c.as_of - d).days, "days since"),
    "days_between": MeasureOp("dates", lambda ds, _c: (ds[1] - ds[0]).days, "days between"),
}


def _product(values: list[Any]) -> Any:
    out: Any = 1
    for v in values:
        out *= v
    return out


@dataclass
class Context:
    """What an expression reads: the record's coerced facts, the measure definitions and the
    evaluation date. Measure values are memoised per record."""

    facts: Mapping[str, Any]
    measures: Mapping[str, Any]  # name -> expression
    as_of: _dt.date
    cache: dict[str, Any]

    def value(self, name: str) -> Any:
        if name in self.facts:
            return self.facts[name]
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
        return expr
    if isinstance(expr, str):
        return ctx.value(expr)
    ((op, arg),) = expr.items()
    spec = MEASURES[op]
    if spec.args in ("numbers", "pair"):
        values = [evaluate(e, ctx) for e in arg]
    elif spec.args in ("list", "date"):
        values = ctx.value(arg)
    elif spec.args == "count_in":
        values = ctx.value(arg["list"])
        if not isinstance(values, Missing):
            return spec.compute(values, arg, ctx)
    elif spec.args == "dates":
        values = [ctx.value(name) for name in arg]
    else:  # constant
        return spec.compute(arg, ctx)
    if isinstance(values, Missing):
        return values
    if isinstance(values, list) and any(isinstance(v, Missing) for v in values):
        return Missing.merge(values)
    try:
        result = spec.compute(values, ctx)
    except OverflowError:  # an integer too large for a float: like 1/5e-324, no finite value
        result = math.inf
    if isinstance(result, float) and not math.isfinite(result):  # never compared, never output
        return Missing(frozenset(), f"{op} is not a finite number")
    return result


def names_in(expr: Any, pointer: str) -> Iterator[tuple[str, str, str]]:
    """(name, role, pointer) for every fact or measure an expression reads. role is the kind of
    argument: number, list or date."""
    if isinstance(expr, str):
        yield expr, "number", pointer
        return
    if not isinstance(expr, dict) or len(expr) != 1:
        return
    ((op, arg),) = expr.items()
    spec = MEASURES.get(op)
    if spec is None:
        return
    if spec.args in ("numbers", "pair"):
        for i, sub in enumerate(arg):
            yield from names_in(sub, f"{pointer}/{op}/{i}")
    elif spec.args == "list":
        yield arg, "list", f"{pointer}/{op}"
    elif spec.args == "count_in":
        yield arg["list"], "list", f"{pointer}/{op}/list"
    elif spec.args == "date":
        yield arg, "date", f"{pointer}/{op}"
    elif spec.args == "dates":
        for i, name in enumerate(arg):
            yield name, "date", f"{pointer}/{op}/{i}"


def uses_as_of(expr: Any) -> bool:
    """Whether an expression reads the evaluation date."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if op == "days_since":
            return True
        if MEASURES.get(op) and MEASURES[op].args in ("numbers", "pair"):
            return any(uses_as_of(sub) for sub in arg)
    return False
