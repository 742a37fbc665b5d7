"""Checking and coercing one fact value by its type: the `coerce` facet of each fact type.

JSON input is strict (a string where a number is expected is an error: "9" must not silently
become 9); CSV cells are text, so `from_text=True` parses them by the fact's type. Each coercer
returns the typed value or raises `Invalid` with what was expected and what was found.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from ..model.numbers import EXPECTED as EXACT_EXPECTED, NotExact, exact_float
from ..model.policy import FactSpec
from .patterns import compile_pattern

# Beyond 2**53 not every integer is a float, so arithmetic mixing them stops being exact.
MAX_EXACT = 2 ** 53
_NUMERIC_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII: \d takes "١٢٣"
SURROGATE = re.compile("[\ud800-\udfff]")
TRUE_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"string {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, (int, float)):
        try:
            return f"number {value!r}"
        except ValueError:  # an int of more digits than Python writes as text
            return "an integer of thousands of digits"
    if isinstance(value, list):
        return f"list of {len(value)}"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class Invalid(ValueError):
    """`at`: where below the fact the problem is, as a JSON Pointer (an item of a list: /2/sales_usd)."""

    def __init__(self, message: str, expected: str, found: str, at: str = ""):
        super().__init__(message)
        self.expected, self.found, self.at = expected, found, at


def _number(spec: FactSpec, value: Any, from_text: bool, integer: bool) -> Any:
    kind = "an integer" if integer else "a number"
    if from_text and isinstance(value, str):
        text = value.strip()
        if not _NUMERIC_TEXT.fullmatch(text):  # int() and float() also take "1_000", "nan", "inf"
            raise Invalid(f"'{spec.name}' must be {kind}", kind, describe(value))
        try:
            value = int(text)
        except ValueError:
            try:
                value = exact_float(text)  # "5.0" from a spreadsheet is still the integer 5
            except NotExact as exc:  # more digits than a double holds: not the number written
                raise Invalid(f"'{spec.name}' {exc}", EXACT_EXPECTED, describe(value)) from None
            except ValueError:
                raise Invalid(f"'{spec.name}' must be {kind}", kind, describe(value)) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"'{spec.name}' must be {kind}", kind, describe(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid(f"'{spec.name}' must be a finite number", "a finite number", describe(value))
        if integer:
            if not value.is_integer():
                raise Invalid(f"'{spec.name}' must be an integer", kind, describe(value))
            value = int(value)
    if abs(value) > MAX_EXACT:
        raise Invalid(f"'{spec.name}' is too large to compare exactly", f"a number within +/-{MAX_EXACT}",
                      describe(value))
    _bounds(spec, value, value)
    return value


def _bounds(spec: FactSpec, value: Any, shown: Any, convert: Any = None) -> None:
    low, high = spec.minimum, spec.maximum
    if convert is not None:  # dates: the bounds are written as ISO dates
        low = convert(low) if low is not None else None
        high = convert(high) if high is not None else None
    if low is not None and value < low:
        raise Invalid(f"'{spec.name}' is below its minimum", f">= {spec.minimum}", str(shown))
    if high is not None and value > high:
        raise Invalid(f"'{spec.name}' is above its maximum", f"<= {spec.maximum}", str(shown))


def _string_ok(spec: FactSpec, value: str, what: str) -> None:
    if SURROGATE.search(value):  # from a JSON "\ud800" escape or a library caller: not text
        raise Invalid(f"{what} is not valid Unicode text", "Unicode text",
                      f"an unpaired surrogate U+{ord(SURROGATE.search(value).group()):04X}")  # type: ignore[union-attr]
    if spec.enum is not None and value not in spec.enum:
        shown = ", ".join(spec.enum[:12]) + (", ..." if len(spec.enum) > 12 else "")
        raise Invalid(f"{what} is not an allowed value", f"one of {shown}", describe(value))
    if spec.pattern is not None and not compile_pattern(spec.pattern).fullmatch(value):  # RE2: linear time
        raise Invalid(f"{what} does not match the pattern", f"a value matching {spec.pattern}", describe(value))


def coerce_number(spec: FactSpec, value: Any, from_text: bool) -> Any:
    return _number(spec, value, from_text, integer=False)


def coerce_integer(spec: FactSpec, value: Any, from_text: bool) -> Any:
    return _number(spec, value, from_text, integer=True)


def _plain(value: Any) -> str:
    """A str subclass (a `str` Enum member) as the plain string it holds, as JSON writes it (the
    compiled build takes only exact strs where a str is annotated)."""
    return value if type(value) is str else str.__str__(value)


def coerce_string(spec: FactSpec, value: Any, from_text: bool) -> str:
    if not isinstance(value, str):
        raise Invalid(f"'{spec.name}' must be a string", "a string", describe(value))
    value = _plain(value)
    _string_ok(spec, value, f"'{spec.name}'")
    return value


def coerce_boolean(spec: FactSpec, value: Any, from_text: bool) -> bool:
    if from_text and isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return TRUE_WORDS[value.strip().lower()]
    if not isinstance(value, bool):
        raise Invalid(f"'{spec.name}' must be true or false", "true or false", describe(value))
    return value


def coerce_string_list(spec: FactSpec, value: Any, from_text: bool) -> list[str]:
    if from_text and isinstance(value, str):
        value = [item.strip() for item in value.split(";") if item.strip()]
    if not isinstance(value, list):
        raise Invalid(f"'{spec.name}' must be a list of strings", "a list of strings", describe(value))
    if not all(type(item) is str for item in value):
        value = [_plain(item) if isinstance(item, str) else item for item in value]
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(f"'{spec.name}' item {i} must be a string", "a string", describe(item))
        _string_ok(spec, item, f"'{spec.name}' item {i}")
    if spec.max_items is not None and len(value) > spec.max_items:
        raise Invalid(f"'{spec.name}' has too many items", f"at most {spec.max_items}", f"{len(value)} items")
    return value


def coerce_date(spec: FactSpec, value: Any, from_text: bool) -> _dt.date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            parsed = _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"'{spec.name}' is not a real date", "a date YYYY-MM-DD", describe(value)) from None
        _bounds(spec, parsed, value, _dt.date.fromisoformat)
        return parsed
    raise Invalid(f"'{spec.name}' must be a date", "a date YYYY-MM-DD", describe(value))
