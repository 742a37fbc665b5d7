"""`Missing`: the value of a fact that is absent, or of a measure that is undefined."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Missing:
    """No value: the facts named are absent, or the value is undefined (reason says why)."""

    facts: frozenset[str] = frozenset()
    reason: str = ""

    def __bool__(self) -> bool:  # a Missing must never be used as a truth value by accident
        raise TypeError("Missing has no truth value")

    @staticmethod
    def merge(values: list[Any]) -> "Missing":
        facts: set[str] = set()
        reasons = []
        for v in values:
            if isinstance(v, Missing):
                facts |= v.facts
                if v.reason:
                    reasons.append(v.reason)
        return Missing(frozenset(facts), "; ".join(reasons))
