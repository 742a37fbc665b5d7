"""Shortfall: the smallest change to a partner's facts that would meet a criterion it does not meet.

Computed after the engine has decided, from the policy model, the constants of each comparison
and the partner's actual values, so it is the same whatever path produced the decision. The
engine's per-comparison statuses say which parts are unmet; this module only measures distances.

- A comparison: its operator's `shortfall` facet (language/operators.py, language/moves.py).
  Numbers and dates give the distance in the operand's unit (`>= 100000` with 99999: rise by 1).
  Strings, booleans, lists and `!=`/`in`/`not_in` get a plain statement.
- `not` is pushed down to the comparisons (De Morgan), through each operator's `negation`, so
  `not(x >= 5)` is measured as `x < 5`.
- `all`: every unmet part. `any`: the cheapest unmet branch; the others are kept as
  alternatives. Cost is the sum over a branch's changes of the gap relative to its threshold
  (`by / max(|threshold|, 1)`; days count as days/365); a statement or missing data costs 1,
  an unreachable change 10**9; ties go to the first branch in the policy.
- A measure that is a function of one fact also gets the change stated on that fact
  (`on_fact`), solved exactly (language/inversion.py) and restated by the fact's type, rounded
  the right way for integral facts.
- A comparison whose operand is absent names the facts to provide.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any, Callable, Iterable

from ..language.conditions import render, status_of_condition
from ..language.expressions import Context, Missing, facts_of
from ..language.facttypes import FACT_TYPES, jsonable
from ..language.inversion import Unreachable, integral, invert, pool, terminal
from ..language.moves import (DECREASE, INCREASE, PROVIDE, UNDEFINED, FactChange, Gap, Need, dec, plain,
                              put_amounts, show)
from ..language.operators import OPERATORS
from ..model.policy import All, Any_, Comparison, Condition, Not, Operand, Policy
from ..model.status import MET

UNREACHABLE_COST = 1e9

__all__ = ["Bound", "Change", "FactChange", "Shortfall", "bound_cost", "leaf_change", "on_fact", "shortfall", "show"]


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
    fixed: bool = False  # a change to facts the partner cannot change (actionable: false)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operand": self.operand.name, "kind": self.operand.kind, "op": self.op,
                               "value": jsonable(self.value), "actual": jsonable(self.actual),
                               "pointer": self.pointer, "change": self.change}
        return self._amounts_and_text(out)

    def _amounts_and_text(self, out: dict[str, Any]) -> dict[str, Any]:
        put_amounts(out, self.by, self.to, self.unit, self.strict, self.reachable)
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
    last = terminal(policy, measure, fact)
    try:
        with localcontext() as dctx:
            dctx.prec = 34
            x, sign = invert(policy, measure, dec(need.to), ctx, fact)
    except LookupError:
        return None
    except Unreachable as exc:
        return FactChange(fact, need.change, f"no value of {fact} reaches it, {exc}", reachable=False)
    at_least_x = (need.change == INCREASE) == (sign > 0)
    kind = FACT_TYPES[spec.type]
    if kind.integral:
        rounded = x.to_integral_value(ROUND_CEILING if at_least_x else ROUND_FLOOR)
        if need.exact and rounded != x:
            return FactChange(fact, need.change, f"no whole value of {fact} gives exactly {show(need.to)}",
                              reachable=False)
        x = rounded
    if kind.restate is None:  # pragma: no cover - a measure reads only facts of a type that has it
        return None
    return kind.restate(spec, current, x, at_least_x, pool(last), need.change)


def _kind(policy: Policy, operand: Operand) -> tuple[str, bool]:
    """(value type, integral) of an operand's values."""
    if operand.kind == "fact":
        kind = FACT_TYPES[policy.facts[operand.name].type]
        return kind.value_type, kind.integral
    return "number", integral(policy, policy.measures[operand.name].compute)


