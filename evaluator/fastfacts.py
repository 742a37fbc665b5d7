"""A fast path for checking and coercing one JSON-typed partner record against a policy's facts.

`compile_fast_coercer(policy)` returns `fast(record)`: the same facts dict `facts.coerce_record`
gives (same keys, key order, values and value types) when the record has no problem, or None when
it has one or when the fast path is not sure. None always means "ask coerce_record", which then
locates the findings; this module never builds a finding and never returns a dict the slow path
would not. JSON input only (from_text=False): CSV text goes through coerce_record.

Each fact's check is specialised when the policy is compiled (bounds folded into one range test,
enum as a frozenset, pattern compiled once with the same RE2 `compile_pattern`, default coerced
once) and the checks are unrolled into one generated function: at ~1 us a record, a loop over
per-fact closures would cost more than the checks. Only exact built-in types take the fast path
(`x.__class__ is int`, not isinstance): a subclass could behave differently, so it falls back.

A pattern that is only a run of single characters and character classes of plain ASCII letters,
digits and `._-` (like the shipped `[A-Za-z0-9][A-Za-z0-9._-]*` or `[A-Z]{2}`) is checked by
`str.strip` instead of an RE2 call (~1 us, most of a record's budget): the same language, in
linear time. Every other pattern goes to RE2.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Callable

from .facts import _SURROGATE, FACT_TYPES, MAX_EXACT
from .patterns import compile_pattern
from .policy import NO_DEFAULT, FactSpec, Policy

MEMO_LIMIT = 4096  # validated string_list contents (and items) kept per fact; cleared when full

_BAD = object()    # a check's answer for "not valid, or not sure": fast() returns None
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a subset of facts.py's Unicode \d: the rest falls back

Check = Callable[[Any], Any]


def _never(value: Any) -> Any:
    """The check of a fact whose spec the fast path does not trust (an unvalidated policy)."""
    return _BAD


# --- patterns: a plain-string check for the simplest ones, RE2 for the rest -----------------

_CLASS_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_ESCAPABLE = frozenset(".-_")


def _plain_syntax(text: str) -> bool:
    """Only letters, digits, `_`, `-`, escaped `\\.`/`\\-`/`\\_`, flat [...] classes of those and
    quantifiers `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`: syntax Python and RE2 read alike
    (no `[:alpha:]`, `{,n}`, `[]...]`, `\\d`, flags or anchors)."""
    i, inside = 0, False
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _ESCAPABLE:
                return False
            i += 2
            continue
        if inside:
            if c == "]":
                inside = False
            elif c not in _CLASS_CHARS:
                return False
        elif c == "[":
            if i + 1 >= len(text) or text[i + 1] not in _CLASS_CHARS or text[i + 1] == "-":
                return False
            inside = True
        elif c == "{":
            if not re.match(r"\{[0-9]+(,[0-9]*)?\}", text[i:]):
                return False
        elif c not in _CLASS_CHARS and c not in "*+?,}0123456789" or c == ".":
            return False
        i += 1
    return not inside


def _chars(item: Any) -> str | None:
    """The characters one parsed atom matches (a literal or a class of literals and ranges)."""
    op, arg = item
    if op == _sre.LITERAL:
        return chr(arg)
    if op == _sre.IN:
        out = []
        for kind, value in arg:
            if kind == _sre.LITERAL:
                out.append(chr(value))
            elif kind == _sre.RANGE and 0 <= value[0] <= value[1] < 128:
                out.extend(chr(c) for c in range(value[0], value[1] + 1))
            else:
                return None
        return "".join(sorted(set(out)))
    return None


def _simple_pattern(text: str) -> Callable[[str], bool] | None:
    """A fullmatch test equal to RE2's for a pattern made of single-character atoms, each matched
    once or a fixed number of times, the last one possibly a variable number of times; else None."""
    if not _plain_syntax(text):
        return None
    try:
        parsed = _parser.parse(text)
    except Exception:
        return None
    if parsed.state.flags & ~_sre.SRE_FLAG_UNICODE:
        return None
    fixed: list[frozenset[str]] = []
    tail: tuple[str, int, int | None] | None = None
    for item in parsed:
        if tail is not None:
            return None  # a variable repeat before the end would need backtracking: RE2's job
        op, arg = item
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):  # laziness does not change a full match
            low, high, body = arg
            if len(body) != 1:
                return None
            chars = _chars(body[0])
            if chars is None:
                return None
            if low == high:
                fixed.extend([frozenset(chars)] * low)
            else:
                tail = (chars, low, None if high == _sre.MAXREPEAT else high)
        else:
            chars = _chars(item)
            if chars is None:
                return None
            fixed.append(frozenset(chars))
    k = len(fixed)
    shortest = k + (tail[1] if tail else 0)
    longest = k if tail is None else (None if tail[2] is None else k + tail[2])
    tail_chars = tail[0] if tail else ""

    def fullmatch(value: str) -> bool:
        n = len(value)
        if n < shortest or (longest is not None and n > longest):
            return False
        for i in range(k):
            if value[i] not in fixed[i]:
                return False
        return n == k or not value[k:].strip(tail_chars)  # strip leaves "" iff every char is in the class
    return fullmatch


def _text_test(spec: FactSpec) -> tuple[frozenset[str] | None, Callable[[str], bool] | None] | None:
    """(enum set, pattern test) for an exact str; None if the fast path cannot tell for this spec."""
    allowed: frozenset[str] | None = None
    if spec.enum is not None:
        if not all(item.__class__ is str for item in spec.enum):
            return None
        allowed = frozenset(spec.enum)  # exact strs: set membership is the tuple's == membership
    match: Callable[[str], bool] | None = None
    if spec.pattern is not None:
        try:
            match = compile_pattern(spec.pattern).fullmatch  # also rejects what the slow path rejects
        except Exception:
            return None
        match = _simple_pattern(spec.pattern) or match
    return allowed, match


def _text_ok(spec: FactSpec) -> Callable[[str], bool] | None:
    parts = _text_test(spec)
    if parts is None:
        return None
    allowed, match = parts
    search = _SURROGATE.search

    def ok(s: str) -> bool:  # isascii() is one C pass: only non-ASCII text needs the search
        return ((s.isascii() or not search(s)) and (allowed is None or s in allowed)
                and (match is None or match(s)))
    return ok


# --- the per-fact checks that are calls in the generated function ---------------------------

def _string_list_check(spec: FactSpec) -> Check:
    ok = _text_ok(spec)
    if ok is None or (spec.max_items is not None and spec.max_items.__class__ is not int):
        return _never
    max_items = spec.max_items
    # Lists of regions and countries repeat a lot: remember whole lists and single items found
    # valid. Sets under the GIL: a race between threads at worst loses an entry.
    lists: set[tuple[str, ...]] = set()
    items: set[str] = set()

    def check(value: Any) -> Any:
        if value.__class__ is not list or (max_items is not None and len(value) > max_items):
            return _BAD
        for item in value:  # also keeps the memo exact: its keys hold only real strs
            if item.__class__ is not str:
                return _BAD
        key = tuple(value)
        if key not in lists:
            for item in key:
                if item not in items:
                    if not ok(item):
                        return _BAD
                    if len(items) >= MEMO_LIMIT:
                        items.clear()
                    items.add(item)
            if len(lists) >= MEMO_LIMIT:
                lists.clear()
            lists.add(key)
        return value  # the caller's list itself, as coerce_string_list returns it
    return check


def _date_check(spec: FactSpec) -> Check:
    try:
        low = _dt.date.fromisoformat(spec.minimum) if spec.minimum is not None else _dt.date.min
        high = _dt.date.fromisoformat(spec.maximum) if spec.maximum is not None else _dt.date.max
    except (TypeError, ValueError):
        return _never  # the slow path raises on such a bound: let it
    fromisoformat, shape = _dt.date.fromisoformat, _ASCII_DATE.fullmatch

    def check(value: Any) -> Any:
        if value.__class__ is not str:
            return _BAD
        text = value.strip()
        if not shape(text):
            return _BAD
        try:
            day = fromisoformat(text)
        except ValueError:
            return _BAD
        return day if low <= day <= high else _BAD
    return check


def _plain_number(value: Any) -> bool:
    return value.__class__ is int or (value.__class__ is float and math.isfinite(value))


# --- the generated function -----------------------------------------------------------------

def _fact_lines(i: int, spec: FactSpec, env: dict[str, Any]) -> list[str]:
    """Statements that check `v` (not None) for fact i, `return None` when not sure, and leave
    the coerced value in `v`."""
    if spec.type in ("number", "integer"):
        if not all(b is None or _plain_number(b) for b in (spec.minimum, spec.maximum)):
            return ["return None"]  # the slow path compares with such a bound as it is, or raises
        # abs(v) <= MAX_EXACT and the bounds fold into one range; int/float comparisons are exact
        # and NaN or inf fail it.
        env[f"lo{i}"] = -MAX_EXACT if spec.minimum is None else max(-MAX_EXACT, spec.minimum)
        env[f"hi{i}"] = MAX_EXACT if spec.maximum is None else min(MAX_EXACT, spec.maximum)
        if spec.type == "number":
            return ["c = v.__class__",
                    f"if (c is not int and c is not float) or not (lo{i} <= v <= hi{i}): return None"]
        return ["c = v.__class__",
                "if c is float and v.is_integer(): v = int(v)",  # 5.0 is the integer 5, as in the slow path
                "elif c is not int: return None",
                f"if not (lo{i} <= v <= hi{i}): return None"]
    if spec.type == "boolean":
        return ["if v is not True and v is not False: return None"]
    if spec.type == "string":
        parts = _text_test(spec)
        if parts is None:
            return ["return None"]
        allowed, match = parts
        test = "v.__class__ is not str or not (v.isascii() or not search(v))"
        if allowed is not None:
            env[f"e{i}"] = allowed
            test += f" or v not in e{i}"
        if match is not None:
            env[f"m{i}"] = match
            test += f" or not m{i}(v)"
        return [f"if {test}: return None"]
    make = {"string_list": _string_list_check, "date": _date_check}.get(spec.type)
    env[f"k{i}"] = make(spec) if make else _never
    return [f"v = k{i}(v)", "if v is BAD: return None"]


def _missing_line(i: int, spec: FactSpec, env: dict[str, Any]) -> str:
    """What a missing or null fact does: its default (coerced once), None, or nothing."""
    if spec.default is not NO_DEFAULT:
        try:
            # The slow path coerces the default on every record, to the same value each time
            # (for a string_list, the policy's default list object itself).
            env[f"d{i}"] = FACT_TYPES[spec.type](spec, spec.default, False)
        except Exception:
            return "return None"  # an invalid default raises out of coerce_record: let it
        return f"facts[n{i}] = d{i}"
    return "return None" if spec.required else "pass"


def compile_fast_coercer(policy: Policy) -> Callable[[Any], dict[str, Any] | None]:
    """`fast(record)`: coerce_record(policy, record)'s facts when it finds no problem, else None.

    For JSON-typed records only (from_text=False). A string_list value is the caller's list
    object itself, as in the slow path; a string_list default is the policy's default list."""
    env: dict[str, Any] = {"BAD": _BAD, "search": _SURROGATE.search, "int": int, "float": float, "str": str}
    lines = ["def fast(record):",
             "    if record.__class__ is not dict: return None",
             "    get = record.get",
             "    facts = {}"]
    for i, (name, spec) in enumerate(policy.facts.items()):
        env[f"n{i}"] = name  # names go in as variables, never spliced into the source
        lines += [f"    v = get(n{i})",
                  "    if v is None:",
                  f"        {_missing_line(i, spec, env)}",
                  "    else:"]
        lines += [f"        {line}" for line in _fact_lines(i, spec, env)]
        lines.append(f"        facts[n{i}] = v")
    lines.append("    return facts")
    exec(compile("\n".join(lines), f"<fast coercer for {policy.id!r}>", "exec"), env)
    fast: Callable[[Any], dict[str, Any] | None] = env["fast"]
    fast.__doc__ = compile_fast_coercer.__doc__
    return fast
