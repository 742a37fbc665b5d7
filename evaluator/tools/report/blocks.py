"""The report as a document of blocks (headings, paragraphs, tables with totals rows, lists,
charts), built once by sections.py and rendered by markdown.py and html.py: both formats say the
same things in the same order. A piece of inline text is a str (plain text) or a Code (an id, a
path, a command), each escaped for its medium by the renderer through render/."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Code:
    """An id, a file name or a command: a code span in Markdown, <code> in HTML."""

    text: Any


Inline = Union[str, Code, list]  # a list: pieces one after the other


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    pieces: Inline
    meta: bool = False  # provenance (policy, dates, inputs): smaller in HTML


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]     # cells: numbers, text or Inline
    right: set[int] = field(default_factory=set)
    foot: list[list[Any]] = field(default_factory=list)  # totals rows
    bars: int | None = None   # Markdown: a text bar of this column's value at the end of each row


@dataclass
class Items:
    items: list[Inline]


@dataclass
class Chart:
    """An SVG chart (HTML only), every label escaped by render.svg."""

    svg: str


Block = Union[Heading, Para, Table, Items, Chart]


def pieces(value: Inline) -> list[str | Code]:
    """The inline pieces of a value, flattened."""
    if isinstance(value, list):
        return [p for item in value for p in pieces(item)]
    return [value]