def _unit_of(policy: Policy, operand: Operand) -> str | None:
    if operand.kind == "fact":
        spec = policy.facts[operand.name]
        return FACT_TYPES[spec.type].unit(spec)
    return policy.measures[operand.name].unit


def _cost(need: Need, gap: Gap) -> float:
    if need.change not in (INCREASE, DECREASE):
        return 1.0
    scale = 365.0 if gap.vtype == "date" else max(abs(float(dec(v))) for v in _flat(gap.value))
    return float(need.by) / max(scale, 1.0)


def _flat(value: Any) -> Iterable[Any]:
    return value if isinstance(value, tuple) else (value,)


def leaf_change(policy: Policy, comparison: Comparison, negated: bool, ctx: Context) -> Change:
    """What one comparison (negated when under an odd number of `not`s) needs."""
    op = OPERATORS[comparison.op].negation if negated else comparison.op
    operand = comparison.operand
    if OPERATORS[op].inclusive_bound and operand.kind == "fact":  # the commonest case, `sales >= 100000`
        spec = policy.facts[operand.name]
        actual = ctx.value(operand.name)
        if has_bound_short_cut(spec) and type(actual) in (int, float):
            return _fixed(policy, _bound_change(spec, comparison, op, actual))
    return _fixed(policy, _leaf_change(policy, comparison, op, ctx))


def fixed_facts(policy: Policy, operand: Operand) -> list[str]:
    """The facts behind an operand that the partner cannot change (`actionable: false`), when
    every fact behind it is one (a change to it is then never advice); else []."""
    names = [operand.name] if operand.kind == "fact" else sorted(facts_of(policy, operand.name))
    specs = [policy.facts[n] for n in names]
    return [s.shown for s in specs] if specs and not any(s.actionable for s in specs) else []


def _fixed(policy: Policy, change: Change) -> Change:
    """A change to what the partner cannot change is not a way to the tier: unreachable, said so
    (a missing fact can still be provided)."""
    if change.change in (PROVIDE, UNDEFINED):
        return change
    fixed = fixed_facts(policy, change.operand)
    if fixed:
        change.reachable, change.cost, change.fixed = False, UNREACHABLE_COST, True
        change.text += f" (not open to the partner: {', '.join(fixed)} cannot be changed)"
    return change


def has_bound_short_cut(spec: Any) -> bool:
    """Whether `Bound` states the shortfall of a fact's inclusive bounds: number facts (the
    short cut inlines their move and `within`)."""
    kind = FACT_TYPES[spec.type]
    return kind.value_type == "number" and kind.restate is not None and spec.actionable


class Bound:
    """What a number or integer fact needs to meet `>= value` or `<= value`: the steps of
    at_least/at_most -> _move -> _within inlined, with what does not depend on the actual value
    (the target, its text, whether it is allowed) worked out once."""

    def __init__(self, spec: Any, value: Any):
        self.name, self.value = spec.shown, value
        self.target = dec(value)
        self.to = plain(self.target)
        self.to_text = show(self.to)
        self.unit = f" {spec.unit}" if spec.unit else ""
        self.reachable, self.why = FACT_TYPES[spec.type].within(spec, self.to)
        self.whole = type(value) is int

    def amount(self, actual: Any, text: str | None = None) -> tuple[bool, int | float]:
        """(up, by): whether the value must rise, and by how much. `text`: a float's repr, when
        the caller has it already (what _dec would make)."""
        if self.whole and type(actual) is int:  # exact without decimals
            return self.value > actual, abs(self.value - actual)
        current = Decimal(text) if text is not None else dec(actual)
        return self.target > current, plain(abs(self.target - current))

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
    return float(by) / max(abs(float(dec(value))), 1.0) if reachable else UNREACHABLE_COST


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
    vtype, whole = _kind(policy, operand)
    if vtype == "date":  # the policy writes dates as text
        value = tuple(_dt.date.fromisoformat(v) for v in value) if isinstance(value, tuple) else \
            _dt.date.fromisoformat(value)
    unit = _unit_of(policy, operand)
    shown = policy.facts[operand.name].shown if operand.kind == "fact" else operand.name
    if isinstance(actual, Missing):
        needed = f"{shown} {op} {show(comparison.value)}"
        if actual.facts or not actual.reason:
            facts = tuple(sorted(actual.facts or {operand.name}))
            what = f"provide {', '.join(facts)}"
            text = f"{shown} is missing: {what} (needed: {needed})"
            return Change(operand, op, value, None, comparison.pointer, PROVIDE, text, facts=facts)
        return Change(operand, op, value, None, comparison.pointer, UNDEFINED,
                      f"{shown} is undefined ({actual.reason}); needed: {needed}")
    gap = Gap(shown, vtype, whole, unit, actual, value)
    need = OPERATORS[op].shortfall(gap)
    reachable = need.reachable
    text = need.text
    if operand.kind == "fact" and need.change in (INCREASE, DECREASE) and need.to is not None:
        spec = policy.facts[operand.name]
        within, why = FACT_TYPES[spec.type].within(spec, need.to)
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
    return status_of_condition(condition, leaf_status, negated)


