"""Markdown from data: text that renders as the text it is, never as markup.

Escaped from data (partner ids, tier names, policy titles, messages), by `md_text`:
- HTML: `&` and `<` as entities, so a value can open no tag (`<img src=x onerror=...>`) or
  autolink (`<http://...>`);
- Markdown syntax that changes what is shown or fetched: emphasis, code, links and images
  (`[x](javascript:...)`, `![](http://host/pixel)`), tables (`|`), strike-through, and the bare
  links GitHub turns into links (`http://`, `www.`) are backslash-escaped (an e-mail address
  may still be shown as a mailto: link: it runs nothing and fetches nothing);
- line breaks (CR, LF, U+2028/9) become spaces, so a value cannot start a new line (a heading,
  a list, a block quote): a writer never puts data at the start of a line; every other control
  character is shown as a visible escape (render.text.visible).

`md_code` puts a value in a code span that it cannot leave (a fence longer than any run of
backticks in it). `md_table` writes a GitHub-flavoured table of such cells.
"""
from __future__ import annotations

import re
from typing import Any

from .text import visible

_LINE_BREAKS = re.compile("\r\n|[\r\n\u2028\u2029]")
_ENTITIES = {"&": "&amp;", "<": "&lt;"}
# `_` only where it could open or close emphasis (not between two letters or digits: snake_case),
# `~` only where it could (not between spaces: "5 ~ 6"); `>` is inert once `<` is (no tag, no
# autolink) and data never starts a line (no block quote), so `>=` stays readable
_SPECIAL = re.compile(r"[&<\\`*\[\]|!{}]|(?<![^\W_])_|_(?![^\W_])|(?<=\S)~|~(?=\S)")
_BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=\bwww)(\.)")


def _special(match: re.Match[str]) -> str:
    char = match.group()
    return _ENTITIES.get(char) or "\\" + char


def _flat(value: Any) -> str:
    """`value` as one line of visible text: line breaks as spaces, other controls escaped."""
    text = value if type(value) is str else str(value)
    return visible(_LINE_BREAKS.sub(" ", text))


def md_text(value: Any) -> str:
    """`value` as Markdown inline text that renders as itself (see the module docstring)."""
    text = _SPECIAL.sub(_special, _flat(value))
    return _BARE_LINK.sub(lambda m: "\\" + m.group(), text)


# Kept under its old name: a cell of a Markdown table is escaped text.
md_escape = md_text


def md_code(value: Any, *, in_table: bool = False) -> str:
    """`value` in a code span it cannot break out of; in a table cell, `|` is escaped (GitHub
    reads an escaped pipe inside a code span as a pipe)."""
    text = _flat(value)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    if in_table:
        text = text.replace("|", "\\|")
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_table(headers: list[Any], rows: list[list[Any]], right: set[int] | None = None,
             raw: set[int] | None = None) -> str:
    """A GitHub-flavoured Markdown table; columns in `right` are right-aligned; cells of columns
    in `raw` are Markdown already (made with md_text or md_code by the caller, joined with `<br>`)."""
    right, raw = right or set(), raw or set()
    lines = ["| " + " | ".join(md_text(h) for h in headers) + " |",
             "| " + " | ".join("---:" if i in right else "---" for i in range(len(headers))) + " |"]
    lines += ["| " + " | ".join(str(c) if i in raw else md_text(c) for i, c in enumerate(row)) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"
