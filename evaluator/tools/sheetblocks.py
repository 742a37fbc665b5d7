"""The program sheet's document model: blocks (headings, paragraphs, tables, lists) of text spans,
which tools/sheet.py fills and renders as Markdown or HTML."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Break:
    """A line break inside a table cell."""


Span = Union[str, Code, Break]
Text = tuple[Span, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: Text


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]
    css: str = ""


@dataclass(frozen=True)
class Items:
    items: tuple[Text, ...]


Block = Union[Heading, Para, Table, Items]
