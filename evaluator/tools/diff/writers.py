"""The diff's renderings: a table for a terminal, Markdown, one HTML page, CSV and JSON.

Every value from a policy or a partner record is escaped for its medium by render: shown
harmlessly on a terminal (render.text), escaped in Markdown (render.markdown) and HTML
(render.html), neutralised in CSV cells (render.cells; `raw` keeps them as they are).
"""
from __future__ import annotations

import json
from typing import IO, Any, Callable

from ...version import __version__
from ...model.policy import Policy
from ...render.cells import SafeDictWriter
from ...render.html import esc, html_page, html_table
from ...render.markdown import md_code, md_table, md_text
from ...render.svg import PALETTE, svg_bars
from ...render.text import NO_TIER, source_text, text_bar, visible
from .model import DIRECTIONS, DOWN, LATERAL, UNCHANGED, UP, Diff, tier_key, tier_summary
from .paywriters import CSV_COLUMNS as PAYOUT_COLUMNS, HEADERS as PAYOUT_HEADERS, RIGHT as PAYOUT_RIGHT
from .paywriters import csv_cells, headline, payout_data, rows as payout_rows
from .words import benefit_text, cause_text, tier_name


def _title(diff: Diff) -> str:
    return f"Impact of {diff.old.id} {diff.old.version} -> {diff.new.id} {diff.new.version}"


def _summary(totals: dict[str, int]) -> str:
    text = (f"{totals['records']} records: {totals['up']} up, {totals['down']} down, {totals['lateral']} lateral, "
            f"{totals['unchanged']} unchanged")
    return text + f", {totals['invalid']} invalid under either policy"


def _matrix_rows(diff: Diff) -> tuple[list[str], list[list[Any]]]:
    columns = diff.columns()
    headers = ["old \\ new"] + [NO_TIER if b is None else b.name for b in columns] + ["total"]
    rows = []
    for a in diff.rows():
        counts = [diff.matrix.get((tier_key(a), tier_key(b)), 0) for b in columns]
        rows.append([NO_TIER if a is None else a.name] + [c or "" for c in counts] + [sum(counts)])
    totals = [sum(diff.matrix.get((tier_key(a), tier_key(b)), 0) for a in diff.rows()) for b in columns]
    rows.append(["total"] + totals + [sum(totals)])
    return headers, rows


def _invalid_text(item: dict[str, Any]) -> str:
    parts = [f"{which}: {message}" for which, message in item["errors"].items() if message]
    for which, tier in item["tiers"].items():
        if item["errors"][which] is None:
            parts.append(f"{which}: {tier_name(tier)}")
    return "; ".join(parts)


def _ref_name(policy: Policy, tier_id: str | None) -> str:
    return NO_TIER if tier_id is None else policy.tier(tier_id).name


BENEFIT_HEADERS = ["old tier", "new tier", "partners", "changes"]
INVALID_HEADERS = ["partner", "where", "invalid under", "details"]


def _benefit_rows(diff: Diff, changes: list[dict[str, Any]]) -> list[list[Any]]:
    """The benefit changes per transition, as text cells (each writer escapes them)."""
    return [[_ref_name(diff.old, c["from"]), _ref_name(diff.new, c["to"]), c["partners"],
             "; ".join(benefit_text(x) for x in c["changes"])] for c in changes]


def _invalid_rows(diff: Diff) -> list[list[Any]]:
    return [[i["partner_id"] or "?", source_text(i["source"]), i["under"], _invalid_text(i)] for i in diff.invalid]


