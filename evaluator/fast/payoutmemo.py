"""The template writer's payouts, remembered by the facts they read (fast/template.py).

A payout depends on the record only through the tier held and the comparison statuses (both
fixed by the template: one per encoding) and the facts its tier's amounts read: each basis's
facts (through the measures it names), the facts of the conditions the amounts apply under (a
missing one is named) and each choice's fact. So the JSON of a tier's payouts is worked out once
per template and those facts' values (by type and value: 5 and 5.0 are written differently, a
float by its repr) and
written again as the same bytes for every partner that shares them. Values that cannot be a key
(a list in a condition) are worked out each time. The plain path is the oracle
(tests/test_fuzz_payouts.py, tests/test_template.py).
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from ..language.expressions import facts_of
from ..model.policy import Tier, comparisons
from .jsonbytes import dump

if TYPE_CHECKING:
    from ..evaluate.plan import Outcome, Plan

PAYOUT_MEMO_ENTRIES = 8192


def payout_facts(plan: "Plan", tier: Tier) -> tuple[str, ...]:
    """Every fact the payouts of `tier` read, sorted."""
    policy = plan.policy
    names: set[str] = {choice.fact for choice in tier.choices}
    for payable in tier.payables:
        if payable.basis is not None:
            names |= facts_of(policy, payable.basis)
        if payable.when is not None:
            for comparison in comparisons(payable.when):
                operand = comparison.operand
                names |= {operand.name} if operand.kind == "fact" else facts_of(policy, operand.name)
    return tuple(sorted(names))


class PayoutMemo:
    """The payouts' JSON bytes of one plan's templates, by the facts they read."""

    __slots__ = ("plan", "reads", "memo")

    def __init__(self, plan: "Plan"):
        self.plan = plan
        self.reads: dict[str, tuple[str, ...]] = {}
        self.memo: dict[tuple[Any, ...], bytes] = {}

    def written(self, template: Any, outcome: "Outcome", facts: dict[str, Any], as_of: _dt.date) -> bytes:
        tier = outcome.chosen
        assert tier is not None  # a template with a payouts slot is of a tier that pays
        reads = self.reads.get(tier.id)
        if reads is None:
            reads = self.reads[tier.id] = payout_facts(self.plan, tier)
        # a float by its repr: -0.0 equals 0.0 as a key, yet a basis of -0.0 is written "-$0.00"
        key: tuple[Any, ...] | None = (template, as_of, *[(type(v), repr(v) if type(v) is float else v)
                                                          for v in map(facts.get, reads)])
        try:
            found = self.memo.get(key)  # type: ignore[arg-type]
        except TypeError:  # a value that is no key
            found = key = None
        if found is not None:
            return found
        out = dump([p.to_dict() for p in self.plan.payouts(tier, outcome.statuses, facts, as_of)])
        if key is not None:
            if len(self.memo) >= PAYOUT_MEMO_ENTRIES:
                self.memo.clear()
            self.memo[key] = out
        return out
