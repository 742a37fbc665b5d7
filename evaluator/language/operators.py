"""Comparison operators: one small function per operator and one table mapping symbols to them.

Each operator function takes the operand's value type and the constant written in the policy,
checks that they fit (raising `Mismatch` with what was expected and what was found), and lowers
the comparison to a canonical *positive* engine test plus a negation flag. `>=` is "not <",
`!=` is "not ==", `not_in` is "not in": the engine decides the positive test, Python flips it
only when the operand is present, so a missing value is never mistaken for "not met".

Value types: number (number and integer facts, measures), date, string, boolean, list
(string_list facts). Adding an operator is adding one function and one OPERATORS entry.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Callable

ORDERED = ("number", "date")


class Mismatch(Exception):
    """The constant or the operand type does not fit the operator."""

    def __init__(self, message: str, expected: str, found: str):
        super().__init__(message)
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class Test:
    """A canonical engine test on one operand: eq, lt, le, between, in, contains."""

    name: str
    constants: tuple[Any, ...]


@dataclass(frozen=True)
class Lowered:
    test: Test
    negate: bool


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, (list, tuple)):
        return f"list of {len(value)}"
    if value is None:
        return "null"
    return type(value).__name__


def constant(value_type: str, value: Any) -> Any:
    """The normalised constant for an operand of `value_type`: dates become date objects."""
    if value_type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Mismatch("a number operand is compared with a non-number", "a number", describe(value))
        return value
    if value_type == "date":
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise Mismatch("a date operand needs an ISO date", "a date YYYY-MM-DD", describe(value))
    if value_type in ("string", "list"):
        if not isinstance(value, str):
            raise Mismatch(f"a {value_type} operand is compared with a non-string", "a string", describe(value))
        return value
    if value_type == "boolean":
        if not isinstance(value, bool):
            raise Mismatch("a boolean operand is compared with a non-boolean", "true or false", describe(value))
        return value
    raise Mismatch("unknown operand type", "a known type", value_type)  # pragma: no cover


def _scalar(value_type: str, value: Any, op: str) -> Any:
    if value_type == "list":
        raise Mismatch(f"'{op}' does not apply to a list fact (use contains, or a count measure)",
                       "a number, date, string or boolean operand", "a string_list fact")
    if isinstance(value, (list, tuple)):
        raise Mismatch(f"'{op}' takes a single value", "a single value", describe(value))
    return constant(value_type, value)


def _ordered(value_type: str, value: Any, op: str) -> Any:
    if value_type not in ORDERED:
        raise Mismatch(f"'{op}' needs a number or date operand", "a number or date operand",
                       f"a {value_type} operand")
    return _scalar(value_type, value, op)


def _values(value_type: str, value: Any, op: str) -> tuple[Any, ...]:
    if value_type == "list":
        raise Mismatch(f"'{op}' does not apply to a list fact (use contains)", "a scalar operand",
                       "a string_list fact")
    if not isinstance(value, (list, tuple)) or not value:
        raise Mismatch(f"'{op}' takes a non-empty list of values", "a non-empty list", describe(value))
    normalised = tuple(constant(value_type, v) for v in value)
    if len(set(normalised)) != len(normalised):
        raise Mismatch(f"'{op}' lists a value twice", "distinct values", describe(value))
    return normalised


def eq(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("eq", (_scalar(value_type, value, "=="),)), False)


def ne(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("eq", (_scalar(value_type, value, "!="),)), True)


def lt(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("lt", (_ordered(value_type, value, "<"),)), False)


def ge(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("lt", (_ordered(value_type, value, ">="),)), True)


def le(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("le", (_ordered(value_type, value, "<="),)), False)


def gt(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("le", (_ordered(value_type, value, ">"),)), True)


def in_(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("in", tuple(sorted(_values(value_type, value, "in"), key=repr))), False)


def not_in(value_type: str, value: Any) -> Lowered:
    return Lowered(Test("in", tuple(sorted(_values(value_type, value, "not_in"), key=repr))), True)


def contains(value_type: str, value: Any) -> Lowered:
    if value_type != "list":
        raise Mismatch("'contains' needs a string_list fact", "a string_list fact", f"a {value_type} operand")
    if isinstance(value, (list, tuple)):
        raise Mismatch("'contains' takes one value", "a single string", describe(value))
    return Lowered(Test("contains", (constant("list", value),)), False)


def between(value_type: str, value: Any) -> Lowered:
    if value_type not in ORDERED:
        raise Mismatch("'between' needs a number or date operand", "a number or date operand",
                       f"a {value_type} operand")
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise Mismatch("'between' takes [low, high]", "a list of two values [low, high]", describe(value))
    low, high = (constant(value_type, v) for v in value)
    if low > high:
        raise Mismatch("'between' bounds are reversed", "low <= high", f"[{value[0]}, {value[1]}]")
    return Lowered(Test("between", (low, high)), False)


OPERATORS: dict[str, Callable[[str, Any], Lowered]] = {
    "==": eq,
    "!=": ne,
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
    "in": in_,
    "not_in": not_in,
    "contains": contains,
    "between": between,
}
