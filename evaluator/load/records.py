"""Read partner records from JSON (one object or an array), JSONL or CSV, from a file or stdin;
Parquet from a file (parquet.py).

Each record comes out as an InputRecord that knows where it came from (file and line, or CSV
row); a record that cannot be parsed comes out too, carrying located findings, so a batch never
loses one. JSONL and CSV are read as a stream; a JSON document is read whole.

Problems with the input as a whole are raised as InputError (exit 2) *before* the first record
comes out, so nothing has been written when they are reported: an unreadable file, an empty
input, a file that is not UTF-8 text at all (UTF-16, a spreadsheet, binary), a malformed JSON
document, a CSV header that names a column twice. A single undecodable line or row is only an
error record.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import IO, Any, Iterable, Iterator

from ..errors import Finding, InputError
from ..evaluate.evaluator import InputRecord
from .csvrows import MAX_ROW_CHARS, RowReader, split_rows
from .jsontext import JSONProblem, check_syntax, decode_text, loads, loads_flat

FORMATS = ("auto", "json", "jsonl", "csv", "parquet")
MAX_LINE_BYTES = 1024 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024  # a JSON document is read whole (and parsed twice): JSONL has no limit
HEAD_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"

# Leading bytes of files people export by mistake instead of text.
_NOT_TEXT = {
    b"\xff\xfe\x00\x00": "UTF-32 encoded", b"\x00\x00\xfe\xff": "UTF-32 encoded",
    b"\xff\xfe": "UTF-16 encoded", b"\xfe\xff": "UTF-16 encoded",
    b"PK\x03\x04": "a ZIP archive (a spreadsheet such as .xlsx?)",
    b"\xd0\xcf\x11\xe0": "an Office document (a spreadsheet such as .xls?)",
    b"\x1f\x8b": "gzip-compressed",
}


class _Prefixed(io.RawIOBase):
    """A binary stream that serves `head` (already read) and then the rest of `rest`."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = getattr(self._rest, "read1", self._rest.read)(len(buffer))  # what has arrived: no waiting
        buffer[: len(data)] = data
        return len(data)


