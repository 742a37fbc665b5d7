"""Regular expressions from policies (`pattern` of a fact): checked when a policy loads, matched
in time linear in the value.

A policy is data edited by hand and partner records come from CRM exports, so neither may make
a pattern match take exponential time. Two layers:

- `problem()` rejects, when the policy loads, a pattern that is invalid, that a backtracking
  engine could take exponential time on (backreferences, lookarounds, conditionals, a quantified
  group that holds a quantifier, a quantified alternation whose branches can start alike or
  match nothing), or whose compiled program is too large. The exported partner-facts JSON Schema
  carries the pattern to other validators, which backtrack, so this matters beyond this program.
- `Pattern.fullmatch()` matches with RE2 (google-re2), whose time is linear in the length of the
  value whatever the pattern: even a pattern the checks missed cannot hang an evaluation. The
  one exception is a pattern too simple to backtrack much (a run of single characters, at most
  one of them repeated a variable number of times: `_single_pass`), which Python's `re`
  matches in linear time too, and faster.

RE2 and Python `re` agree on the syntax policies use (classes, quantifiers, groups,
alternation, anchors); `\\d`, `\\w`, `\\s` and `\\b` are ASCII in RE2, as in JSON Schema.
"""
from __future__ import annotations

import functools
import re
from re import _constants as _sre  # type: ignore[attr-defined]  # Python 3.11, 3.12
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import re2

MAX_PROGRAM_SIZE = 1000  # RE2 instructions: bounds the linear factor of a match

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False   # RE2 logs parse errors to stderr; they are reported as findings
_OPTIONS.never_capture = True


class UnsafePattern(ValueError):
    """The pattern is rejected: a message, and what was expected instead."""

    def __init__(self, message: str, expected: str):
        super().__init__(message)
        self.expected = expected


# --- the backtracking hazards, by walking Python's own parse tree --------------------------

_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None))
_FORBIDDEN = {
    _sre.GROUPREF: "a backreference",
    _sre.GROUPREF_EXISTS: "a conditional group",
    _sre.ASSERT: "a lookahead or lookbehind",
    _sre.ASSERT_NOT: "a negative lookahead or lookbehind",
}


def _items(node: Any) -> list[tuple[Any, Any]]:
    return list(node) if isinstance(node, (list, _parser.SubPattern)) else []


def _children(op: Any, arg: Any) -> list[Any]:
    """The sub-patterns directly below one parse-tree item."""
    if op in _REPEATS:
        return [arg[2]]
    if op == _sre.SUBPATTERN:
        return [arg[-1]]
    if op == _sre.BRANCH:
        return list(arg[1])
    if op == _sre.ATOMIC_GROUP:
        return [arg]
    return []


def _variable(op: Any, arg: Any) -> bool:
    return op in _REPEATS and arg[0] != arg[1]


def _can_be_empty(pattern: Any) -> bool:
    for op, arg in _items(pattern):
        if op in _REPEATS:
            if arg[0] > 0 and not _can_be_empty(arg[2]):
                return False
        elif op == _sre.SUBPATTERN:
            if not _can_be_empty(arg[-1]):
                return False
        elif op == _sre.BRANCH:
            if not any(_can_be_empty(b) for b in arg[1]):
                return False
        elif op == _sre.ATOMIC_GROUP:
            if not _can_be_empty(arg):
                return False
        elif op not in (_sre.AT,):
            return False
    return True


def _first(pattern: Any) -> set[Any] | None:
    """Code points a match of `pattern` can start with; None when that could be anything."""
    out: set[Any] = set()
    for op, arg in _items(pattern):
        if op == _sre.LITERAL:
            out.add(arg)
            return out
        if op == _sre.IN:
            members = set()
            for kind, value in arg:
                if kind == _sre.LITERAL:
                    members.add(value)
                elif kind == _sre.RANGE and value[1] - value[0] < 256:
                    members.update(range(value[0], value[1] + 1))
                else:  # a negated set, a category (\d, \w) or a wide range: treat as anything
                    return None
            out |= members
            return out
        if op in _REPEATS or op == _sre.SUBPATTERN or op == _sre.BRANCH or op == _sre.ATOMIC_GROUP:
            subs = _children(op, arg)
            for sub in subs:
                first = _first(sub)
                if first is None:
                    return None
                out |= first
            if (op in _REPEATS and arg[0] == 0) or any(_can_be_empty(sub) for sub in subs):
                continue  # it can match nothing: the next item can start the match too
            return out
        if op == _sre.AT:
            continue
        return None  # ANY, NOT_LITERAL, categories: anything
    return out