def _text_table(out: IO[str], headers: list[str], rows: list[list[Any]], left: int = 1) -> None:
    """Columns padded to their widths: the first `left` to the left, the others (numbers) to the right."""
    cells = [[visible(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        out.write("  ".join(c.ljust(w) if i < left else c.rjust(w)
                            for i, (c, w) in enumerate(zip(row, widths))).rstrip() + "\n")


def write_table(diff: Diff, out: IO[str]) -> None:
    """Plain text for a terminal: every value from the data shown harmlessly (render.text)."""
    totals = diff.totals()
    paid = payout_data(diff)
    out.write(f"{visible(_title(diff))} on {visible(diff.input_name or '-')}\n{diff.basis_text().capitalize()}.\n"
              f"{_summary(totals)}\n" + "".join(f"{visible(line)}\n" for line in headline(paid))
              + "\nTransitions (rows: old tier, columns: new tier)\n")
    headers, rows = _matrix_rows(diff)
    _text_table(out, headers, rows)
    if "payouts" in paid:
        out.write("\nPayouts a year per transition (paid, annualised)\n")
        body, foot = payout_rows(paid, diff.old, diff.new)
        _text_table(out, PAYOUT_HEADERS, body + foot, left=3)
    if diff.moved:
        out.write(f"\nMoved partners ({len(diff.moved)})\n")
        for move in diff.moved:
            out.write(f"{visible(move['partner_id'] or '?')}  {visible(tier_name(move['from']))} -> "
                      f"{visible(tier_name(move['to']))}  {move['direction']}\n")
            for cause in move["causes"]:
                out.write(f"    {visible(cause_text(cause))}\n")
            for change in move["benefits"]:
                out.write(f"    benefit {visible(benefit_text(change))}\n")
    else:
        out.write("\nNo partner moves.\n")
    unchanged_benefits = [b for b in diff.benefit_transitions() if b["from"] == b["to"]]
    for item in unchanged_benefits:
        name = tier_name(tier_summary(diff.old.tier(item["from"]))) if item["from"] else NO_TIER
        out.write(f"\nBenefits change for the {item['partners']} partner(s) staying {visible(name)}:\n")
        for change in item["changes"]:
            out.write(f"    {visible(benefit_text(change))}\n")
    if diff.invalid:
        out.write(f"\nInvalid records ({len(diff.invalid)})\n")
        for item in diff.invalid:
            out.write(f"{visible(item['partner_id'] or '?')}  {source_text(item['source'])}  invalid under "
                      f"{item['under']}: {visible(_invalid_text(item))}\n")


def _policy_line(diff: Diff) -> str:
    """Which policies are compared, in Markdown: ids in code spans, versions and titles escaped."""
    def side(policy: Policy) -> str:
        return f"{md_code(policy.id)} {md_text(policy.version)} ({md_text(policy.title)})"
    return (f"Old: {side(diff.old)}; new: {side(diff.new)}; input {md_code(diff.input_name or '-')}. "
            f"{md_text(diff.basis_text().capitalize())}.")


def write_markdown(diff: Diff, out: IO[str]) -> None:
    totals = diff.totals()
    out.write(f"# {md_text(_title(diff))}\n\n")
    out.write(_policy_line(diff) + "\n\n")
    out.write(f"**{md_text(_summary(totals))}.**\n\n")
    paid = payout_data(diff)
    if "payouts" in paid:
        out.write(" ".join(md_text(line) for line in headline(paid)) + "\n\n")
    largest = max(totals[d] for d in DIRECTIONS)
    out.write(md_table(["", "partners", ""], [[d, totals[d], text_bar(totals[d], largest)] for d in DIRECTIONS]
                       + [["invalid", totals["invalid"], ""]], {1}))
    out.write("\n## Transitions\n\nRows: tier under the old policy; columns: tier under the new policy.\n\n")
    headers, rows = _matrix_rows(diff)
    out.write(md_table(headers, rows, set(range(1, len(headers)))))
    if "payouts" in paid:
        body, foot = payout_rows(paid, diff.old, diff.new)
        out.write("\n## Payouts\n\nWhat each transition's partners are paid a year under each policy (paid payouts, "
                  "annualised), and the change; partners whose payout is unknown under either policy are counted "
                  "apart.\n\n")
        cells = [[md_text(c) for c in row] for row in body] + [[f"**{md_text(c)}**" if c != "" else "" for c in row]
                                                               for row in foot]
        out.write(md_table(PAYOUT_HEADERS, cells, PAYOUT_RIGHT, raw=set(range(len(PAYOUT_HEADERS)))))
    out.write("\n## Moved partners\n\n")
    if diff.moved:
        out.write("Why: the criteria of the old and new tiers, and of the tiers passed on the way, whose result "
                  "differs between the policies. Benefit changes follow, per transition.\n\n")
        out.write(md_table(["partner", "old tier", "new tier", "direction", "why"],
                           [[m["partner_id"] or "?", tier_name(m["from"]), tier_name(m["to"]), m["direction"],
                             "<br>".join(md_text(cause_text(c)) for c in m["causes"]) or "(tier order)"]
                            for m in diff.moved], raw={4}))
    else:
        out.write("No partner moves.\n")
    changes = diff.benefit_transitions()
    if changes:
        out.write("\n## Benefit changes\n\n")
        out.write(md_table(BENEFIT_HEADERS, _benefit_rows(diff, changes), {2}))
    out.write("\n## Invalid records\n\n")
    if diff.invalid:
        out.write(md_table(INVALID_HEADERS, _invalid_rows(diff)))
    else:
        out.write("None: every record is valid under both policies.\n")


_DIRECTION_COLOURS = {UP: "#009E73", DOWN: "#D55E00", LATERAL: "#56B4E9", UNCHANGED: "#9E9E9E"}


def _heat_table(diff: Diff) -> str:
    """The transition matrix, each cell coloured by the direction of its move."""
    headers, rows = _matrix_rows(diff)
    largest = max(diff.matrix.values(), default=1)
    cells = ["<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>"]
    for a, row in zip([*diff.rows(), "total"], rows):
        cells.append(f"<tr><th>{esc(row[0])}</th>")
        for b, value in zip([*diff.columns(), "total"], row[1:]):
            style = ""
            if a != "total" and b != "total" and value:
                way = diff.direction_at((tier_key(a), tier_key(b)))  # type: ignore[arg-type]
                alpha = 0.25 + 0.75 * value / largest
                style = (f' style="background:{_DIRECTION_COLOURS[way]}{int(alpha * 255):02x}"'
                         f' title="{esc(way)}: {value}"')
            cells.append(f'<td class="n"{style}>{esc(value)}</td>')
        cells.append("</tr>")
    cells.append("</tbody></table>")
    return "".join(cells)


def write_html(diff: Diff, out: IO[str]) -> None:
    """One self-contained page: totals as a bar chart, the matrix as a heat table coloured by direction."""
    totals = diff.totals()
    parts = [f"<h1>{esc(_title(diff))}</h1>",
             f'<p class="meta">Old: <code>{esc(diff.old.id)}</code> {esc(diff.old.version)} ({esc(diff.old.title)}); '
             f'new: <code>{esc(diff.new.id)}</code> {esc(diff.new.version)} ({esc(diff.new.title)}); input '
             f'<code>{esc(diff.input_name or "-")}</code>. {esc(diff.basis_text().capitalize())}.</p>',
             f"<p><strong>{esc(_summary(totals))}.</strong></p>",
             svg_bars([(d, [totals[d]]) for d in DIRECTIONS] + [("invalid", [totals["invalid"]])], ["partners"],
                      [PALETTE[0]], title="Partners by direction of move",
                      row_colours=[_DIRECTION_COLOURS[d] for d in DIRECTIONS] + ["#000000"]),
             "<h2>Transitions</h2><p>Rows: tier under the old policy; columns: tier under the new policy. "
             "Cell colour: green up, orange down, blue lateral, grey unchanged; darker is more partners.</p>",
             _heat_table(diff)]
    paid = payout_data(diff)
    if "payouts" in paid:
        per_transition, totals_rows = payout_rows(paid, diff.old, diff.new)
        parts += ["<h2>Payouts</h2>", "".join(f"<p>{esc(line)}</p>" for line in headline(paid)),
                  html_table(PAYOUT_HEADERS, per_transition + totals_rows, PAYOUT_RIGHT)]
    parts.append(f"<h2>Moved partners ({len(diff.moved)})</h2>")
    if diff.moved:
        body = ["<table><thead><tr><th>partner</th><th>old tier</th><th>new tier</th><th>direction</th>"
                "<th>why</th></tr></thead><tbody>"]
        for m in diff.moved:
            why = "".join(f"<li>{esc(cause_text(c))}</li>" for c in m["causes"]) or "<li>(tier order)</li>"
            body.append(f"<tr><td>{esc(m['partner_id'] or '?')}</td><td>{esc(tier_name(m['from']))}</td>"
                        f"<td>{esc(tier_name(m['to']))}</td><td class=\"{esc(m['direction'])}\">"
                        f"{esc(m['direction'])}</td><td><ul class=\"causes\">{why}</ul></td></tr>")
        body.append("</tbody></table>")
        parts.append("".join(body))
    else:
        parts.append("<p>No partner moves.</p>")
    changes = diff.benefit_transitions()
    if changes:
        parts.append("<h2>Benefit changes</h2>")
        parts.append(html_table(BENEFIT_HEADERS, _benefit_rows(diff, changes), {2}))
    parts.append(f"<h2>Invalid records ({len(diff.invalid)})</h2>")
    if diff.invalid:
        parts.append(html_table(INVALID_HEADERS, _invalid_rows(diff)))
    else:
        parts.append("<p>None: every record is valid under both policies.</p>")
    parts.append(f'<p class="meta">evaluator {esc(__version__)}; old sha256 {esc(diff.old.sha256)}, '
                 f'new sha256 {esc(diff.new.sha256)}</p>')
    out.write(html_page(_title(diff), "\n".join(parts)))


CSV_COLUMNS = ["partner_id", "file", "line", "status", "direction", "old_tier", "new_tier", "causes", "benefits",
               "old_error", "new_error"]


def _id_of(ref: dict[str, Any] | None) -> str:
    return "" if ref is None else ref["id"]


def write_csv(diff: Diff, out: IO[str], raw: bool = False) -> None:
    """One row per moved partner, then one per invalid record (the matrix is in the other formats).
    Cells are neutralised for spreadsheets (render.cells) unless `raw`."""
    columns = CSV_COLUMNS + (PAYOUT_COLUMNS if diff.payouts is not None else [])
    writer = SafeDictWriter(out, columns, raw=raw)
    writer.writeheader()
    for m in diff.moved:
        source = m["source"] or {}
        writer.writerow({**csv_cells(m, diff.new.currency), "partner_id": m["partner_id"] or "", "file": source.get("file", ""),
                         "line": source.get("line", source.get("index", "")), "status": "moved",
                         "direction": m["direction"], "old_tier": _id_of(m["from"]), "new_tier": _id_of(m["to"]),
                         "causes": " | ".join(cause_text(c) for c in m["causes"]),
                         "benefits": " | ".join(benefit_text(b) for b in m["benefits"])})
    for item in diff.invalid:
        source = item["source"] or {}
        writer.writerow({"partner_id": item["partner_id"] or "", "file": source.get("file", ""),
                         "line": source.get("line", source.get("index", "")), "status": f"invalid_{item['under']}",
                         "old_tier": _id_of(item["tiers"]["old"]), "new_tier": _id_of(item["tiers"]["new"]),
                         "old_error": item["errors"]["old"] or "", "new_error": item["errors"]["new"] or ""})


def write_json(diff: Diff, out: IO[str]) -> None:
    out.write(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n")


WRITERS: dict[str, Callable[[Diff, IO[str]], None]] = {
    "table": write_table,
    "json": write_json,
    "csv": write_csv,
    "markdown": write_markdown,
    "html": write_html,
}
