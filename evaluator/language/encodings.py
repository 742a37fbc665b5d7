"""How operand values reach the engine: encodings (codecs) and the engine form of each canonical test.

Values reach durable-rules *encoded*: a codec, built from the constants the policy compares an
operand with, maps a value to a small integer (or a list of them) that keeps its order and
equality relative to those constants (for numbers: 2i+1 when equal to the i-th constant, 2i when
strictly between the (i-1)-th and the i-th). A comparison's outcome is unchanged, and every value
pitfall of the engine disappears at once: no exponent-form floats, no int64 clamping, no numeric
strings compared as text, no `True == 1`, no 252-property records from long lists. Equal
encodings also mean equal engine outcomes, which is what makes results cacheable.

An operator names the *encoding* of its operand it is decided on (values.ENCODINGS): "value",
the value type's own codec, unless the operator needs another. The compiler keeps one engine
field per (operand, encoding) in use.
ENGINE_TESTS turns each canonical test into the engine's condition syntax (plain dicts: durable
itself is imported only by compile/engine.py).
"""
from __future__ import annotations

import bisect
from typing import Any, Callable, Protocol

from .lowering import Test


class Codec(Protocol):
    is_list: bool

    def encode(self, value: Any) -> Any: ...

    def code(self, constant: Any) -> int: ...


class NumericCodec:
    """Numbers and dates: order-preserving codes relative to the sorted constants. `constants`
    is read by the evaluator's key function, which inlines encode (its hottest line)."""

    is_list = False

    def __init__(self, constants: set[Any]):
        self.constants = sorted(constants)

    def encode(self, value: Any) -> int:
        i = bisect.bisect_left(self.constants, value)
        if i < len(self.constants) and self.constants[i] == value:
            return 2 * i + 1
        return 2 * i

    def code(self, constant: Any) -> int:
        return self.encode(constant)


class StringCodec:
    """Strings (and string_list items): constants get codes 1..n, any other value 0. Constants
    are ordered so that each `in` set covers few contiguous runs of codes."""

    is_list = False
    contiguous = True  # no value lies between consecutive codes: an `in` set is a few ranges

    def __init__(self, constants: set[str], sets: list[frozenset[str]]):
        # A constant's signature has one bit per set, the first set its highest: 1 where the
        # set holds it. Constants are sorted by the inverse Gray code of their signature, so
        # consecutive ranks differ in one set's membership. The rank's bit at a set is the
        # parity of the constant's memberships up to that set: it flips at each set that holds
        # the constant. The key compares those flips as the bits would compare (an earlier
        # first flip is a larger rank, an earlier second flip a smaller one, ...), ending in a
        # sentinel for "no more flips": time in proportion to the memberships, where building
        # the signature as one integer took time in the number of sets for every constant.
        n = len(sets)
        flips: dict[str, list[int]] = {c: [] for c in constants}
        for index, members in enumerate(sets):
            for c in members:
                if c in flips:
                    flips[c].append(index)

        def key(c: str) -> tuple[tuple[int, ...], str]:
            at = flips[c]
            ordered = [-j if i % 2 == 0 else j for i, j in enumerate(at)]
            ordered.append(-n - 1 if len(at) % 2 == 0 else n)
            return tuple(ordered), c

        self.order = sorted(constants, key=key)
        self.codes = {c: i + 1 for i, c in enumerate(self.order)}

    def encode(self, value: Any) -> int:
        return self.codes.get(value, 0)

    def code(self, constant: Any) -> int:
        return self.codes[constant]


class BooleanCodec:
    is_list = False

    def encode(self, value: Any) -> int:
        return 1 if value else 0

    def code(self, constant: Any) -> int:
        return 1 if constant else 0


class ListCodec:
    """string_list: the sorted distinct codes of its items that the policy names, after a sentinel
    0, so the list is never empty (`$iany`/`$iall` never match an empty list)."""

    is_list = True

    def __init__(self, items: StringCodec):
        self.items = items

    def encode(self, value: Any) -> list[int]:
        return [0] + sorted({self.items.encode(v) for v in value} - {0})

    def code(self, constant: Any) -> int:
        return self.items.code(constant)


class PrefixCodec:
    """A string as the list of codes of the constants it starts with, after a sentinel 0 (a
    value may start with several: "AB" and "ABC"); `contains` on it is "starts with"."""

    is_list = True

    def __init__(self, prefixes: set[str]):
        self.order = sorted(prefixes)
        self.codes = {p: i + 1 for i, p in enumerate(self.order)}

    def encode(self, value: Any) -> list[int]:
        return [0] + [code for prefix, code in self.codes.items() if value.startswith(prefix)]

    def code(self, constant: Any) -> int:
        return self.codes[constant]


def constants_of(tests: list[Test]) -> set[Any]:
    return {c for t in tests for c in t.constants}


def string_codec(tests: list[Test]) -> StringCodec:
    """Strings: ordered so that each `in` set is few runs of codes."""
    return StringCodec(constants_of(tests), [frozenset(t.constants) for t in tests if t.name == "in"])


# --- the engine form of each canonical test ---------------------------------------------------

def runs(codes: list[int]) -> list[tuple[int, int]]:
    """Consecutive codes gathered into (low, high) runs."""
    out: list[tuple[int, int]] = []
    for c in sorted(codes):
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def _range(key: str, low: int, high: int) -> dict[str, Any]:
    if low == high:
        return {key: low}
    return {"$and": [{"$gte": {key: low}}, {"$lte": {key: high}}]}


def _eq(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{key: codec.code(constants[0])}]


def _lt(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$lt": {key: codec.code(constants[0])}}]


def _le(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$lte": {key: codec.code(constants[0])}}]


def _between(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [_range(key, codec.code(constants[0]), codec.code(constants[1]))]


def _in(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    codes = [codec.code(c) for c in constants]
    if getattr(codec, "contiguous", False):  # only strings have no values between consecutive codes
        return [_range(key, low, high) for low, high in runs(codes)]
    return [{key: c} for c in sorted(set(codes))]


def _contains(key: str, codec: Codec, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$iany": {key: {"$i": codec.code(constants[0])}}}]


# canonical test -> its alternatives in the engine's syntax (one rule may hold several)
ENGINE_TESTS: dict[str, Callable[[str, Codec, tuple[Any, ...]], list[dict[str, Any]]]] = {
    "eq": _eq, "lt": _lt, "le": _le, "between": _between, "in": _in, "contains": _contains,
}
