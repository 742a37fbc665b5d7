"""The policy model: immutable objects built from a schema-valid policy document.

Every node keeps the JSON Pointer it came from, so later stages (checks, compile errors,
explanations) can point back into the policy file.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

from .benefits import Choice, Payable, build_payables
from .definitions import Definitions, escape, expand_cases, expand_lookup, is_cases, is_lookup, is_ref, parameter_values, resolved

NO_DEFAULT: Any = object()


def canonical_json(data: Any) -> str:
    """The canonical form a policy's sha256 is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: str
    description: str
    pointer: str
    unit: str | None = None
    required: bool = False
    default: Any = NO_DEFAULT
    minimum: Any = None
    maximum: Any = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    max_items: int | None = None
    fields: "tuple[FactSpec, ...] | None" = None  # a record_list fact's item catalogue
    label: str | None = None          # as people read it
    actionable: bool = True           # false: the partner cannot change it (never advised)
    aliases: tuple[str, ...] = ()     # other names in input (CRM column headers)

    @property
    def shown(self) -> str:
        """The fact as outputs for people name it: its label, else its id."""
        return self.label or self.name


@dataclass(frozen=True)
class Measure:
    name: str
    description: str
    compute: Any  # the expression, as data (see measures.py)
    pointer: str
    unit: str | None = None


@dataclass(frozen=True)
class Operand:
    kind: str  # "fact" or "measure"
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Comparison:
    operand: Operand
    op: str
    value: Any
    pointer: str


@dataclass(frozen=True)
class All:
    parts: tuple["Condition", ...]
    pointer: str
    name: str | None = None  # a use of a named condition ({"ref": name}): its one part is the condition


@dataclass(frozen=True)
class Any_:
    parts: tuple["Condition", ...]
    pointer: str
    name: str | None = None  # "lookup", "cases": a comparison with a value per segment or case (model/definitions.py)


@dataclass(frozen=True)
class Not:
    part: "Condition"
    pointer: str


Condition = Union[Comparison, All, Any_, Not]


def comparisons(condition: Condition) -> Iterator[Comparison]:
    """Every comparison of a condition tree, in document order."""
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, Not):
        yield from comparisons(condition.part)
    else:
        for part in condition.parts:
            yield from comparisons(part)


@dataclass(frozen=True)
class Criterion:
    id: str
    description: str
    condition: Condition
    pointer: str
    advisory: bool = False


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    rank: int  # 1 = highest
    criteria: tuple[Criterion, ...]
    benefits: tuple[dict[str, Any], ...]
    pointer: str
    description: str = ""
    level: int | None = None  # standing on the policy's rank_scale, if it declares one
    payables: tuple[Payable, ...] = ()  # its benefits with an amount (model/benefits.py)
    choices: tuple[Choice, ...] = ()    # alternatives among them the partner chooses between


@dataclass(frozen=True)
class Override:
    id: str
    description: str
    when: Condition
    tier: str | None
    pointer: str


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    value: Any          # as written (a list stays a list)
    pointer: str


@dataclass(frozen=True)
class SegmentTarget:
    """A target's level for one value of its `per` fact (a region)."""

    value: str
    at_least_percent: Any
    by: str | None  # YYYY-MM-DD; None: the target's own date
    pointer: str


@dataclass(frozen=True)
class NamedCondition:
    name: str
    description: str
    condition: Condition | None   # None: it refers to itself through a cycle (reported)
    pointer: str