def shortfall(policy: Policy, condition: Condition, leaf_status: Callable[[Comparison], str], ctx: Context,
              negated: bool = False) -> Shortfall:
    """What `condition` (not met, or missing) needs to be met."""
    if _status(condition, negated, leaf_status) == MET:
        return Shortfall([])
    if isinstance(condition, Comparison):
        return Shortfall([leaf_change(policy, condition, negated, ctx)])
    if isinstance(condition, Not):
        return shortfall(policy, condition.part, leaf_status, ctx, not negated)
    if isinstance(condition, Any_) and condition.name in ("lookup", "cases") and not negated:
        found = _segment_shortfall(policy, condition, leaf_status, ctx)
        if found is not None:
            return found
    parts = [shortfall(policy, p, leaf_status, ctx, negated) for p in condition.parts
             if _status(p, negated, leaf_status) != MET]
    if isinstance(condition, All) != negated:  # De Morgan: not(any) is all(not)
        return Shortfall([c for p in parts for c in p.changes], [a for p in parts for a in p.alternatives])
    best = min(range(len(parts)), key=lambda i: (parts[i].cost, i))
    # an alternative is offered only if the partner can make it (no change to a fixed fact)
    others = [p.text for i, p in enumerate(parts) if i != best and not any(c.fixed for c in p.changes)]
    return Shortfall(parts[best].changes, parts[best].alternatives + others)



def _named(condition: Condition) -> str:
    return condition.name if isinstance(condition, All) and condition.name else render(condition)


def _segment_shortfall(policy: Policy, condition: Any_, leaf_status: Callable[[Comparison], str],
                       ctx: Context) -> Shortfall | None:
    """A comparison with a value per segment or by cases, for a partner whose segment (or case)
    is known: what the value that applies needs, saying which value that is."""
    for part in condition.parts:
        if not isinstance(part, All) or part.pointer.endswith("/every"):
            continue
        *conditions, test = part.parts
        if not all(_status(c, False, leaf_status) == MET for c in conditions):
            continue
        change = leaf_change(policy, test, False, ctx)  # type: ignore[arg-type]
        if condition.name == "lookup":
            segment = conditions[0]
            where = f"for {policy.facts[segment.operand.name].shown} {show(ctx.value(segment.operand.name))}"  # type: ignore[union-attr]
        elif part.pointer.endswith("/default"):
            names = [_named(c.part) for c in conditions if isinstance(c, Not)]
            where = f"as {names[0]} does not hold" if len(names) == 1 else f"as none of {', '.join(names)} holds"
        else:
            where = f"as {_named(conditions[-1])} holds"
        change.text = f"{where}, the requirement is {test.operand.name} {test.op} {show(test.value)}: " + change.text  # type: ignore[union-attr]
        return Shortfall([change])
    return None
