"""How a benefit's amount is written, each form declared once with every facet a stage needs.

A benefit's `amount` is an object with exactly one form key (AMOUNT_FORMS) and, for the forms
that have one, `of`: the basis, an expression (a number fact, a measure, or a formula, as in
`measures`). `at_least` and `at_most` are a floor and a cap on the amount (in the currency,
before the one rounding of money.py):

    {"percent": 10, "of": "referred_business_usd", "at_most": 50000}
    {"each": 250, "of": "referrals_this_year"}
    {"fixed": 1000}

An `AmountForm` holds its key, whether it reads a basis, `compute` (the exact amount from its
rate and the basis, in decimal), its `words` in explanations and on the program sheet, the
sign its rate may take (`rate_minimum`, for the static checks), and an example for the docs and
tests/test_registry.py. Adding a form is adding one declaration (the schema's amount definition
is made from the table: registry.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

BOUNDS = ("at_least", "at_most")   # a floor and a cap, in the benefit's currency


@dataclass(frozen=True, kw_only=True)
class AmountForm:
    key: str
    description: str
    reads_basis: bool                                        # it has `of`
    compute: Callable[[Decimal, "Decimal | None"], Decimal]  # (rate as written, basis) -> amount
    words: Callable[[str, str], str]                         # (rate as written, the basis in words) -> text
    rate_minimum: int                                        # the least rate that makes sense (0: no negative)
    example: tuple[dict[str, Any], dict[str, Any], str]      # (amount, a record of `b`, the amount in USD)


def _percent_words(rate: str, basis: str) -> str:
    return f"{rate}% of {basis}"


AMOUNT_FORMS: dict[str, AmountForm] = {f.key: f for f in (
    AmountForm(key="percent", description="A percentage of the basis (a commission, a revenue share).",
               reads_basis=True, compute=lambda rate, basis: rate * basis / 100,  # type: ignore[operator]
               words=_percent_words, rate_minimum=0,
               example=({"percent": 10, "of": "b"}, {"b": 150000}, "15000.00")),
    AmountForm(key="each", description="An amount for each unit of the basis (a bounty per referral).",
               reads_basis=True, compute=lambda rate, basis: rate * basis,  # type: ignore[operator]
               words=lambda rate, basis: f"{rate} for each of {basis}", rate_minimum=0,
               example=({"each": 250, "of": "b"}, {"b": 6}, "1500.00")),
    AmountForm(key="fixed", description="A fixed amount (a marketing fund, a bonus).", reads_basis=False,
               compute=lambda rate, basis: rate, words=lambda rate, basis: rate, rate_minimum=0,
               example=({"fixed": 1000}, {}, "1000.00")),
)}


def form_of(amount: Any) -> AmountForm | None:
    """The form an amount is written in (None for a malformed one, which the schema reports)."""
    if not isinstance(amount, dict):
        return None
    keys = [k for k in amount if k in AMOUNT_FORMS]
    return AMOUNT_FORMS[keys[0]] if len(keys) == 1 else None


def amount_schema() -> dict[str, Any]:
    """The JSON Schema of a benefit's amount, from the table."""
    number = {"oneOf": [{"type": "number"}, {"$ref": "#/$defs/paramRef"}]}
    alternatives = []
    for form in AMOUNT_FORMS.values():
        required = [form.key, "of"] if form.reads_basis else [form.key]
        properties: dict[str, Any] = {form.key: {**number, "description": form.description}}
        if form.reads_basis:
            properties["of"] = {"$ref": "#/$defs/expression",
                                "description": "The basis: a number fact, a measure or a formula."}
        for bound in BOUNDS:
            properties[bound] = {**number, "description": ("The least" if bound == "at_least" else "The most")
                                 + " the benefit pays (in its currency)."}
        alternatives.append({"type": "object", "required": required, "additionalProperties": False,
                             "properties": properties})
    return {"description": "A benefit's amount: one of " + ", ".join(AMOUNT_FORMS) + " (money.py rounds it once).",
            "oneOf": alternatives}
