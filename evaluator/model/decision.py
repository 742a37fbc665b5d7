"""Decision objects: what an evaluation produces, and their JSON form (schemas/decision.schema.json).

A Decision is made in this module only: by its constructor (the plain path: every result built
at once) or by `Decision.encoded` (the evaluator's cached path: every field at once but `tiers`,
which is built on first use from the record's `Encoded` state). DECISION_FIELDS declares, for each
member of a decision's JSON, what it depends on; the template writer (fast/template.py) cuts its
per-encoding templates by that declaration, and a member it does not declare fails the tests.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from . import digest as _digest
from ..errors import Finding
from ..language.facttypes import jsonable
from .status import MET, MISSING as MISSING, NOT_MET as NOT_MET  # the statuses, for the modules that read decisions
from .payouts import Payout
from .policy import Operand, Override, Tier

if TYPE_CHECKING:
    from ..explain.shortfall import Change, Shortfall

# What each member of a decision's JSON depends on:
RECORD = "record"        # the record's own values: marked in a template, written for each record
ENCODING = "encoding"    # fixed by the record's encoding (where each value falls against the constants)
EXPLAINED = "explained"  # per criterion: statuses and texts by the encoding, values and shortfalls by the record
KEPT = "kept"            # the record itself (evaluate --with-input): such a decision has no template
DECISION_FIELDS: dict[str, str] = {
    "partner_id": RECORD, "source": RECORD, "tier": ENCODING, "override": ENCODING, "benefits": ENCODING,
    "next_tier": EXPLAINED, "tiers": EXPLAINED, "overrides": ENCODING, "measures": RECORD, "as_of": ENCODING,
    "policy": ENCODING, "evaluator": ENCODING, "input_sha256": RECORD, "input": KEPT, "input_is_text": KEPT,
    "payouts": RECORD,  # amounts of the held tier's benefits (evaluate/payouts.py): by the record's figures
    "error": RECORD,  # an error record's findings (never cut into a template: it is not a decision)
    # set after the engine, per partner (evaluate/standing.py): such a decision has no template
    "standing": KEPT, "exception": KEPT,
}


class Explains(Protocol):
    """What builds a cached decision's results: the evaluator's plan for its policy."""

    def explain(self, outcome: Any, facts: dict[str, Any], measures: dict[str, Any], as_of: _dt.date,
                shortfalls: bool = True) -> list["TierResult"]: ...

    def payouts(self, tier: Tier | None, statuses: tuple[str, ...], facts: dict[str, Any],
                as_of: _dt.date) -> tuple[Payout, ...]: ...


class Encoded(NamedTuple):
    """What a cached decision keeps of its record, to explain it on first use and to write it from
    its encoding's template: the encoding (the outcome cache's key), the engine's outcome for it,
    the record's facts and measures, the evaluation date and the plan that decided it."""

    key: tuple[Any, ...]
    outcome: Any
    facts: dict[str, Any]
    measures: dict[str, Any]
    as_of: _dt.date
    plan: Explains


_new = object.__new__

# Detail levels of a decision's JSON (`evaluate --detail`): Decision.to_dict
TIER, SUMMARY, FULL = "tier", "summary", "full"
DETAILS = (TIER, SUMMARY, FULL)



def input_sha256(record: Any) -> str:
    """sha256 of an input record's canonical JSON (sorted keys, no whitespace, UTF-8), the same
    canonical form the policy's sha256 is taken of. Values JSON cannot hold (a NaN, a date given
    to the library) are written as their text so every record still gets a digest."""
    return _digest.input_sha256(record)  # orjson where provably identical, else the original algorithm


def partner_name(policy: Any, facts: dict[str, Any]) -> str | None:
    """The partner's name, for people (CSV, tables): the fact `partner_name` (else `name`) when
    the policy declares it and the record gives it as text."""
    name = "partner_name" if "partner_name" in policy.facts else "name" if "name" in policy.facts else None
    value = facts.get(name) if name is not None else None
    return str.__str__(value) if isinstance(value, str) else None


