"""What an operator's `shortfall` facet works with: the gap between a value and a constant, and
the smallest move that closes it.

`Gap` is what the facet sees (the operand's name, value type, whether it is integral, unit,
actual value, the policy's constant); `Need` is what it answers (the kind of change, its text,
by how much, to what). Numbers and dates are measured exactly in decimals: `>= 100000` with
99999 is "rise by 1". A strict bound on an integral operand (an integer fact, a count, days)
moves one whole unit past it; on a number it moves one *step* past it: 0.01, or the finest
decimal written in the constant or the actual value if finer.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

INCREASE, DECREASE, SET, DIFFER, ADD, REMOVE, PROVIDE, UNDEFINED = (
    "increase", "decrease", "set", "differ", "add", "remove", "provide", "undefined")
CHANGE_KINDS = (INCREASE, DECREASE, SET, DIFFER, ADD, REMOVE, PROVIDE, UNDEFINED)

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
        return show(plain(value))
    return _ENCODE(value)


def dec(value: Any) -> Decimal:
    """Exact decimal of a number as written (repr of a float), or a date's day number."""
    if isinstance(value, _dt.date):
        return Decimal(value.toordinal())
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


class Gap(NamedTuple):
    """What an operator's shortfall facet sees. vtype is the operand's value type (number, date,
    string, boolean, list); integral says its values are whole (integers, counts, days, dates)."""

    name: str
    vtype: str
    integral: bool
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


@dataclass
class FactChange:
    """A measure's change restated on the one fact the measure is computed from (a fact type's
    `restate` facet makes it)."""

    fact: str
    change: str
    text: str
    by: Any = None
    to: Any = None
    unit: str | None = None
    reachable: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fact": self.fact, "change": self.change}
        put_amounts(out, self.by, self.to, self.unit, False, self.reachable)
        out["text"] = self.text
        return out


def put_amounts(out: dict[str, Any], by: Any, to: Any, unit: str | None, strict: bool, reachable: bool) -> None:
    """A change's figures as its JSON writes them (by, to, unit, strict, reachable), in that order.
    A move's figures are numbers, or dates (a date fact's target), which JSON writes as YYYY-MM-DD."""
    if by is not None:
        out["by"] = by.isoformat() if isinstance(by, _dt.date) else by
    if to is not None:
        out["to"] = to.isoformat() if isinstance(to, _dt.date) else to
    if unit is not None:
        out["unit"] = unit
    if strict:
        out["strict"] = True
    if not reachable:
        out["reachable"] = False


DAY_ONE, LAST_DAY = Decimal(_dt.date.min.toordinal()), Decimal(_dt.date.max.toordinal())


def _out(gap: Gap, number: Decimal) -> Any:
    return _dt.date.fromordinal(int(number)) if gap.vtype == "date" else plain(number)


def step(gap: Gap, *numbers: Decimal) -> Decimal:
    """The smallest move past a strict bound: 1 for integral operands, else 0.01 or finer."""
    if gap.integral:
        return Decimal(1)
    return Decimal(1).scaleb(-max([2] + [decimals(n) for n in numbers]))


def _unit(gap: Gap) -> str:
    return f" {gap.unit}" if gap.unit and gap.vtype != "date" else ""


def move(gap: Gap, target: Decimal, bound: Any = None, step: Decimal | None = None, exact: bool = False) -> Need:
    """The change taking the actual value to `target`. `bound` is set for a strict comparison
    (the value to get past); `step` when the target is one step past it on a non-integral operand."""
    actual = dec(gap.actual)
    up = target > actual
    by = abs(target - actual)
    if gap.vtype == "date" and not DAY_ONE <= target <= LAST_DAY:
        what = f"after {show(bound)}" if up else f"before {show(bound if bound is not None else gap.value)}"
        return Need(INCREASE if up else DECREASE, f"{gap.name} must be {what}: no date is", strict=bound is not None,
                    exact=exact, reachable=False)
    to = _out(gap, target)
    frm = show(gap.actual)
    if gap.vtype == "date":
        body = f"{show(plain(by))} days {'later' if up else 'earlier'}, from {frm} to {show(to)}"
        head = (f"must be {'after' if up else 'before'} {show(bound)}: " if bound is not None
                else f"must be {show(to)}: " if exact else "must be ")
    else:
        body = f"{'rise' if up else 'fall'} by {show(by)}, from {frm} to {show(to)}{_unit(gap)}"
        head = (f"must {'exceed' if up else 'be below'} {show(bound)}: " if bound is not None
                else f"must equal {show(to)}: " if exact else "must ")
    note = f" (smallest step {show(step)})" if step is not None else ""
    return Need(INCREASE if up else DECREASE, f"{gap.name} {head}{body}{note}", plain(by), to,
                bound is not None, exact)


def past(gap: Gap, bound: Any, direction: int, *others: Decimal) -> Need:
    """The move one step past `bound` (direction +1: above it, -1: below it)."""
    value = dec(bound)
    size = step(gap, value, *others)
    return move(gap, value + direction * size, bound, None if gap.integral else size)
