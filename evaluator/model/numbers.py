"""Numbers as written: a decimal text is taken only when the number compared is the one written.

The evaluator compares numbers as IEEE doubles (exact for integers up to 2**53, and for every
decimal of at most 15 significant digits, as written in policies and partner data). A text with
more digits than a double holds distinctly would be rounded before it is compared, silently:
`99999.999999999999999` would be 100000.0 and meet a threshold of 100,000, `4.9999999999999999999`
would be the integer 5, and `1e-400` would be 0; and the recorded input, its digest and replay
would hold the rounded value, so nothing could notice. So `exact_float` refuses such a text.

The rule: a text is taken when its decimal value equals that of the shortest text of the double
it gives (`repr`), which is what every decision and recorded input writes. So `0.1` (15 digits or
fewer, in the normal range: always), `0.30000000000000004` and `5e-324` are taken;
`99999.999999999999999`, `1e-400` and `9007199254740993.0` are refused, each with the reason.
"""
from __future__ import annotations

import math
import sys
from decimal import Decimal, InvalidOperation

MIN_NORMAL = sys.float_info.min   # 2.2250738585072014e-308: below it a double loses digits
DIGITS = sys.float_info.dig      # 15: decimals of this many significant digits are all exact
EXPECTED = f"a number a double holds as written (at most {DIGITS} significant digits)"


class NotExact(ValueError):
    """A number text the evaluator cannot compare as written; the message says why."""


def _significant(text: str) -> str:
    mantissa = text.lstrip("+-")
    for marker in ("e", "E"):
        cut = mantissa.find(marker)
        if cut >= 0:
            mantissa = mantissa[:cut]
    return mantissa.replace(".", "").strip("0")


def exact_float(text: str) -> float:
    """The double `text` writes, or NotExact when it is not that number (see the module docstring).
    `text` is a decimal number (JSON's grammar, or a CSV cell's already checked)."""
    value = float(text)
    if not math.isfinite(value):
        raise NotExact("is too large: it overflows to infinity")
    digits = _significant(text)
    if len(digits) <= DIGITS and (abs(value) >= MIN_NORMAL or (value == 0.0 and not digits)):
        return value  # the common case: a double holds every such decimal as written
    try:
        same = Decimal(text) == Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - `text` is a number
        same = False
    if same:
        return value
    if value == 0.0:
        raise NotExact("is too small: it underflows to 0")
    if abs(value) < MIN_NORMAL:
        raise NotExact(f"is too small to be held as written: it would be compared as {value!r}")
    raise NotExact(f"has more significant digits than a double holds: it would be compared as {value!r}")
