"""The trailer: the last line of a decisions file written for replay, so its end can be verified.

`evaluate --with-input --format jsonl` ends its output with one line

    {"trailer":{"format":"evaluator-decisions","records":N,"sha256":"..."}}

where `records` is the number of lines before it (decisions and error records, one per input
record) and `sha256` the digest of their exact bytes, each line with its newline. `replay`
recomputes both while it reads: a deleted, added, reordered or edited line, or a file cut short
(the trailer is then missing), no longer matches. `--jobs N` writes the same bytes as one process,
so the same trailer. The digest is not keyed: it shows loss and careless edits, not a forger who
rewrites the trailer too (keep the trailer's digest elsewhere to hold a file to it).

A program reading decisions line by line skips the line whose only key is "trailer"
(docs/bad-input.md, "Replay"); `evaluate --no-trailer` leaves it out.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import IO, Any

FORMAT = "evaluator-decisions"


@dataclass(frozen=True)
class Trailer:
    records: int
    sha256: str

    def line(self) -> str:
        """The trailer as its line, without the newline."""
        return json.dumps({"trailer": {"format": FORMAT, "records": self.records, "sha256": self.sha256}},
                          separators=(",", ":"))


def is_trailer(data: Any) -> bool:
    """Whether a parsed line is a trailer (an object whose only key is "trailer")."""
    return isinstance(data, dict) and len(data) == 1 and "trailer" in data


def parse_trailer(data: Any) -> Trailer | None:
    """The trailer a parsed line holds, or None when it is not a well-formed one."""
    body = data.get("trailer") if is_trailer(data) else None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        return None
    records, digest = body.get("records"), body.get("sha256")
    if type(records) is not int or records < 0 or not isinstance(digest, str) or len(digest) != 64:
        return None
    return Trailer(records, digest)


class LineDigest:
    """The running count and digest of the lines written (or read) so far."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.records = 0

    def update(self, data: bytes, lines: int) -> None:
        self._hash.update(data)
        self.records += lines

    def trailer(self) -> Trailer:
        return Trailer(self.records, self._hash.hexdigest())


class DigestingText:
    """A text stream that passes what is written to `out` and keeps its digest and line count, then
    writes the trailer (`finish`). Used where lines are written as text (one process)."""

    def __init__(self, out: IO[str]):
        self.out, self.digest = out, LineDigest()

    def write(self, text: str) -> int:
        self.digest.update(text.encode("utf-8"), text.count("\n"))
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def finish(self) -> None:
        self.out.write(self.digest.trailer().line() + "\n")
