"""The program report's content, as blocks (blocks.py) shared by the Markdown and HTML writers:
provenance (policy id, version, sha256, the as-of date, inputs), partners per tier, movement
between snapshots, each target (the channel share) overall, by segment and by tier across the
snapshots, totals per tier, payouts (paysections.py), near misses and partners at risk by name, breakdowns, invalid records.
Every table of counts or sums has a totals row. Titles are words, never raw ids (labels.py)."""
from __future__ import annotations

from typing import Any

from ...model.policy import Policy
from ...render.svg import NO_TIER_COLOUR, PALETTE, svg_bars, svg_grouped_bars
from ...render.text import fmt_number
from .blocks import Block, Chart, Code, Heading, Items, Para, Table
from .labels import label, label_with_unit, value_label
from .paysections import payout_blocks
from .targets import target_blocks


def pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _provenance(data: dict[str, Any]) -> list[Block]:
    policy = data["policy"]
    out: list[Block] = [Para(["Policy ", Code(policy["id"]), f" version {policy['version']}, sha256 ",
                              Code(policy["sha256"]), "."], meta=True)]
    snapshots = data.get("snapshots")
    if snapshots:
        listed: list[Any] = ["Snapshots compared, oldest first: "]
        for i, s in enumerate(snapshots):
            listed += ([", "] if i else []) + [Code(s["label"]), f" as of {s['as_of']} ({s['partners']} partners)"]
        out.append(Para(listed + [f". The sections below describe the latest, as of {data['as_of']}, unless "
                                  "they compare snapshots."], meta=True))
    line: list[Any] = [f"As of {data['as_of']}: ", Code(data["input"] or "-"),
                       f", {data['partners']} partners evaluated"]
    if data["invalid"]:
        line.append(f", {data['invalid']} invalid record(s) listed at the end")
    out.append(Para(line + ["."], meta=True))
    return out


def _tiers(data: dict[str, Any]) -> list[Block]:
    tiers = data["tiers"]
    rows = [[t["rank"] or "", t["name"], t["partners"], pct(t["share"])] for t in tiers]
    foot = [["", "All partners", data["partners"], "100.0%" if data["partners"] else pct(0)]]
    chart = Chart(svg_bars([(t["name"], [t["partners"]]) for t in tiers], ["partners"], [PALETTE[0]],
                                   title="Partners per tier"))
    return [Heading("Partners per tier"), chart, Table(["rank", "tier", "partners", "share"], rows, {2, 3}, foot,
                                                       bars=2)]


def _movement(data: dict[str, Any]) -> list[Block]:
    snapshots, movement = data.get("snapshots") or [], data.get("movement") or []
    if not snapshots:
        return []
    labels = [s["label"] for s in snapshots]
    headers = ["tier", *labels, f"change since {labels[0]}"]
    rows = [[m["name"], *m["partners"], _signed(m["change"])] for m in movement]
    totals = [s["partners"] for s in snapshots]
    foot = [["All partners", *totals, _signed(totals[-1] - totals[0])]]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    chart = Chart(svg_grouped_bars([(m["name"], m["partners"], None) for m in movement], labels, colours,
                                           title="Partners per tier in each snapshot"))
    text = (f"Partners per tier in each snapshot, oldest first, and the change from {labels[0]} to {labels[-1]}. "
            "Each snapshot is evaluated on its own, as of its own date.")
    return [Heading("Movement between snapshots"), Para(text), chart,
            Table(headers, rows, set(range(1, len(headers))), foot)]


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def _sums(data: dict[str, Any], policy: Policy, names: list[str]) -> list[Block]:
    out: list[Block] = []
    headers = ["tier", "partners with a value", "total", "mean", "min", "max"]
    for name in names:
        title = label_with_unit(policy, name)
        rows = [[t["name"], *_stats(t["sums"][name])] for t in data["tiers"]]
        foot = [["All partners", *_stats(data["sums"][name])]]
        tiers = data["tiers"]
        chart = Chart(svg_bars([(t["name"], [t["sums"][name]["total"] or 0]) for t in tiers],
                                                        [title], [PALETTE[2]], title=f"Total {title} per tier"))
        out += [Heading(f"{title} per tier"), chart, Table(headers, rows, {1, 2, 3, 4, 5}, foot)]
    return out


def _stats(stats: dict[str, Any]) -> list[Any]:
    return [stats["count"], fmt_number(stats["total"]), fmt_number(stats["mean"]), fmt_number(stats["min"]),
            fmt_number(stats["max"])]


