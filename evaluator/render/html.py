"""HTML from data: escaped text, tables and one self-contained page (inline style, no scripts).

`esc` escapes `&`, `<`, `>` and both quotes (safe in text and in quoted attribute values), and
shows control characters other than tab and line ends as visible escapes (they are not HTML
text, and a NUL or ESC copied from the page would reach a terminal).
"""
from __future__ import annotations

import html
from typing import Any

from .text import visible_lines


def esc(value: Any) -> str:
    """`value` as HTML text or a quoted attribute value."""
    return html.escape(visible_lines(value), quote=True)


PAGE_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.25rem .55rem;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4}.meta{color:#555;font-size:.9rem}.chart text{font-size:12px;fill:#222}
.up{color:#00734d}.down{color:#b3261e}.lateral{color:#555}code{font-size:.9em}
ul.causes{margin:0;padding-left:1.1rem}small{color:#666}
tfoot td{font-weight:600;background:#fafafa;border-top:2px solid #bbb}h3{font-size:1.05rem;margin-top:1.4rem}
"""


def html_page(title: str, body: str) -> str:
    """One self-contained HTML document: inline style, inline SVG, no scripts, no fetches.
    `title` is data (escaped here); `body` is HTML already."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{esc(title)}</title>\n"
            f"<style>{PAGE_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def html_table(headers: list[Any], rows: list[list[Any]], right: set[int] | None = None) -> str:
    """A table of escaped cells; columns in `right` are right-aligned numbers."""
    right = right or set()

    def cls(i: int) -> str:
        return ' class="n"' if i in right else ""
    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