def _hazard(pattern: Any, inside_repeat: bool) -> str | None:
    for op, arg in _items(pattern):
        if op in _FORBIDDEN:
            return _FORBIDDEN[op]
        if op in _REPEATS and arg[1] > 1:
            body = arg[2]
            if inside_repeat and _variable(op, arg):
                return "a quantifier inside a quantified group"
            if _can_be_empty(body):
                return "a quantified group that can match nothing"
            inner = _hazard(body, inside_repeat=True)
            if inner:
                return inner
            continue
        if op == _sre.BRANCH and inside_repeat:
            firsts = [_first(b) for b in arg[1]]
            if any(f is None for f in firsts) or any(_can_be_empty(b) for b in arg[1]):
                return "a quantified alternation whose branches can start alike"
            seen: set[Any] = set()
            for first in firsts:
                if seen & first:  # type: ignore[operator]
                    return "a quantified alternation whose branches can start alike"
                seen |= first  # type: ignore[arg-type]
        for sub in _children(op, arg):
            inner = _hazard(sub, inside_repeat)
            if inner:
                return inner
    return None


_OPENING = re.compile(r"\((?:\?(?:P<\w+>|[aiLmsux-]*:|>|<?[=!]))?")
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _repeats(pattern: str, at: int) -> bool:
    """Whether a quantifier at `at` lets what precedes it match more than once."""
    if pattern[at:at + 1] in ("*", "+"):
        return True
    braces = _BRACES.match(pattern, at)
    if braces is None:
        return False
    low, comma, high = braces.groups()
    return (not high or int(high) > 1) if comma else int(low or 0) > 1


def _written_alternations(pattern: str) -> list[tuple[list[str], bool]]:
    """The alternatives of each group as written, and whether the group or one around it is
    repeated. Python's parser folds `(\\w|\\d)` into the class `[\\w\\d]` and `(a|a)` into `a`, so
    its tree hides alternations that backtracking engines (the validators the facts schema goes
    to) still try one by one: they are read from the text here, escapes and classes skipped."""
    found: list[list[Any]] = []  # [alternatives, quantified, index of the enclosing group]
    stack: list[tuple[int, list[int], int]] = []  # (body start, positions of its '|', index in found)
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
        elif char == "[":
            j = i + 1 + (pattern[i + 1:i + 2] == "^")
            j += pattern[j:j + 1] == "]"
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
        elif char == "(":
            opening = _OPENING.match(pattern, i)
            end = opening.end() if opening else i + 1
            if pattern.startswith("?", end):  # (?i), (?#...), (?P=name): no group of alternatives
                close = pattern.find(")", end)
                i = n if close < 0 else close + 1
                continue
            found.append([[], False, stack[-1][2] if stack else None])
            stack.append((end, [], len(found) - 1))
            i = end
        elif char == "|" and stack:
            stack[-1][1].append(i)
            i += 1
        elif char == ")" and stack:
            start, bars, index = stack.pop()
            found[index][0] = [pattern[a:b] for a, b in zip([start] + [b + 1 for b in bars], bars + [i])]
            found[index][1] = _repeats(pattern, i + 1)
            i += 1
        else:
            i += 1
    out = []
    for alternatives, quantified, parent in found:
        many = quantified
        while not many and parent is not None:
            many, parent = found[parent][1], found[parent][2]
        out.append((alternatives, many))
    return out


def _ambiguous_alternation(pattern: str) -> bool:
    """Whether a repeated group's alternatives, as written, can start alike or match nothing."""
    for alternatives, many in _written_alternations(pattern):
        if not many or len(alternatives) < 2:
            continue
        try:
            parsed = [_parser.parse(a) for a in alternatives]
        except (re.error, RecursionError):
            continue  # the whole pattern's parse decides
        firsts = [_first(p) for p in parsed]
        if any(f is None for f in firsts) or any(_can_be_empty(p) for p in parsed):
            return True
        seen: set[Any] = set()
        for first in firsts:
            if seen & first:  # type: ignore[operator]
                return True
            seen |= first  # type: ignore[arg-type]
    return False


