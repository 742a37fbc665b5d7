"""The program report's renderings: Markdown, one self-contained HTML page, JSON.

Every value from the policy (title, tier names, descriptions) and from partner records (ids,
region values, messages) is escaped for its medium by render (Markdown: render.markdown, with
ids in code spans they cannot leave; HTML and SVG: render.html).
"""
from __future__ import annotations

import json
from typing import IO, Any, Callable

from ...version import __version__
from ...render.html import esc, html_page, html_table
from ...render.markdown import md_code, md_table, md_text
from ...render.svg import NO_TIER_COLOUR, PALETTE, svg_bars
from ...render.text import fmt_number, text_bar
from .model import ProgramReport


def _tier_colours(keys: list[str | None]) -> list[str]:
    return [NO_TIER_COLOUR if k is None else PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)]


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _sum_label(report: ProgramReport, name: str) -> str:
    unit = report.policy.facts[name].unit
    return f"{name} ({unit})" if unit else name


def _sections(report: ProgramReport) -> dict[str, Any]:
    """The report's numbers arranged as rows, shared by the Markdown and HTML renderings."""
    data = report.to_dict()
    tiers = data["tiers"]
    return {"data": data, "tiers": tiers,
            "tier_rows": [[t["rank"] or "", t["name"], t["partners"], _pct(t["share"])] for t in tiers],
            "near_rows": [[t["name"], t["near_miss"], t["at_risk"], t["undecided"]] for t in tiers
                          if t["id"] is not None]}


def _header_lines(data: dict[str, Any], code: Callable[[Any], str], text: Callable[[Any], str]) -> list[str]:
    """The report's provenance; `code` renders an id or a path, `text` any other value."""
    policy = data["policy"]
    lines = [f"Policy {code(policy['id'])} version {text(policy['version'])} (sha256 {policy['sha256'][:12]}), "
             f"input {code(data['input'] or '-')}: {data['partners']} partners evaluated"
             + (f", {data['invalid']} invalid record(s) listed below" if data["invalid"] else "") + "."]
    if data.get("as_of"):
        lines.append(f"Dates evaluated as of {data['as_of']}.")
    return lines


NEAR_HEADERS = ["tier", "near misses", "at risk", "undecided (missing data)"]


def _near_text(data: dict[str, Any]) -> str:
    p = f"{data['near_percent']:g}%"
    return (f"Near misses: partners whose next tier up needs only numeric changes within {p} of its thresholds "
            f"(as `evaluator evaluate --near {data['near_percent']:g}` lists them), counted under that tier. At "
            f"risk: partners that hold their tier by less than {p} of a threshold. Undecided: a missing fact "
            "leaves a higher tier open, counted under the highest such tier.")


def _sum_rows(data: dict[str, Any], name: str, total_label: str | None) -> list[list[Any]]:
    rows = [[t["name"], t["sums"][name]["count"], fmt_number(t["sums"][name]["total"]),
             fmt_number(t["sums"][name]["mean"]), fmt_number(t["sums"][name]["min"]),
             fmt_number(t["sums"][name]["max"])] for t in data["tiers"]]
    if total_label is not None:
        total = data["sums"][name]
        rows.append([total_label, total["count"], fmt_number(total["total"]), fmt_number(total["mean"]),
                     fmt_number(total["min"]), fmt_number(total["max"])])
    return rows


SUM_HEADERS = ["tier", "partners with a value", "total", "mean", "min", "max"]


def write_markdown(report: ProgramReport, out: IO[str]) -> None:
    s = _sections(report)
    data, tiers = s["data"], s["tiers"]
    out.write(f"# Program report: {md_text(data['policy']['title'])}\n\n")
    out.write("\n".join(_header_lines(data, md_code, md_text)) + "\n\n")
    out.write("## Partners per tier\n\n")
    largest = max([t["partners"] for t in tiers] + [0])
    rows = [r + [text_bar(t["partners"], largest)] for r, t in zip(s["tier_rows"], tiers)]
    out.write(md_table(["rank", "tier", "partners", "share", ""], rows, {2, 3}))
    if data["overrides"]:
        out.write("\nOverrides applied: " + ", ".join(f"{md_code(k)} {v}" for k, v in data["overrides"].items())
                  + "\n")
    if "transitions" in data:
        out.write("\n## Since the last review\n\n")
        out.write(md_table(["transition", "partners"], _transition_rows(report, data), {1}))
    if "exceptions" in data:
        out.write("\nExceptions applied: " + ", ".join(f"{md_code(k)} {v}" for k, v in data["exceptions"].items())
                  + "\n")
    for name in report.sums:
        out.write(f"\n## {md_text(_sum_label(report, name))} per tier\n\n")
        rows = _sum_rows(data, name, "**all**")  # the tier names escaped here: the column is raw for **all**
        out.write(md_table(SUM_HEADERS, [[md_text(r[0]) if i < len(tiers) else r[0], *r[1:]]
                                         for i, r in enumerate(rows)], {1, 2, 3, 4, 5}, raw={0}))
    out.write(f"\n## Near misses and partners at risk\n\n{_near_text(data)}\n\n")
    out.write(md_table(NEAR_HEADERS, s["near_rows"], {1, 2, 3}))
    for breakdown in data["breakdowns"]:
        out.write(f"\n## Partners by {md_text(breakdown['fact'])}\n\n")
        if breakdown["multi_valued"]:
            out.write(f"{md_text(breakdown['description'])} A partner with several values counts once under each.\n\n")
        headers = [breakdown["fact"], "partners"] + [t["name"] for t in tiers]
        rows = [[v["value"] if v["value"] is not None else "(none)", v["partners"]]
                + [v["tiers"][t["id"] or "none"] or "" for t in tiers] for v in breakdown["values"]]
        out.write(md_table(headers, rows, set(range(1, len(headers)))))
    if data["invalid_records"]:
        out.write("\n## Invalid records\n\n")
        for item in data["invalid_records"]:
            out.write(f"- {md_code(item['partner_id'] or '?')}: {md_text(item['message'])}\n")


