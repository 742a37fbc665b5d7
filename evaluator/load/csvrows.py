"""CSV rows cut from the text before the csv module reads them: a row is one record, whatever it holds.

Python's csv reader raises an error when a field grows past its limit and then carries on from
the next physical line, so the rest of an over-long quoted field (its own lines, its own commas)
would be read as new rows: a partner smuggled inside another partner's name. Here the text is
cut into rows first, by the csv module's own quoting rules (a quote opens a quoted field only at
the start of a field; inside one, a doubled quote is a quote and a single quote closes it), with
at most MAX_ROW_CHARS characters of a row held in memory. A row over the limit is skipped to its
real end and reported as one row; the csv module then reads each row's text on its own, so an
error inside one row cannot spill into the next.

Each physical line (ended by \\n, \\r or \\r\\n, as the csv module sees them) is counted, so a row
is located by the line it starts on even when quoted fields span lines.
"""
from __future__ import annotations

import csv
from typing import IO, Iterator

MAX_ROW_CHARS = 1024 * 1024  # one row, all of its lines: as a JSONL record's line (records.py)

# Where the scan is in a row: at the start of a field, in an unquoted field (or the rest of a
# quoted one after its closing quote), inside a quoted field, just after a quote inside one.
_START, _FIELD, _QUOTED, _QUOTE = 0, 1, 2, 3


def _scan(text: str, state: int) -> int:
    """The state after `text`, from `state`. Only quotes and commas matter, so it jumps from one
    to the next (str.find): linear in the text, a few steps per field."""
    i, n = 0, len(text)
    while i < n:
        if state == _START:
            if text[i] == '"':
                state, i = _QUOTED, i + 1
            else:
                state = _FIELD
        elif state == _FIELD:
            comma = text.find(",", i)
            if comma < 0:
                return _FIELD
            state, i = _START, comma + 1
        elif state == _QUOTED:
            quote = text.find('"', i)
            if quote < 0:
                return _QUOTED
            state, i = _QUOTE, quote + 1
        else:  # after a quote inside a quoted field: "" is a quote, ',' ends the field
            char = text[i]
            if char == '"':
                state, i = _QUOTED, i + 1
            elif char == ",":
                state, i = _START, i + 1
            else:
                state = _FIELD
    return state


def _state(text: str, state: int) -> int:
    if state < _QUOTED and '"' not in text:  # the common line: no quote, no scan
        return _START if text.endswith(",") else _FIELD
    return _scan(text, state)


def _pieces(stream: IO[str], size: int) -> Iterator[tuple[str, bool]]:
    """(text, whether it ends a physical line) of at most `size` characters each: a line, or a
    part of a line longer than that (whose last part ends it)."""
    read = stream.readline
    after_cr = False
    while True:
        chunk = read(size)
        if not chunk:
            return
        whole = len(chunk) < size  # readline stops short only at a line end or the end of the text
        if after_cr and chunk.startswith("\n"):  # a \r\n cut between its two characters
            chunk = chunk[1:]
            if not chunk:
                after_cr = False
                continue
        ends = chunk.endswith(("\n", "\r"))
        after_cr = chunk.endswith("\r")
        yield chunk, ends or whole


def split_rows(stream: IO[str], limit: int = MAX_ROW_CHARS) -> Iterator[tuple[int, str | None, int]]:
    """(first line, text, size in characters) of each row; text is None when the row is longer
    than `limit` characters (then only its size is known, and none of it was kept)."""
    line = 0
    pieces = _pieces(stream, limit + 1)
    for chunk, ends in pieces:
        start = line + 1
        state = _state(chunk, _START)
        size = len(chunk)
        parts: list[str] | None = [chunk] if size <= limit else None
        line += ends
        while state == _QUOTED or not ends:  # the row goes on: a quoted field spans lines, or a long line
            piece = next(pieces, None)
            if piece is None:
                break
            chunk, ends = piece
            state = _state(chunk, state)
            size += len(chunk)
            if parts is not None:
                if size > limit:
                    parts = None
                else:
                    parts.append(chunk)
            line += ends
        yield start, None if parts is None else "".join(parts), size


class _Feed:
    """The one row the csv reader reads next (then the end of its input)."""

    def __init__(self) -> None:
        self.text: str | None = None

    def __iter__(self) -> "_Feed":
        return self

    def __next__(self) -> str:
        text, self.text = self.text, None
        if text is None:
            raise StopIteration
        return text


class RowReader:
    """Reads the cells of one row's text at a time with one csv reader (its default dialect)."""

    def __init__(self) -> None:
        self._feed = _Feed()
        self._reader = csv.reader(self._feed)

    def cells(self, text: str) -> list[str]:
        """The cells of a row; raises csv.Error for a malformed one (that row alone: the
        reader starts afresh at each row)."""
        self._feed.text = text
        return next(self._reader, [])
