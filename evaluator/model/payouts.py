"""A decision's payouts: what each benefit with an amount pays the partner (schemas/decision.schema.json).

A payout names its benefit and says whether it is paid (`paid`), shown beside the one paid as
the partner's other choice (`alternative`), not open to the partner (`not_open`: the condition
it applies under is not met) or unknown (`missing`: a fact it needs is absent; never 0). Its
amount is held in whole minor units of its currency (money.py); the JSON writes it as decimal
text ("15000.00"), never as a float, with its period, its annualised amount and the figures it
was worked out from (`computed`), and says it in words (`text`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..language.facttypes import jsonable
from ..language.money import PERIODS, minor_text, plain

PAID, ALTERNATIVE, NOT_OPEN, MISSING = "paid", "alternative", "not_open", "missing"
STATUSES = (PAID, ALTERNATIVE, NOT_OPEN, MISSING)


@dataclass(frozen=True)
class Payout:
    benefit: str
    name: str
    status: str                       # STATUSES
    currency: str
    period: str                       # money.PERIODS
    minor: int | None                 # the amount in minor units; None unless paid or an alternative
    form: str                         # the amount's form (language/amounts.py)
    rate: Any                         # its rate as written (10 for 10%)
    of: Any = None                    # the basis expression as written
    basis: Decimal | None = None      # the basis's value
    bound: str | None = None          # "at_least" / "at_most" when the floor or cap applied
    unbounded_minor: int | None = None  # the amount before that floor or cap
    choice: str | None = None         # the choice it is one alternative of
    chosen_by: str | None = None      # "partner" (the recorded choice) or "default", for the one paid
    missing_facts: tuple[str, ...] = ()
    text: str = ""
    note: str | None = None           # why a recorded choice was not followed
    pointer: str = field(default="", compare=False)

    @property
    def annual_minor(self) -> int | None:
        """The amount annualised (a monthly amount times 12), in minor units."""
        return None if self.minor is None else self.minor * PERIODS[self.period].per_year

    @property
    def paid(self) -> bool:
        return self.status == PAID

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"benefit": self.benefit, "name": self.name, "status": self.status,
                               "amount": None if self.minor is None else minor_text(self.minor, self.currency),
                               "currency": self.currency, "period": self.period,
                               "annual": None if self.minor is None else minor_text(self.annual_minor, self.currency)}  # type: ignore[arg-type]
        computed: dict[str, Any] = {self.form: jsonable(self.rate)}
        if self.of is not None:
            computed["of"] = self.of
            computed["basis"] = None if self.basis is None else plain(self.basis)
        if self.bound is not None and self.unbounded_minor is not None:
            computed["bounded_by"] = self.bound
            computed["unbounded"] = minor_text(self.unbounded_minor, self.currency)
        out["computed"] = computed
        if self.choice is not None:
            out["choice"] = {"id": self.choice, "chosen_by": self.chosen_by}
        if self.missing_facts:
            out["missing_facts"] = list(self.missing_facts)
        if self.note is not None:
            out["note"] = self.note
        out["text"] = self.text
        return out
