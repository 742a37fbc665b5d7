"""Money: exact decimal amounts in a currency's minor units, with one rounding rule, and periods.

An amount is worked out exactly, in decimal (a fact's value is the decimal it was written as: see
model/numbers.py, which refuses a number text a double does not hold as written), and rounded
ONCE, at the end, to the currency's minor unit (cents for USD, yen for JPY, fils for BHD),
half away from zero (ROUNDING: 0.125 -> 0.13, -0.125 -> -0.13). Every amount is then held as a
whole number of minor units, so totals (report, diff) are sums of integers: exact however many.

A currency's minor unit is CLDR's, through Babel (a well-kept library, its data shipped with it:
nothing is fetched). PERIODS declares each payment period once with what every stage needs.
"""
from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

ROUNDING = decimal.ROUND_HALF_UP      # Python's name for half away from zero
RULE = "half away from zero, once, to the currency's minor unit"
# Worked out with this many significant digits before the one rounding: a basis of 10^15 times a
# rate of 3 decimals is still exact (the default 28 would be too, but a ratio need not be).
PRECISION = 50


@dataclass(frozen=True)
class Period:
    """A payment period: how many fall in a year (annualised totals) and how texts say it."""

    name: str
    per_year: int
    words: str          # "a month": "$200.00 a month"
    description: str    # for the docs and the schema


PERIODS: dict[str, Period] = {p.name: p for p in (
    Period("monthly", 12, "a month", "Paid each month; annualised as 12 payments."),
    Period("quarterly", 4, "a quarter", "Paid each quarter; annualised as 4 payments."),
    Period("annual", 1, "a year", "Paid once a year; annualised as itself."),
    Period("one_time", 1, "once", "Paid once; counted once in a year's totals."),
)}


@lru_cache(maxsize=None)
def _babel() -> Any:
    try:
        import babel.numbers  # imported when money is first used: a policy without amounts never pays for it
    except SyntaxError as exc:  # CPython's parser short of memory reports one (Babel's code is valid Python)
        raise MemoryError("not enough memory to load Babel") from exc
    except ImportError as exc:
        if any(w in str(exc).lower() for w in ("failed to map segment", "cannot allocate memory", "out of memory")):
            raise MemoryError("not enough memory to load Babel") from exc
        raise
    return babel.numbers


def known_currency(code: Any) -> bool:
    """Whether `code` is an ISO 4217 currency code Babel knows (USD, JPY; not XYZ)."""
    return isinstance(code, str) and len(code) == 3 and code.isupper() and bool(_babel().is_currency(code))


@lru_cache(maxsize=256)
def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (USD 2, JPY 0, BHD 3)."""
    return int(_babel().get_currency_precision(currency))


def exact(value: Any) -> Decimal:
    """A number as the exact decimal it was written as (a double by its shortest text, which is
    the text it was read from: model/numbers.py)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def context() -> decimal.Context:
    """The context amounts are worked out in (exact up to PRECISION digits; never rounds to 28)."""
    return decimal.Context(prec=PRECISION, rounding=ROUNDING, traps=[decimal.InvalidOperation,
                                                                    decimal.DivisionByZero, decimal.Overflow])


def to_minor(amount: Decimal, currency: str) -> int:
    """The one rounding: `amount` in whole minor units of `currency`, half away from zero."""
    digits = minor_digits(currency)
    return int(amount.scaleb(digits).quantize(Decimal(1), rounding=ROUNDING))


def minor_text(minor: int, currency: str) -> str:
    """Minor units as the decimal text of the amount ("15000.00" for 1500000 USD cents; "-0.05")."""
    digits = minor_digits(currency)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** digits)
    return f"{sign}{whole}.{part:0{digits}d}"


def money_words(amount: int | Decimal, currency: str, exact: bool = False) -> str:
    """Minor units for people ("$15,000.00", "A$2,400.00", "¥120,000"), in the en locale; with
    `exact`, a decimal amount with every digit it has ("$12,345.675": a basis, never rounded)."""
    value = amount if exact else Decimal(minor_text(int(amount), currency))
    _sign, digits, exponent = Decimal(value).as_tuple()
    with decimal.localcontext() as ctx:  # Babel quantizes in the current context: room for every digit
        if isinstance(exponent, int):     # (the default 28 raised InvalidOperation for $10^28)
            ctx.prec = max(ctx.prec, len(digits) + max(exponent, 0) + minor_digits(currency) + 2)
        return str(_babel().format_currency(value, currency, locale="en_US", currency_digits=True,
                                            decimal_quantization=not exact))


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros ("150000", "0.1"): a basis in an explanation."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
