"""The payout change of a diff (payouts.py) in words and as a table, for each of the diff's writers:
the headline ("moves 2 partners and changes payouts by +$2,400.00 a year"), then per transition the
partners, those whose payout changes, the payouts a year under each policy, the change and the
partners whose payout is unknown. Plain text from data: each writer escapes it for its medium."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...language.money import minor_text, money_words, to_minor
from ...model.policy import Policy
from ...render.text import NO_TIER

HEADERS = ["old tier", "new tier", "direction", "partners", "payouts changed", "old a year", "new a year",
           "change a year", "unknown (missing facts)"]
RIGHT = {3, 4, 5, 6, 7, 8}
CSV_COLUMNS = ["payout_currency", "old_payout_annual", "new_payout_annual", "payout_change_annual"]


def _minor(text: str, currency: str) -> int:
    return to_minor(Decimal(text), currency)


def money(text: str, currency: str) -> str:
    """Decimal text of the JSON ("2400.00") for people: "$2,400.00"."""
    return money_words(_minor(text, currency), currency)


def signed(text: str, currency: str) -> str:
    """A change for people: "+$2,400.00", "-$1,000.00", "$0.00"."""
    minor = _minor(text, currency)
    return ("+" if minor > 0 else "") + money_words(minor, currency)


def _whose(count: int) -> str:
    return f"{count} partner's" if count == 1 else f"{count} partners'"


def payout_data(diff: Any) -> dict[str, Any]:
    """What the payout views read of a Diff: its totals and payouts (as in its JSON)."""
    data: dict[str, Any] = {"totals": diff.totals()}
    if diff.payouts is not None:
        data["payouts"] = diff.payouts.to_dict(diff.transitions())
    return data


def headline(data: dict[str, Any]) -> list[str]:
    """The payout change in two sentences, from Diff.to_dict() (none when neither policy pays)."""
    payouts = data.get("payouts")
    if payouts is None:
        return []
    moved = data["totals"]["moved"]
    changes = " and ".join(f"{signed(t['change_annual'], t['currency'])} a year" for t in payouts["totals"])
    before = "; ".join(f"{money(t['old_annual'], t['currency'])} -> {money(t['new_annual'], t['currency'])} a year"
                       for t in payouts["totals"])
    first = (f"Payouts: the change moves {moved} partner{'s' if moved != 1 else ''} and changes payouts by "
             f"{changes or 'nothing'} ({before or 'none paid'}; paid payouts, annualised).")
    second = (f"{_whose(payouts['partners_changed'])} payouts change ({payouts['partners_changed_same_tier']} of them "
              f"keeping their tier); {_whose(payouts['partners_unknown'])} payouts unknown under either policy "
              "(missing facts), counted apart, not as 0.")
    return [first, second]


def _tier(policy: Policy, tier_id: str | None) -> str:
    return NO_TIER if tier_id is None else policy.tier(tier_id).name


def rows(data: dict[str, Any], old: Policy, new: Policy) -> tuple[list[list[Any]], list[list[Any]]]:
    """The per-transition rows and the totals rows (one per currency), as text cells."""
    payouts = data["payouts"]
    main = payouts["totals"][0]["currency"] if payouts["totals"] else new.currency
    several = len(payouts["totals"]) > 1
    out = []
    for t in payouts["transitions"]:
        figures = t["currencies"] or [{"currency": main, "old_annual": minor_text(0, main),
                                       "new_annual": minor_text(0, main), "change_annual": minor_text(0, main),
                                       "partners_changed": 0}]
        for i, f in enumerate(figures):
            cur = f["currency"]
            first = i == 0
            out.append([_tier(old, t["from"]) if first else "", _tier(new, t["to"]) if first else "",
                        t["direction"] if first else "", t["partners"] if first else "",
                        f["partners_changed"], money(f["old_annual"], cur), money(f["new_annual"], cur),
                        signed(f["change_annual"], cur), t["unknown"] if first else ""])
    foot = []
    for i, f in enumerate(payouts["totals"]):
        cur = f["currency"]
        foot.append([f"total ({cur})" if several else "total", "", "", data["totals"]["compared"] if i == 0 else "",
                     f["partners_changed"], money(f["old_annual"], cur), money(f["new_annual"], cur),
                     signed(f["change_annual"], cur), payouts["partners_unknown"] if i == 0 else ""])
    return out, foot


def csv_cells(move: dict[str, Any], currency: str) -> dict[str, str]:
    """A moved partner's payout a year under each policy and the change, for its CSV row: plain
    decimal text when it is paid in one currency, "USD 1.00; AUD 2.00" in several; "unknown"."""
    paid = move.get("payouts")
    if paid is None:
        return {}
    if paid.get("unknown"):
        return {name: "unknown" for name in CSV_COLUMNS[1:]}
    currencies = sorted(set(paid["old"]) | set(paid["new"])) or [currency]  # paid nothing: 0 in the policy's
    zero = {cur: minor_text(0, cur) for cur in currencies}
    change = {cur: minor_text(_minor(paid["new"].get(cur, zero[cur]), cur) - _minor(paid["old"].get(cur, zero[cur]), cur),
                              cur) for cur in currencies}

    def cell(values: dict[str, str]) -> str:
        if len(currencies) == 1:
            return values.get(currencies[0], zero[currencies[0]])
        return "; ".join(f"{cur} {values.get(cur, zero[cur])}" for cur in currencies)
    return {"payout_currency": ";".join(currencies), "old_payout_annual": cell(paid["old"]),
            "new_payout_annual": cell(paid["new"]), "payout_change_annual": cell(change)}
