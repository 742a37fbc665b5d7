"""The reference evaluator's lists (number_list, date_list, record_list) and the measures over
their items, written from docs/language.md ("Lists") alone, in plain Python: no import from
`evaluator`. Used by reference.py."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

MET, NOT_MET, MISSING = "met", "not_met", "missing"
LIST_TYPES = ("number_list", "date_list", "record_list")
AGGREGATES = ("count_items", "count_distinct", "sum_of", "min_of", "max_of", "mean_of")


class ItemBad(Exception):
    """An invalid list: `at` is the pointer below the fact."""

    def __init__(self, at: str = ""):
        super().__init__(at)
        self.at = at


def _not_json(text: str) -> Any:
    raise ValueError(text)


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("a key twice")
    return dict(pairs)


def list_value(spec: dict[str, Any], value: Any, from_text: bool, scalar: Callable[[dict[str, Any], Any], Any]
               ) -> list[Any]:
    """A list fact's typed value; `scalar(spec, value)` types one scalar (reference.fact_value)."""
    if from_text and isinstance(value, str):  # a JSON array in the cell: strict JSON (no NaN, each key once)
        try:
            value = json.loads(value, parse_constant=_not_json, object_pairs_hook=_once)
        except ValueError:
            raise ItemBad() from None
    if not isinstance(value, list) or len(value) > spec.get("max_items", len(value)):
        raise ItemBad()
    out = []
    for i, item in enumerate(value):
        if spec["type"] != "record_list":
            kind = "number" if spec["type"] == "number_list" else "date"
            try:
                out.append(scalar({**spec, "type": kind}, item))
            except Exception:
                raise ItemBad(f"/{i}") from None
            continue
        if not isinstance(item, dict):
            raise ItemBad(f"/{i}")
        typed = {}
        for name, field in spec["fields"].items():
            v = item.get(name)
            if v is None:
                if "default" in field:
                    typed[name] = scalar(field, field["default"])
                elif field.get("required"):
                    raise ItemBad(f"/{i}/{name}")
                continue
            try:
                typed[name] = scalar(field, v)
            except Exception:
                raise ItemBad(f"/{i}/{name}") from None
        out.append(typed)
    return out


def _status(cond: dict[str, Any], item: Any, compare: Callable[[Any, str, Any, str], bool]) -> str:
    if "all" in cond or "any" in cond:
        word = "all" if "all" in cond else "any"
        parts = [_status(p, item, compare) for p in cond[word]]
        decisive, otherwise = (NOT_MET, MET) if word == "all" else (MET, NOT_MET)
        return decisive if decisive in parts else MISSING if MISSING in parts else otherwise
    if "not" in cond:
        return {MET: NOT_MET, NOT_MET: MET}.get(_status(cond["not"], item, compare), MISSING)
    value = item.get(cond["field"]) if "field" in cond else item
    if value is None:
        return MISSING
    kind = "date" if isinstance(value, dt.date) else "value"
    return MET if compare(value, cond["op"], cond["value"], kind) else NOT_MET


def aggregate(op: str, arg: dict[str, Any], items: Any, as_of: dt.date,
              compare: Callable[[Any, str, Any, str], bool], absent: Any) -> Any:
    """An aggregate's value, or `absent`."""
    if items is absent:
        return absent
    rows = list(items)
    if "first" in arg:
        rows = rows[:arg["first"]]
    if "last" in arg:
        rows = rows[len(rows) - arg["last"]:] if arg["last"] < len(rows) else rows
    if "within_days" in arg:
        kept = []
        for item in rows:
            day = item.get(arg.get("date_field")) if isinstance(item, dict) else item
            if day is None:
                return absent
            if as_of - dt.timedelta(days=arg["within_days"]) <= day <= as_of:
                kept.append(item)
        rows = kept
    if "where" in arg:
        statuses = [_status(arg["where"], item, compare) for item in rows]
        if MISSING in statuses:
            return absent
        rows = [item for item, s in zip(rows, statuses) if s == MET]
    if op == "count_items":
        return len(rows)
    if "field" in arg:
        if any(item.get(arg["field"]) is None for item in rows):
            return absent
        rows = [item[arg["field"]] for item in rows]
    if op == "count_distinct":  # equal values (1 and 1.0, equal records) are one value
        distinct: list[Any] = []
        for r in rows:
            if r not in distinct:
                distinct.append(r)
        return len(distinct)
    if op == "sum_of":
        total: Any = 0
        for r in rows:
            total = total + r
        return total
    if not rows:
        return absent
    if op == "min_of":
        return min(rows)
    if op == "max_of":
        return max(rows)
    return sum(rows) / len(rows)
