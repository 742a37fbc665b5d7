"""Near misses and partners at risk (`evaluator evaluate --near PERCENT`).

- near: every required criterion the next tier (the one ranked just above the partner's) still
  needs is a numeric change that can be made (its shortfall: increase or decrease of a number
  or a measure), each at most PERCENT of the threshold it moves to (`by <= PERCENT/100 *
  |threshold|`). A criterion needing a statement (a string, a list item), missing data or a date
  is never near.
- at risk: the partner holds its tier by its criteria (not an override) and a required criterion
  of that tier passes a numeric threshold by less than PERCENT of it. The slack of a comparison
  is how far the value may move before it fails (`>=`: actual - threshold; `between`: to the
  nearer bound); `all` takes the smallest slack of its parts, `any` the largest of its met parts;
  a `not` has none. A threshold of 0 has no relative distance and is skipped.

Writers stream like report.py's: one record per partner that is near or at risk, and every
invalid record (so none is lost silently).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Callable, Iterable, Iterator

from ..language.conditions import combine
from ..language.facttypes import jsonable
from ..language.moves import DECREASE, INCREASE, show
from ..language.operators import OPERATORS
from ..model.decision import MET, Decision, InvalidRecord, tier_ref
from ..errors import EvaluatorError
from ..model.policy import All, Comparison, Condition, Not, Policy
from ..output.writers import write_json as write_array  # the streaming JSON array writer of decisions
from ..render.cells import SafeDictWriter
from ..render.text import NO_TIER, fit, visible

Result = Decision | InvalidRecord


class NearOptionError(EvaluatorError):
    """--near was given something that is not a percentage."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dec(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def percent_of(distance: Any, threshold: Any) -> float | None:
    """`distance` as a percentage of `threshold` (None for a zero threshold)."""
    if _dec(threshold) == 0:
        return None
    return round(float(_dec(distance) / abs(_dec(threshold)) * 100), 6)


@dataclass
class Distance:
    """How far one comparison is from a threshold: `by` to pass it (near) or `margin` above it (at risk)."""

    criterion: str
    operand: str
    op: str
    actual: Any
    threshold: Any
    distance: Any
    percent: float
    unit: str | None

    def to_dict(self, key: str) -> dict[str, Any]:
        out = {"criterion": self.criterion, "operand": self.operand, "op": self.op, "actual": jsonable(self.actual),
               "threshold": jsonable(self.threshold), key: jsonable(self.distance), "percent": self.percent}
        if self.unit:
            out["unit"] = self.unit
        return out


@dataclass
class NearMiss:
    result: Result
    near: Any = None  # the next tier (TierResult) when near it
    gaps: list[Distance] = field(default_factory=list)
    at_risk: list[Distance] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.result, InvalidRecord):
            return self.result.to_dict()
        d = self.result
        out: dict[str, Any] = {"partner_id": d.partner_id}
        if d.source is not None:
            out["source"] = d.source
        out["tier"] = tier_ref(d.tier)
        out["near"] = None if self.near is None else {**tier_ref(self.near.tier),  # type: ignore[dict-item]
                                                      "gaps": [g.to_dict("by") for g in self.gaps]}
        out["at_risk"] = [r.to_dict("margin") for r in self.at_risk]
        out["policy"] = dict(d.policy)
        if d.input_sha256 is not None:
            out["input_sha256"] = d.input_sha256
        return out


def near_gaps(decision: Decision, percent: float) -> tuple[Any, list[Distance]]:
    """The next tier and its gaps, if every gap is a numeric change within `percent`; else (None, [])."""
    nxt = decision.next_tier
    if nxt is None or nxt.status == MET:
        return None, []
    gaps = []
    for criterion in nxt.criteria:
        if criterion.advisory or criterion.status == MET:
            continue
        shortfall = criterion.shortfall
        if shortfall is None or not shortfall.changes:
            return None, []
        for change in shortfall.changes:
            if (change.change not in (INCREASE, DECREASE) or not change.reachable
                    or not _number(change.actual) or not _number(change.to)):
                return None, []
            threshold = _threshold(change.value, change.actual)
            share = percent_of(change.by, threshold) if threshold is not None else None
            if share is None or share > percent:
                return None, []
            gaps.append(Distance(criterion.id, change.operand.name, change.op, change.actual, threshold,
                                 change.by, share, change.unit))
    return (nxt, gaps) if gaps else (None, [])


