"""A reference evaluator of the policy language, for differential tests only.

Written from the README's semantics alone, in plain Python: it imports nothing from the
`evaluator` package, has no engine, no codecs and no lowering of operators, and evaluates every
comparison directly on the values. The fuzz tests require the durable-rules path to agree with it
on every record's validity (and which fields are invalid), every measure, every criterion's
status, every tier's status, every override's status and the resulting tier.

What it implements (README "The policy language"):
- record checks against the fact catalogue: types, `required`, `default`, `minimum`/`maximum`
  (inclusive), `enum`, `pattern` (whole value), `max_items`; numbers must be finite and within
  +/-2**53 (exact comparison); a null fact, or an empty CSV cell, is absent;
- CSV cells are text parsed by the fact's type (lists split on `;`);
- measures, `missing` when an input is absent or the value is undefined (division by zero, not a
  finite number);
- comparisons, Kleene logic for all/any/not, advisory criteria, tiers highest first, overrides;
- parameters (`{"param": name}` is the parameter's value wherever it is written), named
  conditions (`{"ref": name}` has the named condition's status), and comparisons with a value
  per segment (`{"lookup": ...}`: with the segment known, the comparison with that segment's value,
  not met for an unlisted segment without a default; with it absent, met if every segment's value
  is met, not met if none is (an unlisted segment without a default counting as not met),
  missing otherwise), comparisons with a value by cases (`{"cases": [...], "default": ...}`,
  below); in measures, `lookup` (the segment's number, else the default, else
  missing) and `if` (the `then` value when the yes/no fact holds, else the `else` value).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import reference_items

MET, NOT_MET, MISSING = "met", "not_met", "missing"
MAX_EXACT = 2 ** 53
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_TEXT_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class Absent:
    """No value (a missing fact, or an undefined measure)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


@dataclass
class Result:
    """The reference outcome for one record."""

    invalid: list[str] = field(default_factory=list)        # JSON Pointers of invalid fields
    measures: dict[str, Any] = field(default_factory=dict)  # None when missing
    criteria: dict[tuple[str, str], str] = field(default_factory=dict)
    tiers: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    tier: str | None = None


# --- facts ---------------------------------------------------------------------------------

class Bad(Exception):
    pass


def _date(text: Any) -> dt.date:
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()):
        raise Bad
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Bad from None


def _in_bounds(spec: dict[str, Any], value: Any) -> None:
    low, high = spec.get("minimum"), spec.get("maximum")
    if spec["type"] == "date":
        low = dt.date.fromisoformat(low) if low is not None else None
        high = dt.date.fromisoformat(high) if high is not None else None
    if low is not None and value < low:
        raise Bad
    if high is not None and value > high:
        raise Bad


def _text_ok(spec: dict[str, Any], text: str) -> None:
    if re.search("[\ud800-\udfff]", text):  # a lone surrogate is not text
        raise Bad
    if "enum" in spec and text not in spec["enum"]:
        raise Bad
    if "pattern" in spec and re.fullmatch(spec["pattern"], text) is None:
        raise Bad


def _number_from_text(text: str) -> int | float:
    """A CSV cell: ASCII decimal notation only ("1_000", "nan", "inf", "0x10" are not numbers).
    An integer fact takes "5.0" (spreadsheets write whole numbers so); fact_value checks it."""
    text = text.strip()
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    if not _NUMBER_TEXT.fullmatch(text):
        raise Bad
    return float(text)


