"""Read partner records from JSON (one object or an array), JSONL or CSV, from a file or stdin.

Each record comes out as an InputRecord that knows where it came from (file and line, or CSV
row); a record that cannot be parsed comes out too, carrying located findings, so a batch never
loses one. JSONL and CSV are read as a stream; a JSON document is read whole.
"""
from __future__ import annotations

import csv
import io
import json
from typing import IO, Iterator

from .errors import Finding, InputError
from .evaluate import InputRecord
from .jsondoc import MAX_DEPTH, JSONProblem, decode_text, loads

FORMATS = ("auto", "json", "jsonl", "csv")
MAX_LINE_BYTES = 1024 * 1024


def detect_format(name: str, head: bytes) -> str:
    """Format from the file name, else from the first non-blank byte: '[' is a JSON array, '{' a
    JSON object or JSONL (JSONL if a second value follows on another line), else CSV."""
    lowered = name.lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv")):
        if lowered.endswith(suffix):
            return fmt
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"  # a single object on its own is also valid JSONL
    return "csv"


def _problem_finding(exc: JSONProblem, name: str, line_offset: int = 0) -> Finding:
    return Finding(str(exc), "", name, exc.line, exc.column, exc.expected, exc.found)


def read_jsonl(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        source = {"file": name, "line": number}
        if len(raw) > MAX_LINE_BYTES:
            yield InputRecord(None, source, [Finding(f"line is longer than {MAX_LINE_BYTES} bytes", "", name, number,
                                                     expected=f"at most {MAX_LINE_BYTES} bytes per record",
                                                     found=f"{len(raw)} bytes")])
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = decode_text(raw, "line")
            data = loads(text)
        except JSONProblem as exc:
            yield InputRecord(None, source, [Finding(str(exc), "", name, number, exc.column, exc.expected, exc.found)])
            continue
        yield InputRecord(data, source)


def read_json(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    try:
        text = decode_text(stream.read(), "input")
    except JSONProblem as exc:
        raise InputError(f"{name}:{exc.line}:{exc.column}: {exc}") from None
    stripped = text.lstrip()
    if not stripped.startswith("["):
        try:
            yield InputRecord(loads(text), {"file": name, "line": text.count("\n", 0, len(text) - len(stripped)) + 1})
        except JSONProblem as exc:
            yield InputRecord(None, {"file": name, "line": exc.line or 1}, [_problem_finding(exc, name)])
        return
    # An array: decode element by element so each record keeps its own line, and one bad
    # element does not hide the others when the array itself is well formed.
    try:
        loads(text, max_depth=MAX_DEPTH + 1)
    except JSONProblem as exc:
        if "duplicate key" not in str(exc) and "not a JSON number" not in str(exc):
            raise InputError(f"{name}:{exc.line}:{exc.column}: {exc}") from None
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    position = 0
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return
        line = text.count("\n", 0, index) + 1
        position += 1
        source = {"file": name, "line": line, "index": position}
        try:
            _, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:  # pragma: no cover - the whole array parsed above
            raise InputError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        try:
            yield InputRecord(loads(text[index:end], offset=line - 1), source)
        except JSONProblem as exc:
            yield InputRecord(None, source, [_problem_finding(exc, name)])
        index = end


def read_csv(stream: IO[bytes], name: str) -> Iterator[InputRecord]:
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(wrapper)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        duplicates = sorted({h for h in header if header.count(h) > 1})
        if duplicates:
            raise InputError(f"{name}:1: CSV header names {', '.join(duplicates)} more than once")
        row = 0
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield InputRecord(None, {"file": name, "line": start, "row": row},
                                  [Finding(f"malformed CSV: {exc}", "", name, start)])
                continue
            if not cells or all(not c.strip() for c in cells):
                continue
            row += 1
            source = {"file": name, "line": start, "row": row}
            if len(cells) != len(header):
                what = "missing" if len(cells) < len(header) else "extra"
                yield InputRecord(dict(zip(header, cells)), source, [Finding(
                    f"row has {what} cells", "", name, start, expected=f"{len(header)} cells (the header's)",
                    found=f"{len(cells)} cells")])
                continue
            yield InputRecord(dict(zip(header, cells)), source, from_text=True)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: input is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); "
                         "save it as UTF-8") from None


READERS = {"json": read_json, "jsonl": read_jsonl, "csv": read_csv}


def read_records(stream: IO[bytes], name: str, fmt: str = "auto") -> Iterator[InputRecord]:
    """Records from a binary stream. `fmt` is one of FORMATS."""
    if fmt == "auto":
        buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
        fmt = detect_format(name, buffered.peek(4096)[:4096])  # type: ignore[union-attr]
        stream = buffered
    if fmt not in READERS:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    return READERS[fmt](stream, name)


def records_from_path(path: str, fmt: str = "auto") -> Iterator[InputRecord]:
    """Open a file (or '-' for stdin) and read its records; the file is closed when exhausted."""
    import sys
    if path == "-":
        yield from read_records(sys.stdin.buffer, "<stdin>", fmt)
        return
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with stream:
        yield from read_records(stream, path, fmt)

