"""The program report (`evaluator report`): where a program's partners stand, for the people who run it.

One pass over the partner records under one policy, holding only counters (the report's size
depends on the policy and the number of distinct region/country values, never on the number of
partners, except for the invalid records, which are listed). It gives:

- partners per tier (and "no tier"), with their share;
- sums per tier of money facts (default: number facts whose unit is the policy's currency, the
  sales), with count, total, mean, min and max;
- breakdowns by categorical facts (default: every string_list fact and every string fact with an
  `enum`: regions and countries in the shipped program), per tier; a partner in three regions
  counts once in each;
- near misses and partners at risk, as `evaluator evaluate --near` defines them (near.py): near
  the next tier when every criterion it still needs is a numeric change within PERCENT (default
  10) of its threshold, counted under that tier; at risk when a required criterion of their own
  tier passes a numeric threshold by less than PERCENT, counted under their tier. Also counted:
  partners whose result a missing fact leaves open (a higher tier is undecided), under the
  highest such tier.

This module counts; writers.py renders the counts as Markdown, JSON, or one self-contained HTML
file whose bar charts are inline SVG (render.svg).
"""
from __future__ import annotations

import datetime as _dt
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from ...version import __version__
from ...model.decision import MISSING, Decision, InvalidRecord
from ...errors import EvaluatorError
from ...evaluate.evaluator import Evaluator, InputRecord
from ...evaluate.history import TRANSITIONS
from ...language.facts import coerce_record
from ...language.facttypes import FACT_TYPES
from ...explain.near import at_risk, near_gaps
from ...model.policy import Policy, Tier
from ...render.text import NO_TIER
from .labels import name_fact
from .mix import TargetTally
from .payouts import PayoutTally
from .people import DEFAULT_LIST_LIMIT, Watched, Watchlist

DEFAULT_NEAR_PERCENT = 10.0


class ReportOptionError(EvaluatorError):
    """A report option names a fact the policy does not have, or one of the wrong type."""


# --- near misses and missing data ------------------------------------------------------------
# Near misses and partners at risk are the ones `evaluator evaluate --near` lists (near.py), so
# the report's counts and that list always agree.

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def undecided_tier(decision: Decision) -> Tier | None:
    """The highest tier above the partner's whose result is `missing`: a missing fact could lift it."""
    own_rank = decision.tier.rank if decision.tier is not None else len(decision.tiers) + 1
    for tier_result in decision.tiers:
        if tier_result.tier.rank < own_rank and tier_result.status == MISSING:
            return tier_result.tier
    return None


# --- accumulation --------------------------------------------------------------------------------

@dataclass
class Stats:
    """Count, total, min and max of a number, kept as values stream past."""

    count: int = 0
    total: float = 0
    min: float | None = None
    max: float | None = None

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.min = value if self.min is None or value < self.min else self.min
        self.max = value if self.max is None or value > self.max else self.max

    def to_dict(self) -> dict[str, Any]:
        mean = self.total / self.count if self.count else None
        return {"count": self.count, "total": _round(self.total), "mean": _round(mean),
                "min": self.min, "max": self.max}