def write_html(report: ProgramReport, out: IO[str]) -> None:
    s = _sections(report)
    data, tiers = s["data"], s["tiers"]
    keys = [t["id"] for t in tiers]
    colours = _tier_colours(keys)
    parts = [f"<h1>Program report: {esc(data['policy']['title'])}</h1>"]
    parts += [f'<p class="meta">{line}</p>'
              for line in _header_lines(data, lambda v: f"<code>{esc(v)}</code>", esc)]
    parts.append("<h2>Partners per tier</h2>")
    parts.append(svg_bars([(t["name"], [t["partners"]]) for t in tiers], ["partners"], [PALETTE[0]],
                          title="Partners per tier"))
    parts.append(html_table(["rank", "tier", "partners", "share"], s["tier_rows"], {2, 3}))
    if "transitions" in data:
        parts.append("<h2>Since the last review</h2>")
        parts.append(html_table(["transition", "partners"], _transition_rows(report, data), {1}))
    if "exceptions" in data:
        parts.append(html_table(["exception applied", "partners"], [[k, v] for k, v in data["exceptions"].items()],
                                {1}))
    for name in report.sums:
        label = _sum_label(report, name)
        parts.append(f"<h2>{esc(label)} per tier</h2>")
        parts.append(svg_bars([(t["name"], [t["sums"][name]["total"] or 0]) for t in tiers], [name], [PALETTE[2]],
                              title=f"Total {label} per tier"))
        parts.append(html_table(SUM_HEADERS, _sum_rows(data, name, None), {1, 2, 3, 4, 5}))
    parts.append("<h2>Near misses and partners at risk</h2>")
    parts.append(f"<p>{esc(_near_text(data))}</p>")
    parts.append(svg_bars([(r[0], [r[1]]) for r in s["near_rows"]], ["near misses"], [PALETTE[2]],
                          title="Near misses per tier (partners close to reaching it)"))
    parts.append(html_table(NEAR_HEADERS, s["near_rows"], {1, 2, 3}))
    for breakdown in data["breakdowns"]:
        parts.append(f"<h2>Partners by {esc(breakdown['fact'])}</h2>")
        if breakdown["multi_valued"]:
            parts.append(f"<p>{esc(breakdown['description'])} A partner with several values counts once under "
                         "each.</p>")
        bars = [(v["value"] if v["value"] is not None else "(none)", [v["tiers"][k or "none"] for k in keys])
                for v in breakdown["values"]]
        parts.append(svg_bars(bars, [t["name"] for t in tiers], colours,
                              title=f"Partners per {breakdown['fact']}, by tier"))
        headers = [breakdown["fact"], "partners"] + [t["name"] for t in tiers]
        table_rows = [[label, sum(values)] + [v or "" for v in values] for label, values in bars]
        parts.append(html_table(headers, table_rows, set(range(1, len(headers)))))
    if data["invalid_records"]:
        parts.append("<h2>Invalid records</h2>")
        parts.append(html_table(["partner", "problem"], [[i["partner_id"] or "?", i["message"]]
                                                         for i in data["invalid_records"]]))
    parts.append(f'<p class="meta">evaluator {esc(__version__)}</p>')
    out.write(html_page(f"Program report: {data['policy']['title']}", "\n".join(parts)))


def _transition_rows(report: ProgramReport, data: dict[str, Any]) -> list[list[Any]]:
    """One row per transition (TRANSITIONS' words), then the partners in grace by the tier they keep."""
    rows: list[list[Any]] = [[TRANSITION_WORDS[move], count] for move, count in data["transitions"].items()]
    rows += [[f"in grace, keeping {report.tier_name(tier)}", count] for tier, count in data["in_grace"].items()]
    return rows


TRANSITION_WORDS = {"new": "new (no previous decision)", "up": "up", "down": "down",
                    "kept_in_grace": "kept in grace", "unchanged": "unchanged"}


def write_json(report: ProgramReport, out: IO[str]) -> None:
    out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


WRITERS: dict[str, Callable[[ProgramReport, IO[str]], None]] = {
    "markdown": write_markdown,
    "html": write_html,
    "json": write_json,
}
