"""The partners behind the report's near-miss and at-risk counts, by name, with what each needs.

A list per tier, closest first, kept to LIMIT partners each (a heap: the report's memory stays
bounded however many partners are near); the counts in model.py are of all of them, and
`evaluator evaluate --near` lists every one.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from ...explain.near import Distance
from ...model.policy import Policy
from .labels import need_text, risk_text

DEFAULT_LIST_LIMIT = 20


@dataclass
class Watched:
    """One partner near a tier or at risk of losing its own: who, where, and what it needs."""

    partner_id: str | None
    name: str | None
    tier: str | None     # the partner's tier id (None: no tier)
    target: str          # the tier it is near, or the tier it may lose
    distances: list[Distance]
    closeness: float     # the percentage that decides the order (smaller: closer)

    def to_dict(self, policy: Policy, kind: str) -> dict[str, Any]:
        words = need_text if kind == "near" else risk_text
        return {"partner_id": self.partner_id, "name": self.name, "tier": self.tier,
                ("near" if kind == "near" else "at_risk"): self.target,
                ("needs" if kind == "near" else "holds_by"): [words(policy, d) for d in self.distances],
                "percent": self.closeness}


class Watchlist:
    """The `limit` closest partners per tier, in order of closeness then input order."""

    def __init__(self, limit: int = DEFAULT_LIST_LIMIT):
        self.limit = limit
        self._heaps: dict[str, list[tuple[float, int, Watched]]] = {}
        self._seq = 0

    def add(self, item: Watched) -> None:
        if self.limit <= 0:
            return
        self._seq += 1
        heap = self._heaps.setdefault(item.target, [])
        entry = (-item.closeness, -self._seq, item)  # a max-heap: the farthest (then latest) is dropped first
        if len(heap) < self.limit:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)

    def of(self, tier_id: str) -> list[Watched]:
        return [item for _, _, item in sorted(self._heaps.get(tier_id, []), reverse=True)]
