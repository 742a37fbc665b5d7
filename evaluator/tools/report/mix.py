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


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Share:
    """Totals of one group of partners (all, a tier, a region)."""

    part: Decimal = Decimal(0)
    whole: Decimal = Decimal(0)
    partners: int = 0

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
    """The totals one target needs, accumulated partner by partner: per (tier, segment values)
    group, one dictionary look-up and two decimal additions a partner; overall, per tier and
    per segment are folded from the groups when the report is written."""

    target: Target
    left_out: int = 0
    groups: dict[tuple[str | None, tuple[Any, ...]], list[Any]] = field(default_factory=dict)

    def add(self, tier: str | None, facts: dict[str, Any]) -> None:
        t = self.target
        whole, part = Decimal(0), Decimal(0)
        for name in t.whole:
            value = facts.get(name)
            cls = type(value)
            if cls is float:
                exact = Decimal(repr(value))
            elif cls is int or cls is Decimal:
                exact = Decimal(value)  # type: ignore[arg-type]  # an int or a Decimal, checked above
            else:  # missing (or not a number): the partner is left out, never taken as zero
                self.left_out += 1
                return
            whole += exact
            if name == t.part:
                part = exact
        raw = facts.get(t.per) if t.per is not None else None
        key = (tier, tuple(raw) if type(raw) is list else (raw,) if type(raw) is str else ())
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = [Decimal(0), Decimal(0), 0]
        group[0] += part
        group[1] += whole
        group[2] += 1

    def fold(self) -> tuple[Share, dict[str | None, Share], dict[str, Share], int]:
        """Overall, per tier, per segment (a partner once in each of its values), and the
        partners with no segment value."""
        overall, no_segment = Share(), 0
        tiers: dict[str | None, Share] = {}
        segments: dict[str, Share] = {}
        for (tier, values), (part, whole, count) in self.groups.items():
            for share in [overall, tiers.setdefault(tier, Share())] + [segments.setdefault(v, Share())
                                                                        for v in sorted(set(values))]:
                share.part += part
                share.whole += whole
                share.partners += count
            if not values:
                no_segment += count
        return overall, tiers, segments, no_segment

    def _row(self, share: Share, target: Any, due: str, as_of: _dt.date) -> dict[str, Any]:
        return {"partners": share.partners, "part": _plain(share.part), "whole": _plain(share.whole),
                "percent": share.percent, **standing(share.percent, target, due, as_of)}

    def to_dict(self, tier_keys: list[str | None], enum: tuple[str, ...] | None, as_of: _dt.date) -> dict[str, Any]:
        t = self.target
        overall, tiers, segments, no_segment = self.fold()
        out: dict[str, Any] = {"id": t.id, "title": t.title, "description": t.description, "part": t.part,
                               "whole": list(t.whole), "target_percent": t.at_least_percent, "by": t.by,
                               "per": t.per, "partners_left_out": self.left_out,
                               "overall": self._row(overall, t.at_least_percent, t.by, as_of),
                               "tiers": [{"id": key, **self._row(tiers.get(key, Share()), t.at_least_percent,
                                                                  t.by, as_of)} for key in tier_keys]}
        if t.per is not None:
            order = list(enum or ())
            values = [v for v in order if v in segments or t.segment(v) is not None]
            values += sorted((v for v in segments if v not in order), key=lambda v: (-segments[v].whole, v))
            rows = []
            for value in values:
                segment = t.segment(value)
                level = segment.at_least_percent if segment is not None else t.at_least_percent
                due = (segment.by if segment is not None and segment.by else None) or t.by
                rows.append({"value": value, "own_target": segment is not None,
                             **self._row(segments.get(value, Share()), level, due, as_of)})
            out["segments"] = rows
            out["partners_without_segment"] = no_segment
        return out
