"""The program report (`evaluator report`): where a program's partners stand, for the people who run it.

One pass over the partner records under one policy, holding only counters (the report's size
depends on the policy and the number of distinct region/country values, never on the number of
partners, except for the invalid records, which are listed). It gives:

- partners per tier (and "no tier"), with their share;
- sums per tier of money facts (default: number facts whose unit is the policy's currency, the
  sales), with count, total, mean, min and max;
- breakdowns by categorical facts (default: every string_list fact and every string fact with an
  `enum`: regions and countries in the shipped program), per tier; a partner in three regions
  counts once in each;
- near misses and partners at risk, as `evaluator evaluate --near` defines them (near.py): near
  the next tier when every criterion it still needs is a numeric change within PERCENT (default
  10) of its threshold, counted under that tier; at risk when a required criterion of their own
  tier passes a numeric threshold by less than PERCENT, counted under their tier. Also counted:
  partners whose result a missing fact leaves open (a higher tier is undecided), under the
  highest such tier.

Rendered as Markdown, JSON, or one self-contained HTML file whose bar charts are inline SVG drawn
here. Why not a chart library: the charts are horizontal bars, a few dozen lines of SVG; the
candidates are far heavier than the need (matplotlib pulls numpy and takes ~0.5 s to import, and
its SVG carries generated ids and metadata that make the file differ run to run), or emit a
JavaScript bundle that a self-contained, reproducible file should not embed. The helpers for
tables, bars and the HTML page are shared with the diff report (diff.py).
"""
from __future__ import annotations

import datetime as _dt
import html
import itertools
import math
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, Sequence

from ..version import __version__
from ..model.decision import MISSING, Decision, InvalidRecord
from ..errors import EvaluatorError
from ..evaluate.evaluator import Evaluator, InputRecord
from ..language.facts import coerce_record
from ..language.facttypes import FACT_TYPES
from ..explain.near import at_risk, near_gaps
from ..model.policy import Policy, Tier

NO_TIER = "(no tier)"
DEFAULT_NEAR_PERCENT = 10.0


class ReportOptionError(EvaluatorError):
    """A report option names a fact the policy does not have, or one of the wrong type."""


# --- near misses and missing data ------------------------------------------------------------
# Near misses and partners at risk are the ones `evaluator evaluate --near` lists (near.py), so
# the report's counts and that list always agree.

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def undecided_tier(decision: Decision) -> Tier | None:
    """The highest tier above the partner's whose result is `missing`: a missing fact could lift it."""
    own_rank = decision.tier.rank if decision.tier is not None else len(decision.tiers) + 1
    for tier_result in decision.tiers:
        if tier_result.tier.rank < own_rank and tier_result.status == MISSING:
            return tier_result.tier
    return None


# --- accumulation --------------------------------------------------------------------------------

@dataclass
class Stats:
    """Count, total, min and max of a number, kept as values stream past."""

    count: int = 0
    total: float = 0
    min: float | None = None
    max: float | None = None

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.min = value if self.min is None or value < self.min else self.min
        self.max = value if self.max is None or value > self.max else self.max

    def to_dict(self) -> dict[str, Any]:
        mean = self.total / self.count if self.count else None
        return {"count": self.count, "total": _round(self.total), "mean": _round(mean),
                "min": self.min, "max": self.max}