def partner_id(policy: Any, record: Any) -> str | None:
    """The partner's id as a decision names it: the policy's id fact, if a string or integer."""
    if isinstance(record, dict):
        value = record.get(policy.id_fact)
        spec = getattr(policy, "facts", {}).get(policy.id_fact) if value is None else None
        if spec is not None:  # given under an alias
            for alias in spec.aliases:
                if alias in record:
                    value = record[alias]
                    break
        if type(value) is str:  # the common case, first: the id as it is
            return value
        if isinstance(value, str):  # a str Enum member: the string it holds, as JSON writes it
            return str.__str__(value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return int.__repr__(value)
            except ValueError:  # more digits than Python writes as text: no id to show
                return None
    return None


@dataclass
class CheckResult:
    """One comparison of a criterion: the operand, its actual value and the outcome."""

    operand: Operand
    op: str
    value: Any
    actual: Any
    status: str
    pointer: str
    shortfall: "Change | None" = None  # set when this comparison is part of its criterion's shortfall

    def to_dict(self) -> dict[str, Any]:
        out = {"operand": self.operand.name, "kind": self.operand.kind, "op": self.op,
               "value": jsonable(self.value), "actual": jsonable(self.actual), "status": self.status,
               "pointer": self.pointer}
        if self.shortfall is not None:
            out["shortfall"] = self.shortfall.to_check_dict(self.op)
        return out


@dataclass
class CriterionResult:
    id: str
    description: str
    advisory: bool
    status: str
    actual: dict[str, Any]
    required: str
    checks: list[CheckResult]
    missing_facts: list[str]
    pointer: str
    shortfall: "Shortfall | None" = None  # what it still needs (tiers at or above the result)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "description": self.description, "advisory": self.advisory,
               "status": self.status, "actual": {k: jsonable(v) for k, v in self.actual.items()},
               "required": self.required, "checks": [c.to_dict() for c in self.checks]}
        if self.missing_facts:
            out["missing_facts"] = self.missing_facts
        if self.shortfall is not None:
            out["shortfall"] = self.shortfall.to_dict()
        return out


@dataclass
class TierResult:
    tier: Tier
    status: str  # met when every required criterion is met
    criteria: list[CriterionResult]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.tier.id, "name": self.tier.name, "rank": self.tier.rank, "status": self.status,
                "criteria": [c.to_dict() for c in self.criteria]}


def tier_ref(tier: Tier | None) -> dict[str, Any] | None:
    return None if tier is None else {"id": tier.id, "name": tier.name, "rank": tier.rank}


