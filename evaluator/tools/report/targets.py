"""The report's section per target (the channel share of sales): the share against its target in
every snapshot, then by segment (region) and by tier, each with the snapshots side by side, and a
chart of the segments' shares with their targets marked (HTML)."""
from __future__ import annotations

from typing import Any

from ...model.policy import Policy
from ...render.svg import PALETTE, svg_grouped_bars
from ...render.text import fmt_number
from .blocks import Block, Chart, Heading, Para, Table
from .labels import label, value_label


def standing_text(row: dict[str, Any]) -> str:
    """met / below target by N points, D days left / missed (due DATE) / no data."""
    if row["status"] == "met":
        return "met"
    if row["status"] == "no data":
        return "no data"
    gap = f"{row['gap_points']:g} points below"
    if row["status"] == "missed":
        return f"missed: {gap}, due {row['by']}"
    return f"{gap}, {row['days_left']} day{'s' if row['days_left'] != 1 else ''} left"


def _lower(title: str) -> str:
    """A title after a colon: its first letter lower-case, unless it starts an acronym."""
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _series(data: dict[str, Any], index: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The snapshots' labels and this target's figures in each, oldest first (one: the report's)."""
    over_time = data.get("targets_over_time")
    if over_time:
        return [s["label"] for s in data["snapshots"]], over_time[index]["snapshots"]
    return [data["label"] or data["input"] or "-"], [dict(data["targets"][index], as_of=data["as_of"])]


def _one(data: dict[str, Any], policy: Policy, index: int) -> list[Block]:
    target = data["targets"][index]
    labels, figures = _series(data, index)
    part, whole = label(policy, target["part"]), " + ".join(label(policy, n) for n in target["whole"])
    unit = policy.facts[target["part"]].unit if target["part"] in policy.facts else None
    money = f" ({unit})" if unit else ""
    out: list[Block] = [Heading(target["title"])]
    if target["description"]:
        out.append(Para(target["description"]))
    intro = (f"Target: at least {target['target_percent']:g}% by {target['by']}, measured as {part} over "
             f"{whole}, summed over the partners that have every one of these figures.")
    if target["partners_left_out"]:
        intro += f" Left out for missing figures in the latest snapshot: {target['partners_left_out']} partner(s)."
    out.append(Para(intro))
    rows = [[name, f["as_of"], f["overall"]["partners"], fmt_number(f["overall"]["part"]),
             fmt_number(f["overall"]["whole"]), _share(f["overall"]["percent"]), f"{f['overall']['target_percent']:g}%",
             standing_text(f["overall"])] for name, f in zip(labels, figures)]
    out.append(Table(["snapshot", "as of", "partners", f"{part}{money}", f"{whole}{money}", "share", "target",
                      "standing"], rows, {1, 2, 3, 4, 5, 6}))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    if target.get("per") is not None:
        out += _segments(policy, target, labels, figures, colours)
    out += _tiers(data, target, labels, figures)
    return out


def _segments(policy: Policy, target: dict[str, Any], labels: list[str], figures: list[dict[str, Any]],
              colours: list[str]) -> list[Block]:
    per = label(policy, target["per"])
    by_value = [{row["value"]: row for row in f.get("segments", [])} for f in figures]
    values = [row["value"] for row in target["segments"]]
    values += [v for snapshot in by_value for v in snapshot if v not in values]
    headers = [per, "target", *[f"share {name}" for name in labels], "standing", "partners"]
    rows = []
    for value in values:
        latest = by_value[-1].get(value)
        level = latest if latest is not None else next(s[value] for s in by_value if value in s)
        rows.append([value_label(value), f"{level['target_percent']:g}% by {level['by']}"
                     + ("" if level["own_target"] else " (overall)"),
                     *[_share(s[value]["percent"]) if value in s else "" for s in by_value],
                     standing_text(latest) if latest is not None else "no data",
                     latest["partners"] if latest is not None else 0])
    overall = figures[-1]["overall"]
    foot = [["All partners, each once", f"{target['target_percent']:g}% by {target['by']}",
             *[_share(f["overall"]["percent"]) for f in figures], standing_text(overall), overall["partners"]]]
    chart_rows = [(value_label(v), [s[v]["percent"] if v in s else None for s in by_value],
                   (by_value[-1].get(v) or next(s[v] for s in by_value if v in s))["target_percent"]) for v in values]
    chart_rows.append(("All partners", [f["overall"]["percent"] for f in figures], target["target_percent"]))
    chart = Chart(svg_grouped_bars(chart_rows, labels, colours, scale=100, value_format=lambda v: f"{v:.1f}%",
                                           title=f"{per}: {_lower(target['title'])} against the target"))
    note = (f"{target['title']} in each value of {per}, in each snapshot. A partner with several values counts "
            "in each; values with no target of their own are held to the overall target.")
    without = figures[-1].get("partners_without_segment")
    if without:
        note += f" Partners with no value (counted only overall): {without}."
    return [Heading(f"{per}: {_lower(target['title'])}", 3), Para(note), chart,
            Table(headers, rows, set(range(2, len(headers) - 2)) | {len(headers) - 1}, foot)]


def _tiers(data: dict[str, Any], target: dict[str, Any], labels: list[str],
           figures: list[dict[str, Any]]) -> list[Block]:
    names = {t["id"]: t["name"] for t in data["tiers"]}
    by_tier = [{row["id"]: row for row in f["tiers"]} for f in figures]
    headers = ["tier", *[f"share {name}" for name in labels], "standing", "partners"]
    rows = [[names.get(key, key), *[_share(s[key]["percent"]) if key in s else "" for s in by_tier],
             standing_text(by_tier[-1][key]), by_tier[-1][key]["partners"]] for key in by_tier[-1]]
    overall = figures[-1]["overall"]
    foot = [["All partners", *[_share(f["overall"]["percent"]) for f in figures], standing_text(overall),
             overall["partners"]]]
    return [Heading(f"{target['title']} by tier", 3),
            Para(f"Each tier against the overall target ({target['target_percent']:g}% by {target['by']})."),
            Table(headers, rows, set(range(1, len(headers) - 2)) | {len(headers) - 1}, foot)]


def target_blocks(data: dict[str, Any], policy: Policy) -> list[Block]:
    out: list[Block] = []
    for index in range(len(data["targets"])):
        out += _one(data, policy, index)
    return out
