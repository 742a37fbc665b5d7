"""Measures over the items of a list fact: conditions on the same item, windows, aggregates.

An "items" argument (measures.py, FORMS) names a list fact and how its items are chosen, in this
order: the first or last N items (`first`, `last`: the list's own order, most recent first if the
data is written so), the items whose date lies within `within_days` days before the evaluation
date (`date_field`, or the item itself in a date_list; a date after the evaluation date is not
within), and the items that meet `where`, a condition on the fields of one item (all, any, not
and comparisons `{"field": ..., "op": ..., "value": ...}` with every written operator): every
comparison of one `where` is judged on the same item.

Three-valued, as criteria are: a `where` on an item is met, not met, or missing (a field it
reads is absent from that item). A count is a number, so an item on which the condition is
missing makes the count missing (naming the list, and the item, in the reason) rather than a
guess; a catalogue `default` for the field decides such items. `some`, `every` and `none` are
counts compared with a constant: `count_items` with `where` C `>= 1` (some; not met on an empty
list), `== 0` (none), and `count_items` with `where` `{"not": C}` `== 0` (every; met on an empty
list). An absent list makes every measure over it missing.

Why Python and not the engine: the engine is given each measure's place among the policy's
constants (the outcome cache's key), never the list, so the cache stays sound for lists that
differ in order, in duplicates or in absent fields; durable's own array operators would need the
whole list in the key, and never match an empty list.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable, Iterator

from ..model.status import MET, MISSING, NOT_MET
from .lowering import Lowered
from .missing import Missing
from .operators import OPERATORS

_FLIP = {MET: NOT_MET, NOT_MET: MET}


def _vtype(value: Any) -> str:
    """The value type of a coerced item value (the coercers give exactly these classes)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, _dt.date):
        return "date"
    return "string"


_LOWERED: dict[tuple[Any, ...], tuple[Lowered, bool]] = {}


def lowered(op: str, value: Any, vtype: str) -> tuple[Lowered, bool]:
    """(the canonical test, whether it is on the value's prefixes) of one item comparison."""
    key = (op, json.dumps(value) if isinstance(value, list) else (type(value), value), vtype)
    out = _LOWERED.get(key)
    if out is None:
        operator = OPERATORS[op]
        constant = tuple(value) if isinstance(value, list) else value
        out = (operator.lower(vtype, constant), operator.encoding == "prefixes")  # type: ignore[misc]
        if len(_LOWERED) > 4096:
            _LOWERED.clear()
        _LOWERED[key] = out
    return out


def holds(op: str, constant: Any, value: Any) -> bool:
    """Whether a present item value meets `op constant` (the engine's canonical tests, in Python)."""
    low, prefixes = lowered(op, constant, _vtype(value))
    test, cs = low.test.name, low.test.constants
    if test == "eq":
        result = value == cs[0]
    elif test == "lt":
        result = value < cs[0]
    elif test == "le":
        result = value <= cs[0]
    elif test == "between":
        result = cs[0] <= value <= cs[1]
    elif test == "in":
        result = value in cs
    elif test == "contains":
        result = value.startswith(cs[0]) if prefixes else cs[0] in value
    else:  # pragma: no cover - every canonical test is above
        raise ValueError(test)
    return result != low.negate


def status(condition: dict[str, Any], item: Any) -> str:
    """met / not_met / missing of a `where` condition on one item (Kleene logic, as criteria)."""
    if "all" in condition or "any" in condition:
        conjunction = "all" in condition
        statuses = [status(part, item) for part in condition["all" if conjunction else "any"]]
        decisive, other = (NOT_MET, MET) if conjunction else (MET, NOT_MET)
        return decisive if decisive in statuses else MISSING if MISSING in statuses else other
    if "not" in condition:
        return _FLIP.get(status(condition["not"], item), MISSING)
    value = item.get(condition["field"]) if "field" in condition and isinstance(item, dict) else item
    if value is None or isinstance(value, dict):
        return MISSING
    return MET if holds(condition["op"], condition["value"], value) else NOT_MET


_COMPILED: dict[int, tuple[Any, Callable[[Any], str]]] = {}