def _round(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def default_dimensions(policy: Policy) -> list[str]:
    """Facts to break partners down by: those a fact type lets group (--by), with few values (an
    enum, or items of a list)."""
    return [name for name, spec in policy.facts.items()
            if name != policy.id_fact and FACT_TYPES[spec.type].report_role == "dimension"
            and (FACT_TYPES[spec.type].value_type == "list" or spec.enum)]


def default_sums(policy: Policy) -> list[str]:
    return [name for name, spec in policy.facts.items()
            if FACT_TYPES[spec.type].report_role == "amount" and spec.unit == policy.currency]


def _check_facts(policy: Policy, names: list[str], role: str, option: str) -> None:
    types = tuple(name for name, kind in FACT_TYPES.items() if kind.report_role == role)
    import difflib
    for name in names:
        spec = policy.facts.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(policy.facts), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ReportOptionError(f"{option} {name}: the policy has no fact '{name}'{hint}")
        if spec.type not in types:
            raise ReportOptionError(f"{option} {name}: '{name}' is a {spec.type} fact; expected a "
                                    + " or ".join(types) + " fact")


@dataclass
class ProgramReport:
    """The program-wide summary of one policy over a stream of partners. Feed it with `add`."""

    policy: Policy
    dimensions: list[str] = field(default_factory=list)
    sums: list[str] = field(default_factory=list)
    near_percent: float = DEFAULT_NEAR_PERCENT
    input_name: str | None = None
    as_of: _dt.date | None = None
    records: int = 0
    tier_counts: dict[str | None, int] = field(default_factory=dict)
    tier_sums: dict[tuple[str | None, str], Stats] = field(default_factory=dict)
    near_miss: dict[str, int] = field(default_factory=dict)
    at_risk: dict[str, int] = field(default_factory=dict)
    undecided: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, int] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, dict[str | None, int]]] = field(default_factory=dict)
    invalid: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_facts(self.policy, self.dimensions, "dimension", "--by")
        _check_facts(self.policy, self.sums, "amount", "--sum")
        if not self.near_percent >= 0 or math.isinf(self.near_percent):
            raise ReportOptionError(f"--near {self.near_percent}: expected a percentage, 0 or more")
        self.breakdowns = {name: {} for name in self.dimensions}

    @property
    def tier_keys(self) -> list[str | None]:
        return [t.id for t in self.policy.tiers] + [None]

    def tier_name(self, key: str | None) -> str:
        return NO_TIER if key is None else self.policy.tier(key).name

    @property
    def partners(self) -> int:
        return sum(self.tier_counts.values())

    def add(self, result: Decision | InvalidRecord, facts: dict[str, Any] | None) -> None:
        """Count one result; `facts` are the partner's coerced facts (None for an invalid record)."""
        self.records += 1
        if isinstance(result, InvalidRecord):
            self.invalid.append({"partner_id": result.partner_id, "source": result.source,
                                 "message": result.message})
            return
        key = result.tier.id if result.tier is not None else None
        self.tier_counts[key] = self.tier_counts.get(key, 0) + 1
        if result.override is not None:
            self.overrides[result.override.id] = self.overrides.get(result.override.id, 0) + 1
        facts = facts or {}
        for name in self.sums:
            value = facts.get(name)
            if _is_number(value):
                self.tier_sums.setdefault((key, name), Stats()).add(value)  # type: ignore[arg-type]
        for name in self.dimensions:
            value = facts.get(name)
            values = sorted(set(value)) if isinstance(value, list) else [value] if isinstance(value, str) else []
            counts = self.breakdowns[name]
            for item in values or [None]:
                row = counts.setdefault(item, {})
                row[key] = row.get(key, 0) + 1
        near, _ = near_gaps(result, self.near_percent)
        if near is not None:
            self.near_miss[near.tier.id] = self.near_miss.get(near.tier.id, 0) + 1
        if key is not None and at_risk(result, self.policy, self.near_percent):
            self.at_risk[key] = self.at_risk.get(key, 0) + 1
        missing = undecided_tier(result)
        if missing is not None:
            self.undecided[missing.id] = self.undecided.get(missing.id, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        partners = self.partners
        tiers = []
        for key in self.tier_keys:
            count = self.tier_counts.get(key, 0)
            row: dict[str, Any] = {"id": key, "name": self.tier_name(key),
                                   "rank": None if key is None else self.policy.tier(key).rank,
                                   "partners": count, "share": round(count / partners, 4) if partners else 0.0,
                                   "sums": {n: self.tier_sums.get((key, n), Stats()).to_dict() for n in self.sums}}
            if key is not None:
                row["near_miss"] = self.near_miss.get(key, 0)
                row["at_risk"] = self.at_risk.get(key, 0)
                row["undecided"] = self.undecided.get(key, 0)
            tiers.append(row)
        totals = {}
        for name in self.sums:
            total = Stats()
            for key in self.tier_keys:
                part = self.tier_sums.get((key, name))
                if part is not None and part.count:
                    total.count += part.count
                    total.total += part.total
                    total.min = part.min if total.min is None else min(total.min, part.min)  # type: ignore[type-var]
                    total.max = part.max if total.max is None else max(total.max, part.max)  # type: ignore[type-var]
            totals[name] = total.to_dict()
        breakdowns = []
        for name in self.dimensions:
            values = []
            for value, row in sorted(self.breakdowns[name].items(),  # type: ignore[assignment]
                                     key=lambda kv: (kv[0] is None, -sum(kv[1].values()), kv[0] or "")):
                values.append({"value": value, "partners": sum(row.values()),
                               "tiers": {("none" if k is None else k): row.get(k, 0)  # type: ignore[arg-type]
                                         for k in self.tier_keys}})
            breakdowns.append({"fact": name, "description": self.policy.facts[name].description,
                               "multi_valued": FACT_TYPES[self.policy.facts[name].type].value_type == "list", "values": values})
        out: dict[str, Any] = {
            "policy": dict(self.policy.ref, title=self.policy.title),
            "input": self.input_name,
            "records": self.records,
            "partners": partners,
            "invalid": len(self.invalid),
            "near_percent": self.near_percent,
            "tiers": tiers,
            "sums": totals,
            "overrides": dict(sorted(self.overrides.items())),
            "breakdowns": breakdowns,
            "invalid_records": self.invalid,
            "evaluator": {"version": __version__},
        }
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out


def build_report(evaluator: Evaluator, records: Iterable[Any], *, dimensions: list[str] | None = None,
                 sums: list[str] | None = None, near_percent: float = DEFAULT_NEAR_PERCENT,
                 input_name: str | None = None) -> ProgramReport:
    """Evaluate every record once and summarise. Records may be dicts or InputRecords."""
    policy = evaluator.policy
    report = ProgramReport(policy, default_dimensions(policy) if dimensions is None else list(dimensions),
                           default_sums(policy) if sums is None else list(sums), near_percent, input_name,
                           evaluator.as_of if evaluator.reads_as_of else None)
    # The input is read once: the evaluator and the fact reader advance in lockstep, so the
    # tee never holds more than one record.
    for_facts, for_engine = itertools.tee(records)
    for item, result in zip(for_facts, evaluator.evaluate_many(for_engine)):
        facts = None
        if result.ok:
            data, from_text = (item.data, item.from_text) if isinstance(item, InputRecord) else (item, False)
            facts, _ = coerce_record(policy, data, from_text=from_text)
        report.add(result, facts)
    return report


# --- shared rendering helpers (also used by diff.py) -----------------------------------------------

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288",
           "#117733", "#882255"]
