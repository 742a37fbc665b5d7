"""Payouts in words: "Referral commission: 10% of referred business ($150,000.00) = $15,000.00 a year".

Each payout's `text` (model/payouts.py) is made here, from the benefit as written and the figures
it was worked out from: the form's words (language/amounts.py), the basis by its fact's label
(money when its unit is the currency, else a number with its unit), the floor or cap that
applied, the period, and for an alternative or a payout that is not open or missing, why.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..language.conditions import render
from ..language.money import PERIODS, plain, to_minor
from ..model.benefits import Payable
from ..model.payouts import ALTERNATIVE, MISSING, NOT_OPEN
from .moneytext import money_words  # Babel's text, without Babel's per-call cost
from ..model.policy import Policy


def _basis_words(policy: Policy, payable: Payable, value: Decimal | None) -> str:
    expr = payable.basis
    if isinstance(expr, str) and expr in policy.facts:
        spec = policy.facts[expr]
        name, unit = spec.shown, spec.unit
    elif isinstance(expr, str) and expr in policy.measures:
        name, unit = expr.replace("_", " "), policy.measures[expr].unit
    else:
        name, unit = "the basis", None
    if value is None:
        return name
    if unit == payable.currency:  # as it is (a basis is not money paid: it is not rounded)
        return f"{name} ({money_words(value, payable.currency, exact=True)})"
    return f"{name} ({plain(value)}{' ' + unit if unit else ''})"


@lru_cache(maxsize=1024)
def _rate_words(form: str, rate: Any, currency: str) -> str:
    """A rate in words: "10" (of a percentage), "$250.00" (an amount); the same for every partner."""
    if form == "percent":
        return plain(Decimal(repr(rate)) if isinstance(rate, float) else Decimal(rate))
    return _money(rate, currency)


@lru_cache(maxsize=1024)
def _money(value: Any, currency: str) -> str:
    return money_words(to_minor(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), currency),
                       currency)


def formula_words(policy: Policy, payable: Payable, basis: Decimal | None = None, bounds: bool = True) -> str:
    """The amount's formula in words ("10% of referred business, at most $50,000.00"), with the
    basis's value if given (the program sheet says it without one)."""
    form = payable.form
    assert form is not None
    text = form.words(_rate_words(form.key, payable.rate, payable.currency), _basis_words(policy, payable, basis))
    if bounds:
        for key, words in (("at_least", "at least"), ("at_most", "at most")):
            if payable.amount.get(key) is not None:
                text += f", {words} {_money(payable.amount[key], payable.currency)}"
    return text


def payout_text(policy: Policy, payable: Payable, status: str, minor: int | None, basis: Decimal | None,
                bound: str | None, unbounded: int | None, missing: tuple[str, ...]) -> str:
    """A payout in words (its JSON's `text`; `explain` and the report show it)."""
    head = payable.name
    if status == NOT_OPEN:
        why = f"needs {render(payable.when)}" if payable.when is not None else "only when chosen"
        return f"{head}: not open ({why})"
    if status == MISSING or minor is None:
        facts = ", ".join(missing)
        return f"{head}: unknown ({'missing ' + facts if facts else 'a figure it needs is missing'})"
    amount = f"{money_words(minor, payable.currency)} {PERIODS[payable.period].words}"
    text = f"{head}: {amount}" if payable.form is None or not payable.form.reads_basis else \
        f"{head}: {formula_words(policy, payable, basis, bounds=False)} = {amount}"
    if bound is not None and unbounded is not None:
        limit = "the floor" if bound == "at_least" else "the cap"
        text += f" ({limit}; {money_words(unbounded, payable.currency)} without it)"
    if status == ALTERNATIVE:
        text += " (the alternative, not paid)"
    return text