def judge(condition: dict[str, Any]) -> Callable[[Any], str]:
    """`status` of one `where`, made once per condition (kept with the condition, whose id it is
    keyed by): each comparison lowered once per value type it meets."""
    found = _COMPILED.get(id(condition))
    if found is not None and found[0] is condition:
        return found[1]
    made = _make(condition)
    if len(_COMPILED) > 4096:
        _COMPILED.clear()
    _COMPILED[id(condition)] = (condition, made)
    return made


def _make(condition: dict[str, Any]) -> Callable[[Any], str]:
    for key, decisive, other in (("all", NOT_MET, MET), ("any", MET, NOT_MET)):
        if key in condition:
            parts = [_make(p) for p in condition[key]]

            def combined(item: Any, parts: Any = parts, decisive: str = decisive, other: str = other) -> str:
                missing = False
                for part in parts:
                    s = part(item)
                    if s == decisive:
                        return decisive
                    missing = missing or s == MISSING
                return MISSING if missing else other
            return combined
    if "not" in condition:
        inner = _make(condition["not"])
        return lambda item: _FLIP.get(inner(item), MISSING)
    field, op, constant = condition.get("field"), condition["op"], condition["value"]
    tests: dict[type, Callable[[Any], bool]] = {}  # by the class of the value: its lowering, once

    def compare(item: Any) -> str:
        value = item.get(field) if field is not None and type(item) is dict else item
        if value is None or type(value) is dict:
            return MISSING
        test = tests.get(type(value))
        if test is None:
            test = tests[type(value)] = tester(op, constant, _vtype(value))
        return MET if test(value) else NOT_MET
    return compare


def tester(op: str, constant: Any, vtype: str) -> Callable[[Any], bool]:
    """`holds` for one comparison and value type, as one function."""
    low, prefixes = lowered(op, constant, vtype)
    name, cs, negate = low.test.name, low.test.constants, low.negate
    first = cs[0]
    if name == "eq":
        return (lambda v: v != first) if negate else (lambda v: v == first)
    if name == "lt":
        return (lambda v: not v < first) if negate else (lambda v: v < first)
    if name == "le":
        return (lambda v: not v <= first) if negate else (lambda v: v <= first)
    return lambda v: holds(op, constant, v)


