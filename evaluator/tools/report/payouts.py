"""Payout totals in the program report: what the tiers' benefits pay, by tier and by benefit, per
period as paid and annualised (model/payouts.py, evaluate/payouts.py make each partner's payouts).

Amounts are whole minor units (money.py), so every total here is a sum of integers: exact however
many partners (a float total of 1,000,000 amounts is not). Only `paid` payouts are in the totals.
A payout whose amount is `missing` (a fact it needs is absent) is counted apart, never as 0: its
partner's payouts are unknown. An `alternative` (what a partner could have chosen instead) is
counted with its annualised amount, "what the alternatives would cost", never in the totals; a
missing alternative beside a paid choice leaves what is paid known, so it is counted as an
alternative whose amount is unknown. Each currency is totalled on its own.

Memory: one counter per (currency, tier, benefit), whatever the number of partners.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ...language.money import PERIODS, minor_text
from ...model.payouts import ALTERNATIVE, MISSING, NOT_OPEN, PAID
from ...model.policy import Policy


@dataclass
class Cell:
    """The payouts of one benefit in one tier, in one currency."""

    name: str
    period: str
    paid: int = 0                 # payouts paid
    paid_minor: int = 0           # their sum, per period as paid (a monthly amount once)
    missing: int = 0              # payouts whose amount is unknown
    alternatives: int = 0         # alternatives not taken, with a known amount
    alternatives_annual: int = 0  # their annualised sum
    alternatives_unknown: int = 0  # alternatives not taken whose amount is unknown
    not_open: int = 0             # its condition not met (from the sixth contract: the fifth)

    @property
    def paid_annual(self) -> int:
        return self.paid_minor * PERIODS[self.period].per_year


@dataclass
class Partners:
    """Partners of one tier in one currency: those paid something, those whose payouts are unknown."""

    paid: int = 0
    unknown: int = 0


def _unknown(payout: Any, paid_choices: set[Any]) -> bool:
    """A missing payout that leaves what the partner is paid unknown (not a missing alternative
    beside a choice that is paid)."""
    return payout.status == MISSING and not (payout.choice is not None and payout.choice in paid_choices)


def unknown_payouts(payouts: Iterable[Any]) -> bool:
    """Whether what a partner is paid is unknown: one of its payouts is missing (a missing
    alternative beside the alternative paid leaves it known). The diff counts such partners apart."""
    payouts = tuple(payouts)
    paid_choices = {p.choice for p in payouts if p.status == PAID and p.choice is not None}
    return any(_unknown(p, paid_choices) for p in payouts)


@dataclass
class PayoutTally:
    """Payout counters of one report, fed decision by decision with `add`."""

    policy: Policy
    cells: dict[tuple[str, str | None, str], Cell] = field(default_factory=dict)
    partners: dict[tuple[str, str | None], Partners] = field(default_factory=dict)
    partners_unknown: int = 0
    missing_facts: dict[str, int] = field(default_factory=dict)  # partners with an unknown payout, per fact

    @property
    def active(self) -> bool:
        """Whether the policy pays anything (the report then has a payouts section)."""
        return any(tier.payables for tier in self.policy.tiers)

    def add(self, tier: str | None, payouts: Iterable[Any]) -> None:
        """Count one partner's payouts (Payout objects, or anything with their fields)."""
        payouts = tuple(payouts)
        if not payouts:
            return
        paid_choices = {p.choice for p in payouts if p.status == PAID and p.choice is not None}
        seen: set[str] = set()
        unknown = False
        for p in payouts:
            key = (p.currency, tier, p.benefit)
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = Cell(p.name, p.period)
            status = p.status
            if status == PAID:
                cell.paid += 1
                cell.paid_minor += p.minor
            elif status == ALTERNATIVE:
                cell.alternatives += 1
                cell.alternatives_annual += p.annual_minor
            elif status == NOT_OPEN:
                cell.not_open += 1
            elif _unknown(p, paid_choices):
                cell.missing += 1
                unknown = True
                seen.update(p.missing_facts)
            else:
                cell.alternatives_unknown += 1
        for currency in {p.currency for p in payouts}:
            group = self.partners.get((currency, tier))
            if group is None:
                group = self.partners[(currency, tier)] = Partners()
            group.paid += any(p.status == PAID and p.currency == currency for p in payouts)
            group.unknown += any(_unknown(p, paid_choices) and p.currency == currency for p in payouts)
        if unknown:
            self.partners_unknown += 1
            for name in seen:
                self.missing_facts[name] = self.missing_facts.get(name, 0) + 1

    # -- the report's figures -------------------------------------------------------------------------

    def currencies(self) -> list[str]:
        """The currencies paid in: the policy's first, then the others by code."""
        found = {c for c, _, _ in self.cells} | {p.currency for t in self.policy.tiers for p in t.payables}
        return sorted(found, key=lambda c: (c != self.policy.currency, c))

    def periods(self, currency: str) -> list[str]:
        """The periods the policy pays in, in this currency, in PERIODS' order."""
        used = {p.period for t in self.policy.tiers for p in t.payables if p.currency == currency}
        used |= {cell.period for (c, _, _), cell in self.cells.items() if c == currency}
        return [name for name in PERIODS if name in used]

    def _row(self, cells: list[Cell], currency: str, periods: list[str]) -> dict[str, Any]:
        per_period = {name: sum(c.paid_minor for c in cells if c.period == name) for name in periods}
        return {"payouts_paid": sum(c.paid for c in cells),
                "paid": {name: minor_text(v, currency) for name, v in per_period.items()},
                "annual": minor_text(sum(c.paid_annual for c in cells), currency),
                "missing": sum(c.missing for c in cells),
                "alternatives": sum(c.alternatives for c in cells),
                "alternatives_annual": minor_text(sum(c.alternatives_annual for c in cells), currency),
                "alternatives_unknown": sum(c.alternatives_unknown for c in cells),
                "not_open": sum(c.not_open for c in cells)}

    def currency_totals(self, currency: str) -> dict[str, Any]:
        """One currency's figures: per tier (tiers that pay, in rank order), per benefit (in the
        order the tiers first name them), and the totals."""
        periods = self.periods(currency)
        tiers = []
        for tier in self.policy.tiers:
            if not any(p.currency == currency for p in tier.payables):
                continue
            cells = [c for (cur, t, _), c in self.cells.items() if cur == currency and t == tier.id]
            group = self.partners.get((currency, tier.id), Partners())
            tiers.append({"id": tier.id, "name": tier.name, "partners_paid": group.paid,
                          "partners_unknown": group.unknown, **self._row(cells, currency, periods)})
        order: list[str] = []
        names: dict[str, tuple[str, str]] = {}
        for tier in self.policy.tiers:
            for payable in tier.payables:
                if payable.currency == currency and payable.id not in names:
                    order.append(payable.id)
                    names[payable.id] = (payable.name, payable.period)
        for (cur, _, benefit), cell in self.cells.items():
            if cur == currency and benefit not in names:
                order.append(benefit)
                names[benefit] = (cell.name, cell.period)
        benefits = []
        for benefit in order:
            cells = [c for (cur, _, b), c in self.cells.items() if cur == currency and b == benefit]
            periods_of = sorted({c.period for c in cells} or {names[benefit][1]}, key=list(PERIODS).index)
            benefits.append({"id": benefit, "name": names[benefit][0], "period": periods_of[0] if len(periods_of) == 1
                             else periods_of, "tiers": [t.id for t in self.policy.tiers
                                                        if any(p.id == benefit for p in t.payables)],
                             **self._row(cells, currency, periods)})
        everything = [c for (cur, _, _), c in self.cells.items() if cur == currency]
        groups = [g for (cur, _), g in self.partners.items() if cur == currency]
        totals = {"partners_paid": sum(g.paid for g in groups), "partners_unknown": sum(g.unknown for g in groups),
                  **self._row(everything, currency, periods)}
        return {"currency": currency, "periods": periods, "tiers": tiers, "benefits": benefits, "totals": totals}

    def to_dict(self) -> dict[str, Any]:
        return {"currencies": [self.currency_totals(c) for c in self.currencies()],
                "partners_unknown": self.partners_unknown,
                "missing_facts": dict(sorted(self.missing_facts.items(), key=lambda kv: (-kv[1], kv[0]))),
                "rule": "totals are exact sums of whole minor units; paid payouts only; annualised: "
                        + ", ".join(f"{name} x{p.per_year}" for name, p in PERIODS.items())}
