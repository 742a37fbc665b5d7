"""The fast check of each fact type: the `fast_check` facet, made once per fact when a policy is
compiled, that takes a JSON-typed value and returns the value coercion.py would give, or BAD
when the value is not valid or the check is not sure (the slow path then decides and locates
the problem).

Bounds are folded into one range test, an enum into a frozenset, a pattern compiled once with the
same RE2 `compile_pattern`. Only exact built-in types pass (`type(x) is int`, not isinstance): a
subclass could behave differently, so it falls back.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Callable

from ..model.policy import FactSpec
from .coercion import MAX_EXACT, SURROGATE
from .patterns import compile_pattern

MEMO_LIMIT = 4096  # validated string_list contents (and items) kept per fact; cleared when full

BAD = object()    # a check's answer for "not valid, or not sure": fast() returns None
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a subset of facts.py's Unicode \d: the rest falls back

Check = Callable[[Any], Any]


def never(value: Any) -> Any:
    """The check of a fact whose spec the fast path does not trust (an unvalidated policy)."""
    return BAD


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
    search = SURROGATE.search

    def ok(s: str) -> bool:  # isascii() is one C pass: only non-ASCII text needs the search
        return ((s.isascii() or not search(s)) and (allowed is None or s in allowed)
                and (match is None or match(s)))
    return ok


# --- string lists and dates ------------------------------------------------------------------

def string_list_check(spec: FactSpec) -> Check:
    ok = _text_ok(spec)
    if ok is None or (spec.max_items is not None and type(spec.max_items) is not int):
        return never
    max_items = spec.max_items
    # Lists of regions and countries repeat a lot: remember whole lists and single items found
    # valid. Sets under the GIL: a race between threads at worst loses an entry.
    lists: set[tuple[str, ...]] = set()
    items: set[str] = set()

    def check(value: Any) -> Any:
        if type(value) is not list or (max_items is not None and len(value) > max_items):
            return BAD
        for item in value:  # also keeps the memo exact: its keys hold only real strs
            if type(item) is not str:
                return BAD
        key = tuple(value)
        if key not in lists:
            for item in key:
                if item not in items:
                    if not ok(item):
                        return BAD
                    if len(items) >= MEMO_LIMIT:
                        items.clear()
                    items.add(item)
            if len(lists) >= MEMO_LIMIT:
                lists.clear()
            lists.add(key)
        return value  # the caller's list itself, as coerce_string_list returns it
    check.memo_sizes = lambda: (len(lists), len(items))  # type: ignore[attr-defined]  # for the tests
    return check


def date_check(spec: FactSpec) -> Check:
    try:
        low = _dt.date.fromisoformat(spec.minimum) if spec.minimum is not None else _dt.date.min
        high = _dt.date.fromisoformat(spec.maximum) if spec.maximum is not None else _dt.date.max
    except (TypeError, ValueError):
        return never  # the slow path raises on such a bound: let it
    fromisoformat, shape = _dt.date.fromisoformat, _ASCII_DATE.fullmatch

    def check(value: Any) -> Any:
        if type(value) is not str:
            return BAD
        text = value.strip()
        if not shape(text):
            return BAD
        try:
            day = fromisoformat(text)
        except ValueError:
            return BAD
        return day if low <= day <= high else BAD
    return check


def _plain_number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


# --- one check per fact type -------------------------------------------------------------------

def _range(spec: FactSpec) -> tuple[Any, Any] | None:
    """The bounds folded with +/-MAX_EXACT into one range; None if a bound is not a plain number
    (the slow path compares with such a bound as it is, or raises)."""
    if not all(b is None or _plain_number(b) for b in (spec.minimum, spec.maximum)):
        return None
    # abs(v) <= MAX_EXACT and the bounds fold into one range; int/float comparisons are exact and
    # NaN or inf fail it
    low = -MAX_EXACT if spec.minimum is None else max(-MAX_EXACT, spec.minimum)
    high = MAX_EXACT if spec.maximum is None else min(MAX_EXACT, spec.maximum)
    return low, high


def number_check(spec: FactSpec) -> Check:
    bounds = _range(spec)
    if bounds is None:
        return never
    low, high = bounds

    def check(v: Any) -> Any:
        c = type(v)
        return v if (c is int or c is float) and low <= v <= high else BAD
    return check


def integer_check(spec: FactSpec) -> Check:
    bounds = _range(spec)
    if bounds is None:
        return never
    low, high = bounds

    def check_integer(v: Any) -> Any:
        c = type(v)
        if c is float:
            if not v.is_integer():  # False for NaN and inf too
                return BAD
            v = int(v)  # 5.0 is the integer 5, as in the slow path
        elif c is not int:
            return BAD
        return v if low <= v <= high else BAD
    return check_integer


def boolean_check(spec: FactSpec) -> Check:
    def check(v: Any) -> Any:
        return v if v is True or v is False else BAD
    return check


def string_check(spec: FactSpec) -> Check:
    ok = _text_ok(spec)
    if ok is None:
        return never

    def check(v: Any) -> Any:
        return v if type(v) is str and ok(v) else BAD
    return check
