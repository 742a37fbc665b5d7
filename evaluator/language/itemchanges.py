"""A measure's change restated on the items of its list (the `restate` facet of the list fact
types): which item came closest and what it still needs, which items fail and by how much.

An aggregate's pool (measures.py) is the operation and its argument, so the list's restate
knows how the items were chosen. For a count of items where C: to raise it, the items not
meeting C ranked by how far they are (the closest first, then the next); to lower it (`every`
is a count of items where not C, == 0), every item still counted and what would take it out.
For min/max/sum/mean: the items that must move, in the list's own unit. A window of days from the
evaluation date is stated without per-item detail (a restate is not given the date).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..model.policy import FactSpec
from ..model.status import MET, MISSING
from .aggregates import condition_text, holds, status, window
from .items import ITEM_FIELD_TYPES, label_of
from .moves import ADD, DECREASE, INCREASE, REMOVE, FactChange, Gap, dec, plain, show
from .operators import OPERATORS
from .values import VALUE_TYPES

_UNREACHABLE = 1e9


def _field(spec: FactSpec, name: str | None) -> FactSpec | None:
    return next((f for f in spec.fields or () if f.name == name), None)


def _constant(vtype: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(VALUE_TYPES[vtype].constant(v) for v in value)
    return VALUE_TYPES[vtype].constant(value)


def needs(spec: FactSpec, condition: dict[str, Any], item: Any, want: bool) -> tuple[float, list[str]]:
    """(cost, what it takes) for one item to meet (want) or to fail (not want) a `where` condition."""
    for key in ("all", "any"):
        if key in condition:
            parts = [needs(spec, p, item, want) for p in condition[key]]
            if (key == "all") == want:  # every part must come to hold
                return sum(c for c, _ in parts), [t for _, texts in parts for t in texts]
            return min(parts, key=lambda p: p[0])
    if "not" in condition:
        return needs(spec, condition["not"], item, not want)
    name = condition.get("field")
    field = _field(spec, name)
    value = item.get(name) if name is not None and isinstance(item, dict) else item
    label = name or "the item"
    if value is None:
        return 1.0, [f"{label} must be given"]
    if holds(condition["op"], condition["value"], value) == want:
        return 0.0, []
    op = condition["op"] if want else OPERATORS[condition["op"]].negation
    kind = field.type if field is not None else ("number" if spec.type == "number_list" else "date")
    vtype = ITEM_FIELD_TYPES[kind]
    unit = field.unit if field is not None else spec.unit
    need = OPERATORS[op].shortfall(Gap(label, vtype, kind in ("integer", "date"), unit, value,
                                       _constant(vtype, condition["value"])))
    if not need.reachable:
        return _UNREACHABLE, [need.text]
    cost = 1.0
    if need.change in (INCREASE, DECREASE) and vtype == "number" and need.by is not None:
        cost = float(need.by) / max(abs(float(dec(need.to if need.to is not None else 1))), 1.0)
    return cost, [need.text]


def _ranked(spec: FactSpec, condition: dict[str, Any], picked: list[tuple[int, Any]], want: bool
            ) -> list[tuple[float, int, Any, list[str]]]:
    out = []
    for i, item in picked:
        if (status(condition, item) == MET) != want or status(condition, item) == MISSING:
            cost, texts = needs(spec, condition, item, want)
            out.append((cost, i, item, texts))
    return sorted(out, key=lambda r: (r[0], r[1]))


def _say(spec: FactSpec, row: tuple[float, int, Any, list[str]]) -> str:
    return f"{label_of(spec, row[2], row[1])}: " + "; ".join(row[3])


def _count(spec: FactSpec, items: list[Any], target: int, arg: dict[str, Any]) -> FactChange:
    name = spec.name
    where = arg.get("where")
    picked: Any = window(items, {k: v for k, v in arg.items() if k != "within_days"}, None)  # type: ignore[arg-type]
    held = len([1 for _i, item in picked if where is None or status(where, item) == MET])
    more = target > held
    n = abs(target - held)
    what = "item" if n == 1 else "items"
    scope = f" where {condition_text(where)}" if where is not None else ""
    if where is None or "within_days" in arg:
        text = f"{name} must have {n} {'more' if more else 'fewer'} {what}{scope}, {target} in all"
        return FactChange(name, ADD if more else REMOVE, text, n, target, "items", target >= 0)
    rows = _ranked(spec, where, picked, more)
    if more:
        text = f"{name} needs {n} more {what}{scope}"
        if rows:
            text += "; closest " + _say(spec, rows[0]) + ("; next " + _say(spec, rows[1]) if len(rows) > 1 else "")
        room = None if spec.max_items is None else spec.max_items - len(items)
        reachable = len(rows) >= n or room is None or len(rows) + room >= n
    else:
        inner = where.get("not") if set(where) == {"not"} else None  # every: a count of the items where not C
        goal = f"must come to meet {condition_text(inner)}" if inner is not None \
            else f"must stop meeting {condition_text(where)}"
        text = f"{name}: {n} {what} {goal}: " + "; ".join(_say(spec, r) for r in rows)
        reachable = True
    return FactChange(name, ADD if more else REMOVE, text, n, target, "items", reachable)


def _distinct(spec: FactSpec, items: list[Any], target: int, arg: dict[str, Any]) -> FactChange:
    """A distinct count: how many more (or fewer) distinct values, and the ones there are."""
    where, field = arg.get("where"), arg.get("field")
    picked: Any = window(items, arg, None)  # type: ignore[arg-type]
    seen: list[Any] = []
    for _i, item in picked:
        if where is None or status(where, item) == MET:
            value = item.get(field) if field is not None and isinstance(item, dict) else item
            if value is not None and value not in seen:
                seen.append(value)
    n = abs(target - len(seen))
    more = target > len(seen)
    noun = (field or "item") if n == 1 else f"{field or 'item'}s"
    scope = f" where {condition_text(where)}" if where is not None else ""
    shown = ", ".join(show(v) for v in seen[:5]) + (", ..." if len(seen) > 5 else "")
    text = (f"{spec.name} needs {n} {'more' if more else 'fewer'} distinct {noun}{scope} "
            f"({len(seen)} now{': ' + shown if seen else ''})")
    return FactChange(spec.name, ADD if more else REMOVE, text, n, target, "items", True)


def restate_items(spec: FactSpec, items: Any, x: Decimal, at_least: bool, pool: Any, change: str) -> FactChange:
    """The restate facet of number_list, date_list and record_list facts."""
    op, arg = pool if isinstance(pool, tuple) and len(pool) == 2 else ("count_items", {"list": spec.name})
    name = spec.name
    if op == "count_items":
        return _count(spec, items, int(x), arg)
    field = arg.get("field")
    noun = field or "value"
    unit = (_field(spec, field).unit if field is not None and _field(spec, field) else spec.unit)  # type: ignore[union-attr]
    if op == "count_distinct" and "within_days" not in arg:
        return _distinct(spec, items, int(x), arg)
    if op == "count_distinct" or "within_days" in arg or "where" in arg:
        what = {"count_distinct": f"distinct {noun}s"}.get(op, f"{op.replace('_of', '')} of {noun}")
        up = change == INCREASE
        return FactChange(name, change, f"{name}: the {what} must {'rise' if up else 'fall'} to {show(plain(x))}",
                          None, plain(x), unit)
    picked = window(items, arg, None)  # type: ignore[arg-type]
    values = [(i, item, item.get(field) if isinstance(item, dict) else item) for i, item in picked]  # type: ignore[union-attr]
    target = plain(x)
    suffix = f" {unit}" if unit else ""
    if op in ("sum_of", "mean_of") or not values:
        total = sum(v for _i, _item, v in values if v is not None)
        goal = x if op == "sum_of" else x * len(values)
        by = plain(abs(goal - dec(total)))
        up = goal > dec(total)
        return FactChange(name, INCREASE if up else DECREASE,
                          f"the total {noun} of {name} must {'rise' if up else 'fall'} by {show(by)}, from "
                          f"{show(total)} to {show(plain(goal))}{suffix}", by, plain(goal), unit)
    lowest = op == "min_of"
    if lowest == at_least:  # min up / max down: every item past the target must move
        movers = [(i, item, v) for i, item, v in values if v is not None and (v < target if at_least else v > target)]
    else:                   # min down / max up: the closest one item
        movers = sorted((r for r in values if r[2] is not None),
                        key=lambda r: abs(dec(r[2]) - x))[:1]
    who = (lambda i, item: f"{label_of(spec, item, i)}: {field}") if field else (lambda i, item: f"item {i}")
    parts = [f"{who(i, item)} must {'rise' if at_least else 'fall'} by "
             f"{show(plain(abs(x - dec(v))))}, from {show(v)} to {show(target)}{suffix}" for i, item, v in movers]
    by = plain(max((abs(x - dec(v)) for _i, _item, v in movers), default=Decimal(0)))
    return FactChange(name, INCREASE if at_least else DECREASE, f"{name} " + "; ".join(parts), by, target, unit)