NO_TIER_COLOUR = "#9E9E9E"


def fmt_number(value: Any) -> str:
    """Thousands separators; cents only when there are any."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def md_escape(text: Any) -> str:
    """Text safe in a Markdown table cell: pipes and backslashes escaped, `<` as an entity so a
    value can never open an HTML tag (`>=` stays readable)."""
    text = str(text).replace("<", "&lt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None,
             raw: set[int] | None = None) -> str:
    """A GitHub-flavoured Markdown table; columns in `right` are right-aligned; cells of columns
    in `raw` are already escaped (they may hold `<br>`)."""
    right, raw = right or set(), raw or set()
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
             "| " + " | ".join("---:" if i in right else "---" for i in range(len(headers))) + " |"]
    lines += ["| " + " | ".join(str(c) if i in raw else md_escape(c) for i, c in enumerate(row)) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def text_bar(value: float, largest: float, width: int = 20) -> str:
    """A bar of block characters for Markdown and terminals."""
    if largest <= 0 or value <= 0:
        return ""
    cells = value / largest * width
    return "\u2588" * max(1, round(cells))


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


CHAR_W = 8.2  # a generous average width of a 12px sans-serif character, so labels are never cut


def svg_bars(rows: Sequence[tuple[Any, Sequence[float]]], series: list[str], colours: list[str], *, title: str,
             value_format: Callable[[float], str] = fmt_number, width: int = 720,
             row_colours: list[str] | None = None) -> str:
    """A horizontal (stacked, when there are several series) bar chart as inline SVG. Each segment
    has a tooltip; the row's total is written at the end of its bar; the legend wraps. With one
    series, `row_colours` may colour each row."""
    row_h, gap, top = 22, 6, 8
    labels = [label if len(label) <= 32 else label[:31] + "\u2026" for label, _ in rows]
    label_w = int(min(32 * CHAR_W, 12 + CHAR_W * max([len(label) for label in labels] + [4])))
    bar_w = max(120, width - label_w - 90)
    legend: list[tuple[float, int, str, str]] = []  # (x, line, name, colour)
    if len(series) > 1:
        x, line = float(label_w), 0
        for name, colour in zip(series, colours):
            item_w = 24 + CHAR_W * len(name)
            if x + item_w > width and x > label_w:
                x, line = float(label_w), line + 1
            legend.append((x, line, name, colour))
            x += item_w
    legend_h = (legend[-1][1] + 1) * 20 + 4 if legend else 0
    height = top + len(rows) * (row_h + gap) + legend_h + 4
    largest = max([sum(values) for _, values in rows] + [0]) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" font-family="system-ui, Arial, sans-serif" '
           f'font-size="12"><title>{esc(title)}</title>']
    for i, ((label, values), shown) in enumerate(zip(rows, labels)):
        y = top + i * (row_h + gap)
        out.append(f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end">{esc(shown)}</text>')
        x = float(label_w)
        row = [row_colours[i]] if row_colours and len(series) == 1 else colours
        for name, colour, value in zip(series, row, values):
            if value <= 0:
                continue
            w = value / largest * bar_w
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{row_h}" fill="{colour}">'
                       f'<title>{esc(label)}: {esc(name + ": " if len(series) > 1 else "")}'
                       f'{esc(value_format(value))}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + row_h / 2 + 4}">{esc(value_format(sum(values)))}</text>')
    base = top + len(rows) * (row_h + gap) + 4
    for x, line, name, colour in legend:
        y = base + line * 20
        out.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16:.1f}" y="{y + 10}">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)


PAGE_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.25rem .55rem;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.meta{color:#555;font-size:.9rem}.chart text{font-size:12px;fill:#222}
.up{color:#00734d}.down{color:#b3261e}.lateral{color:#555}code{font-size:.9em}
ul.causes{margin:0;padding-left:1.1rem}small{color:#666}
"""