@dataclass
class Decision:
    """The tier a partner gets, with every tier's and criterion's result."""

    partner_id: str | None
    tier: Tier | None
    tiers: list[TierResult]
    override: Override | None
    overrides: list[tuple[Override, str]]
    measures: dict[str, Any]
    policy: dict[str, str]
    evaluator_version: str
    as_of: _dt.date | None = None
    source: dict[str, Any] | None = None
    # sha256 of the canonical JSON of the input record. A default_factory leaves no class
    # attribute, so on the cached path (no value set) reading it reaches __getattr__, which hashes
    # the record's canonical bytes taken when it was decided
    input_sha256: str | None = field(default_factory=lambda: None)
    input: Any = None  # the input record itself, kept when asked (evaluate --with-input)
    input_is_text: bool = False  # the record's values are text (CSV cells), parsed by fact type
    # the tier history (previous tier, transition, grace) and the exception applied, when the
    # evaluation was given them (evaluate/standing.py sets both, and `tier` with them)
    standing: dict[str, Any] | None = None
    exception: dict[str, Any] | None = None
    # the partner's name (partner_name above), for people; not part of the JSON. On the cached
    # path it is read from the record's facts on first use (__getattr__)
    partner_name: str | None = field(default_factory=lambda: None)
    error = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for an attribute not set: on the evaluator's cached path `tiers` is built
        # here, on first use, from what `_fast` keeps (a caller that reads only the tier pays
        # for no explanation); once (if two threads race, both build equal results and the
        # first one is kept).
        if name == "tiers":
            fast = self.__dict__.get("_fast")
            if fast is not None:
                return self.__dict__.setdefault("tiers", fast.plan.explain(fast.outcome, fast.facts, fast.measures,
                                                                           fast.as_of))
        elif name == "partner_name":
            fast = self.__dict__.get("_fast")
            if fast is not None:
                return self.__dict__.setdefault("partner_name", partner_name(fast.plan.policy, fast.facts))
        elif name == "input_sha256":
            data = self.__dict__.get("_input_bytes")
            if data is not None:
                return self.__dict__.setdefault("input_sha256", _digest.sha256_hex(data))
        elif name == "payouts":
            # the held tier's (its tier may have been set after the engine: evaluate/standing.py),
            # from the record's comparison statuses and facts, worked out on first use
            fast = self.__dict__.get("_fast")
            state = (fast.plan, fast.outcome.statuses, fast.facts, fast.as_of) if fast is not None else \
                self.__dict__.get("_money")
            if state is None:
                return ()
            plan, statuses, facts, as_of = state
            return self.__dict__.setdefault("payouts", plan.payouts(self.tier, statuses, facts, as_of))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def encoded(cls, encoded: Encoded, partner_id: str | None, tier: Tier | None, override: Override | None,
                overrides: list[tuple[Override, str]], measures: dict[str, Any], policy: dict[str, str],
                evaluator_version: str, as_of: _dt.date | None, source: dict[str, Any] | None,
                digest: bytes | str | None) -> "Decision":
        """A decision of the cached path, its results (`tiers`) built on first use from `encoded`.
        `digest` is the input's sha256, or its canonical bytes (digest.input_snapshot), hashed on
        first read. Made without __init__, every field at once (the cheapest way to make one);
        its arguments are positional, in the order of the fields, for the same reason."""
        decision = _new(cls)
        fields: dict[str, Any]
        decision.__dict__ = fields = {
            "partner_id": partner_id, "tier": tier, "override": override, "overrides": overrides,
            "measures": measures, "policy": policy, "evaluator_version": evaluator_version, "as_of": as_of,
            "source": source, "input": None, "input_is_text": False, "standing": None, "exception": None,
            "_fast": encoded,
        }
        if type(digest) is bytes:  # hashed when read (__getattr__): most callers never do
            fields["_input_bytes"] = digest
        else:
            fields["input_sha256"] = digest
        return decision

    def encoding_state(self) -> Encoded | None:
        """The record's Encoded state, when it is a cached decision whose results were not built
        yet (once built, a caller may have changed them: the template writer then writes it the
        ordinary way)."""
        fields = self.__dict__
        if fields.get("standing") is not None or fields.get("exception") is not None:  # its tier is the partner's, not the encoding's
            return None
        return fields.get("_fast") if "tiers" not in fields else None

    def explained(self, tiers: list["TierResult"]) -> "Decision":
        """A copy of this cached decision with the given results (its own are left as they are)."""
        copy = _new(type(self))
        copy.__dict__ = {**self.__dict__, "tiers": tiers}
        return copy

    def with_payouts_from(self, plan: Explains, statuses: tuple[str, ...], facts: dict[str, Any],
                          as_of: _dt.date) -> "Decision":
        """This plain-path decision, its payouts to be worked out on first use from the record's
        comparison statuses and facts (held until then, not pickled)."""
        self.__dict__["_money"] = (plan, statuses, facts, as_of)
        return self

    def __getstate__(self) -> dict[str, Any]:
        self.tiers  # noqa: B018 - built now: `_fast` (what builds it) holds the evaluator's plan, not pickled
        self.input_sha256  # noqa: B018 - hashed now, from `_input_bytes`
        self.partner_name  # noqa: B018 - read now, from `_fast`
        self.payouts  # noqa: B018 - worked out now, from `_fast` or `_money` (which hold the plan)
        return {k: v for k, v in self.__dict__.items() if k not in ("_fast", "_input_bytes", "_money")}

    @property
    def ok(self) -> bool:
        return True

    def statuses(self) -> tuple[tuple[Tier, str, tuple[tuple[str, str], ...]], ...]:
        """Each tier in policy order with its status and each criterion's (id, status): what
        `tiers` says, without building explanations (a CSV row, a service that needs only what
        is met, pay nothing for them). On the cached path it is the engine's outcome for the
        record's encoding, made once and shared by every decision with that encoding."""
        fast = self.__dict__.get("_fast")
        if fast is None or "tiers" in self.__dict__:
            return tuple((t.tier, t.status, tuple((c.id, c.status) for c in t.criteria)) for t in self.tiers)
        return fast.outcome.rows

    @property
    def benefits(self) -> list[dict[str, Any]]:
        return [dict(b) for b in self.tier.benefits] if self.tier is not None else []

    def tier_result(self, tier_id: str) -> TierResult:
        for result in self.tiers:
            if result.tier.id == tier_id:
                return result
        raise KeyError(tier_id)

    def criterion(self, tier_id: str, criterion_id: str) -> CriterionResult:
        for result in self.tier_result(tier_id).criteria:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)

    @property
    def next_tier(self) -> TierResult | None:
        """The tier ranked just above the result (the lowest tier when there is none); None at the top."""
        rank = self.tier.rank if self.tier is not None else len(self.tiers) + 1
        return next((t for t in self.tiers if t.tier.rank == rank - 1), None)

    def next_tier_dict(self, texts: bool = False) -> dict[str, Any] | None:
        """The next tier and every required criterion it still needs, with its shortfall (with
        `texts`, the shortfall's text only: the summary detail level)."""
        result = self.next_tier
        if result is None:
            return None
        needs = []
        for c in result.criteria:
            if not c.advisory and c.status != MET:
                need: dict[str, Any] = {"criterion": c.id, "description": c.description, "status": c.status,
                                        "required": c.required}
                if c.shortfall is not None:
                    need["shortfall"] = c.shortfall.text if texts else c.shortfall.to_dict()
                needs.append(need)
        return {**tier_ref(result.tier), "status": result.status, "needs": needs}  # type: ignore[dict-item]

    def to_dict(self, detail: str = FULL) -> dict[str, Any]:
        """The decision's JSON at a detail level (DETAILS): `full` is every tier, criterion, check
        and shortfall; `summary` the tier, its benefits and what the next tier still needs (each
        need's shortfall as its text); `tier` the tier alone. Each names its partner, source,
        policy and input digest."""
        out: dict[str, Any] = {"partner_id": self.partner_id}
        if self.source is not None:
            out["source"] = self.source
        out["tier"] = tier_ref(self.tier)
        out["override"] = None if self.override is None else {"id": self.override.id,
                                                               "description": self.override.description}
        if self.standing is not None:
            out["standing"] = self.standing
        if self.exception is not None:
            out["exception"] = self.exception
        if detail != TIER:
            out["benefits"] = self.benefits
            if self.tier is not None and self.tier.payables:
                out["payouts"] = [p.to_dict() for p in self.payouts]
            out["next_tier"] = self.next_tier_dict(texts=detail == SUMMARY)
        if detail == FULL:
            out["tiers"] = [t.to_dict() for t in self.tiers]
            if self.overrides:
                out["overrides"] = [{"id": o.id, "status": status} for o, status in self.overrides]
            out["measures"] = {k: jsonable(v) for k, v in self.measures.items()}
        elif detail not in DETAILS:
            raise ValueError(f"detail: expected one of {', '.join(DETAILS)}, found {detail!r}")
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        out["policy"] = dict(self.policy)
        out["evaluator"] = {"version": self.evaluator_version}
        _put_input(out, self)
        return out


