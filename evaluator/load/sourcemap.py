"""Where each value of a JSON text starts: JSON Pointer -> character offset, in one pass, and
offset -> (line, column) by a binary search over the line starts.

Written here rather than taken from a library: the one at hand (json-source-map) took time
growing faster than the text (12 s for a 1.8 MB array, 28 s for 3.6 MB), and a located error
about a large policy or input must cost no more than reading it. The text has already been
parsed as JSON when a map is asked for, so the scan only tracks strings, brackets, commas and
colons; a string is matched by an unrolled expression, with no state per character.
"""
from __future__ import annotations

import bisect
import json
import re

# A string (unrolled: runs of plain characters between escapes), one structural character, or
# a run of anything else (a number, true, false, null, whitespace).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{},:]|[^"\[\]{},:]+', re.S)
_SPACE = frozenset(" \t\r\n")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def value_offsets(text: str) -> dict[str, int]:
    """The offset of the first character of every value in `text` (a well-formed JSON text),
    by JSON Pointer ('' for the whole)."""
    out: dict[str, int] = {}
    # one frame per open container: [its pointer, is an object, the key or index of the next value]
    stack: list[list] = []
    expecting_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in _SPACE and not token.strip():
            continue
        if first == ",":
            frame = stack[-1]
            if frame[1]:
                expecting_key = True
            else:
                frame[2] += 1
            continue
        if first == ":":
            continue
        if first in "]}":
            stack.pop()
            expecting_key = False
            continue
        if first == '"' and expecting_key:
            stack[-1][2] = _escape(json.loads(token))
            expecting_key = False
            continue
        # a value starts here
        if stack:
            frame = stack[-1]
            pointer = f"{frame[0]}/{frame[2]}"
        else:
            pointer = ""
        out[pointer] = match.start() + (len(token) - len(token.lstrip()) if first in _SPACE else 0)
        if first == "{":
            stack.append([pointer, True, None])
            expecting_key = True
        elif first == "[":
            stack.append([pointer, False, 0])
    return out


class Lines:
    """Offsets to 1-based (line, column) of one text: the line starts found once."""

    def __init__(self, text: str):
        starts = [0]
        find = text.find
        at = find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


class SourceMap:
    """JSON Pointer -> (line, column) of the value, or of its nearest existing parent."""

    def __init__(self, text: str):
        try:
            self._offsets = value_offsets(text)
        except (IndexError, ValueError):  # not well-formed after all: locate nothing rather than fail
            self._offsets = {}
        self._lines = Lines(text)

    def offset(self, pointer: str) -> int | None:
        return self._offsets.get(pointer)

    def pointer_at(self, offset: int) -> str:
        """The pointer of the value that starts at `offset` ('' if none does)."""
        return next((p for p, at in self._offsets.items() if at == offset), "")

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        while True:
            at = self._offsets.get(pointer)
            if at is not None:
                return self._lines.position(at)
            if not pointer:
                return None, None
            pointer = pointer.rsplit("/", 1)[0]
