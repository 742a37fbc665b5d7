"""Shortfall: the smallest change to a partner's facts that would meet a criterion it does not meet.

Computed after the engine has decided, from the policy model, the constants of each comparison
and the partner's actual values, so it is the same whatever path produced the decision. The
engine's per-comparison statuses say which parts are unmet; this module only measures distances.

- A comparison: one small function per operator in SHORTFALLS. Numbers and dates give the
  distance in the operand's unit (`>= 100000` with 99999: rise by 1). A strict bound on an
  integral operand (an integer fact, a count, days) moves one whole unit past it; on a number it
  moves one *step* past it: 0.01, or the finest decimal written in the constant or the actual
  value if finer. Strings, booleans, lists and `!=`/`in`/`not_in` get a plain statement.
- `not` is pushed down to the comparisons (De Morgan), so `not(x >= 5)` is measured as `x < 5`.
- `all`: every unmet part. `any`: the cheapest unmet branch; the others are kept as
  alternatives. Cost is the sum over a branch's changes of the gap relative to its threshold
  (`by / max(|threshold|, 1)`; days count as days/365); a statement or missing data costs 1,
  an unreachable change 10**9; ties go to the first branch in the policy.
- A measure that is a function of one fact (count of a list, sums and differences with
  constants, products and ratios by constants, min/max caps, days since a date) also gets the
  change stated on that fact (`on_fact`), solved exactly, rounded the right way for integral facts.
- A comparison whose operand is absent names the facts to provide.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any, Callable, Iterable, NamedTuple

from ..model.decision import MET, MISSING, NOT_MET, jsonable
from ..language.measures import Context, Missing, evaluate as evaluate_expression, names_in
from ..model.policy import All, Comparison, Condition, Not, Operand, Policy

INCREASE, DECREASE, SET, DIFFER, ADD, REMOVE, PROVIDE, UNDEFINED = (
    "increase", "decrease", "set", "differ", "add", "remove", "provide", "undefined")
UNREACHABLE_COST = 1e9

# `not` over a comparison is the comparison with the complementary operator (for a present value).
NEGATE = {">=": "<", "<": ">=", ">": "<=", "<=": ">", "==": "!=", "!=": "==", "in": "not_in",
          "not_in": "in", "contains": "not_contains", "not_contains": "contains",
          "between": "not_between", "not_between": "between"}


@dataclass
class FactChange:
    """A measure's change restated on the one fact the measure is computed from."""

    fact: str
    change: str
    text: str
    by: Any = None
    to: Any = None
    unit: str | None = None
    reachable: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fact": self.fact, "change": self.change}
        _put_amounts(out, self.by, self.to, self.unit, False, self.reachable)
        out["text"] = self.text
        return out


@dataclass
class Change:
    """One comparison that must come to hold, and the smallest change that does it."""

    operand: Operand
    op: str          # the operator to satisfy (after pushing `not` down)
    value: Any       # the constant in the policy
    actual: Any      # None when absent
    pointer: str
    change: str      # increase, decrease, set, differ, add, remove, provide, undefined
    text: str
    by: Any = None   # distance in the operand's unit (days for dates; items for lists)
    to: Any = None   # the value to reach
    unit: str | None = None
    strict: bool = False
    reachable: bool = True
    facts: tuple[str, ...] = ()  # the facts to provide (change == provide)
    on_fact: FactChange | None = None
    cost: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operand": self.operand.name, "kind": self.operand.kind, "op": self.op,
                               "value": jsonable(self.value), "actual": jsonable(self.actual),
                               "pointer": self.pointer, "change": self.change}
        return self._amounts_and_text(out)

    def _amounts_and_text(self, out: dict[str, Any]) -> dict[str, Any]:
        _put_amounts(out, self.by, self.to, self.unit, self.strict, self.reachable)
        if self.facts:
            out["facts"] = list(self.facts)
        if self.on_fact is not None:
            out["on_fact"] = self.on_fact.to_dict()
        out["text"] = self.text
        return out

    def to_check_dict(self, check_op: str) -> dict[str, Any]:
        """The change as a comparison's `shortfall`: without what the comparison already says
        (operand, value, actual, pointer); `op` only when `not` changed it."""
        out: dict[str, Any] = {"change": self.change}
        if self.op != check_op:
            out["op"] = self.op
        return self._amounts_and_text(out)


