"""Value types: what an operand's values are (number, date, string, boolean, list), each declared
once with its facets; and the encodings an operator can ask its operand to be decided on.

A fact type names its value type (integer facts are numbers, string_list facts are lists); every
measure is a number. Operators are checked against value types (`ordered` ones take `<` and
`between`), policy constants are normalised by `constant` (dates become date objects), the
"value" encoding uses `codec`, and the static checks use `feasible`.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Callable

from . import domains
from .encodings import BooleanCodec, Codec, ListCodec, NumericCodec, PrefixCodec, constants_of, string_codec
from .lowering import Mismatch, Test, describe


@dataclass(frozen=True)
class ValueType:
    name: str
    description: str
    ordered: bool                                   # takes <, <=, >, >=, between
    constant: Callable[[Any], Any]                  # a policy constant, checked and normalised
    codec: Callable[[list[Test]], Codec]            # the "value" encoding of an operand of this type
    feasible: domains.Feasible                      # static checks: can a value meet these constraints


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Mismatch("a number operand is compared with a non-number", "a number", describe(value))
    return value


def _date(value: Any) -> _dt.date:
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Mismatch("a date operand needs an ISO date", "a date YYYY-MM-DD", describe(value))


def _text(kind: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Mismatch(f"a {kind} operand is compared with a non-string", "a string", describe(value))
        return value
    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Mismatch("a boolean operand is compared with a non-boolean", "true or false", describe(value))
    return value


def _through_measures(value: Any) -> Any:
    raise Mismatch("a list of numbers, dates or records is compared through a measure over its items "
                   "(count_items, sum_of, min_of, ...)", "a measure over the list", "a list fact")


VALUE_TYPES: dict[str, ValueType] = {v.name: v for v in (
    ValueType("number", "a number (number and integer facts, every measure)", True, _number,
              lambda tests: NumericCodec(constants_of(tests)), domains.numeric),
    ValueType("date", "a calendar date", True, _date,
              lambda tests: NumericCodec(constants_of(tests)), domains.numeric),
    ValueType("string", "a string", False, _text("string"), string_codec, domains.string),
    ValueType("boolean", "true or false", False, _boolean, lambda tests: BooleanCodec(), domains.boolean),
    ValueType("list", "a list of strings (its items compared one by one)", False, _text("list"),
              lambda tests: ListCodec(string_codec(tests)), domains.listed),
    ValueType("items", "a list of numbers, dates or records (read only through measures over its items)", False,
              _through_measures, lambda tests: BooleanCodec(), domains.boolean),
)}


@dataclass(frozen=True)
class Encoding:
    """One way of presenting an operand's value to the engine (see encodings.py)."""

    name: str
    description: str
    codec: Callable[[str, list[Test]], Codec]  # (value type, the tests on it) -> codec


ENCODINGS: dict[str, Encoding] = {e.name: e for e in (
    Encoding("value", "the value's place among the constants it is compared with",
             lambda vtype, tests: VALUE_TYPES[vtype].codec(tests)),
    Encoding("prefixes", "the constants a string starts with, as a list of codes",
             lambda _vtype, tests: PrefixCodec(constants_of(tests))),
)}