def comparisons(condition: dict[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every comparison of a `where` condition, with its pointer."""
    for key in ("all", "any"):
        if key in condition:
            for i, part in enumerate(condition[key]):
                yield from comparisons(part, f"{pointer}/{key}/{i}")
            return
    if "not" in condition:
        yield from comparisons(condition["not"], f"{pointer}/not")
        return
    yield condition, pointer


def window(items: list[Any], arg: dict[str, Any], as_of: _dt.date) -> list[tuple[int, Any]] | Missing:
    """(position, item) of the items an argument chooses, before `where`."""
    chosen = list(enumerate(items))
    if "first" in arg:
        chosen = chosen[:arg["first"]]
    if "last" in arg:
        chosen = chosen[-arg["last"]:] if arg["last"] else []
    if "within_days" in arg:
        field, days, kept = arg.get("date_field"), arg["within_days"], []
        for i, item in chosen:
            day = item.get(field) if isinstance(item, dict) else item
            if day is None:
                return Missing(frozenset([arg["list"]]), f"item {i} of {arg['list']} has no {field}")
            if 0 <= (as_of - day).days <= days:
                kept.append((i, item))
        chosen = kept
    return chosen


def chosen(items: list[Any], arg: dict[str, Any], as_of: _dt.date) -> list[tuple[int, Any]] | Missing:
    """(position, item) of the items an argument chooses: its window, then `where`."""
    picked = window(items, arg, as_of)
    where = arg.get("where")
    if isinstance(picked, Missing) or where is None:
        return picked
    kept = []
    judged = judge(where)
    for i, item in picked:
        s = judged(item)
        if s == MISSING:
            return Missing(frozenset([arg["list"]]), f"item {i} of {arg['list']} lacks a field its condition reads")
        if s == MET:
            kept.append((i, item))
    return kept


def values(picked: list[tuple[int, Any]], arg: dict[str, Any]) -> list[Any] | Missing:
    """The values an aggregate reads: the field of each chosen item, or the items themselves."""
    field = arg.get("field")
    if field is None:
        return [item for _i, item in picked]
    out = []
    for i, item in picked:
        value = item.get(field) if isinstance(item, dict) else None
        if value is None:
            return Missing(frozenset([arg["list"]]), f"item {i} of {arg['list']} has no {field}")
        out.append(value)
    return out


def _frozen(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def aggregate(name: str) -> Callable[[Any, Any, Any], Any]:
    """The compute facet of one aggregate (count_items, count_distinct, sum_of, min_of, max_of, mean_of)."""
    def compute(items: Any, arg: Any, ctx: Any) -> Any:
        picked = chosen(items, arg, ctx.as_of)
        if isinstance(picked, Missing):
            return picked
        if name == "count_items":
            return len(picked)
        got = values(picked, arg)
        if isinstance(got, Missing):
            return got
        if name == "count_distinct":
            return len({_frozen(v) for v in got})
        if name == "sum_of":
            return sum(got)
        if not got:
            return Missing(frozenset(), f"{name} of no items of {arg['list']}")
        if name == "min_of":
            return min(got)
        if name == "max_of":
            return max(got)
        return sum(got) / len(got)
    return compute


# --- words: the program sheet and the docs --------------------------------------------------------

def condition_text(condition: dict[str, Any]) -> str:
    """A `where` condition in one line: `sales_usd >= 30000 and certified_engineers >= 3`."""
    for key, joint in (("all", " and "), ("any", " or ")):
        if key in condition:
            parts = [condition_text(p) for p in condition[key]]
            return "(" + joint.join(parts) + ")" if len(parts) > 1 else parts[0]
    if "not" in condition:
        return f"not {condition_text(condition['not'])}"
    return f"{condition.get('field', 'item')} {condition['op']} {json.dumps(condition['value'])}"


def chosen_text(arg: dict[str, Any]) -> tuple[str, str]:
    """(the window, the rest of the choice) of an argument, in words: "(its first 3 items)",
    "whose registered is within 90 days before the evaluation date and where track == ..."."""
    head = f" (its first {arg['first']} items)" if "first" in arg else ""
    head += f" (its last {arg['last']} items)" if "last" in arg else ""
    tail = []
    if "within_days" in arg:
        what = arg.get("date_field", "date")
        tail.append(f"whose {what} is within {arg['within_days']} days before the evaluation date")
    if "where" in arg:
        tail.append("where " + condition_text(arg["where"]))
    return head, " and ".join(tail)


_NOUNS = {"count_items": ("the number of items in ", "the number of items in "),
          "count_distinct": ("the number of distinct {f} values in ", "the number of distinct items in "),
          "sum_of": ("the total {f} of ", "the total of "), "min_of": ("the smallest {f} in ", "the smallest item in "),
          "max_of": ("the largest {f} in ", "the largest item in "), "mean_of": ("the mean {f} of ", "the mean of ")}


def words(name: str) -> Callable[[Any, Any], Any]:
    def say(arg: Any, w: Any) -> Any:
        head, tail = chosen_text(arg)
        with_field, without = _NOUNS[name]
        noun = with_field.format(f=arg["field"]) if "field" in arg else without
        return w.seq(noun, w.code(arg["list"]), head + ((" " + tail) if tail else ""))
    return say


# --- bounds for the static checks ---------------------------------------------------------------

def bounds(name: str) -> Callable[[Any, Any, Callable[[str], Any]], tuple[Any, Any, bool]]:
    """The range of an aggregate's value, from the list's catalogue (its max_items, the field's bounds)."""
    def b(arg: Any, parts: Any, facts: Callable[[str], Any]) -> tuple[Any, Any, bool]:
        spec = facts(arg["list"]) if isinstance(arg, dict) else None
        if name in ("count_items", "count_distinct"):
            most = spec.max_items if spec is not None else None
            if "first" in arg or "last" in arg:
                n = arg.get("first", arg.get("last"))
                most = n if most is None else min(most, n)
            return 0, most, True
        if spec is None:
            return None, None, False
        field = spec if arg.get("field") is None else next((f for f in spec.fields or () if f.name == arg["field"]), None)
        kind = "number" if spec.type == "number_list" and field is spec else getattr(field, "type", None)
        if name in ("min_of", "max_of", "mean_of") and kind in ("number", "integer"):
            return field.minimum, field.maximum, kind == "integer" and name != "mean_of"  # type: ignore[union-attr]
        return None, None, False
    return b
