"""Comparison operators, each declared once with every facet a stage needs.

An `Operator` holds: `lower` (check the operand's value type and the constant, and lower the
comparison to a canonical positive engine test plus a negation flag; see lowering.py), the
`encoding` its operand is decided on (values.ENCODINGS), its `negation` (the operator that holds
exactly when it fails, for a present value), its `meaning` for the static checks (alternatives of
conjunctions of elementary comparisons) and, for an elementary one, the `constraint` it puts on a
value, its `phrase` in those checks' messages, its `shortfall` (the smallest move that meets it,
moves.py), its `words` on the program sheet, its `slack` (how far a met value may move before it
fails, for near misses), and the `thresholds` that `evaluator test --suggest` puts boundary
cases around. `written` operators are the ones a policy may write; the others exist as the
negations of written ones (`not(x contains "AU")`).

Adding an operator is adding one declaration to OPERATORS (tests/test_registry.py fails while any
facet is missing; schemas/ are regenerated from the registry, see registry.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .domains import HAS, LACKS, LOWER, NONE_OF, NOT_PREFIX, ONE_OF, PREFIX, UPPER, Constraint
from .lowering import Lowered, Mismatch, Test, describe
from .moves import ADD, DIFFER, REMOVE, SET, Gap, Need, dec, move, past, show, step
from .values import VALUE_TYPES

Say = Callable[[Any], str]   # how the sheet writes one constant (with its unit)
Meaning = tuple[tuple[tuple[str, Any], ...], ...]


@dataclass(frozen=True)
class Example:
    """A comparison of a fact of `fact_type` with `value`, met by `met` and not met by `unmet`
    (where there is a threshold: at it, and one step past it)."""

    fact_type: str
    value: Any
    met: Any
    unmet: Any


@dataclass(frozen=True)
class Operator:
    """Every facet must be given (None where it does not apply): an operator cannot be half-added."""

    symbol: str
    summary: str                                           # for the docs and the schemas
    negation: str
    shortfall: Callable[[Gap], Need]
    meaning: Callable[[Any], Meaning]
    phrase: str                                            # in static checks' messages
    written: bool = field(kw_only=True)                    # a policy may write it
    lower: Callable[[str, Any], Lowered] | None = field(kw_only=True)    # written operators
    words: Callable[[Say, Any], str] | None = field(kw_only=True)       # written operators
    constraint: Callable[[Any], Constraint] | None = field(kw_only=True)  # elementary operators
    slack: Callable[[Decimal, Any], tuple[Decimal, Any]] | None = field(kw_only=True)  # None: no margin
    thresholds: Callable[[Any], tuple[Any, ...]] | None = field(kw_only=True)         # None: no boundaries
    encoding: str = field(kw_only=True)
    inclusive_bound: bool = field(kw_only=True)  # >= and <=: the shortfall's short cut for number facts
    example: Example = field(kw_only=True)       # for the docs' tables and tests/test_registry.py


# --- lowering: checks on the constant, per shape of operator --------------------------------------

def _scalar(vtype: str, value: Any, op: str) -> Any:
    if vtype == "list":
        raise Mismatch(f"'{op}' does not apply to a list fact (use contains, or a count measure)",
                       "a number, date, string or boolean operand", "a string_list fact")
    if isinstance(value, (list, tuple)):
        raise Mismatch(f"'{op}' takes a single value", "a single value", describe(value))
    return VALUE_TYPES[vtype].constant(value)


def _ordered(vtype: str, value: Any, op: str) -> Any:
    if not VALUE_TYPES[vtype].ordered:
        raise Mismatch(f"'{op}' needs a number or date operand", "a number or date operand", f"a {vtype} operand")
    return _scalar(vtype, value, op)


def _values(vtype: str, value: Any, op: str) -> tuple[Any, ...]:
    if vtype == "list":
        raise Mismatch(f"'{op}' does not apply to a list fact (use contains)", "a scalar operand", "a string_list fact")
    if not isinstance(value, (list, tuple)) or not value:
        raise Mismatch(f"'{op}' takes a non-empty list of values", "a non-empty list", describe(value))
    normalised = tuple(VALUE_TYPES[vtype].constant(v) for v in value)
    if len(set(normalised)) != len(normalised):
        raise Mismatch(f"'{op}' lists a value twice", "distinct values", describe(value))
    return normalised


def _one(test: str, op: str, negate: bool, check: Callable[[str, Any, str], Any]) -> Callable[[str, Any], Lowered]:
    def lower(vtype: str, value: Any) -> Lowered:
        return Lowered(Test(test, (check(vtype, value, op),)), negate)
    return lower


def _set(op: str, negate: bool) -> Callable[[str, Any], Lowered]:
    def lower(vtype: str, value: Any) -> Lowered:
        return Lowered(Test("in", tuple(sorted(_values(vtype, value, op), key=repr))), negate)
    return lower


def _contains(vtype: str, value: Any) -> Lowered:
    if vtype != "list":
        raise Mismatch("'contains' needs a string_list fact", "a string_list fact", f"a {vtype} operand")
    if isinstance(value, (list, tuple)):
        raise Mismatch("'contains' takes one value", "a single string", describe(value))
    return Lowered(Test("contains", (VALUE_TYPES["list"].constant(value),)), False)


def _between(vtype: str, value: Any) -> Lowered:
    if not VALUE_TYPES[vtype].ordered:
        raise Mismatch("'between' needs a number or date operand", "a number or date operand", f"a {vtype} operand")
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise Mismatch("'between' takes [low, high]", "a list of two values [low, high]", describe(value))
    low, high = (VALUE_TYPES[vtype].constant(v) for v in value)
    if low > high:
        raise Mismatch("'between' bounds are reversed", "low <= high", f"[{value[0]}, {value[1]}]")
    return Lowered(Test("between", (low, high)), False)


def _prefix(vtype: str, value: Any) -> Lowered:
    if vtype != "string":
        raise Mismatch("'starts_with' needs a string fact", "a string fact", f"a {vtype} operand")
    if not isinstance(value, str) or not value:
        raise Mismatch("'starts_with' takes one non-empty string", "a non-empty string", describe(value))
    return Lowered(Test("contains", (value,)), False)  # on the "prefixes" encoding: the prefixes it has


# --- shortfalls that are not a plain move ----------------------------------------------------------

def _equal(gap: Gap) -> Need:
    if VALUE_TYPES[gap.vtype].ordered:
        return move(gap, dec(gap.value), exact=True)
    return Need(SET, f"{gap.name} must be {show(gap.value)} (it is {show(gap.actual)})", to=gap.value, exact=True)


def _between_need(gap: Gap) -> Need:
    low, high = gap.value
    return move(gap, dec(low) if dec(gap.actual) < dec(low) else dec(high))


def _outside(gap: Gap) -> Need:
    low, high = (dec(v) for v in gap.value)
    actual = dec(gap.actual)
    size = step(gap, low, high, actual)
    shown = None if gap.integral else size
    down = move(gap, low - size, gap.value[0], shown)
    up = move(gap, high + size, gap.value[1], shown)
    if down.reachable != up.reachable:
        return down if down.reachable else up
    return down if actual - (low - size) <= (high + size) - actual else up


# --- slacks of met comparisons, and the thresholds of boundary cases ------------------------------

def _above(actual: Decimal, value: Any) -> tuple[Decimal, Any]:
    return actual - dec(value), value


def _below(actual: Decimal, value: Any) -> tuple[Decimal, Any]:
    return dec(value) - actual, value


def _inside(actual: Decimal, value: Any) -> tuple[Decimal, Any]:
    low, high = value
    return min((actual - dec(low), low), (dec(high) - actual, high), key=lambda p: p[0])


def _single(value: Any) -> tuple[Any, ...]:
    return (value,)


def _pair(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _itself(symbol: str) -> Callable[[Any], Meaning]:
    return lambda value: (((symbol, value),),)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bound(symbol: str, summary: str, negation: str, test: str, negate: bool, kind: str, open_: bool,
           shortfall: Callable[[Gap], Need], words: str, slack: Callable[[Decimal, Any], tuple[Decimal, Any]],
           inclusive: bool, example: Example) -> Operator:
    """`>=`, `>`, `<=`, `<`: a one-sided bound on an ordered value."""
    return Operator(symbol, summary, negation, shortfall, _itself(symbol), symbol, written=True,
                    lower=_one(test, symbol, negate, _ordered), words=lambda say, v: f"{words} {say(v)}",
                    constraint=lambda v: Constraint(kind, (v,), open=open_), slack=slack, thresholds=_single,
                    encoding="value", inclusive_bound=inclusive, example=example)


OPERATORS: dict[str, Operator] = {o.symbol: o for o in (
    Operator("==", "equal to the value (numbers, dates, strings, booleans)", "!=", _equal, _itself("=="), "==",
             written=True, lower=_one("eq", "==", False, _scalar),
             words=lambda say, v: ("exactly " if _numeric(v) else "is ") + say(v),
             constraint=lambda v: Constraint(ONE_OF, (v,)), slack=None, thresholds=_single, encoding="value",
             inclusive_bound=False, example=Example("integer", 5, 5, 4)),
    Operator("!=", "other than the value (numbers, dates, strings, booleans)", "==",
             lambda g: Need(DIFFER, f"{g.name} must be other than {show(g.value)}"), _itself("!="), "!=",
             written=True, lower=_one("eq", "!=", True, _scalar),
             words=lambda say, v: ("anything but " if _numeric(v) else "is not ") + say(v),
             constraint=lambda v: Constraint(NONE_OF, (v,)), slack=None, thresholds=_single, encoding="value",
             inclusive_bound=False, example=Example("integer", 5, 4, 5)),
    _bound("<", "less than the value (numbers, dates)", ">=", "lt", False, UPPER, True,
           lambda g: past(g, g.value, -1, dec(g.actual)), "less than", _below, False, Example("integer", 5, 4, 5)),
    _bound("<=", "at most the value (numbers, dates)", ">", "le", False, UPPER, False,
           lambda g: move(g, dec(g.value)), "at most", _below, True, Example("integer", 5, 5, 6)),
    _bound(">", "more than the value (numbers, dates)", "<=", "le", True, LOWER, True,
           lambda g: past(g, g.value, 1, dec(g.actual)), "more than", _above, False, Example("integer", 5, 6, 5)),
    _bound(">=", "at least the value (numbers, dates)", "<", "lt", True, LOWER, False,
           lambda g: move(g, dec(g.value)), "at least", _above, True, Example("integer", 5, 5, 4)),
    Operator("in", "one of the values listed", "not_in",
             lambda g: Need(SET, f"{g.name} must be one of {show(g.value)} (it is {show(g.actual)})"),
             _itself("in"), "in", written=True, lower=_set("in", False),
             words=lambda say, v: "one of " + ", ".join(map(say, v)),
             constraint=lambda v: Constraint(ONE_OF, tuple(v)), slack=None, thresholds=None, encoding="value",
             inclusive_bound=False, example=Example("string", ["AU", "NZ"], "AU", "SG")),
    Operator("not_in", "none of the values listed", "in",
             lambda g: Need(DIFFER, f"{g.name} must not be one of {show(g.value)} (it is {show(g.actual)})"),
             _itself("not_in"), "not_in", written=True, lower=_set("not_in", True),
             words=lambda say, v: "none of " + ", ".join(map(say, v)),
             constraint=lambda v: Constraint(NONE_OF, tuple(v)), slack=None, thresholds=None, encoding="value",
             inclusive_bound=False, example=Example("string", ["AU", "NZ"], "SG", "AU")),
    Operator("contains", "a string_list fact holds the value", "not_contains",
             lambda g: Need(ADD, f"{g.name} must include {show(g.value)}: add it", by=1, to=g.value),
             _itself("contains"), "contains", written=True, lower=_contains, words=lambda say, v: f"includes {say(v)}",
             constraint=lambda v: Constraint(HAS, (v,)), slack=None, thresholds=None, encoding="value",
             inclusive_bound=False, example=Example("string_list", "AU", ["AU", "NZ"], ["SG"])),
    Operator("not_contains", "a string_list fact does not hold the value", "contains",
             lambda g: Need(REMOVE, f"{g.name} must not include {show(g.value)}: remove it", by=1, to=g.value),
             _itself("not_contains"), "does not contain", written=False, lower=None, words=None,
             constraint=lambda v: Constraint(LACKS, (v,)), slack=None, thresholds=None, encoding="value",
             inclusive_bound=False, example=Example("string_list", "AU", ["SG"], ["AU", "NZ"])),
    Operator("between", "from low to high, both included (numbers, dates)", "not_between", _between_need,
             lambda v: (((">=", v[0]), ("<=", v[1])),), "between", written=True, lower=_between,
             words=lambda say, v: f"from {say(v[0])} to {say(v[1])} (both included)",
             constraint=None, slack=_inside, thresholds=_pair, encoding="value", inclusive_bound=False, example=Example("number", [10, 20], 20, 20.01)),
    Operator("not_between", "below low or above high (numbers, dates)", "between", _outside,
             lambda v: ((("<", v[0]),), ((">", v[1]),)), "not between", written=False, lower=None, words=None,
             constraint=None, slack=None, thresholds=None, encoding="value", inclusive_bound=False, example=Example("number", [10, 20], 9.99, 10)),

    Operator("starts_with", "a string fact begins with the value (case-sensitive)", "not_starts_with",
             lambda g: Need(SET, f"{g.name} must start with {show(g.value)} (it is {show(g.actual)})", to=g.value),
             _itself("starts_with"), "starts with", written=True, lower=_prefix,
             words=lambda say, v: f"starts with {say(v)}", constraint=lambda v: Constraint(PREFIX, (v,)),
             slack=None, thresholds=None, encoding="prefixes", inclusive_bound=False,
             example=Example("string", "AB", "AB", "A")),
    Operator("not_starts_with", "a string fact does not begin with the value", "starts_with",
             lambda g: Need(DIFFER, f"{g.name} must not start with {show(g.value)} (it is {show(g.actual)})"),
             _itself("not_starts_with"), "does not start with", written=False, lower=None, words=None,
             constraint=lambda v: Constraint(NOT_PREFIX, (v,)), slack=None, thresholds=None, encoding="prefixes",
             inclusive_bound=False, example=Example("string", "AB", "XAB", "ABC")),
)}


def operator(symbol: str) -> Operator:
    return OPERATORS[symbol]


def written() -> list[str]:
    """The operators a policy may write, in declaration order."""
    return [o.symbol for o in OPERATORS.values() if o.written]
