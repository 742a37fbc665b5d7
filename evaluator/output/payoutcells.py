"""A decision's payouts as cells of a table: the CSV output, the terminal table and the frames
API (frames/table.py, Parquet) write the same cells.

- `payouts_annual.<CURRENCY>`, one column per currency the policy's benefits pay in (policy
  order): the sum of the paid payouts' annual amounts in that currency, as decimal text in its
  minor unit ("15000.00"; "0.00" when nothing is paid). Empty when the total is unknown: a payout
  in that currency is missing and no alternative of its choice is paid (the missing one might be
  the one paid). Empty for an error record. Never an estimate, never a 0 for an unknown.
- the terminal table says the total in words in its notes (`annual_words`).
- `payouts`: each payout of the held tier, in the decision's order, separated by "; ":
  "referral_commission 15000.00 USD/annual" when paid, "recurring_revenue_share alternative
  200.00 USD/monthly" beside it, "... not_open" or "... missing" otherwise.

Totals are sums of whole minor units (money.py), so they are exact however many are added.
"""
from __future__ import annotations

from typing import Any

from ..explain.moneytext import money_words
from ..language.money import minor_text
from ..model.decision import Decision
from ..model.payouts import ALTERNATIVE, MISSING, PAID
from ..model.policy import Policy

TOTAL_PREFIX = "payouts_annual."
TEXT_COLUMN = "payouts"


def currencies(policy: Policy) -> list[str]:
    """The currencies the policy's benefits pay in, in policy order (none: no payout columns)."""
    seen: dict[str, None] = {}
    for tier in policy.tiers:
        for payable in tier.payables:
            seen.setdefault(payable.currency, None)
    return list(seen)


def columns(policy: Policy) -> list[str]:
    """The payout columns of `policy` (none when no benefit has an amount)."""
    found = currencies(policy)
    return [*(TOTAL_PREFIX + c for c in found), TEXT_COLUMN] if found else []


def unsettled(payouts: Any) -> list[Any]:
    """The missing payouts that leave a total unknown: each one not settled by a paid alternative
    of its choice (a missing alternative beside the one paid changes nothing paid)."""
    settled = {p.choice for p in payouts if p.status == PAID and p.choice is not None}
    return [p for p in payouts if p.status == MISSING and (p.choice is None or p.choice not in settled)]


def annual_minor(payouts: Any) -> dict[str, int | None]:
    """Each currency's total of paid annual amounts in minor units (None: unknown), for the
    currencies the payouts are in."""
    unknown = {p.currency for p in unsettled(payouts)}
    totals: dict[str, int | None] = {}
    for p in payouts:
        totals.setdefault(p.currency, 0)
        if p.status == PAID:
            totals[p.currency] += p.annual_minor
    return {c: None if c in unknown else total for c, total in totals.items()}


def payout_words(p: Any) -> str:
    """One payout in a cell: "referral_commission 15000.00 USD/annual"."""
    if p.status in (PAID, ALTERNATIVE) and p.minor is not None:
        status = "" if p.status == PAID else f" {p.status}"
        return f"{p.benefit}{status} {minor_text(p.minor, p.currency)} {p.currency}/{p.period}"
    return f"{p.benefit} {p.status}"


def cells(policy: Policy, result: Any) -> dict[str, str]:
    """The payout cells of one result (a Decision; an error record's are empty)."""
    found = currencies(policy)
    if not found or not isinstance(result, Decision):
        return {}
    payouts = result.payouts
    totals = annual_minor(payouts)
    row = {}
    for currency in found:
        total = totals.get(currency, 0)
        row[TOTAL_PREFIX + currency] = "" if total is None else minor_text(total, currency)
    row[TEXT_COLUMN] = "; ".join(payout_words(p) for p in payouts)
    return row


def annual_words(result: Any) -> str:
    """What the tier held pays a year, for people: "paid $15,000.00 a year" ("$4.00 + ¥12,012"
    across currencies), "payouts unknown (missing referred_business_usd)" for a total that is not
    known; "" when the tier pays no amount (or for an error record). The terminal table's note."""
    if not isinstance(result, Decision) or not result.payouts:
        return ""
    totals = annual_minor(result.payouts)
    known = [money_words(total, currency) for currency, total in totals.items() if total is not None]
    said = [f"paid {' + '.join(known)} a year"] if known else []
    if None in totals.values():
        missing = sorted({f for p in unsettled(result.payouts) for f in p.missing_facts})
        said.append("payouts unknown" + (f" (missing {', '.join(missing)})" if missing else ""))
    return "; ".join(said)