def _round(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def default_dimensions(policy: Policy) -> list[str]:
    """Facts to break partners down by: those a fact type lets group (--by), with few values (an
    enum, or items of a list)."""
    return [name for name, spec in policy.facts.items()
            if name != policy.id_fact and FACT_TYPES[spec.type].report_role == "dimension"
            and (FACT_TYPES[spec.type].value_type == "list" or spec.enum)]


def default_sums(policy: Policy) -> list[str]:
    return [name for name, spec in policy.facts.items()
            if FACT_TYPES[spec.type].report_role == "amount" and spec.unit == policy.currency]


def _check_facts(policy: Policy, names: list[str], role: str, option: str) -> None:
    types = tuple(name for name, kind in FACT_TYPES.items() if kind.report_role == role)
    import difflib
    for name in names:
        spec = policy.facts.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(policy.facts), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ReportOptionError(f"{option} {name}: the policy has no fact '{name}'{hint}")
        if spec.type not in types:
            raise ReportOptionError(f"{option} {name}: '{name}' is a {spec.type} fact; expected a "
                                    + " or ".join(types) + " fact")


@dataclass
class ProgramReport:
    """The program-wide summary of one policy over a stream of partners. Feed it with `add`."""

    policy: Policy
    dimensions: list[str] = field(default_factory=list)
    sums: list[str] = field(default_factory=list)
    near_percent: float = DEFAULT_NEAR_PERCENT
    input_name: str | None = None
    as_of: _dt.date | None = None
    list_limit: int = DEFAULT_LIST_LIMIT
    label: str | None = None  # the snapshot's name (its file's), when the report compares several
    records: int = 0
    tier_counts: dict[str | None, int] = field(default_factory=dict)
    tier_sums: dict[tuple[str | None, str], Stats] = field(default_factory=dict)
    near_miss: dict[str, int] = field(default_factory=dict)
    at_risk: dict[str, int] = field(default_factory=dict)
    undecided: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, int] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, dict[str | None, int]]] = field(default_factory=dict)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    # with --previous / --exceptions: transitions since the last review, partners in grace by the
    # tier they keep, exceptions applied by id (empty without them, and then not in the report)
    transitions: dict[str, int] = field(default_factory=dict)
    in_grace: dict[str, int] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)
    near_list: Watchlist = field(default_factory=Watchlist)
    risk_list: Watchlist = field(default_factory=Watchlist)
    tallies: list[TargetTally] = field(default_factory=list)
    payouts: PayoutTally | None = None  # when the policy pays (payouts.py)

    def __post_init__(self) -> None:
        if self.list_limit < 0:
            raise ReportOptionError(f"--list {self.list_limit}: expected a number of partners, 0 or more")
        self.near_list, self.risk_list = Watchlist(self.list_limit), Watchlist(self.list_limit)
        self.tallies = [TargetTally(target) for target in self.policy.targets]
        tally = PayoutTally(self.policy)
        self.payouts = tally if tally.active else None
        self._name_fact = name_fact(self.policy)
        _check_facts(self.policy, self.dimensions, "dimension", "--by")
        _check_facts(self.policy, self.sums, "amount", "--sum")
        if not self.near_percent >= 0 or math.isinf(self.near_percent):
            raise ReportOptionError(f"--near {self.near_percent}: expected a percentage, 0 or more")
        self.breakdowns = {name: {} for name in self.dimensions}

    @property
    def tier_keys(self) -> list[str | None]:
        return [t.id for t in self.policy.tiers] + [None]

    def tier_name(self, key: str | None) -> str:
        return NO_TIER if key is None else self.policy.tier(key).name

    @property
    def partners(self) -> int:
        return sum(self.tier_counts.values())

    def add(self, result: Decision | InvalidRecord, facts: dict[str, Any] | None) -> None:
        """Count one result; `facts` are the partner's coerced facts (None for an invalid record)."""
        self.records += 1
        if isinstance(result, InvalidRecord):
            self.invalid.append({"partner_id": result.partner_id, "source": result.source,
                                 "message": result.message})
            return
        key = result.tier.id if result.tier is not None else None
        self.tier_counts[key] = self.tier_counts.get(key, 0) + 1
        if result.override is not None:
            self.overrides[result.override.id] = self.overrides.get(result.override.id, 0) + 1
        if result.standing is not None:
            move = result.standing["transition"]
            self.transitions[move] = self.transitions.get(move, 0) + 1
            if move == "kept_in_grace" and key is not None:
                self.in_grace[key] = self.in_grace.get(key, 0) + 1
        if result.exception is not None:
            self.exceptions[result.exception["id"]] = self.exceptions.get(result.exception["id"], 0) + 1
        facts = facts or {}
        for name in self.sums:
            value = facts.get(name)
            if _is_number(value):
                self.tier_sums.setdefault((key, name), Stats()).add(value)  # type: ignore[arg-type]
        for name in self.dimensions:
            value = facts.get(name)
            values = sorted(set(value)) if isinstance(value, list) else [value] if isinstance(value, str) else []
            counts = self.breakdowns[name]
            for item in values or [None]:
                row = counts.setdefault(item, {})
                row[key] = row.get(key, 0) + 1
        for tally in self.tallies:
            tally.add(key, facts)
        if self.payouts is not None and key is not None:
            self.payouts.add(key, result.payouts)
        given = facts.get(self._name_fact) if self._name_fact is not None else None
        partner_name = given if isinstance(given, str) and given else None
        near, gaps = near_gaps(result, self.near_percent)
        if near is not None:
            self.near_miss[near.tier.id] = self.near_miss.get(near.tier.id, 0) + 1
            self.near_list.add(Watched(result.partner_id, partner_name, key, near.tier.id, gaps,
                                       max(g.percent for g in gaps)))
        risks = at_risk(result, self.policy, self.near_percent) if key is not None else []
        if risks and key is not None:
            self.at_risk[key] = self.at_risk.get(key, 0) + 1
            self.risk_list.add(Watched(result.partner_id, partner_name, key, key, risks, min(r.percent for r in risks)))
        missing = undecided_tier(result)
        if missing is not None:
            self.undecided[missing.id] = self.undecided.get(missing.id, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        partners = self.partners
        tiers = []
        for key in self.tier_keys:
            count = self.tier_counts.get(key, 0)
            row: dict[str, Any] = {"id": key, "name": self.tier_name(key),
                                   "rank": None if key is None else self.policy.tier(key).rank,
                                   "partners": count, "share": round(count / partners, 4) if partners else 0.0,
                                   "sums": {n: self.tier_sums.get((key, n), Stats()).to_dict() for n in self.sums}}
            if key is not None:
                row["near_miss"] = self.near_miss.get(key, 0)
                row["at_risk"] = self.at_risk.get(key, 0)
                row["undecided"] = self.undecided.get(key, 0)
            tiers.append(row)
        totals = {}
        for name in self.sums:
            total = Stats()
            for key in self.tier_keys:
                part = self.tier_sums.get((key, name))
                if part is not None and part.count:
                    total.count += part.count
                    total.total += part.total
                    total.min = part.min if total.min is None else min(total.min, part.min)  # type: ignore[type-var]
                    total.max = part.max if total.max is None else max(total.max, part.max)  # type: ignore[type-var]
            totals[name] = total.to_dict()
        breakdowns = []
        for name in self.dimensions:
            values = []
            for value, row in sorted(self.breakdowns[name].items(),  # type: ignore[assignment]
                                     key=lambda kv: (kv[0] is None, -sum(kv[1].values()), kv[0] or "")):
                values.append({"value": value, "partners": sum(row.values()),
                               "tiers": {("none" if k is None else k): row.get(k, 0)  # type: ignore[arg-type]
                                         for k in self.tier_keys}})
            breakdowns.append({"fact": name, "description": self.policy.facts[name].description,
                               "multi_valued": FACT_TYPES[self.policy.facts[name].type].value_type == "list",
                               "values": values})
        ranked = [k for k in self.tier_keys if k is not None]
        enum = {t.id: self.policy.facts[t.per].enum if t.per in self.policy.facts else None
                for t in self.policy.targets}
        as_of = self.as_of or _dt.datetime.now(_dt.timezone.utc).date()
        out: dict[str, Any] = {
            "policy": dict(self.policy.ref, title=self.policy.title),
            "as_of": as_of.isoformat(),
            "label": self.label,
            "input": self.input_name,
            "records": self.records,
            "partners": partners,
            "invalid": len(self.invalid),
            "near_percent": self.near_percent,
            "tiers": tiers,
            "sums": totals,
            "overrides": dict(sorted(self.overrides.items())),
            "totals": {"partners": partners, "near_miss": sum(self.near_miss.values()),
                       "at_risk": sum(self.at_risk.values()), "undecided": sum(self.undecided.values())},
            "near_miss_partners": {k: [w.to_dict(self.policy, "near") for w in self.near_list.of(k)]
                                   for k in ranked if self.near_miss.get(k)},
            "at_risk_partners": {k: [w.to_dict(self.policy, "at_risk") for w in self.risk_list.of(k)]
                                 for k in ranked if self.at_risk.get(k)},
            "list_limit": self.list_limit,
            "targets": [tally.to_dict(self.tier_keys, enum[tally.target.id], as_of) for tally in self.tallies],
            "breakdowns": breakdowns,
            "invalid_records": self.invalid,
            "evaluator": {"version": __version__},
        }
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        if self.transitions:
            out["transitions"] = {m: self.transitions[m] for m in TRANSITIONS if m in self.transitions}
            out["in_grace"] = {k: self.in_grace[k] for k in self.tier_keys if k in self.in_grace}
        if self.exceptions:
            out["exceptions"] = dict(sorted(self.exceptions.items()))
        if self.payouts is not None:
            out["payouts"] = self.payouts.to_dict()
        return out


def build_report(evaluator: Evaluator, records: Iterable[Any], *, dimensions: list[str] | None = None,
                 sums: list[str] | None = None, near_percent: float = DEFAULT_NEAR_PERCENT,
                 input_name: str | None = None, list_limit: int = DEFAULT_LIST_LIMIT,
                 label: str | None = None) -> ProgramReport:
    """Evaluate every record once and summarise. Records may be dicts or InputRecords."""
    policy = evaluator.policy
    report = ProgramReport(policy, default_dimensions(policy) if dimensions is None else list(dimensions),
                           default_sums(policy) if sums is None else list(sums), near_percent, input_name,
                           evaluator.as_of, list_limit, label)
    # The input is read once: the evaluator and the fact reader advance in lockstep, so the
    # tee never holds more than one record.
    for_facts, for_engine = itertools.tee(records)
    for item, result in zip(for_facts, evaluator.evaluate_many(for_engine)):
        facts = None
        if result.ok:
            data, from_text = (item.data, item.from_text) if isinstance(item, InputRecord) else (item, False)
            facts, _ = coerce_record(policy, data, from_text=from_text)
        report.add(result, facts)
    return report
