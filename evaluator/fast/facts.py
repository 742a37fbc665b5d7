"""A fast path for checking and coercing one JSON-typed partner record against a policy's facts.

`compile_fast_coercer(policy)` returns `fast(record)`: the same facts dict `facts.coerce_record`
gives (same keys, key order, values and value types) when the record has no problem, or None when
it has one or when the fast path is not sure. None always means "ask coerce_record", which then
locates the findings; this module never builds a finding and never returns a dict the slow path
would not. JSON input only (from_text=False): CSV text goes through coerce_record.

Each fact's check is one small function made when the policy is compiled (bounds folded into one
range test, enum as a frozenset, pattern compiled once with the same RE2 `compile_pattern`,
default coerced once), one per fact type in CHECKS. Only exact built-in types take the fast path
(`type(x) is int`, not isinstance): a subclass could behave differently, so it falls back.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Callable

from ..language.facts import _SURROGATE, FACT_TYPES, MAX_EXACT
from ..language.patterns import compile_pattern
from ..model.policy import NO_DEFAULT, FactSpec, Policy

MEMO_LIMIT = 4096  # validated string_list contents (and items) kept per fact; cleared when full

_BAD = object()    # a check's answer for "not valid, or not sure": fast() returns None
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a subset of facts.py's Unicode \d: the rest falls back

Check = Callable[[Any], Any]


def _never(value: Any) -> Any:
    """The check of a fact whose spec the fast path does not trust (an unvalidated policy)."""
    return _BAD


def _text_test(spec: FactSpec) -> tuple[frozenset[str] | None, Callable[[str], bool] | None] | None:
    """(enum set, pattern test) for an exact str; None if the fast path cannot tell for this spec."""
    allowed: frozenset[str] | None = None
    if spec.enum is not None:
        if not all(type(item) is str for item in spec.enum):
            return None
        allowed = frozenset(spec.enum)  # exact strs: set membership is the tuple's == membership
    match: Callable[[str], bool] | None = None
    if spec.pattern is not None:
        try:
            match = compile_pattern(spec.pattern).test  # also rejects what the slow path rejects
        except Exception:
            return None
    return allowed, match


def _text_ok(spec: FactSpec) -> Callable[[str], bool] | None:
    parts = _text_test(spec)
    if parts is None:
        return None
    allowed, match = parts
    search = _SURROGATE.search

    def ok(s: str) -> bool:  # isascii() is one C pass: only non-ASCII text needs the search
        return ((s.isascii() or not search(s)) and (allowed is None or s in allowed)
                and (match is None or match(s)))
    return ok


# --- string lists and dates ------------------------------------------------------------------

def _string_list_check(spec: FactSpec) -> Check:
    ok = _text_ok(spec)
    if ok is None or (spec.max_items is not None and type(spec.max_items) is not int):
        return _never
    max_items = spec.max_items
    # Lists of regions and countries repeat a lot: remember whole lists and single items found
    # valid. Sets under the GIL: a race between threads at worst loses an entry.
    lists: set[tuple[str, ...]] = set()
    items: set[str] = set()

    def check(value: Any) -> Any:
        if type(value) is not list or (max_items is not None and len(value) > max_items):
            return _BAD
        for item in value:  # also keeps the memo exact: its keys hold only real strs
            if type(item) is not str:
                return _BAD
        key = tuple(value)
        if key not in lists:
            for item in key:
                if item not in items:
                    if not ok(item):
                        return _BAD
                    if len(items) >= MEMO_LIMIT:
                        items.clear()
                    items.add(item)
            if len(lists) >= MEMO_LIMIT:
                lists.clear()
            lists.add(key)
        return value  # the caller's list itself, as coerce_string_list returns it
    check.memo_sizes = lambda: (len(lists), len(items))  # type: ignore[attr-defined]  # for the tests
    return check


def _date_check(spec: FactSpec) -> Check:
    try:
        low = _dt.date.fromisoformat(spec.minimum) if spec.minimum is not None else _dt.date.min
        high = _dt.date.fromisoformat(spec.maximum) if spec.maximum is not None else _dt.date.max
    except (TypeError, ValueError):
        return _never  # the slow path raises on such a bound: let it
    fromisoformat, shape = _dt.date.fromisoformat, _ASCII_DATE.fullmatch

    def check(value: Any) -> Any:
        if type(value) is not str:
            return _BAD
        text = value.strip()
        if not shape(text):
            return _BAD
        try:
            day = fromisoformat(text)
        except ValueError:
            return _BAD
        return day if low <= day <= high else _BAD
    return check


def _plain_number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


# --- one check per fact type -------------------------------------------------------------------

def _number_check(spec: FactSpec) -> Check:
    if not all(b is None or _plain_number(b) for b in (spec.minimum, spec.maximum)):
        return _never  # the slow path compares with such a bound as it is, or raises
    # abs(v) <= MAX_EXACT and the bounds fold into one range; int/float comparisons are exact and
    # NaN or inf fail it
    low = -MAX_EXACT if spec.minimum is None else max(-MAX_EXACT, spec.minimum)
    high = MAX_EXACT if spec.maximum is None else min(MAX_EXACT, spec.maximum)
    if spec.type == "number":
        def check(v: Any) -> Any:
            c = type(v)
            return v if (c is int or c is float) and low <= v <= high else _BAD
        return check

    def check_integer(v: Any) -> Any:
        c = type(v)
        if c is float:
            if not v.is_integer():  # False for NaN and inf too
                return _BAD
            v = int(v)  # 5.0 is the integer 5, as in the slow path
        elif c is not int:
            return _BAD
        return v if low <= v <= high else _BAD
    return check_integer


def _boolean_check(spec: FactSpec) -> Check:
    def check(v: Any) -> Any:
        return v if v is True or v is False else _BAD
    return check


def _string_check(spec: FactSpec) -> Check:
    ok = _text_ok(spec)
    if ok is None:
        return _never

    def check(v: Any) -> Any:
        return v if type(v) is str and ok(v) else _BAD
    return check


CHECKS: dict[str, Callable[[FactSpec], Check]] = {
    "number": _number_check,
    "integer": _number_check,
    "string": _string_check,
    "boolean": _boolean_check,
    "string_list": _string_list_check,
    "date": _date_check,
}

_SKIP = object()  # a missing fact with no default and not required: left out


def _when_missing(spec: FactSpec) -> Any:
    """What a missing or null fact gives: its default (coerced once: the slow path coerces it
    on every record, to the same value), _BAD when it is required, else _SKIP."""
    if spec.default is not NO_DEFAULT:
        try:
            return FACT_TYPES[spec.type](spec, spec.default, False)
        except Exception:
            return _BAD  # an invalid default raises out of coerce_record: let it
    return _BAD if spec.required else _SKIP


def compile_fast_coercer(policy: Policy) -> Callable[[Any], dict[str, Any] | None]:
    """`fast(record)`: coerce_record(policy, record)'s facts when it finds no problem, else None.

    For JSON-typed records only (from_text=False). A string_list value is the caller's list
    object itself, as in the slow path; a string_list default is the policy's default list."""
    plan = tuple((name, CHECKS.get(spec.type, lambda _spec: _never)(spec), _when_missing(spec))
                 for name, spec in policy.facts.items())

    def fast(record: Any) -> dict[str, Any] | None:
        if type(record) is not dict:
            return None
        get = record.get
        facts = {}
        for name, check, missing in plan:
            value = get(name)
            if value is None:
                if missing is _SKIP:
                    continue
                if missing is _BAD:
                    return None
                facts[name] = missing
                continue
            value = check(value)
            if value is _BAD:
                return None
            facts[name] = value
        return facts
    return fast