def _threshold(value: Any, actual: Any) -> Any:
    """The constant a numeric comparison is measured against (for a range, the nearer bound)."""
    if isinstance(value, tuple):
        if not all(_number(v) for v in value):
            return None
        low, high = value
        return low if abs(_dec(actual) - _dec(low)) <= abs(_dec(actual) - _dec(high)) else high
    return value if _number(value) else None


def _slack(condition: Condition, checks: dict[str, Any], criterion: str, units: dict[str, str | None]
           ) -> Distance | None:
    """The comparison whose threshold is nearest, relative to it, among those the condition
    needs to stay met; None when no numeric threshold holds it."""
    if isinstance(condition, Comparison):
        check = checks[condition.pointer]
        slack = OPERATORS[condition.op].slack  # how far a met value may move before it fails
        if check.status != MET or slack is None or not _number(check.actual):
            return None
        if not (_number(condition.value) or isinstance(condition.value, tuple)
                and all(_number(v) for v in condition.value)):
            return None
        margin, threshold = slack(_dec(check.actual), condition.value)
        share = percent_of(margin, threshold)
        if share is None:
            return None
        return Distance(criterion, condition.operand.name, condition.op, check.actual, threshold,
                        _plain(margin), share, units.get(condition.operand.name))
    if isinstance(condition, Not):
        return None
    parts = [_slack(p, checks, criterion, units) for p in condition.parts]
    found = [p for p in parts if p is not None]
    if isinstance(condition, All):
        return min(found, key=lambda d: d.percent) if found else None
    # any: it fails only when every met branch fails, so the safest branch is the slack; a met
    # branch without a numeric threshold means no slack at all
    met = [p for p, part in zip(parts, condition.parts) if _met(part, checks)]
    if not met or any(p is None for p in met):
        return None
    return max((d for d in met if d is not None), key=lambda d: d.percent)


def _met(condition: Condition, checks: dict[str, Any]) -> bool:
    return combine(condition, lambda c: checks[c.pointer].status) == MET


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def at_risk(decision: Decision, policy: Policy, percent: float) -> list[Distance]:
    """Required criteria of the partner's own tier it passes by less than `percent`."""
    if decision.tier is None or decision.override is not None:
        return []
    units = {name: spec.unit for name, spec in policy.facts.items()}
    units.update({name: m.unit for name, m in policy.measures.items()})
    held = decision.tier_result(decision.tier.id)
    out = []
    for criterion, result in zip(held.tier.criteria, held.criteria):
        if criterion.advisory:
            continue
        slack = _slack(criterion.condition, {c.pointer: c for c in result.checks}, criterion.id, units)
        if slack is not None and slack.percent < percent:
            out.append(slack)
    return out


def near_misses(results: Iterable[Result], policy: Policy, percent: float) -> Iterator[NearMiss]:
    """The partners near their next tier or at risk of losing their own, and every invalid record."""
    for result in results:
        if isinstance(result, InvalidRecord):
            yield NearMiss(result)
            continue
        nxt, gaps = near_gaps(result, percent)
        risks = at_risk(result, policy, percent)
        if nxt is not None or risks:
            yield NearMiss(result, nxt, gaps, risks)


# --- writers -----------------------------------------------------------------------------------

