"""Policy tests that expect payouts: `"payouts": {benefit id: {"status", "amount", "annual",
"chosen_by", "note"} or null}` in a case's `expect`.

Only what is given is checked: `status` (paid, alternative, not_open, missing), `amount` and
`annual` (decimal text, compared as decimals: "15000" is "15000.00"; null: no amount, as a
missing payout has), `chosen_by` (partner, default; null for an alternative), `note` (text the
payout's note contains: why a recorded choice was not followed; null: no note). A benefit expected
as null must have no payout (its tier does not pay it). A difference names the expectation and
the payout as decided, with its words ("Referral commission: 10% of ...").
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

from ...errors import Finding
from ...language.money import minor_text
from ...model.decision import Decision
from ...model.payouts import Payout
from ...model.policy import Policy
from ...validate.names import suggest

KEYS = ("status", "amount", "annual", "chosen_by", "note")


def _actual(payout: Payout, key: str) -> Any:
    if key == "status":
        return payout.status
    if key in ("chosen_by", "note"):
        return getattr(payout, key)
    minor = payout.minor if key == "amount" else payout.annual_minor
    return None if minor is None else minor_text(minor, payout.currency)


def _same(key: str, want: Any, got: Any) -> bool:
    if key in ("amount", "annual") and want is not None and got is not None:
        try:
            return Decimal(str(want)) == Decimal(got)
        except InvalidOperation:
            return False
    if key == "note" and isinstance(want, str):
        return isinstance(got, str) and want in got
    return bool(want == got)


def _shown(value: Any) -> str:
    return "null" if value is None else str(value)


def expect_payouts(expected: dict[str, Any], d: Decision, policy: Policy) -> Iterator[tuple[str, str, str]]:
    """(what, expected, actual) of each expectation of a case's payouts that the decision misses."""
    decided = {p.benefit: p for p in d.payouts}
    for benefit, want in expected.items():
        what = f"payout {benefit}"
        payout = decided.get(benefit)
        if want is None:
            if payout is not None:
                yield what, "no payout", f"{payout.status}: {payout.text}"
            continue
        wanted = ", ".join(f"{k} {_shown(want[k])}" for k in KEYS if k in want)
        if payout is None:
            tier = "no tier" if d.tier is None else f"tier {d.tier.id}"
            yield what, wanted, f"no payout ({tier} does not pay it)"
            continue
        if not all(_same(k, want[k], _actual(payout, k)) for k in KEYS if k in want):
            got = ", ".join(f"{k} {_shown(_actual(payout, k))}" for k in KEYS if k in want)
            yield what, wanted, f"{got} ({payout.text})"


def check_payout_refs(suite: Any, policy: Policy) -> Iterator[Finding]:
    """A case expects payouts of benefits some tier pays (did-you-mean). (The tests file's schema
    checks the rest: statuses, amounts as decimal text.)"""
    paid = sorted({p.id for tier in policy.tiers for p in tier.payables})
    for case in suite.cases:
        base = case.pointer + "/expect/payouts"
        for benefit in case.expect.get("payouts") or {}:
            pointer = base + "/" + benefit.replace("~", "~0").replace("/", "~1")
            if benefit not in paid:
                yield suite.finding(f"no tier pays a benefit '{benefit}'" + suggest(benefit, paid), pointer,
                                    expected="a benefit with an amount: " + (", ".join(paid) or "(none)"),
                                    found=benefit)
