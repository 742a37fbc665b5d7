"""The program report's renderings: Markdown, one self-contained HTML page, JSON.

Markdown and HTML render the same blocks (sections.py): every value from the policy (title, tier
names, descriptions) and from partner records (ids, names, region values, messages) is escaped
for its medium through render/ (Markdown: render.markdown, with ids in code spans they cannot
leave; HTML and SVG: render.html.esc). JSON holds the exact values.
"""
from __future__ import annotations

import json
from typing import IO, Any, Callable

from ...render.html import esc, html_page
from ...render.markdown import md_code, md_table, md_text
from ...render.text import text_bar
from ...version import __version__
from .blocks import Block, Chart, Code, Heading, Inline, Items, Para, Table, pieces
from .model import ProgramReport
from .sections import report_blocks
from .snapshots import ReportSet

Report = ProgramReport | ReportSet


def _as_set(report: Report) -> ReportSet:
    return report if isinstance(report, ReportSet) else ReportSet([report])


def _blocks(report: Report) -> tuple[str, list[Block]]:
    reports = _as_set(report)
    return report_blocks(reports.to_dict(), reports.latest.policy, reports.latest.sums)


# --- Markdown ------------------------------------------------------------------------------------

def _md_inline(value: Inline, *, in_table: bool = False) -> str:
    return "".join(md_code(p.text, in_table=in_table) if isinstance(p, Code) else md_text(p) for p in pieces(value))


def _md_cell(value: Any) -> str:
    if isinstance(value, (list, Code)):
        return _md_inline(value, in_table=True)
    return md_text("" if value is None else value)


def _md_block(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + md_text(block.text) + "\n"
    if isinstance(block, Para):
        return _md_inline(block.pieces) + "\n"
    if isinstance(block, Items):
        return "".join(f"- {_md_inline(item)}\n" for item in block.items)
    if isinstance(block, Table):
        rows = [[_md_cell(c) for c in row] for row in block.rows]
        foot = [[f"**{_md_cell(c)}**" if c not in ("", None) else "" for c in row] for row in block.foot]
        headers = list(block.headers)
        if block.bars is not None:
            col = block.bars
            largest = max([row[col] for row in block.rows if isinstance(row[col], (int, float))] + [0])
            headers.append("")
            rows = [r + [text_bar(row[col], largest)] for r, row in zip(rows, block.rows)]
            foot = [r + [""] for r in foot]
        return md_table(headers, rows + foot, block.right, raw=set(range(len(headers))))
    return ""  # a chart: HTML only


def write_markdown(report: Report, out: IO[str]) -> None:
    title, blocks = _blocks(report)
    parts = [f"# {md_text(title)}\n"]
    parts += [_md_block(b) for b in blocks if not isinstance(b, Chart)]
    parts.append(f"_evaluator {md_text(__version__)}_\n")
    out.write("\n".join(parts))


# --- HTML ----------------------------------------------------------------------------------------

def _html_inline(value: Inline) -> str:
    return "".join(f"<code>{esc(p.text)}</code>" if isinstance(p, Code) else esc(p) for p in pieces(value))


def _html_cell(value: Any) -> str:
    return _html_inline(value) if isinstance(value, (list, Code)) else esc("" if value is None else value)


def _html_table(block: Table) -> str:
    def cls(i: int) -> str:
        return ' class="n"' if i in block.right else ""

    def row(cells: list[Any], tag: str = "td") -> str:
        return "<tr>" + "".join(f"<{tag}{cls(i)}>{_html_cell(c)}</{tag}>" for i, c in enumerate(cells)) + "</tr>"
    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(block.headers))
    body = "".join(row(r) for r in block.rows)
    foot = f'<tfoot class="totals">{"".join(row(r) for r in block.foot)}</tfoot>' if block.foot else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        return ("<p class=\"meta\">" if block.meta else "<p>") + _html_inline(block.pieces) + "</p>"
    if isinstance(block, Items):
        return "<ul>" + "".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    return block.svg


def write_html(report: Report, out: IO[str]) -> None:
    title, blocks = _blocks(report)
    parts = [f"<h1>{esc(title)}</h1>"] + [_html_block(b) for b in blocks]
    parts.append(f'<p class="meta">evaluator {esc(__version__)}</p>')
    out.write(html_page(title, "\n".join(parts)))


def write_json(report: Report, out: IO[str]) -> None:
    out.write(json.dumps(_as_set(report).to_dict(), indent=2, ensure_ascii=False) + "\n")


WRITERS: dict[str, Callable[[Any, IO[str]], None]] = {
    "markdown": write_markdown,
    "html": write_html,
    "json": write_json,
}