def write_jsonl(items: Iterable[NearMiss], out: IO[str], percent: float, policy: Policy) -> None:
    for item in items:
        out.write(json.dumps(item.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")


def write_json(items: Iterable[NearMiss], out: IO[str], percent: float, policy: Policy) -> None:
    write_array(items, out, policy)  # type: ignore[arg-type]


CSV_COLUMNS = ["partner_id", "line", "tier", "view", "target_tier", "criterion", "operand", "op", "actual",
               "threshold", "distance", "unit", "percent", "error"]


def _rows(item: NearMiss) -> Iterator[dict[str, Any]]:
    r = item.result
    source = r.source or {}
    base = {"partner_id": r.partner_id or "", "line": source.get("line", source.get("index", ""))}
    if isinstance(r, InvalidRecord):
        yield {**base, "view": "invalid", "error": r.message}
        return
    base["tier"] = r.tier.id if r.tier is not None else ""
    for view, target, distances in (("near", item.near, item.gaps), ("at_risk", r.tier, item.at_risk)):
        for d in distances:
            target_id = getattr(target, "tier", target).id  # type: ignore[union-attr]  # a tier when it has distances
            yield {**base, "view": view, "target_tier": target_id, "criterion": d.criterion, "operand": d.operand,
                   "op": d.op, "actual": jsonable(d.actual), "threshold": jsonable(d.threshold),
                   "distance": jsonable(d.distance), "unit": d.unit or "", "percent": d.percent}


def write_csv(items: Iterable[NearMiss], out: IO[str], percent: float, policy: Policy, raw: bool = False) -> None:
    """Cells neutralised for spreadsheets (render.cells) unless `raw`."""
    writer = SafeDictWriter(out, CSV_COLUMNS, raw=raw)
    writer.writeheader()
    for item in items:
        writer.writerows(_rows(item))


def _unit(d: Distance) -> str:
    return f" {d.unit}" if d.unit else ""


def _pct(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") + "%"


def describe_gap(d: Distance) -> str:
    return (f"{d.criterion}: {d.operand} {show(d.actual)} needs {d.op} {show(d.threshold)}: "
            f"{show(d.distance)}{_unit(d)} to go ({_pct(d.percent)})")


def describe_risk(d: Distance) -> str:
    return (f"{d.criterion}: {d.operand} {show(d.actual)} passes {d.op} {show(d.threshold)} "
            f"by {show(d.distance)}{_unit(d)} ({_pct(d.percent)})")


def write_table(items: Iterable[NearMiss], out: IO[str], percent: float, policy: Policy) -> None:
    width = max([len(visible(t.name)) for t in policy.tiers] + [len(NO_TIER)])
    out.write(f"{'PARTNER':<16}  {'TIER':<{width}}  {'VIEW':<8}  DETAIL\n")
    near = risk = invalid = 0
    for item in items:
        r = item.result
        pid = fit(r.partner_id or "?", 16)  # escaped, then cut: no half escape sequence
        if isinstance(r, InvalidRecord):
            invalid += 1
            out.write(f"{pid:<16}  {'-':<{width}}  {'invalid':<8}  {visible(r.message)}\n")
            continue
        name = visible(r.tier.name) if r.tier is not None else NO_TIER
        if item.near is not None:
            near += 1
            detail = f"{item.near.tier.name}: " + "; ".join(describe_gap(g) for g in item.gaps)
            out.write(f"{pid:<16}  {name:<{width}}  {'near':<8}  {visible(detail)}\n")
        if item.at_risk:
            risk += 1
            detail = "; ".join(describe_risk(d) for d in item.at_risk)
            out.write(f"{pid:<16}  {name:<{width}}  {'at risk':<8}  {visible(detail)}\n")
    summary = f"\nwithin {_pct(percent)}: {near} near the next tier, {risk} at risk of losing their tier"
    out.write(summary + (f", {invalid} invalid" if invalid else "") + "\n")


WRITERS: dict[str, Callable[[Iterable[NearMiss], IO[str], float, Policy], None]] = {
    "jsonl": write_jsonl,
    "json": write_json,
    "csv": write_csv,
    "table": write_table,
}


def near_writer(fmt: str, percent: float, csv_raw: bool = False) -> Callable[[Iterable[Result], IO[str], Policy], None]:
    """A writer with report.WRITERS' signature that writes the near-miss view instead of decisions."""
    if not math.isfinite(percent) or percent < 0:
        raise NearOptionError(f"--near {percent}: expected a percentage of 0 or more")

    def write(results: Iterable[Result], out: IO[str], policy: Policy) -> None:
        items = near_misses(results, policy, percent)
        if fmt == "csv":
            write_csv(items, out, percent, policy, raw=csv_raw)
        else:
            WRITERS[fmt](items, out, percent, policy)
    return write
