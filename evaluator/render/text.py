"""Text for people (a terminal, a log, a plain-text report): data shown harmlessly.

A partner id or a tier name may hold control characters: ESC starts terminal escape sequences
(an OSC can set the window title, write a hyperlink, or swallow what follows until its end), CR
moves back over what was written, NUL and BEL are not text. `visible` writes each of them as a
visible escape (`\\x1b`, `\\r`, `\\x00`, ...), as do the Unicode line and paragraph separators and
the bidirectional controls that reorder what a reader sees (U+202A-U+202E, U+2066-U+2069). It is
for reading, not a reversible encoding: JSON output holds the exact text.

`fit` cuts a text to a column width *after* escaping, so a cut never leaves half an escape.
"""
from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL, C1 controls, line and paragraph separators, bidi embeddings and isolates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BUT_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: Any) -> str:
    """`value` as text with every control character written as a visible escape."""
    text = value if type(value) is str else str(value)
    if text.isprintable():  # one C pass: the common case has nothing to escape
        return text
    return _UNSAFE.sub(_escape, text)


def visible_lines(value: Any) -> str:
    """Like `visible`, but line ends stay line ends (a message of several lines)."""
    text = value if type(value) is str else str(value)
    if text.isprintable():
        return text
    return _UNSAFE_BUT_LINES.sub(_escape, text)


def fit(value: Any, width: int, mark: str = "~") -> str:
    """`value` made visible, then cut to at most `width` characters (the last one `mark` when cut)."""
    text = visible(value)
    if len(text) <= width:
        return text
    return text[: max(width - len(mark), 0)] + mark


def fmt_number(value: Any) -> str:
    """Thousands separators; cents only when there are any. Anything else as visible text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return visible(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def text_bar(value: float, largest: float, width: int = 20) -> str:
    """A bar of block characters for Markdown and terminals."""
    if largest <= 0 or value <= 0:
        return ""
    cells = value / largest * width
    return "\u2588" * max(1, round(cells))


NO_TIER = "(no tier)"


def source_text(source: dict[str, Any] | None) -> str:
    """`file:line` (or row / index) of a record, visible."""
    if not source:
        return ""
    where = source.get("line", source.get("index", ""))
    text = f"{source.get('file', '<input>')}:{where}" if where != "" else str(source.get("file", ""))
    return visible(text)
