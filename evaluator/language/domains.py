"""What the static checks reason with: the values an operand can take, and what a comparison
demands of them.

An operator's `atoms` facet gives a comparison's meaning as alternatives of conjunctions of
elementary comparisons (`between` is `>= low` and `<= high`; its negation `< low` or
`> high`); each elementary operator's `constraint` facet says what it demands of a value, as a
`Constraint` (lower or upper bound, one of or none of a set, has or lacks an item, a prefix or
not). A value type's `feasible` facet tells whether some value of a `Domain` (the fact's type,
bounds, enum, pattern, integer-ness; a measure's bounds from its formula) meets every constraint
on it. The checks built on this (validate/lint.py) say nothing rather than guess.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .patterns import compile_pattern

LOWER, UPPER, ONE_OF, NONE_OF, HAS, LACKS, PREFIX, NOT_PREFIX = (
    "lower", "upper", "one_of", "none_of", "has", "lacks", "prefix", "not_prefix")


@dataclass(frozen=True)
class Domain:
    kind: str                              # the value type: number, date, string, boolean, list
    lo: float | None = None                # numbers and dates (dates as ordinals)
    hi: float | None = None
    integer: bool = False
    values: frozenset[str] | None = None   # strings: the enum; lists: the allowed items
    pattern: str | None = None
    max_items: int | None = None
    notes: tuple[str, ...] = ()            # where the bounds come from, for messages


@dataclass(frozen=True)
class Constraint:
    """What one elementary comparison demands of a present value (values already converted to
    the domain's terms: dates as ordinals)."""

    kind: str                 # LOWER, UPPER, ONE_OF, NONE_OF, HAS, LACKS, PREFIX, NOT_PREFIX
    values: tuple[Any, ...]   # one constant, or the set for ONE_OF / NONE_OF
    open: bool = False        # a strict bound


def matches(domain: Domain, value: str) -> bool:
    """Whether a string is allowed by the domain's enum and pattern (RE2: linear time)."""
    if domain.values is not None and value not in domain.values:
        return False
    return domain.pattern is None or compile_pattern(domain.pattern).test(value)


def numeric(domain: Domain, constraints: list[Constraint]) -> bool:
    lo, lo_open, hi, hi_open = domain.lo, False, domain.hi, False
    allowed: set[Any] | None = None
    excluded: set[Any] = set()
    for c in constraints:
        v = c.values[0]
        if c.kind == LOWER and (lo is None or v > lo or (v == lo and c.open)):
            lo, lo_open = v, c.open
        elif c.kind == UPPER and (hi is None or v < hi or (v == hi and c.open)):
            hi, hi_open = v, c.open
        elif c.kind == ONE_OF:
            allowed = set(c.values) if allowed is None else allowed & set(c.values)
        elif c.kind == NONE_OF:
            excluded |= set(c.values)

    def inside(x: Any) -> bool:
        return ((lo is None or x > lo or (x == lo and not lo_open))
                and (hi is None or x < hi or (x == hi and not hi_open))
                and x not in excluded and (not domain.integer or float(x).is_integer()))

    if allowed is not None:
        return any(inside(x) for x in allowed)
    if domain.integer:
        first = None if lo is None else (math.floor(lo) + 1 if lo_open or not float(lo).is_integer() else int(lo))
        last = None if hi is None else (math.ceil(hi) - 1 if hi_open or not float(hi).is_integer() else int(hi))
        if first is None or last is None:
            return True
        if last - first + 1 > len(excluded):
            return first <= last
        return any(x not in excluded for x in range(first, last + 1))
    if lo is None or hi is None or lo < hi:
        return True
    return lo == hi and not lo_open and not hi_open and lo not in excluded


def string(domain: Domain, constraints: list[Constraint]) -> bool:
    allowed: set[Any] | None = None if domain.values is None else set(domain.values)
    excluded: set[Any] = set()
    prefixes = [c.values[0] for c in constraints if c.kind == PREFIX]
    banned = [c.values[0] for c in constraints if c.kind == NOT_PREFIX]
    for c in constraints:
        if c.kind == ONE_OF:
            allowed = set(c.values) if allowed is None else allowed & set(c.values)
        elif c.kind == NONE_OF:
            excluded |= set(c.values)

    def fits(v: str) -> bool:
        return (v not in excluded and all(v.startswith(p) for p in prefixes)
                and not any(v.startswith(b) for b in banned) and matches(domain, v))

    if allowed is not None:
        return any(fits(v) for v in allowed)
    if not prefixes:
        return not any(b == "" for b in banned)  # infinitely many strings remain
    longest = max(prefixes, key=len)
    if not all(longest.startswith(p) for p in prefixes):
        return False  # two prefixes neither of which extends the other
    return not any(longest.startswith(b) for b in banned)


def boolean(domain: Domain, constraints: list[Constraint]) -> bool:
    left = {True, False}
    for c in constraints:
        if c.kind == ONE_OF:
            left &= set(c.values)
        elif c.kind == NONE_OF:
            left -= set(c.values)
    return bool(left)


def listed(domain: Domain, constraints: list[Constraint]) -> bool:
    required = {c.values[0] for c in constraints if c.kind == HAS}
    excluded = {c.values[0] for c in constraints if c.kind == LACKS}
    if required & excluded or not all(matches(domain, v) for v in required):
        return False
    return domain.max_items is None or len(required) <= domain.max_items


Feasible = Callable[[Domain, list[Constraint]], bool]
