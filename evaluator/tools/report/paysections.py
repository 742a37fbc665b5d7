"""The report's payouts section (payouts.py counts it): per currency, a table per tier and a table
per benefit, each with its totals row, the amounts per period as paid and annualised; then what is
not in the totals: the partners whose payouts are unknown (missing facts, never 0) and what the
alternatives not taken would cost. Amounts are written from whole minor units (money.py), never
through a float; the HTML page adds a chart of the annualised amount per tier."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from ...language.money import PERIODS, money_words, to_minor
from ...model.policy import Policy
from ...render.svg import PALETTE, svg_bars
from .blocks import Block, Chart, Code, Heading, Para, Table
from .labels import label

PAID_HEADERS = {"monthly": "paid monthly", "quarterly": "paid quarterly", "annual": "paid annually",
                "one_time": "paid once"}


def minor_of(text: str, currency: str) -> int:
    """The JSON's decimal text ("15000.00") back in whole minor units."""
    return to_minor(Decimal(text), currency)


def money(text: str, currency: str) -> str:
    """An amount of the JSON ("15000.00") for people: "$15,000.00"."""
    return money_words(minor_of(text, currency), currency)


def _money_format(currency: str) -> Callable[[float], str]:
    """A chart's value (a sum of minor units) as money."""
    def shown(value: float) -> str:
        return money_words(int(value), currency)
    return shown


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _cells(row: dict[str, Any], currency: str, periods: list[str]) -> list[Any]:
    return [*[money(row["paid"][p], currency) for p in periods], money(row["annual"], currency),
            row["missing"], row["alternatives"],
            money(row["alternatives_annual"], currency) if row["alternatives"] else ""]


def _tier_table(figures: dict[str, Any]) -> Table:
    cur, periods = figures["currency"], figures["periods"]
    headers = ["tier", "partners paid", *[PAID_HEADERS[p] for p in periods], "a year (annualised)",
               "unknown (missing facts)", "alternatives not taken", "alternatives a year"]
    rows = [[t["name"], t["partners_paid"], *_cells(t, cur, periods)] for t in figures["tiers"]]
    total = figures["totals"]
    foot = [["All tiers", total["partners_paid"], *_cells(total, cur, periods)]]
    return Table(headers, rows, set(range(1, len(headers))), foot)


def _benefit_table(figures: dict[str, Any], names: dict[str, str]) -> Table:
    cur = figures["currency"]
    headers = ["benefit", "tiers", "period", "payouts paid", "paid per period", "a year (annualised)",
               "unknown (missing facts)", "alternatives not taken", "alternatives a year"]
    rows = []
    for b in figures["benefits"]:
        periods = b["period"] if isinstance(b["period"], list) else [b["period"]]
        per_period = "; ".join(f"{money(b['paid'][p], cur)} {PERIODS[p].words}" for p in periods)
        rows.append([b["name"], ", ".join(names.get(t, t) for t in b["tiers"]), ", ".join(periods),
                     b["payouts_paid"], per_period, *_cells(b, cur, [])])
    total = figures["totals"]
    foot = [["All benefits", "", "", total["payouts_paid"], "", *_cells(total, cur, [])]]
    return Table(headers, rows, {3, 4, 5, 6, 7, 8}, foot)


def unknown_text(policy: Policy, data: dict[str, Any]) -> str:
    """"2 partners' payouts unknown (missing facts: referred business 2)", or that none is."""
    count = data["partners_unknown"]
    if not count:
        return "No partner's payouts are unknown: every amount a partner is due was worked out."
    facts = ", ".join(f"{label(policy, name)} {n}" for name, n in data["missing_facts"].items())
    whose = "partner's" if count == 1 else "partners'"
    return (f"{count} {whose} payouts unknown (missing facts"
            + (f": {facts}" if facts else "") + "): left out of the totals, never counted as 0.")


def _aside(figures: dict[str, Any]) -> list[str]:
    """What is not in this currency's totals, in words."""
    total, cur = figures["totals"], figures["currency"]
    out = []
    if total["alternatives"]:
        out.append(f"{_plural(total['alternatives'], 'alternative')} not taken: what the alternatives would cost, "
                   f"{money(total['alternatives_annual'], cur)} a year (not in the totals).")
    if total["alternatives_unknown"]:
        out.append(f"{_plural(total['alternatives_unknown'], 'alternative')} not taken whose amount is unknown "
                   "(missing facts).")
    if total["not_open"]:
        out.append(f"{_plural(total['not_open'], 'payout')} not open: the condition it applies under is not met.")
    return out


def payout_blocks(data: dict[str, Any], policy: Policy) -> list[Block]:
    """The section, from the report's JSON `payouts` (absent: the policy pays nothing)."""
    payouts = data.get("payouts")
    if payouts is None:
        return []
    names = {t["id"]: t["name"] for t in data["tiers"]}
    out: list[Block] = [Heading("Payouts"), Para([
        "What the tiers' benefits pay, by the policy's amounts (", Code("evaluator explain"),
        " says each partner's in words). The totals count paid payouts only, summed exactly in the currency's "
        "minor unit; annualised, a monthly amount counts 12 times, a quarterly one 4 times, an annual or "
        "one-time one once."]), Para(unknown_text(policy, payouts))]
    for figures in payouts["currencies"]:
        cur = figures["currency"]
        rows = [(t["name"], [minor_of(t["annual"], cur)]) for t in figures["tiers"]]
        out += [Heading(f"Payouts per tier ({cur})", 3),
                Chart(svg_bars(rows, [f"a year ({cur})"], [PALETTE[1]], title=f"Payouts a year per tier ({cur})",
                               value_format=_money_format(cur))),
                _tier_table(figures), Heading(f"Payouts per benefit ({cur})", 3), _benefit_table(figures, names)]
        out += [Para(text) for text in _aside(figures)]
    return out
