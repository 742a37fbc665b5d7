"""Read a decisions file for `replay`: every decision `evaluate` can write, and its end verified.

JSONL is read line by line with no length limit (a decision of a policy of 1,550 tiers is over
1 MiB; partner input keeps its 1 MiB limit, load/records.py), each line hashed as read, so the
trailer (output/trailer.py) can be checked: the lines since the previous trailer (or the start)
must be as many as it counts and hash to its sha256. Files joined one after another (`cat
a.jsonl b.jsonl`) check trailer by trailer. What cannot be verified is an EndProblem, reported
after the decisions: no trailer (a file cut short, or written with --no-trailer or by an older
evaluator), a count or digest that does not match, lines after the last trailer, or a JSON array
(which has no trailer). `require_trailer=False` (`replay --no-trailer`) accepts a file without
one; a trailer that is there is still checked.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, Any, Iterator

from ..errors import Finding, InputError
from ..evaluate.evaluator import InputRecord
from ..load.records import BOM, READERS, sniff
from ..load.jsontext import MAX_DEPTH, JSONProblem, decode_text, loads
from ..output.trailer import LineDigest, is_trailer, parse_trailer

# a decision nests its input record (itself up to MAX_DEPTH deep) a level down, in ~10 levels
DECISION_DEPTH = MAX_DEPTH + 16


@dataclass(frozen=True)
class EndProblem:
    source: dict[str, Any]
    message: str


class DecisionsFile:
    """The decisions of one file or stdin, as InputRecords; after iteration, `problems` says why
    the file's end cannot be verified (empty when every line is accounted for by a trailer)."""

    def __init__(self, path: str, *, require_trailer: bool = True):
        self.path, self.require_trailer = path, require_trailer
        self.name = "<stdin>" if path == "-" else path
        self.problems: list[EndProblem] = []
        self._stream = self._open()
        try:
            self.format, self._stream = sniff(self._stream, self.name)
        except BaseException:
            self._close()
            raise

    def _open(self) -> IO[bytes]:
        if self.path == "-":
            return sys.stdin.buffer
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def _close(self) -> None:
        if self.path != "-":
            self._stream.close()

    def __iter__(self) -> Iterator[InputRecord]:
        try:
            if self.format == "jsonl":
                yield from self._jsonl()
            else:
                yield from READERS[self.format](self._stream, self.name)
                if self.require_trailer:
                    self._problem(None, f"{self.format.upper()} decisions carry no trailer, so a deleted decision "
                                        "cannot be found: write them as JSONL (`evaluate --with-input`), or replay "
                                        "with --no-trailer")
        finally:
            self._close()

    def _problem(self, line: int | None, message: str) -> None:
        source: dict[str, Any] = {"file": self.name}
        if line is not None:
            source["line"] = line
        self.problems.append(EndProblem(source, message))

    def _jsonl(self) -> Iterator[InputRecord]:
        digest = LineDigest()
        trailers = 0
        number = 0
        for number, raw in enumerate(iter(self._stream.readline, b""), start=1):
            data = None if raw[:1] != b"{" and not raw.strip() else self._parse(raw, number)
            if isinstance(data, InputRecord):  # unreadable
                digest.update(raw, 1)
                yield data
                continue
            if is_trailer(data):
                self._check(parse_trailer(data), digest, number)
                trailers += 1
                digest = LineDigest()
                continue
            digest.update(raw, 1)
            if data is not None:
                yield InputRecord(data, {"file": self.name, "line": number})
        if digest.records and trailers:
            self._problem(number, f"the last {digest.records} line(s) come after the last trailer: they were "
                                  "added, or the file was cut short")
        elif digest.records and self.require_trailer:
            self._problem(number, "no trailer: the file may be cut short or lines deleted (write decisions with "
                                  "`evaluate --with-input`, or replay with --no-trailer to accept a file without one)")

    def _parse(self, raw: bytes, number: int) -> Any:
        try:
            return loads(decode_text(raw.rstrip(b"\r\n").removeprefix(BOM) if number == 1
                                     else raw.rstrip(b"\r\n"), "line"), max_depth=DECISION_DEPTH)
        except JSONProblem as exc:
            return InputRecord(None, {"file": self.name, "line": number},
                               [Finding(str(exc), "", self.name, number, exc.column, exc.expected, exc.found)])

    def _check(self, trailer: Any, digest: LineDigest, number: int) -> None:
        if trailer is None:
            self._problem(number, "the trailer is malformed (expected format, records and sha256)")
            return
        found = digest.trailer()
        if found.records != trailer.records:
            self._problem(number, f"the trailer counts {trailer.records} line(s) before it, the file holds "
                                  f"{found.records}: lines were deleted or added")
        elif found.sha256 != trailer.sha256:
            self._problem(number, f"the lines before the trailer hash to {found.sha256}, the trailer records "
                                  f"{trailer.sha256}: a line was changed or lines reordered")