def fact_value(spec: dict[str, Any], value: Any, from_text: bool) -> Any:
    """The typed value of one given (non-null) fact, or Bad."""
    kind = spec["type"]
    if kind in ("number", "integer"):
        if from_text and isinstance(value, str):
            value = _number_from_text(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Bad
        if isinstance(value, float):
            if not math.isfinite(value):
                raise Bad
            if kind == "integer":
                if value != int(value):
                    raise Bad
                value = int(value)
        if abs(value) > MAX_EXACT:
            raise Bad
        _in_bounds(spec, value)
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise Bad
        _text_ok(spec, value)
        return value
    if kind == "boolean":
        if from_text and isinstance(value, str):
            if value.strip().lower() not in _TEXT_BOOLEANS:
                raise Bad
            return _TEXT_BOOLEANS[value.strip().lower()]
        if not isinstance(value, bool):
            raise Bad
        return value
    if kind == "string_list":
        if from_text and isinstance(value, str):
            value = [item.strip() for item in value.split(";") if item.strip()]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise Bad
        for item in value:
            _text_ok(spec, item)
        if "max_items" in spec and len(value) > spec["max_items"]:
            raise Bad
        return list(value)
    if kind == "date":
        parsed = _date(value)
        _in_bounds(spec, parsed)
        return parsed
    if kind in reference_items.LIST_TYPES:
        return reference_items.list_value(spec, value, from_text, lambda s, v: fact_value(s, v, False))
    raise AssertionError(kind)


def record_facts(doc: dict[str, Any], record: Any, from_text: bool) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(record, dict):
        return {}, [""]
    facts: dict[str, Any] = {}
    invalid = []
    for name, spec in doc["facts"].items():
        value = record.get(name)
        if from_text and isinstance(value, str) and not value.strip():
            value = [] if spec["type"] == "string_list" else None
        if value is None:
            if "default" in spec:
                facts[name] = fact_value(spec, spec["default"], False)
            elif spec.get("required"):
                invalid.append("/" + name)
            continue
        try:
            facts[name] = fact_value(spec, value, from_text)
        except Bad:
            invalid.append("/" + name)
        except reference_items.ItemBad as exc:
            invalid.append("/" + name + exc.at)
    return facts, invalid


# --- measures ------------------------------------------------------------------------------

def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return ABSENT
    return value


def measure_value(expr: Any, doc: dict[str, Any], facts: dict[str, Any], as_of: dt.date,
                  memo: dict[str, Any]) -> Any:
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return expr
    if isinstance(expr, dict) and "param" in expr:
        return param(expr, doc)
    if isinstance(expr, dict) and "lookup" in expr:
        expr = {"lookup": {k: (param(v, doc) if k == "default" else {s: param(n, doc) for s, n in v.items()}
                               if k == "values" else v) for k, v in expr["lookup"].items()}}
    if isinstance(expr, str):
        if expr in doc["facts"]:
            return facts.get(expr, ABSENT)
        if expr not in memo:
            memo[expr] = measure_value(doc["measures"][expr]["compute"], doc, facts, as_of, memo)
        return memo[expr]
    ((op, arg),) = expr.items()
    if op == "constant":
        return arg
    if op == "count":
        items = facts.get(arg, ABSENT)
        return ABSENT if items is ABSENT else len(items)
    if op == "count_in":
        items = facts.get(arg["list"], ABSENT)
        return ABSENT if items is ABSENT else len({i for i in items if i in arg["values"]})
    if op in reference_items.AGGREGATES:
        return reference_items.aggregate(op, arg, facts.get(arg["list"], ABSENT), as_of, compare, ABSENT)
    if op == "days_since":
        day = facts.get(arg, ABSENT)
        return ABSENT if day is ABSENT else (as_of - day).days
    if op == "lookup":
        segment = facts.get(arg["fact"], ABSENT)
        if segment is ABSENT:
            return ABSENT
        return arg["values"].get(segment, arg.get("default", ABSENT))
    if op == "if":
        holds = facts.get(arg["fact"], ABSENT)
        if holds is ABSENT:
            return ABSENT
        return measure_value(arg["then"] if holds else arg["else"], doc, facts, as_of, memo)
    if op == "days_between":
        first, second = facts.get(arg[0], ABSENT), facts.get(arg[1], ABSENT)
        return ABSENT if ABSENT in (first, second) else (second - first).days
    values = [measure_value(e, doc, facts, as_of, memo) for e in arg]
    if any(v is ABSENT for v in values):
        return ABSENT
    try:
        if op == "sum":
            total: Any = 0
            for v in values:
                total = total + v
            return _finite(total)
        if op == "product":
            total = 1
            for v in values:
                total = total * v
            return _finite(total)
        if op == "min":
            return min(values)
        if op == "max":
            return max(values)
        if op == "difference":
            return _finite(values[0] - values[1])
        if op == "ratio":
            return ABSENT if values[1] == 0 else _finite(values[0] / values[1])
    except OverflowError:  # an integer too large for a float: not a finite number
        return ABSENT
    raise AssertionError(op)


# --- conditions ----------------------------------------------------------------------------

def _constant(value: Any, kind: str) -> Any:
    return dt.date.fromisoformat(value) if kind == "date" else value


def compare(actual: Any, op: str, value: Any, kind: str) -> bool:
    """One comparison on a present value; `kind` is the operand's type (date constants are dates)."""
    if op in ("in", "not_in"):
        hit = any(actual == _constant(v, kind) for v in value)
        return hit if op == "in" else not hit
    if op == "between":
        return _constant(value[0], kind) <= actual <= _constant(value[1], kind)
    if op == "contains":
        return value in actual
    if op == "starts_with":
        return actual.startswith(value)
    constant = _constant(value, kind)
    return {"==": actual == constant, "!=": actual != constant, "<": actual < constant,
            "<=": actual <= constant, ">": actual > constant, ">=": actual >= constant}[op]


def param(value: Any, doc: dict[str, Any]) -> Any:
    """A written constant: a parameter's value, or itself (a list: each item so)."""
    if isinstance(value, dict) and "param" in value:
        return param(doc["parameters"][value["param"]]["value"], doc)
    if isinstance(value, list):
        return [param(v, doc) for v in value]
    return value


def _lookup_status(cond: dict[str, Any], doc: dict[str, Any], values: dict[str, Any], actual: Any, kind: str) -> str:
    lookup = cond["value"]["lookup"]
    table = {k: param(v, doc) for k, v in lookup["values"].items()}
    none = object()
    default = param(lookup["default"], doc) if "default" in lookup else none
    segment = values[lookup["fact"]]
    candidates = list(table.values()) + [default] if segment is ABSENT else [table.get(segment, default)]
    statuses = {NOT_MET if value is none else MISSING if actual is ABSENT
                else MET if compare(actual, cond["op"], value, kind) else NOT_MET for value in candidates}
    return statuses.pop() if len(statuses) == 1 else MISSING


def _cases_condition(cond: dict[str, Any]) -> dict[str, Any]:
    """A comparison with a value by cases, as the docs define it: met when, for some case, every
    earlier case's condition is not met, its own is, and the comparison holds with its value (or
    no condition is met and it holds with the default), or when there is a default and it holds
    with every value; in three-valued logic."""
    written = cond["value"]
    operand = {k: cond[k] for k in ("fact", "measure") if k in cond}
    whens = [case["when"] for case in written["cases"]]
    values = [case["value"] for case in written["cases"]]
    branches = [{"all": [*({"not": w} for w in whens[:i]), whens[i], {**operand, "op": cond["op"], "value": values[i]}]}
                for i in range(len(whens))]
    if "default" in written:
        branches.append({"all": [*({"not": w} for w in whens), {**operand, "op": cond["op"], "value": written["default"]}]})
        branches.append({"all": [{**operand, "op": cond["op"], "value": v} for v in [*values, written["default"]]]})
    return {"any": branches}


def condition_status(cond: dict[str, Any], doc: dict[str, Any], values: dict[str, Any]) -> str:
    if "ref" in cond:
        return condition_status(doc["conditions"][cond["ref"]]["condition"], doc, values)
    if "all" in cond or "any" in cond:
        word = "all" if "all" in cond else "any"
        parts = [condition_status(p, doc, values) for p in cond[word]]
        decisive, otherwise = (NOT_MET, MET) if word == "all" else (MET, NOT_MET)
        if decisive in parts:
            return decisive
        return MISSING if MISSING in parts else otherwise
    if "not" in cond:
        inner = condition_status(cond["not"], doc, values)
        return {MET: NOT_MET, NOT_MET: MET}.get(inner, MISSING)
    name = cond.get("fact", cond.get("measure"))
    actual = values[name]
    kind = doc["facts"][name]["type"] if "fact" in cond else "number"
    if isinstance(cond["value"], dict) and "lookup" in cond["value"]:
        return _lookup_status(cond, doc, values, actual, kind)
    if isinstance(cond["value"], dict) and "cases" in cond["value"]:
        return condition_status(_cases_condition(cond), doc, values)
    if actual is ABSENT:
        return MISSING
    return MET if compare(actual, cond["op"], param(cond["value"], doc), kind) else NOT_MET


# --- the decision --------------------------------------------------------------------------

def decide(doc: dict[str, Any], record: Any, as_of: dt.date, *, from_text: bool = False) -> Result:
    """The reference outcome of one partner record under one policy document."""
    facts, invalid = record_facts(doc, record, from_text)
    if invalid:
        return Result(invalid=invalid)
    memo: dict[str, Any] = {}
    values = {name: facts.get(name, ABSENT) for name in doc["facts"]}
    for name in doc.get("measures", {}):
        values[name] = measure_value(name, doc, facts, as_of, memo)
    result = Result(measures={n: (None if values[n] is ABSENT else values[n]) for n in doc.get("measures", {})})
    for tier in doc["tiers"]:
        required = []
        for criterion in tier["criteria"]:
            status = condition_status(criterion["condition"], doc, values)
            result.criteria[(tier["id"], criterion["id"])] = status
            if not criterion.get("advisory", False):
                required.append(status)
        status = NOT_MET if NOT_MET in required else MISSING if MISSING in required else MET
        result.tiers[tier["id"]] = status
        if status == MET and result.tier is None:
            result.tier = tier["id"]
    for override in doc.get("overrides", []):
        status = condition_status(override["when"], doc, values)
        result.overrides[override["id"]] = status
    for override in doc.get("overrides", []):
        if result.overrides[override["id"]] == MET:
            result.tier = override["tier"]
            break
    return result