@dataclass(frozen=True)
class Target:
    """A program goal the report measures (it decides nothing): the total of `part` as a share of
    the total of `whole`, at least `at_least_percent` by the date `by`, overall and per segment."""

    id: str
    title: str
    description: str
    part: str
    whole: tuple[str, ...]
    at_least_percent: Any
    by: str
    pointer: str
    per: str | None = None  # the string or string_list fact the segments are values of
    segments: tuple[SegmentTarget, ...] = ()

    def segment(self, value: Any) -> SegmentTarget | None:
        for item in self.segments:
            if item.value == value:
                return item
        return None


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    title: str
    currency: str
    facts: dict[str, FactSpec]
    measures: dict[str, Measure]
    tiers: tuple[Tier, ...]
    overrides: tuple[Override, ...]
    id_fact: str
    sha256: str
    document: dict[str, Any] = field(repr=False, compare=False)
    source: str | None = None
    description: str = ""
    effective: dict[str, Any] | None = None
    rank_scale: str | None = None  # programs naming the same scale compare tiers by level
    parameters: dict[str, Parameter] = field(default_factory=dict)
    named: dict[str, NamedCondition] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)

    def conditions(self) -> Iterator[Condition]:
        """Every condition the engine evaluates: criteria of every tier, then overrides, then the
        conditions benefits apply under (each tier's, in order)."""
        for tier in self.tiers:
            for criterion in tier.criteria:
                yield criterion.condition
        for override in self.overrides:
            yield override.when
        for tier in self.tiers:
            for payable in tier.payables:
                if payable.when is not None:
                    yield payable.when

    @property
    def ref(self) -> dict[str, str]:
        """What a decision records of the policy that made it."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


def build_condition(data: dict[str, Any], pointer: str, defs: Definitions | None = None) -> Condition:
    """The model of a condition. `defs`: the document's named conditions ({"ref": name});
    a part that says where it is located (`"@"`, an expanded lookup) keeps that pointer."""
    pointer = data.get("@", pointer)
    if "all" in data:
        return All(tuple(build_condition(p, f"{pointer}/all/{i}", defs) for i, p in enumerate(data["all"])), pointer)
    if "any" in data:
        return Any_(tuple(build_condition(p, f"{pointer}/any/{i}", defs) for i, p in enumerate(data["any"])), pointer,
                    data.get("#"))
    if "not" in data:
        return Not(build_condition(data["not"], f"{pointer}/not", defs), pointer)
    if is_ref(data):
        name = data["ref"]
        body = defs.body(name, lambda d, p: build_condition(d, p, defs)) if defs is not None else None
        return All(() if body is None else (body,), pointer, name)
    if is_lookup(data.get("value")):
        return build_condition(expand_lookup(data, pointer), pointer, defs)
    if is_cases(data.get("value")):
        return build_condition(expand_cases(data, pointer), pointer, defs)
    kind = "fact" if "fact" in data else "measure"
    value = data.get("value")  # .get: the model is also built, for more findings, from invalid documents
    if isinstance(value, list):
        value = tuple(value)
    return Comparison(Operand(kind, data.get(kind)), data.get("op"), value, pointer)  # type: ignore[arg-type]


def build_targets(document: dict[str, Any]) -> tuple[Target, ...]:
    out = []
    for i, t in enumerate(document.get("targets", ())):
        pointer = f"/targets/{i}"
        per = t.get("per") or {}
        segments = tuple(SegmentTarget(value, spec.get("at_least_percent"), spec.get("by"),
                                       f"{pointer}/per/targets/" + value.replace("~", "~0").replace("/", "~1"))
                         for value, spec in (per.get("targets") or {}).items())
        share: dict[str, Any] = t.get("share") or {}
        out.append(Target(t.get("id"), t.get("title"), t.get("description", ""), share.get("part", ""),
                          tuple(share.get("whole") or ()), t.get("at_least_percent"), t.get("by"), pointer,
                          per.get("fact"), segments))
    return tuple(out)


def build_fact_spec(name: str, spec: dict[str, Any], pointer: str) -> FactSpec:
    """One fact's spec (or, under a record_list's `fields`, one item field's)."""
    fields = spec.get("fields")
    return FactSpec(
        name=name,
        type=spec["type"],
        description=spec["description"],
        pointer=pointer,
        unit=spec.get("unit"),
        required=spec.get("required", False),
        default=spec.get("default", NO_DEFAULT),
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        enum=tuple(spec["enum"]) if "enum" in spec else None,
        pattern=spec.get("pattern"),
        max_items=spec.get("max_items"),
        fields=None if fields is None else tuple(build_fact_spec(f, s, f"{pointer}/fields/{f}")
                                                 for f, s in fields.items()),
        label=spec.get("label"),
        actionable=spec.get("actionable", True),
        aliases=tuple(spec.get("aliases", ())),
    )


def build_policy(original: dict[str, Any], source: str | None = None) -> Policy:
    """Build the model from a document that has passed schema validation: parameters replaced
    by their values, named conditions and lookups built into the conditions that use them
    (model/definitions.py)."""
    document = resolved(original)
    defs = Definitions(document)
    facts = {name: build_fact_spec(name, spec, f"/facts/{name}") for name, spec in document["facts"].items()}
    measures = {
        name: Measure(name, m["description"], m["compute"], f"/measures/{name}", m.get("unit"))
        for name, m in document.get("measures", {}).items()
    }
    tiers = []
    for t_index, t in enumerate(document["tiers"]):
        t_ptr = f"/tiers/{t_index}"
        criteria = tuple(
            Criterion(
                id=c["id"],
                description=c["description"],
                condition=build_condition(c["condition"], f"{t_ptr}/criteria/{c_index}/condition", defs),
                pointer=f"{t_ptr}/criteria/{c_index}",
                advisory=c.get("advisory", False),
            )
            for c_index, c in enumerate(t["criteria"])
        )
        payables, choices = build_payables(t, t_ptr, document["currency"],
                                           lambda data, where: build_condition(data, where, defs))
        tiers.append(Tier(t["id"], t["name"], t_index + 1, criteria, tuple(t.get("benefits", ())), t_ptr,
                          t.get("description", ""), t.get("level"), payables, choices))
    overrides = tuple(
        Override(o["id"], o["description"], build_condition(o["when"], f"/overrides/{i}/when", defs), o["tier"],
                 f"/overrides/{i}")
        for i, o in enumerate(document.get("overrides", ()))
    )
    return Policy(
        id=document["id"],
        version=document["version"],
        title=document["title"],
        currency=document["currency"],
        facts=facts,
        measures=measures,
        tiers=tuple(tiers),
        overrides=overrides,
        id_fact=document.get("id_fact", "partner_id"),
        sha256=sha256_of(original),
        document=original,
        source=source,
        description=document.get("description", ""),
        effective=document.get("effective"),
        rank_scale=document.get("rank_scale"),
        parameters=_parameters(original),
        named={name: NamedCondition(name, entry.get("description", ""),
                                    defs.body(name, lambda d, p: build_condition(d, p, defs)),
                                    f"/conditions/{escape(name)}")
               for name, entry in defs.data.items() if isinstance(entry, dict)},
        targets=build_targets(document),
    )


def _parameters(document: dict[str, Any]) -> dict[str, Parameter]:
    values = parameter_values(document)
    return {name: Parameter(name, document["parameters"][name].get("description", ""), value,
                            f"/parameters/{escape(name)}") for name, value in values.items()}