def _put_input(out: dict[str, Any], result: Any) -> None:
    if result.input_sha256 is not None:
        out["input_sha256"] = result.input_sha256
    if result.input is not None:
        out["input"] = result.input
        if result.input_is_text:
            out["input_is_text"] = True


@dataclass
class InvalidRecord:
    """A record that could not be evaluated: it comes out in its place with every finding."""

    partner_id: str | None
    findings: list[Finding]
    policy: dict[str, str]
    evaluator_version: str
    source: dict[str, Any] | None = None
    input_sha256: str | None = None
    input: Any = None
    input_is_text: bool = False
    partner_name = None
    tier = None

    @property
    def ok(self) -> bool:
        return False

    @property
    def message(self) -> str:
        where = ""
        if self.source:
            where = ", ".join(f"{k} {v}" for k, v in self.source.items() if k in ("line", "row", "index"))
            where = f"{self.source.get('file', '<input>')}: {where}: " if where else ""
        return where + "; ".join(
            f.message + (f" (at {f.pointer})" if f.pointer else "")
            + (f": expected {f.expected}, found {f.found}" if f.expected else "")
            for f in self.findings)

    def to_dict(self, detail: str = "full") -> dict[str, Any]:
        """An error record's JSON: the same at every detail level (what went wrong is never cut)."""
        out: dict[str, Any] = {"partner_id": self.partner_id}
        if self.source is not None:
            out["source"] = self.source
        out["tier"] = None
        out["error"] = {"message": self.message, "findings": [f.to_dict() for f in self.findings]}
        out["policy"] = dict(self.policy)
        out["evaluator"] = {"version": self.evaluator_version}
        _put_input(out, self)
        return out
