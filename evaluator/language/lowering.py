"""What an operator's `lower` facet produces: a canonical engine test on one operand.

An operator checks that the operand's value type and the policy's constant fit (raising
`Mismatch` with what was expected and what was found), and lowers the comparison to a *positive*
canonical test (`Test`: eq, lt, le, between, in, contains, on the operand's encoding) plus a
negation flag. `>=` is "not <", `!=` is "not ==": the engine decides the positive test, Python
flips it only when the operand is present, so a missing value is never mistaken for "not met".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Mismatch(Exception):
    """The constant or the operand type does not fit the operator."""

    def __init__(self, message: str, expected: str, found: str):
        super().__init__(message)
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class Test:
    """A canonical engine test on one operand (see encodings.ENGINE_TESTS)."""

    name: str
    constants: tuple[Any, ...]


@dataclass(frozen=True)
class Lowered:
    test: Test
    negate: bool


def describe(value: Any) -> str:
    """A policy constant as an error message shows what was found."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, (list, tuple)):
        return f"list of {len(value)}"
    if value is None:
        return "null"
    return type(value).__name__
