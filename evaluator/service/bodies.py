"""Request bodies into partner records, read as the CLI reads its input (load/records.py), with
the service's limits: a body over the size limit is refused as it arrives (413, without reading
the rest), one that arrives too slowly is refused (408), a batch over the record limit is
refused before any record is decided (413). Records are named as coming from `<request>` (the
CLI names standard input `<stdin>`): a decision's `source` is {"file": "<request>", "line": N}.
"""
from __future__ import annotations

import asyncio
import io
from typing import Any

from ..errors import Finding, InputError
from ..evaluate.evaluator import InputRecord
from ..load.jsontext import JSONProblem, check_syntax, decode_text, loads, loads_flat
from ..load.records import BOM, jsonl_records, numbered_lines, read_csv, read_json
from .errors import ServiceError

REQUEST = "<request>"

# media types of a batch -> the reader of load/records.py (FORMATS)
BATCH_TYPES = {"application/json": "json", "application/x-ndjson": "jsonl", "application/ndjson": "jsonl",
               "application/jsonl": "jsonl", "application/x-jsonlines": "jsonl", "text/csv": "csv"}


async def read_body(receive: Any, declared: str | None, limit: int, seconds: float) -> bytes:
    """The whole body of a request (an ASGI `receive`; `declared`: its Content-Length), at most
    `limit` bytes, within `seconds`."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"{declared} bytes (Content-Length)")
    try:
        async with asyncio.timeout(seconds):  # (no task of its own, unlike wait_for: a request's cost counts)
            return await _chunks(receive, limit)
    except TimeoutError:
        raise ServiceError(408, f"the request body did not arrive within {seconds:g} s") from None


async def _chunks(receive: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ServiceError(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, f"more than {limit} bytes")
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _too_large(limit: int, found: str) -> ServiceError:
    return ServiceError(413, f"the request body is larger than the limit of {limit} bytes",
                        [Finding("request body too large", "", REQUEST, expected=f"at most {limit} bytes",
                                 found=found)], {"Connection": "close"})


def _finding(exc: JSONProblem) -> Finding:
    return Finding(str(exc), exc.pointer, REQUEST, exc.line, exc.column, exc.expected, exc.found)


def one_record(body: bytes) -> InputRecord:
    """The one partner record of a POST /v1/decisions body (a JSON object, as one JSONL line is
    read); a body that is not one gives the record with its located findings (decided as an
    error record, 422), an empty body a 400."""
    raw = body.removeprefix(BOM)
    if not raw.strip():
        raise ServiceError(400, "the request body is empty",
                           [Finding("no partner record", "", REQUEST, expected="one partner record, a JSON object",
                                    found="an empty body")])
    source = {"file": REQUEST, "line": 1}
    try:
        data = loads_flat(raw)  # the common record; None: `loads` decides, with its located errors
        if data is None:
            data = loads(decode_text(raw, "the request body"))
    except JSONProblem as exc:
        return InputRecord(None, source, [_finding(exc)])
    return InputRecord(data, source)


def batch_type(content_type: str | None) -> str:
    """The reader of a batch body from its Content-Type (no type: JSONL, one record a line)."""
    media = (content_type or "application/x-ndjson").split(";")[0].strip().lower()
    fmt = BATCH_TYPES.get(media)
    if fmt is None:
        raise ServiceError(415, f"a batch is NDJSON, a JSON array or CSV, not {media!r}",
                           [Finding("unsupported media type", "", REQUEST, expected=", ".join(sorted(BATCH_TYPES)),
                                    found=media)])
    return fmt


def batch_records(body: bytes, fmt: str, max_records: int) -> list[InputRecord]:
    """Every record of a batch body, in order (each unreadable one with its findings, in place);
    a body that cannot be read as a whole (a malformed JSON array, a bad CSV header) is a 400."""
    if not body.removeprefix(BOM).strip():
        return []
    try:
        if fmt == "jsonl":
            records = list(jsonl_records(numbered_lines(io.BytesIO(body)), REQUEST))
        elif fmt == "json":
            try:
                check_syntax(decode_text(body, "the request body"))
            except JSONProblem as exc:
                raise ServiceError(400, "the request body is not a JSON array of partner records",
                                   [_finding(exc)]) from None
            records = list(read_json(io.BytesIO(body), REQUEST))
        else:
            records = list(read_csv(io.BytesIO(body), REQUEST))
    except InputError as exc:
        raise ServiceError(400, str(exc), [Finding(str(exc), "", REQUEST)]) from None
    if len(records) > max_records:
        raise ServiceError(413, f"the batch holds {len(records)} records, more than the limit of {max_records}",
                           [Finding("too many records", "", REQUEST, expected=f"at most {max_records} records",
                                    found=f"{len(records)} records")])
    return records