def _put_amounts(out: dict[str, Any], by: Any, to: Any, unit: str | None, strict: bool, reachable: bool) -> None:
    if by is not None:
        out["by"] = jsonable(by)
    if to is not None:
        out["to"] = jsonable(to)
    if unit is not None:
        out["unit"] = unit
    if strict:
        out["strict"] = True
    if not reachable:
        out["reachable"] = False


@dataclass
class Shortfall:
    """What a criterion still needs: every change (cheapest branch of each `any`), and the other
    branches of those `any`s as alternatives."""

    changes: list[Change]
    alternatives: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "; and ".join(c.text for c in self.changes)

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "changes": [c.to_dict() for c in self.changes]}
        if self.alternatives:
            out["alternatives"] = list(self.alternatives)
        return out


# --- values ------------------------------------------------------------------------------------

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def show(value: Any) -> str:
    """A value as written in explanations: numbers and strings as in JSON, dates as YYYY-MM-DD."""
    cls = type(value)
    if cls is int or (cls is float and value - value == 0):  # the common case first: finite numbers
        return repr(value)
    if isinstance(value, bool) or value is None:
        return _ENCODE(value)
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, int) or value == value and abs(value) != float("inf") \
            else _ENCODE(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return show(_plain(value))
    return _ENCODE(value)


def _dec(value: Any) -> Decimal:
    """Exact decimal of a number as written (repr of a float), or a date's day number."""
    if isinstance(value, _dt.date):
        return Decimal(value.toordinal())
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


class Gap(NamedTuple):
    """What an operator's shortfall function sees: the operand, its value type (number,
    integer, date, string, boolean, list), unit, actual value and the policy's constant."""

    name: str
    vtype: str
    unit: str | None
    actual: Any
    value: Any


@dataclass(slots=True)
class Need:
    change: str
    text: str
    by: Any = None
    to: Any = None
    strict: bool = False
    exact: bool = False  # the value must equal `to` (==, between bounds are not exact)
    reachable: bool = True


_DAY_ONE, _LAST_DAY = Decimal(_dt.date.min.toordinal()), Decimal(_dt.date.max.toordinal())


def _out(gap: Gap, number: Decimal) -> Any:
    return _dt.date.fromordinal(int(number)) if gap.vtype == "date" else _plain(number)


def _step(gap: Gap, *numbers: Decimal) -> Decimal:
    if gap.vtype in ("integer", "date"):
        return Decimal(1)
    return Decimal(1).scaleb(-max([2] + [_decimals(n) for n in numbers]))


def _unit(gap: Gap) -> str:
    return f" {gap.unit}" if gap.unit and gap.vtype != "date" else ""


def _move(gap: Gap, target: Decimal, bound: Any = None, step: Decimal | None = None, exact: bool = False) -> Need:
    """The change taking the actual value to `target`. `bound` is set for a strict comparison
    (the value to get past); `step` when the target is one step past it on a non-integral operand."""
    actual = _dec(gap.actual)
    up = target > actual
    by = abs(target - actual)
    if gap.vtype == "date" and not _DAY_ONE <= target <= _LAST_DAY:
        what = f"after {show(bound)}" if up else f"before {show(bound if bound is not None else gap.value)}"
        return Need(INCREASE if up else DECREASE, f"{gap.name} must be {what}: no date is", strict=bound is not None,
                    exact=exact, reachable=False)
    to = _out(gap, target)
    frm = show(gap.actual)
    if gap.vtype == "date":
        body = f"{show(_plain(by))} days {'later' if up else 'earlier'}, from {frm} to {show(to)}"
        head = (f"must be {'after' if up else 'before'} {show(bound)}: " if bound is not None
                else f"must be {show(to)}: " if exact else "must be ")
    else:
        body = f"{'rise' if up else 'fall'} by {show(by)}, from {frm} to {show(to)}{_unit(gap)}"
        head = (f"must {'exceed' if up else 'be below'} {show(bound)}: " if bound is not None
                else f"must equal {show(to)}: " if exact else "must ")
    note = f" (smallest step {show(step)})" if step is not None else ""
    return Need(INCREASE if up else DECREASE, f"{gap.name} {head}{body}{note}", _plain(by), to,
                bound is not None, exact)


def at_least(gap: Gap) -> Need:
    return _move(gap, _dec(gap.value))


def at_most(gap: Gap) -> Need:
    return _move(gap, _dec(gap.value))


def above(gap: Gap) -> Need:
    value, actual = _dec(gap.value), _dec(gap.actual)
    step = _step(gap, value, actual)
    return _move(gap, value + step, gap.value, None if gap.vtype in ("integer", "date") else step)


def below(gap: Gap) -> Need:
    value, actual = _dec(gap.value), _dec(gap.actual)
    step = _step(gap, value, actual)
    return _move(gap, value - step, gap.value, None if gap.vtype in ("integer", "date") else step)


def equal(gap: Gap) -> Need:
    if gap.vtype in ("number", "integer", "date"):
        return _move(gap, _dec(gap.value), exact=True)
    return Need(SET, f"{gap.name} must be {show(gap.value)} (it is {show(gap.actual)})", to=gap.value, exact=True)


def differ(gap: Gap) -> Need:
    return Need(DIFFER, f"{gap.name} must be other than {show(gap.value)}")


def one_of(gap: Gap) -> Need:
    return Need(SET, f"{gap.name} must be one of {show(gap.value)} (it is {show(gap.actual)})")


def none_of(gap: Gap) -> Need:
    return Need(DIFFER, f"{gap.name} must not be one of {show(gap.value)} (it is {show(gap.actual)})")


def contains(gap: Gap) -> Need:
    return Need(ADD, f"{gap.name} must include {show(gap.value)}: add it", by=1, to=gap.value)


def lacks(gap: Gap) -> Need:
    return Need(REMOVE, f"{gap.name} must not include {show(gap.value)}: remove it", by=1, to=gap.value)


def between(gap: Gap) -> Need:
    low, high = gap.value
    if _dec(gap.actual) < _dec(low):
        return _move(gap, _dec(low))
    return _move(gap, _dec(high))


def outside(gap: Gap) -> Need:
    low, high = (_dec(v) for v in gap.value)
    actual = _dec(gap.actual)
    step = _step(gap, low, high, actual)
    shown = None if gap.vtype in ("integer", "date") else step
    down = _move(gap, low - step, gap.value[0], shown)
    up = _move(gap, high + step, gap.value[1], shown)
    if down.reachable != up.reachable:
        return down if down.reachable else up
    return down if actual - (low - step) <= (high + step) - actual else up


SHORTFALLS: dict[str, Callable[[Gap], Need]] = {
    ">=": at_least,
    ">": above,
    "<=": at_most,
    "<": below,
    "==": equal,
    "!=": differ,
    "in": one_of,
    "not_in": none_of,
    "contains": contains,
    "not_contains": lacks,
    "between": between,
    "not_between": outside,
}


# --- a measure restated on its one fact --------------------------------------------------------

class _Unreachable(Exception):
    """No value of the fact gives the measure the value required (a cap, a floor, a zero factor)."""


def facts_of(policy: Policy, expr: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Every fact an expression reads, through the measures it names."""
    out: set[str] = set()
    for name, _role, _ptr in names_in(expr, ""):
        if name in policy.measures and name not in seen:
            out |= facts_of(policy, policy.measures[name].compute, seen | {name})
        elif name in policy.facts:
            out.add(name)
    return out


def _depends(policy: Policy, expr: Any, fact: str) -> bool:
    return fact in facts_of(policy, expr)


def _constant(ctx: Context, expr: Any) -> Decimal:
    value = evaluate_expression(expr, Context({}, ctx.measures, ctx.as_of, {}))
    if isinstance(value, Missing):
        raise _Unreachable("the measure is undefined")
    return _dec(value)


def _one_dependent(policy: Policy, parts: list[Any], fact: str) -> tuple[Any, list[Any]]:
    dependent = [p for p in parts if _depends(policy, p, fact)]
    if len(dependent) != 1:
        raise LookupError("not a simple function of one fact")
    return dependent[0], [p for p in parts if p is not dependent[0]]


def _inv_sum(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    part, others = _one_dependent(policy, arg, fact)
    return invert(policy, part, target - sum((_constant(ctx, o) for o in others), Decimal(0)), ctx, fact)


def _inv_difference(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    left, right = arg
    if _depends(policy, left, fact) and not _depends(policy, right, fact):
        return invert(policy, left, target + _constant(ctx, right), ctx, fact)
    if _depends(policy, right, fact) and not _depends(policy, left, fact):
        x, sign = invert(policy, right, _constant(ctx, left) - target, ctx, fact)
        return x, -sign
    raise LookupError("not a simple function of one fact")


def _inv_product(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    part, others = _one_dependent(policy, arg, fact)
    factor = Decimal(1)
    for other in others:
        factor *= _constant(ctx, other)
    if factor == 0:
        raise _Unreachable("it is multiplied by 0")
    x, sign = invert(policy, part, target / factor, ctx, fact)
    return x, sign if factor > 0 else -sign


def _inv_ratio(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    numerator, denominator = arg
    if _depends(policy, denominator, fact):
        raise LookupError("the fact is in the denominator")
    divisor = _constant(ctx, denominator)
    if divisor == 0:
        raise _Unreachable("it is divided by 0")
    x, sign = invert(policy, numerator, target * divisor, ctx, fact)
    return x, sign if divisor > 0 else -sign


def _inv_min(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    part, others = _one_dependent(policy, arg, fact)
    cap = min(_constant(ctx, o) for o in others) if others else None
    if cap is not None and target > cap:
        raise _Unreachable(f"it is capped at {show(cap)}")
    return invert(policy, part, target, ctx, fact)


def _inv_max(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    part, others = _one_dependent(policy, arg, fact)
    floor = max(_constant(ctx, o) for o in others) if others else None
    if floor is not None and target < floor:
        raise _Unreachable(f"it is never below {show(floor)}")
    return invert(policy, part, target, ctx, fact)


def _inv_count(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    return target, 1


def _inv_days_since(policy: Policy, arg: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    return Decimal(ctx.as_of.toordinal()) - target, -1


INVERSES: dict[str, Callable[[Policy, Any, Decimal, Context, str], tuple[Decimal, int]]] = {
    "sum": _inv_sum,
    "difference": _inv_difference,
    "product": _inv_product,
    "ratio": _inv_ratio,
    "min": _inv_min,
    "max": _inv_max,
    "count": _inv_count,
    "count_in": _inv_count,
    "days_since": _inv_days_since,
}


def invert(policy: Policy, expr: Any, target: Decimal, ctx: Context, fact: str) -> tuple[Decimal, int]:
    """The value x of `fact` at which `expr` equals `target`, and +1 or -1 as `expr` rises or
    falls with x. Raises LookupError when the expression is not invertible in this simple sense,
    _Unreachable when no x gives the target. (Counts: x is the number of items.)"""
    if isinstance(expr, str):
        if expr == fact:
            return target, 1
        if expr in policy.measures:
            return invert(policy, policy.measures[expr].compute, target, ctx, fact)
        raise LookupError(expr)
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if op in INVERSES:
            return INVERSES[op](policy, arg, target, ctx, fact)
    raise LookupError("not invertible")


def _count_in_values(policy: Policy, expr: Any) -> tuple[str, ...] | None:
    """The set a measure counts items of (count_in), following measure names."""
    while isinstance(expr, str) and expr in policy.measures:
        expr = policy.measures[expr].compute
    if isinstance(expr, dict) and "count_in" in expr:
        return tuple(expr["count_in"]["values"])
    return None


def _terminal(policy: Policy, expr: Any, fact: str) -> Any:
    """The innermost operation applied to the fact (count, count_in, days_since or the fact)."""
    while True:
        if isinstance(expr, str):
            if expr in policy.measures:
                expr = policy.measures[expr].compute
                continue
            return expr
        ((op, arg),) = expr.items()
        if op in ("count", "count_in", "days_since"):
            return expr
        parts = arg if isinstance(arg, list) else [arg]
        expr = next(p for p in parts if _depends(policy, p, fact))


def on_fact(policy: Policy, measure: str, need: Need, ctx: Context) -> FactChange | None:
    """The measure's required change restated on its one fact, or None if it is not a simple
    function of one fact."""
    facts = facts_of(policy, measure)
    if len(facts) != 1 or need.change not in (INCREASE, DECREASE) or need.to is None:
        return None
    (fact,) = facts
    spec = policy.facts[fact]
    current = ctx.value(fact)
    if isinstance(current, Missing):
        return None
    terminal = _terminal(policy, measure, fact)
    try:
        with localcontext() as dctx:
            dctx.prec = 34
            x, sign = invert(policy, measure, _dec(need.to), ctx, fact)
    except LookupError:
        return None
    except _Unreachable as exc:
        return FactChange(fact, need.change, f"no value of {fact} reaches it, {exc}", reachable=False)
    at_least_x = (need.change == INCREASE) == (sign > 0)
    integral = spec.type in ("integer", "string_list", "date")
    if integral:
        rounded = x.to_integral_value(ROUND_CEILING if at_least_x else ROUND_FLOOR)
        if need.exact and rounded != x:
            return FactChange(fact, need.change, f"no whole value of {fact} gives exactly {show(need.to)}",
                              reachable=False)
        x = rounded
    if isinstance(terminal, dict) and "count_in" in terminal:
        return _list_change(spec.name, current, x, spec, _count_in_values(policy, terminal))
    if spec.type == "string_list":
        return _list_change(spec.name, current, x, spec, None)
    if spec.type == "date":
        if not _DAY_ONE <= x <= _LAST_DAY:
            return FactChange(fact, need.change, f"no date of {fact} reaches it", reachable=False)
        by = abs(int(x) - current.toordinal())
        to = _dt.date.fromordinal(int(x))
        later = x > current.toordinal()
        return FactChange(fact, INCREASE if later else DECREASE,
                          f"{fact} must be {by} days {'later' if later else 'earlier'}, from {show(current)} to "
                          f"{show(to)} or {'later' if at_least_x else 'earlier'}", by, to)
    by = abs(x - _dec(current))
    up = x > _dec(current)
    to = _plain(x)
    reachable, why = _within(spec, to)
    unit = f" {spec.unit}" if spec.unit else ""
    return FactChange(fact, INCREASE if up else DECREASE,
                      f"{fact} must {'rise' if up else 'fall'} by {show(by)}, from {show(current)} to {show(to)}{unit}"
                      + why, _plain(by), to, spec.unit, reachable)


def _list_change(name: str, items: list[str], count: Decimal, spec: Any, values: tuple[str, ...] | None) -> FactChange:
    """Add or remove items of a list fact to reach a count (of all items, or of items in `values`)."""
    target = int(count)
    pool = list(values) if values is not None else None
    held = len(set(items) & set(pool)) if pool is not None else len(items)
    more = target > held
    n = abs(target - held)
    limit = len(pool) if pool is not None else (len(spec.enum) if spec.enum else spec.max_items)
    reachable = target >= 0 and (limit is None or target <= limit)
    what = "item" if n == 1 else "items"
    if pool is not None:
        choices = [v for v in pool if (v not in items) == more]
        text = (f"{name} must {'include' if more else 'drop'} {n} more of {show(choices)}" if more
                else f"{name} must drop {n} of {show(choices)}")
    else:
        text = f"{name} must have {n} {'more' if more else 'fewer'} {what}, {target} in all"
    if not reachable:
        text += f" (not possible: {name} can hold at most {limit})" if target >= 0 else " (not possible)"
    return FactChange(name, ADD if more else REMOVE, text, n, target, "items", reachable)


def _within(spec: Any, to: Any) -> tuple[bool, str]:
    if spec.minimum is not None and spec.type in ("number", "integer") and to < spec.minimum:
        return False, f" (not possible: {spec.name} is at least {show(spec.minimum)})"
    if spec.maximum is not None and spec.type in ("number", "integer") and to > spec.maximum:
        return False, f" (not possible: {spec.name} is at most {show(spec.maximum)})"
    return True, ""


# --- conditions -------------------------------------------------------------------------------

def _vtype(policy: Policy, operand: Operand) -> str:
    if operand.kind == "fact":
        fact_type = policy.facts[operand.name].type
        return {"string_list": "list"}.get(fact_type, fact_type)
    return "integer" if integral(policy, policy.measures[operand.name].compute) else "number"


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
        return expr in policy.facts and policy.facts[expr].type == "integer"
    ((op, arg),) = expr.items()
    if op in ("count", "count_in", "days_since", "days_between"):
        return True
    if op in ("sum", "difference", "product", "min", "max"):
        return all(integral(policy, a) for a in arg)
    if op == "constant":
        return integral(policy, arg)
    return False


def _unit_of(policy: Policy, operand: Operand) -> str | None:
    if operand.kind == "fact":
        spec = policy.facts[operand.name]
        return "days" if spec.type == "date" else spec.unit
    return policy.measures[operand.name].unit


def _cost(need: Need, gap: Gap) -> float:
    if need.change not in (INCREASE, DECREASE):
        return 1.0
    scale = 365.0 if gap.vtype == "date" else max(abs(float(_dec(v))) for v in _flat(gap.value))
    return float(need.by) / max(scale, 1.0)


def _flat(value: Any) -> Iterable[Any]:
    return value if isinstance(value, tuple) else (value,)


_BOUNDS = (">=", "<=")
_NUMERIC = ("number", "integer")


def leaf_change(policy: Policy, comparison: Comparison, negated: bool, ctx: Context) -> Change:
    """What one comparison (negated when under an odd number of `not`s) needs."""
    op = NEGATE[comparison.op] if negated else comparison.op
    operand = comparison.operand
    if op in _BOUNDS and operand.kind == "fact":  # the commonest case, `sales >= 100000`: a short cut
        spec = policy.facts[operand.name]
        actual = ctx.value(operand.name)
        if spec.type in _NUMERIC and type(actual) in (int, float):
            return _bound_change(spec, comparison, op, actual)
    return _leaf_change(policy, comparison, op, ctx)


class Bound:
    """What a number or integer fact needs to meet `>= value` or `<= value`: the steps of
    at_least/at_most -> _move -> _within inlined, with what does not depend on the actual value
    (the target, its text, whether it is allowed) worked out once."""

    def __init__(self, spec: Any, value: Any):
        self.name, self.value = spec.name, value
        self.target = _dec(value)
        self.to = _plain(self.target)
        self.to_text = show(self.to)
        self.unit = f" {spec.unit}" if spec.unit else ""
        self.reachable, self.why = _within(spec, self.to)
        self.whole = type(value) is int

    def amount(self, actual: Any, text: str | None = None) -> tuple[bool, int | float]:
        """(up, by): whether the value must rise, and by how much. `text`: a float's repr, when
        the caller has it already (what _dec would make)."""
        if self.whole and type(actual) is int:  # exact without decimals
            return self.value > actual, abs(self.value - actual)
        current = Decimal(text) if text is not None else _dec(actual)
        return self.target > current, _plain(abs(self.target - current))

    def text_parts(self, up: bool) -> tuple[str, str, str]:
        """The text of `need` around its two numbers: before `by`, between `by` and the actual
        value, after it."""
        return f"{self.name} must {'rise' if up else 'fall'} by ", ", from ", f" to {self.to_text}{self.unit}{self.why}"

    def need(self, actual: Any) -> tuple[bool, int | float, int | float, bool, str]:
        """(up, by, to, reachable, text) for this actual value."""
        up, by = self.amount(actual)
        before, between, after = self.text_parts(up)
        return up, by, self.to, self.reachable, before + show(by) + between + show(actual) + after


_BOUND_CACHE: dict[tuple[int, str], tuple[Any, Any, Bound]] = {}


def _bound_for(spec: Any, comparison: Comparison) -> Bound:
    """The Bound of one comparison, made once (keyed by the objects themselves, kept alive with
    it, so a recycled id can never find another policy's Bound)."""
    key = (id(comparison), comparison.pointer)
    found = _BOUND_CACHE.get(key)
    if found is None or found[0] is not spec or found[1] is not comparison:
        if len(_BOUND_CACHE) >= 4096:
            _BOUND_CACHE.clear()
        found = _BOUND_CACHE[key] = (spec, comparison, Bound(spec, comparison.value))
    return found[2]


def bound_cost(by: int | float, value: Any, reachable: bool) -> float:
    return float(by) / max(abs(float(_dec(value))), 1.0) if reachable else UNREACHABLE_COST


def _bound_change(spec: Any, comparison: Comparison, op: str, actual: Any) -> Change:
    """_leaf_change for a number or integer fact against `>=` or `<=`, for a third of the time.
    tests/test_template.py holds the two to equal results."""
    up, by, to, reachable, text = _bound_for(spec, comparison).need(actual)
    change = Change(comparison.operand, op, comparison.value, actual, comparison.pointer,
                    INCREASE if up else DECREASE, text, by, to, spec.unit, False, reachable)
    change.cost = bound_cost(by, comparison.value, reachable)
    return change


def _leaf_change(policy: Policy, comparison: Comparison, op: str, ctx: Context) -> Change:
    operand = comparison.operand
    actual = ctx.value(operand.name)
    value = comparison.value
    vtype = _vtype(policy, operand)
    if vtype == "date":
        value = tuple(_dt.date.fromisoformat(v) for v in value) if isinstance(value, tuple) else \
            _dt.date.fromisoformat(value)
    unit = _unit_of(policy, operand)
    if isinstance(actual, Missing):
        needed = f"{operand.name} {op} {show(comparison.value)}"
        if actual.facts or not actual.reason:
            facts = tuple(sorted(actual.facts or {operand.name}))
            what = f"provide {', '.join(facts)}"
            text = f"{operand.name} is missing: {what} (needed: {needed})"
            return Change(operand, op, value, None, comparison.pointer, PROVIDE, text, facts=facts)
        return Change(operand, op, value, None, comparison.pointer, UNDEFINED,
                      f"{operand.name} is undefined ({actual.reason}); needed: {needed}")
    gap = Gap(operand.name, vtype, unit, actual, value)
    need = SHORTFALLS[op](gap)
    reachable = need.reachable
    text = need.text
    if operand.kind == "fact" and need.change in (INCREASE, DECREASE) and need.to is not None:
        within, why = _within(policy.facts[operand.name], need.to)
        reachable, text = reachable and within, text + why
    fact_change = on_fact(policy, operand.name, need, ctx) if operand.kind == "measure" else None
    if fact_change is not None and not fact_change.reachable:
        reachable = False
        text += f" (not possible: {fact_change.text})"
    if vtype == "list":
        unit = "items"
    elif need.by is None:
        unit = None
    change = Change(operand, op, value, actual, comparison.pointer, need.change, text, need.by, need.to, unit,
                    need.strict, reachable, on_fact=fact_change)
    change.cost = _cost(need, gap) if reachable else UNREACHABLE_COST
    return change


def _status(condition: Condition, negated: bool, leaf_status: Callable[[Comparison], str]) -> str:
    from .results import combine  # explain imports this module
    status = combine(condition, leaf_status)
    return {MET: NOT_MET, NOT_MET: MET}.get(status, MISSING) if negated else status


def shortfall(policy: Policy, condition: Condition, leaf_status: Callable[[Comparison], str], ctx: Context,
              negated: bool = False) -> Shortfall:
    """What `condition` (not met, or missing) needs to be met."""
    if _status(condition, negated, leaf_status) == MET:
        return Shortfall([])
    if isinstance(condition, Comparison):
        return Shortfall([leaf_change(policy, condition, negated, ctx)])
    if isinstance(condition, Not):
        return shortfall(policy, condition.part, leaf_status, ctx, not negated)
    parts = [shortfall(policy, p, leaf_status, ctx, negated) for p in condition.parts
             if _status(p, negated, leaf_status) != MET]
    if isinstance(condition, All) != negated:  # De Morgan: not(any) is all(not)
        return Shortfall([c for p in parts for c in p.changes], [a for p in parts for a in p.alternatives])
    best = min(range(len(parts)), key=lambda i: (parts[i].cost, i))
    others = [p.text for i, p in enumerate(parts) if i != best]
    return Shortfall(parts[best].changes, parts[best].alternatives + others)