def _near(data: dict[str, Any], policy: Policy) -> list[Block]:
    p = f"{data['near_percent']:g}%"
    text: list[Any] = [
        f"Near misses: partners whose next tier up needs only numeric changes within {p} of its thresholds, "
        "counted under that tier. At risk: partners that hold their tier by less than "
        f"{p} of a threshold, counted under their tier. Undecided: a missing fact leaves a higher tier open, "
        "counted under the highest such tier. ", Code(f"evaluator evaluate --near {data['near_percent']:g}"),
        " lists every near miss and partner at risk."]
    named = [t for t in data["tiers"] if t["id"] is not None]
    rows = [[t["name"], t["near_miss"], t["at_risk"], t["undecided"]] for t in named]
    totals = data["totals"]
    foot = [["All tiers", totals["near_miss"], totals["at_risk"], totals["undecided"]]]
    chart = Chart(svg_bars([(r[0], [r[1]]) for r in rows], ["near misses"], [PALETTE[2]],
                                   title="Near misses per tier (partners close to reaching it)"))
    out: list[Block] = [Heading("Near misses and partners at risk"), Para(text), chart,
                        Table(["tier", "near misses", "at risk", "undecided (missing data)"], rows, {1, 2, 3}, foot)]
    names = {t["id"]: t["name"] for t in data["tiers"]}
    for key, title, counts, what in (("near_miss_partners", "Partners near the next tier", "near_miss", "near"),
                                     ("at_risk_partners", "Partners at risk of losing their tier", "at_risk",
                                      "holds_by")):
        listed = data[key]
        if not listed:
            continue
        out.append(Heading(title, 3))
        for tier in named:
            people = listed.get(tier["id"])
            if not people:
                continue
            intro = (f"Near {tier['name']}" if what == "near" else f"At risk in {tier['name']}") + \
                    f" ({tier[counts]} partner{'s' if tier[counts] != 1 else ''}, closest first):"
            items: list[Any] = []
            for person in people:
                who: list[Any] = [person["name"] + " (" if person["name"] else "", Code(person["partner_id"] or "?"),
                                  ")" if person["name"] else ""]
                now = f", now {names[person['tier']]}" if what == "near" else ""
                needs = person["needs"] if what == "near" else person["holds_by"]
                items.append(who + [f"{now}: " + "; ".join(needs)])
            if tier[counts] > len(people):
                items.append([f"and {tier[counts] - len(people)} more (the report lists {data['list_limit']} per "
                              "tier; ", Code(f"evaluator evaluate --near {data['near_percent']:g}"),
                              " lists them all)"])
            out += [Para(intro), Items(items)]
    return out


def _breakdowns(data: dict[str, Any], policy: Policy) -> list[Block]:
    out: list[Block] = []
    tiers = data["tiers"]
    keys = [t["id"] for t in tiers]
    colours = [NO_TIER_COLOUR if k is None else PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)]
    for breakdown in data["breakdowns"]:
        title = label(policy, breakdown["fact"])
        blocks: list[Block] = [Heading(f"{title}: partners per tier")]
        if breakdown["multi_valued"]:
            blocks.append(Para(f"{breakdown['description']} A partner with several values counts once under each, "
                               "so the rows add up to more than the partners; the totals row counts each partner once."))
        bars = [(value_label(v["value"]), [v["tiers"][k or "none"] for k in keys]) for v in breakdown["values"]]
        headers = [title, "partners"] + [t["name"] for t in tiers]
        rows = [[name, sum(values)] + [v or "" for v in values] for name, values in bars]
        foot = [["All partners", data["partners"]] + [t["partners"] or "" for t in tiers]]
        blocks.append(Chart(svg_bars(bars, [t["name"] for t in tiers], colours,
                                          title=f"Partners per tier by {title.lower()}")))
        blocks.append(Table(headers, rows, set(range(1, len(headers))), foot))
        out += blocks
    return out


TRANSITION_WORDS = {"new": "new (no previous decision)", "up": "up", "down": "down",
                    "kept_in_grace": "kept in grace", "unchanged": "unchanged"}


def _since(data: dict[str, Any]) -> list[Block]:
    """With --previous: the transitions since the last review and the partners in grace by the
    tier they keep; with --exceptions: the exceptions applied."""
    out: list[Block] = []
    if "transitions" in data:
        names = {t["id"]: t["name"] for t in data["tiers"]}
        rows: list[list[Any]] = [[TRANSITION_WORDS[move], count] for move, count in data["transitions"].items()]
        rows += [[f"in grace, keeping {names.get(tier, tier)}", count] for tier, count in data["in_grace"].items()]
        out += [Heading("Since the last review"), Table(["transition", "partners"], rows, {1})]
    if "exceptions" in data:
        out += [Heading("Exceptions applied"),
                Table(["exception", "partners"], [[Code(k), v] for k, v in data["exceptions"].items()], {1})]
    return out


def _invalid(data: dict[str, Any]) -> list[Block]:
    if not data["invalid_records"]:
        return []
    rows = [[Code(i["partner_id"] or "?"), i["message"]] for i in data["invalid_records"]]
    return [Heading("Invalid records"), Table(["partner", "problem"], rows)]


def report_blocks(data: dict[str, Any], policy: Policy, sums: list[str]) -> tuple[str, list[Block]]:
    """The report's title and blocks, from ReportSet.to_dict()."""
    blocks = (_provenance(data) + _tiers(data) + _since(data) + _movement(data) + target_blocks(data, policy)
              + _sums(data, policy, sums) + payout_blocks(data, policy) + _near(data, policy) + _breakdowns(data, policy) + _invalid(data))
    return f"Program report: {data['policy']['title']}", blocks
