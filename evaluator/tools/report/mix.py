"""Targets in the report (the policy's `targets`: the channel share of sales, for one): the share
overall, by tier and by segment (a region), against the target and its date.

A share is the total of the target's `part` fact over the total of its `whole` facts, summed
exactly (decimal) over the partners that have a value for every fact of `whole`; a partner
missing one is counted as left out, not as zero. A partner in several regions counts in each
region (so regions need not add up to the whole), once overall.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...model.policy import Target


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Share:
    """Totals of one group of partners (all, a tier, a region)."""

    part: Decimal = Decimal(0)
    whole: Decimal = Decimal(0)
    partners: int = 0

    def add(self, part: Decimal, whole: Decimal) -> None:
        self.part += part
        self.whole += whole
        self.partners += 1

    @property
    def percent(self) -> float | None:
        return None if not self.whole else round(float(self.part / self.whole * 100), 2)


def standing(percent: float | None, target: Any, due: str, as_of: _dt.date) -> dict[str, Any]:
    """Where a share stands against a target level and date: met, below (time left) or missed."""
    days = (_dt.date.fromisoformat(due) - as_of).days
    if percent is None:
        status = "no data"
    elif percent >= target:
        status = "met"
    else:
        status = "below" if days >= 0 else "missed"
    gap = None if percent is None or percent >= target else round(float(target) - percent, 2)
    return {"target_percent": target, "by": due, "days_left": days, "status": status, "gap_points": gap}


@dataclass
class TargetTally:
    """The totals one target needs, accumulated partner by partner."""

    target: Target
    overall: Share = field(default_factory=Share)
    tiers: dict[str | None, Share] = field(default_factory=dict)
    segments: dict[str, Share] = field(default_factory=dict)
    left_out: int = 0
    no_segment: int = 0

    def add(self, tier: str | None, facts: dict[str, Any]) -> None:
        values = {name: _dec(facts.get(name)) for name in self.target.whole}
        known = [v for v in values.values() if v is not None]
        part = values.get(self.target.part)
        if len(known) < len(values) or part is None:
            self.left_out += 1
            return
        whole = sum(known, Decimal(0))
        self.overall.add(part, whole)
        self.tiers.setdefault(tier, Share()).add(part, whole)
        if self.target.per is None:
            return
        raw = facts.get(self.target.per)
        segments = sorted(set(raw)) if isinstance(raw, list) else [raw] if isinstance(raw, str) else []
        if not segments:
            self.no_segment += 1
        for value in segments:
            self.segments.setdefault(value, Share()).add(part, whole)

    def _row(self, share: Share, target: Any, due: str, as_of: _dt.date) -> dict[str, Any]:
        return {"partners": share.partners, "part": _plain(share.part), "whole": _plain(share.whole),
                "percent": share.percent, **standing(share.percent, target, due, as_of)}

    def to_dict(self, tier_keys: list[str | None], enum: tuple[str, ...] | None, as_of: _dt.date) -> dict[str, Any]:
        t = self.target
        out: dict[str, Any] = {"id": t.id, "title": t.title, "description": t.description, "part": t.part,
                               "whole": list(t.whole), "target_percent": t.at_least_percent, "by": t.by,
                               "per": t.per, "partners_left_out": self.left_out,
                               "overall": self._row(self.overall, t.at_least_percent, t.by, as_of),
                               "tiers": [{"id": key, **self._row(self.tiers.get(key, Share()), t.at_least_percent,
                                                                  t.by, as_of)} for key in tier_keys]}
        if t.per is not None:
            order = list(enum or ())
            values = [v for v in order if v in self.segments or t.segment(v) is not None]
            values += sorted((v for v in self.segments if v not in order), key=lambda v: (-self.segments[v].whole, v))
            rows = []
            for value in values:
                segment = t.segment(value)
                level = segment.at_least_percent if segment is not None else t.at_least_percent
                due = (segment.by if segment is not None and segment.by else None) or t.by
                rows.append({"value": value, "own_target": segment is not None,
                             **self._row(self.segments.get(value, Share()), level, due, as_of)})
            out["segments"] = rows
            out["partners_without_segment"] = self.no_segment
        return out
