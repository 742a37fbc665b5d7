"""Money in words, fast: the text language/money.py's `money_words` gets from Babel ("$15,000.00",
"-BHD0.002", "¥12,012", "$12,345.675" for an exact basis), written without Babel's per-call work.

Babel's format_currency parses the locale and the pattern on every call (about 50 microseconds),
and a decision that pays says two or three amounts per payout: on the JSONL lane that was most of
what payouts cost (benchmarks/payouts.py). The en locale's currency pattern is one shape, "¤#,##0.00"
(a minus before the symbol, thousands by ",", the currency's minor digits), so each currency's
symbol and digits are read from Babel once and the number is written by Decimal's own formatting.
Where the locale's pattern is not that shape, every call goes to Babel. The texts are Babel's,
character for character (tests/test_payouts.py compares them over drawn amounts and currencies),
except that an exact basis of more than 28 significant digits (a ratio's measure) keeps them all,
where Babel rounds it to 28.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..language.money import minor_digits, minor_text, money_words as babel_words

SHAPE = "¤#,##0.00"


@lru_cache(maxsize=None)
def _fast_shape() -> bool:
    import babel
    locale = babel.Locale.parse("en_US")
    pattern = locale.currency_formats["standard"]
    symbols = locale.number_symbols.get("latn", locale.number_symbols) if hasattr(locale, "number_symbols") else {}
    return pattern.pattern == SHAPE and symbols.get("group") == "," and symbols.get("decimal") == "." and \
        symbols.get("minusSign") == "-"


@lru_cache(maxsize=256)
def _symbol(currency: str) -> str:
    import babel.numbers
    return str(babel.numbers.get_currency_symbol(currency, locale="en_US"))


def money_words(amount: Any, currency: str, exact: bool = False) -> str:
    """As language/money.py's money_words: minor units (an int) for people, or with `exact` a
    decimal amount with every digit it has."""
    if not _fast_shape():
        return babel_words(amount, currency, exact)
    digits = minor_digits(currency)
    value = amount if exact else Decimal(minor_text(int(amount), currency))
    if type(value) is not Decimal or not value.is_finite():
        return babel_words(amount, currency, exact)
    sign = "-" if value.is_signed() else ""
    value = value.copy_abs()  # (abs() rounds to the context's 28 digits)
    places = digits
    if exact:  # the places the value has, less trailing zeros (not normalize(): it rounds to 28 digits)
        _sign, figures, exponent = value.as_tuple()
        zeros = len(figures) - len(bytes(figures).rstrip(b"\x00"))
        exponent = exponent + zeros if any(figures) else 0  # type: ignore[operator]
        places = max(digits, -exponent) if exponent < 0 else digits
    return f"{sign}{_symbol(currency)}{value:,.{places}f}"