def html_page(title: str, body: str) -> str:
    """One self-contained HTML document: inline style, inline SVG, no scripts, no fetches."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{esc(title)}</title>\n"
            f"<style>{PAGE_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def html_table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    right = right or set()
    cls = lambda i: ' class="n"' if i in right else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def source_text(source: dict[str, Any] | None) -> str:
    """`file:line` (or row / index) of a record."""
    if not source:
        return ""
    where = source.get("line", source.get("index", ""))
    return f"{source.get('file', '<input>')}:{where}" if where != "" else str(source.get("file", ""))


# --- the report's renderings ------------------------------------------------------------------------

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


def _header_lines(data: dict[str, Any]) -> list[str]:
    policy = data["policy"]
    lines = [f"Policy `{policy['id']}` version {policy['version']} (sha256 {policy['sha256'][:12]}), "
             f"input `{data['input'] or '-'}`: {data['partners']} partners evaluated"
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


def write_markdown(report: ProgramReport, out: IO[str]) -> None:
    s = _sections(report)
    data, tiers = s["data"], s["tiers"]
    out.write(f"# Program report: {data['policy']['title']}\n\n")
    out.write("\n".join(_header_lines(data)) + "\n\n")
    out.write("## Partners per tier\n\n")
    largest = max([t["partners"] for t in tiers] + [0])
    rows = [r + [text_bar(t["partners"], largest)] for r, t in zip(s["tier_rows"], tiers)]
    out.write(md_table(["rank", "tier", "partners", "share", ""], rows, {2, 3}))
    if data["overrides"]:
        out.write("\nOverrides applied: " + ", ".join(f"`{k}` {v}" for k, v in data["overrides"].items()) + "\n")
    for name in report.sums:
        out.write(f"\n## {_sum_label(report, name)} per tier\n\n")
        rows = [[t["name"], t["sums"][name]["count"], fmt_number(t["sums"][name]["total"]),
                 fmt_number(t["sums"][name]["mean"]), fmt_number(t["sums"][name]["min"]),
                 fmt_number(t["sums"][name]["max"])] for t in tiers]
        total = data["sums"][name]
        rows.append(["**all**", total["count"], fmt_number(total["total"]), fmt_number(total["mean"]),
                     fmt_number(total["min"]), fmt_number(total["max"])])
        out.write(md_table(["tier", "partners with a value", "total", "mean", "min", "max"], rows, {1, 2, 3, 4, 5}))
    out.write(f"\n## Near misses and partners at risk\n\n{_near_text(data)}\n\n")
    out.write(md_table(NEAR_HEADERS, s["near_rows"], {1, 2, 3}))
    for breakdown in data["breakdowns"]:
        out.write(f"\n## Partners by {breakdown['fact']}\n\n")
        if breakdown["multi_valued"]:
            out.write(f"{breakdown['description']} A partner with several values counts once under each.\n\n")
        headers = [breakdown["fact"], "partners"] + [t["name"] for t in tiers]
        rows = [[v["value"] if v["value"] is not None else "(none)", v["partners"]]
                + [v["tiers"][t["id"] or "none"] or "" for t in tiers] for v in breakdown["values"]]
        out.write(md_table(headers, rows, set(range(1, len(headers)))))
    if data["invalid_records"]:
        out.write("\n## Invalid records\n\n")
        for item in data["invalid_records"]:
            out.write(f"- `{item['partner_id'] or '?'}`: {md_escape(item['message'])}\n")


def write_html(report: ProgramReport, out: IO[str]) -> None:
    s = _sections(report)
    data, tiers = s["data"], s["tiers"]
    keys = [t["id"] for t in tiers]
    colours = _tier_colours(keys)
    parts = [f"<h1>Program report: {esc(data['policy']['title'])}</h1>"]
    parts += [f'<p class="meta">{esc(line.replace("`", ""))}</p>' for line in _header_lines(data)]
    parts.append("<h2>Partners per tier</h2>")
    parts.append(svg_bars([(t["name"], [t["partners"]]) for t in tiers], ["partners"], [PALETTE[0]],
                          title="Partners per tier"))
    parts.append(html_table(["rank", "tier", "partners", "share"], s["tier_rows"], {2, 3}))
    for name in report.sums:
        label = _sum_label(report, name)
        parts.append(f"<h2>{esc(label)} per tier</h2>")
        parts.append(svg_bars([(t["name"], [t["sums"][name]["total"] or 0]) for t in tiers], [name], [PALETTE[2]],
                              title=f"Total {label} per tier"))
        rows = [[t["name"], t["sums"][name]["count"], fmt_number(t["sums"][name]["total"]),
                 fmt_number(t["sums"][name]["mean"]), fmt_number(t["sums"][name]["min"]),
                 fmt_number(t["sums"][name]["max"])] for t in tiers]
        parts.append(html_table(["tier", "partners with a value", "total", "mean", "min", "max"], rows,
                                {1, 2, 3, 4, 5}))
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


def write_json(report: ProgramReport, out: IO[str]) -> None:
    import json
    out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


WRITERS: dict[str, Callable[[ProgramReport, IO[str]], None]] = {
    "markdown": write_markdown,
    "html": write_html,
    "json": write_json,
}