def read_head(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """The first bytes of the input, enough to sniff it, and a stream that still starts at byte
    0. Reads only what has arrived (a pipe that delivers records slowly is not waited on) until
    the first line shows the format."""
    read = getattr(stream, "read1", stream.read)
    head = b""
    while len(head) < HEAD_BYTES:
        chunk = read(HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
        text = head.removeprefix(BOM).lstrip()
        if len(head) >= 4 and text and (not text.startswith(b"{") or b"\n" in text):
            break
    return head, io.BufferedReader(_Prefixed(head, stream), buffer_size=HEAD_BYTES)


def check_text(head: bytes, name: str) -> None:
    """Refuse input that is not UTF-8 text at all, or is empty, before anything is written."""
    for magic, what in _NOT_TEXT.items():
        if head.startswith(magic):
            raise InputError(f"{name} is {what}, not UTF-8 text; save or export it as UTF-8 CSV, JSON or JSONL")
    if b"\x00" in head:
        raise InputError(f"{name} contains NUL bytes, so it is not UTF-8 text (UTF-16 without a byte-order "
                         "mark, or a binary file?); save it as UTF-8")
    if not head.removeprefix(BOM).strip():
        raise InputError(f"{name} is empty: no partner records (expected JSON, JSONL or CSV with a header row)")


def _first_line_is_complete(head: bytes) -> bool:
    """Whether the first line of a '{'-led input is a whole JSON value (JSONL) rather than the
    start of a pretty-printed object spread over lines (one JSON document)."""
    text = head.removeprefix(BOM).lstrip()
    line, newline, _ = text.partition(b"\n")
    if not newline and len(head) >= HEAD_BYTES:
        return True  # one line longer than the sample: a long JSONL record
    try:
        json.loads(line.decode("utf-8", "replace"))
    except json.JSONDecodeError as exc:
        # Cut short at the end of the line: a multi-line document. Wrong earlier: a bad JSONL line.
        return exc.pos < len(line.decode("utf-8", "replace").rstrip())
    return True


def detect_format(name: str, head: bytes) -> str:
    """Format from the file name, else from the first non-blank byte: '[' is a JSON array, '{' a
    JSON object spread over lines or JSONL (one object per line), else CSV."""
    lowered = name.lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv")):
        if lowered.endswith(suffix):
            return fmt
    text = head.removeprefix(BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl" if _first_line_is_complete(head) else "json"
    return "csv"


def _problem_finding(exc: JSONProblem, name: str) -> Finding:
    return Finding(str(exc), exc.pointer, name, exc.line, exc.column, exc.expected, exc.found)


# --- JSONL ---------------------------------------------------------------------------------

def numbered_lines(stream: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """(line, full length) of each line, reading at most MAX_LINE_BYTES of a line into memory."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        length = len(raw)
        if length > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of an over-long line
                more = stream.readline(MAX_LINE_BYTES)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
        yield raw, length


def read_jsonl(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    return jsonl_records(numbered_lines(stream), name)


def jsonl_records(lines: Iterable[tuple[bytes, int]], name: str, first: int = 1) -> Iterator[InputRecord]:
    """Records of JSONL lines as numbered_lines gives them, numbered from `first` (a --jobs worker reads
    a chunk of lines that starts further down the file)."""
    for number, (raw, length) in enumerate(lines, start=first):
        if number == 1:
            raw = raw.removeprefix(BOM)
        if raw[:1] != b"{" and not raw.strip():  # (a record's line starts with "{": no copy made)
            continue
        source = {"file": name, "line": number}
        if length > MAX_LINE_BYTES:
            yield InputRecord(None, source, [Finding(f"line is longer than {MAX_LINE_BYTES} bytes", "", name, number,
                                                     expected=f"at most {MAX_LINE_BYTES} bytes per record",
                                                     found=f"{length} bytes")])
            continue
        try:
            # the line end is JSON whitespace to orjson: loads_flat reads the line as it is
            data = loads_flat(raw)
            if data is None:
                data = loads(decode_text(raw.rstrip(b"\r\n"), "line"))
        except JSONProblem as exc:
            yield InputRecord(None, source, [Finding(str(exc), exc.pointer, name, number, exc.column, exc.expected,
                                                     exc.found)])
            continue
        yield InputRecord(data, source)


# --- JSON ----------------------------------------------------------------------------------

def read_json(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    """Checks the whole document now (a malformed document is an InputError before any output);
    returns an iterator over its records."""
    raw = stream.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise InputError(f"{name} is a JSON document larger than {MAX_JSON_BYTES} bytes (one document is read "
                         "whole); expected at most that, or the records as JSONL (one per line, read as a stream)")
    try:
        text = decode_text(raw, "input")
        del raw
        check_syntax(text)
    except JSONProblem as exc:
        parts = [f"{name}:{exc.line}:{exc.column}: {exc}"]
        parts += [f"expected {exc.expected}"] if exc.expected else []
        parts += [f"found {exc.found}"] if exc.found else []
        raise InputError("; ".join(parts)) from None
    return _json_records(text, name)


def _json_records(text: str, name: str) -> Iterator[InputRecord]:
    stripped = text.lstrip()
    if not stripped.startswith("["):
        try:
            yield InputRecord(loads(text), {"file": name, "line": text.count("\n", 0, len(text) - len(stripped)) + 1})
        except JSONProblem as exc:
            yield InputRecord(None, {"file": name, "line": exc.line or 1}, [_problem_finding(exc, name)])
        return
    # An array: decode element by element so each record keeps its own line, and one bad
    # element (a NaN, a duplicate key) does not hide the others.
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    position = 0
    line, counted, line_start = 1, 0, 0  # the line of offset `counted`: newlines counted once, as the reading moves on
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return
        line += text.count("\n", counted, index)
        newline = text.rfind("\n", counted, index)  # (not from 0: a one-line array would be quadratic)
        if newline >= 0:
            line_start = newline + 1
        counted = index
        column = index - line_start
        position += 1
        source = {"file": name, "line": line, "index": position}
        _, end = decoder.raw_decode(text, index)  # the whole document's syntax was checked
        try:
            yield InputRecord(loads(text[index:end], offset=line - 1), source)
        except JSONProblem as exc:
            if exc.line == line and exc.column is not None:
                exc.column += column
            yield InputRecord(None, source, [_problem_finding(exc, name)])
        index = end


# --- CSV -----------------------------------------------------------------------------------

def _undecodable(cells: list[str]) -> tuple[int, int] | None:
    """(cell index, byte) of the first byte that was not UTF-8 (kept as a surrogate escape)."""
    for i, cell in enumerate(cells):
        for char in cell:
            if "\udc80" <= char <= "\udcff":
                return i, ord(char) - 0xDC00
    return None


def _readable(cells: list[str]) -> list[str]:
    return [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in cells]


def read_csv(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    """Reads and checks the header now (an InputError before any output); returns an iterator
    over the rows. Rows are cut from the text by csvrows.py (a row over MAX_ROW_CHARS is one
    error record, none of it read as rows), then read one at a time by the csv module."""
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    rows = split_rows(wrapper)
    reader = RowReader()
    first = next(rows, None)
    if first is None:
        raise InputError(f"{name} is empty: no partner records")
    if first[1] is None:
        raise InputError(f"{name}:1: the CSV header is longer than {MAX_ROW_CHARS} characters ({first[2]}); "
                         f"expected at most {MAX_ROW_CHARS} characters in one row")
    try:
        header = reader.cells(first[1])
    except csv.Error as exc:
        raise InputError(f"{name}:1: malformed CSV header: {exc}") from None
    if _undecodable(header):
        _, byte = _undecodable(header)  # type: ignore[misc]
        raise InputError(f"{name}:1: the header is not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")
    header = [h.strip() for h in header]
    duplicates = sorted(h for h, n in Counter(header).items() if h and n > 1)  # (not header.count: quadratic)
    if duplicates:
        raise InputError(f"{name}:1: CSV header names {', '.join(duplicates)} more than once")
    return _csv_rows(rows, reader, header, name)


def _csv_rows(rows: Iterator[tuple[int, str | None, int]], reader: RowReader, header: list[str],
              name: str) -> Iterator[InputRecord]:
    row = 0
    for start, text, size in rows:
        if text is None:
            row += 1
            yield InputRecord(None, {"file": name, "line": start, "row": row}, [Finding(
                f"row is longer than {MAX_ROW_CHARS} characters", "", name, start,
                expected=f"at most {MAX_ROW_CHARS} characters per row (all of its lines)",
                found=f"{size} characters")])
            continue
        try:
            cells = reader.cells(text)
        except csv.Error as exc:
            row += 1
            yield InputRecord(None, {"file": name, "line": start, "row": row},
                              [Finding(f"malformed CSV: {exc}", "", name, start, expected="a well-formed CSV row",
                                       found=str(exc))])
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        row += 1
        source = {"file": name, "line": start, "row": row}
        bad = None if text.isascii() else _undecodable(cells)
        if bad is not None:
            cell, byte = bad
            column = header[cell] if cell < len(header) else f"cell {cell + 1}"
            yield InputRecord(dict(zip(header, _readable(cells))), source, [Finding(
                f"row is not valid UTF-8 (in column '{column}'); save the file as UTF-8", "", name, start,
                expected="UTF-8 text", found=f"byte 0x{byte:02x}")])
            continue
        if len(cells) != len(header):
            what = "missing" if len(cells) < len(header) else "extra"
            yield InputRecord(dict(zip(header, cells)), source, [Finding(
                f"row has {what} cells", "", name, start, expected=f"{len(header)} cells (the header's)",
                found=f"{len(cells)} cells")])
            continue
        yield InputRecord(dict(zip(header, cells)), source, from_text=True)


READERS = {"json": read_json, "jsonl": read_jsonl, "csv": read_csv}


def sniff(stream: IO[bytes], name: str) -> tuple[str, IO[bytes]]:
    """The format of an input (from its name, else its first bytes) and a stream that still
    starts at its first byte. Raises InputError when it is not UTF-8 text or is empty."""
    head, stream = read_head(stream)
    check_text(head, name)
    return detect_format(name, head), stream


def read_records(stream: IO[bytes], name: str, fmt: str = "auto") -> Iterator[InputRecord]:
    """Records from a binary stream. `fmt` is one of FORMATS. Problems with the input as a whole
    (not text, empty, unknown format, malformed JSON document or CSV header) raise InputError
    here, before the first record is produced."""
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        raise InputError(f"Parquet is read from a file, not a stream ({name}): give its path")
    head, stream = read_head(stream)
    check_text(head, name)
    if fmt == "auto":
        fmt = detect_format(name, head)
    return READERS[fmt](stream, name)


def records_from_path(path: str, fmt: str = "auto") -> Iterator[InputRecord]:
    """Open a file (or '-' for stdin) and read its records. Raises InputError now if the input as
    a whole is unusable; the file is closed when the records are exhausted."""
    import sys
    from .parquet import is_parquet, read_parquet
    if fmt == "parquet" or (fmt == "auto" and is_parquet(path)):
        return read_parquet(path)
    if path == "-":
        return read_records(sys.stdin.buffer, "<stdin>", fmt)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        records = read_records(stream, path, fmt)
    except BaseException:
        stream.close()
        raise
    return _closing(records, stream)


def _closing(records: Iterator[InputRecord], stream: IO[bytes]) -> Iterator[InputRecord]:
    with stream:
        yield from records