@functools.lru_cache(maxsize=256)
def problem(pattern: str) -> tuple[str, str] | None:
    """None if the pattern is acceptable, else (message, expected). Messages name the hazard."""
    try:
        parsed = _parser.parse(pattern)
    except re.error as exc:
        return f"pattern is not a valid regular expression: {exc}", "a regular expression"
    except RecursionError:
        return "pattern is nested too deeply", "a simpler regular expression"
    hazard = _hazard(parsed, inside_repeat=False)
    if hazard is None and _ambiguous_alternation(pattern):
        hazard = "a quantified alternation whose branches can start alike"
    if hazard:
        return (f"pattern could take exponential time: it has {hazard}",
                "a pattern without backreferences, lookarounds or quantified groups that contain "
                "quantifiers or ambiguous alternatives")
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return (f"pattern uses syntax the evaluator does not support: {detail}",
                "RE2 syntax (classes, quantifiers up to {1000}, groups, alternation)")
    if compiled.programsize > MAX_PROGRAM_SIZE:
        return (f"pattern is too complex ({compiled.programsize} instructions)",
                f"a pattern of at most {MAX_PROGRAM_SIZE} RE2 instructions")
    return None


def _one_char(node: Any) -> bool:
    """A literal character, or a class of literal characters and ranges (not negated, no \\d,
    \\w, \\s: their meanings differ between engines)."""
    items = _items(node)
    if len(items) != 1:
        return False
    op, arg = items[0]
    return op == _sre.LITERAL or (op == _sre.IN and all(kind in (_sre.LITERAL, _sre.RANGE) for kind, _ in arg))


def _single_pass(pattern: str) -> bool:
    """Whether `pattern` is a run of single characters each taken a fixed number of times but
    at most one (a partner id's `[A-Za-z0-9][A-Za-z0-9._-]*`, a country's `[A-Z]{2}`). A
    backtracking match of such a pattern is linear in the value (only the one variable item
    can backtrack, past a suffix of fixed length), and Python's `re` reads these characters
    exactly as RE2 does: so `re` may match it, about three times faster than the RE2 binding."""
    try:
        parsed = _parser.parse(pattern)
    except (re.error, RecursionError):
        return False
    if parsed.state.flags & ~re.UNICODE:  # (?i), (?x), ...: the engines differ there
        return False
    variable = 0
    for op, arg in _items(parsed):
        if op in _REPEATS:
            if not _one_char(arg[2]):
                return False
            variable += arg[0] != arg[1]
        elif not _one_char([(op, arg)]):
            return False
    return variable <= 1


class Pattern:
    """A checked pattern that matches whole values in linear time."""

    __slots__ = ("text", "_regexp", "_match", "test")

    def __init__(self, text: str):
        found = problem(text)
        if found:
            raise UnsafePattern(*found)
        self.text = text
        compiled = re2.compile(text, _OPTIONS)
        self._regexp = compiled
        self._match: Any = None  # the fastest whole-value match at hand, truthy on a match
        if _single_pass(text):
            self._match = re.compile(text).fullmatch
        else:
            # The public `fullmatch` builds a match object through a generator (about 8 us a
            # call); the underlying RE2 call is about 1 us. Use it when this binding has it.
            raw = getattr(compiled, "_regexp", None)
            anchor = getattr(getattr(re2, "_Anchor", None), "ANCHOR_BOTH", None)
            if raw is not None and anchor is not None:
                def match(value: str, raw: Any = raw, anchor: Any = anchor) -> bool:
                    data = value.encode("utf-8")
                    return raw.Match(anchor, data, 0, len(data))[0][0] >= 0
                try:
                    if match("") == (compiled.fullmatch("") is not None):
                        self._match = match
                except Exception:  # pragma: no cover - a binding without this internal API
                    self._match = None
        # what the fast fact checks call: truthy when the whole value matches
        self.test: Any = self._match if self._match is not None else self.fullmatch

    def fullmatch(self, value: str) -> bool:
        """Whether the whole of `value` matches. `value` must be valid Unicode (no lone surrogates)."""
        if self._match is not None:
            return bool(self._match(value))
        return self._regexp.fullmatch(value) is not None


@functools.lru_cache(maxsize=256)
def compile_pattern(text: str) -> Pattern:
    """A checked, compiled pattern (cached). Raises UnsafePattern."""
    return Pattern(text)
