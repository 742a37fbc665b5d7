"""What a program change costs: the change in payouts, per transition (old tier -> new tier) and in
total, annualised, beside the partners moved.

A partner's payout under a policy is what it is paid a year: the sum of its `paid` payouts'
annualised amounts (model/payouts.py), per currency, in whole minor units. The change is the sum
over partners of (new - old), an exact sum of integers. Every transition counts, the partners who
keep their tier too: a rate change (a parameter of the amount) moves nobody and still changes what
is paid. A partner whose payout is unknown under either policy (a missing fact: report/payouts.py
`unknown_payouts`) is counted apart, never as 0, and left out of the sums on both sides.

Memory: one counter per (transition, currency), whatever the number of partners.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ...language.money import minor_text
from ...model.payouts import PAID
from ...model.policy import Policy
from ..report.payouts import unknown_payouts

Key = tuple[str | None, str | None]  # (old tier id, new tier id)


def annual_paid(payouts: Iterable[Any]) -> dict[str, int]:
    """What a partner is paid a year, per currency, in minor units (paid payouts only)."""
    out: dict[str, int] = {}
    for p in payouts:
        if p.status == PAID:
            out[p.currency] = out.get(p.currency, 0) + p.annual_minor
    return out


@dataclass
class Change:
    """Payouts of the partners of one transition, in one currency, under each policy."""

    old: int = 0        # a year, under the old policy, in minor units
    new: int = 0
    changed: int = 0    # partners whose payout a year changes

    @property
    def change(self) -> int:
        return self.new - self.old


def pays(policy: Policy) -> bool:
    return any(tier.payables for tier in policy.tiers)


@dataclass
class PayoutChanges:
    """The payout change of a diff, fed partner by partner with `add`."""

    old: Policy
    new: Policy
    changes: dict[tuple[Key, str], Change] = field(default_factory=dict)
    unknown: dict[Key, int] = field(default_factory=dict)     # partners whose payout is unknown on a side
    changed_partners: dict[Key, int] = field(default_factory=dict)  # partners whose payout changes

    @property
    def active(self) -> bool:
        """Whether either policy pays anything (the diff then shows payouts)."""
        return pays(self.old) or pays(self.new)

    def add(self, key: Key, old: Iterable[Any], new: Iterable[Any]) -> dict[str, Any]:
        """Count one partner decided under both policies; its payout a year on each side (for the
        list of moved partners): {"old": {currency: minor}, "new": {...}} or {"unknown": True}."""
        old, new = tuple(old), tuple(new)
        if not old and not new:  # paid nothing under either policy (most partners): nothing to count
            return {"old": {}, "new": {}}
        if unknown_payouts(old) or unknown_payouts(new):
            self.unknown[key] = self.unknown.get(key, 0) + 1
            return {"unknown": True}
        before, after = annual_paid(old), annual_paid(new)
        differs = False
        for currency in sorted(set(before) | set(after)):
            cell = self.changes.get((key, currency))
            if cell is None:
                cell = self.changes[(key, currency)] = Change()
            a, b = before.get(currency, 0), after.get(currency, 0)
            cell.old += a
            cell.new += b
            if a != b:
                cell.changed += 1
                differs = True
        if differs:
            self.changed_partners[key] = self.changed_partners.get(key, 0) + 1
        return {"old": before, "new": after}

    # -- figures --------------------------------------------------------------------------------------

    def currencies(self) -> list[str]:
        found = {c for _, c in self.changes}
        found |= {p.currency for policy in (self.old, self.new) for t in policy.tiers for p in t.payables}
        return sorted(found, key=lambda c: (c != self.new.currency, c != self.old.currency, c))

    def _figures(self, cells: list[Change], currency: str) -> dict[str, Any]:
        old, new = sum(c.old for c in cells), sum(c.new for c in cells)
        return {"currency": currency, "old_annual": minor_text(old, currency), "new_annual": minor_text(new, currency),
                "change_annual": minor_text(new - old, currency), "partners_changed": sum(c.changed for c in cells)}

    def transition(self, key: Key) -> dict[str, Any]:
        """One transition's payouts: per currency, and its partners whose payout is unknown."""
        return {"unknown": self.unknown.get(key, 0), "partners_changed": self.changed_partners.get(key, 0),
                "currencies": [self._figures([c], cur) for (k, cur), c in self.changes.items() if k == key
                               and (c.old or c.new or c.changed)]}

    def to_dict(self, transitions: list[dict[str, Any]]) -> dict[str, Any]:
        """Totals (per currency) and per transition (those of `transitions`, the diff's, in its
        order) that move partners, pay something on either side, or have partners unknown."""
        rows = []
        for t in transitions:
            key = (t["from"], t["to"])
            figures = self.transition(key)
            if t["direction"] != "unchanged" or figures["currencies"] or figures["unknown"]:
                rows.append({"from": t["from"], "to": t["to"], "partners": t["count"], "direction": t["direction"],
                             **figures})
        same = {k for k in self.changed_partners if k[0] == k[1]}
        totals = []
        for currency in self.currencies():
            cells = [c for (_, cur), c in self.changes.items() if cur == currency]
            figures = self._figures(cells, currency)
            figures["partners_changed_same_tier"] = sum(c.changed for (k, cur), c in self.changes.items()
                                                        if cur == currency and k in same)
            totals.append(figures)
        return {"totals": totals, "partners_changed": sum(self.changed_partners.values()),
                "partners_changed_same_tier": sum(n for k, n in self.changed_partners.items() if k in same),
                "partners_unknown": sum(self.unknown.values()), "transitions": rows,
                "rule": "a year: the paid payouts' annualised amounts; change: the sum over partners of new - old, "
                        "exact in minor units; partners whose payout is unknown on either side are counted apart"}
