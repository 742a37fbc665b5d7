"""The JSONL lane: every input record's decision line, written from its encoding's template
(template.py) whenever it has one, in input order: what `evaluate --format jsonl` and each
`--jobs` worker do per record.

The records come from `Evaluator.prepared`, the library's one loop over input (it holds the
current plan and moves to a new one after a reload, and brings every record out once): a valid
JSON record on the cached path comes as a Prepared record, which is written straight from its
facts when its encoding has a template, without a Decision object; every other record comes
decided (and the first decision of an encoding gives it its template).
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..evaluate.evaluator import Prepared
from ..model.decision import FULL, input_sha256, partner_id
from ..model.digest import NotJSONData
from .jsonbytes import Fallback, json_line
from .template import jsonl_line, writer_for

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator


def lane(evaluator: "Evaluator", items: Iterable[Any], detail: str = FULL,
         as_of: _dt.date | None = None) -> Iterator[tuple[bytes, bool]]:
    """Every record's line as output/writers.py's write_jsonl writes it at a detail level
    (UTF-8, without the newline), in input order, and whether it is a decision (False: an error
    record). `as_of`: the evaluation date of these records (default: the Evaluator's)."""
    as_of = as_of or evaluator.as_of
    current: Any = None  # the plan the locals below were looked up for (once per plan, not per record)
    for item in evaluator.prepared(items, as_of):
        if type(item) is Prepared:
            plan, data, facts, source = item  # unpacked at once: a NamedTuple's field reads cost more
            if plan is not current:
                current = plan
                writer = writer_for(plan, detail)
                measures_of, key_of, outcome_of = plan.measures_memo, plan.key, plan.outcome
                template_of, fill, policy = writer.templates.get, writer.fill, plan.policy
                reads_as_of = as_of if plan.reads_as_of else None
            try:
                digest = input_sha256(data)
            except NotJSONData as exc:  # a library caller's record JSON cannot hold: an error record
                result: Any = evaluator.unrecordable(plan, data, exc, source)
                yield json_line(result.to_dict(detail)).encode("utf-8"), False
                continue
            measures = measures_of(facts, as_of)
            key = key_of(facts, measures)
            template = template_of((key, as_of, reads_as_of, source is None, False))
            if template is not None:
                try:
                    yield fill(template, outcome_of(key), facts, measures, as_of, partner_id(policy, data),  # type: ignore[misc]
                               source, digest), True
                    continue
                except Fallback:
                    pass
            result = plan.decide(facts, partner_id(policy, data), source, as_of, digest)
        else:
            result = item
        line = jsonl_line(result, detail)
        yield (line if line is not None else json_line(result.to_dict(detail))).encode("utf-8"), result.ok


def jsonl_lines(evaluator: "Evaluator", items: Iterable[Any], detail: str = FULL) -> Iterator[tuple[str, bool]]:
    """Each record's line as report.write_jsonl writes it (without the newline), and whether it
    is a decision; see _lane."""
    for line, ok in lane(evaluator, items, detail):
        yield line.decode("utf-8"), ok


def jsonl_bytes(evaluator: "Evaluator", items: Iterable[Any], detail: str = FULL) -> tuple[bytes, int, int]:
    """All the lines (each ending in a newline) as one UTF-8 block, records and error records
    counted: what a --jobs worker sends back."""
    lines = []
    invalid = 0
    for line, ok in lane(evaluator, items, detail):
        lines.append(line)
        invalid += not ok
    lines.append(b"")
    return b"\n".join(lines) if len(lines) > 1 else b"", len(lines) - 1, invalid


def binary_of(out: Any) -> Any:
    """The byte stream under a UTF-8 text stream (flushed, so the two stay in order), or None.
    The stream's error handler does not matter (stdout under a C.UTF-8 locale has
    surrogateescape): UTF-8 encodes every code point but a lone surrogate, and the bytes written
    here were encoded strictly, so hold none; any handler would write the same bytes."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is None or encoding != "utf8":
        return None
    out.flush()
    return buffer


def write_jsonl(evaluator: "Evaluator", items: Iterable[Any], out: Any, detail: str = FULL) -> tuple[int, int]:
    """Evaluate `items` and write their lines to `out` (a text stream), as report.write_jsonl
    would write evaluator.evaluate_many(items); as bytes to its buffer when it is UTF-8 (no
    decoding and encoding again). Returns (records written, error records)."""
    total = invalid = 0
    binary = binary_of(out)
    if binary is not None:
        write = binary.write
        for line, ok in lane(evaluator, items, detail):
            write(line + b"\n")
            total += 1
            invalid += not ok
        binary.flush()
        return total, invalid
    write = out.write
    for text, ok in jsonl_lines(evaluator, items, detail):
        write(text + "\n")
        total += 1
        invalid += not ok
    return total, invalid
