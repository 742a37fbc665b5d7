"""Boundary cases (`evaluator test --suggest`): just below, at and just above every threshold a
number or date is compared with (each operator's `thresholds` facet), with the facts that give
it (each fact type's `samples` and `from_number`), ready to paste."""
from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from ...errors import RecordError
from ...evaluate.evaluator import Evaluator
from ...language.conditions import render_value
from ...language.expressions import Context, Missing, evaluate as evaluate_expression, facts_of, uses_as_of
from ...language.facts import coerce_value
from ...language.facttypes import FACT_TYPES
from ...language.inversion import integral, invert, pool, terminal
from ...language.operators import OPERATORS
from ...language.values import VALUE_TYPES
from ...model.decision import MISSING, Decision
from ...model.policy import NO_DEFAULT, Comparison, Operand, Policy, comparisons

from .run import SuiteResult


# --- boundary cases --------------------------------------------------------------------------------

@dataclass
class Boundary:
    operand: Operand
    value: Any            # the operand's value (a date for date facts)
    where: str            # "just below", "at", "just above"
    threshold: Any
    comparison: Comparison
    owner: str            # "tier_id/criterion_id" or "override:id"


def _decimal_places(value: Any) -> int:
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return max(0, -int(d.normalize().as_tuple().exponent))


def _step(policy: Policy, operand: Operand, threshold: Any) -> Decimal:
    if operand.kind == "fact":
        if FACT_TYPES[policy.facts[operand.name].type].integral:
            return Decimal(1)
    elif integral(policy, policy.measures[operand.name].compute):
        return Decimal(1)
    return Decimal(1).scaleb(-max(2, _decimal_places(threshold)))


def _value_type(policy: Policy, operand: Operand) -> str:
    return "number" if operand.kind == "measure" else FACT_TYPES[policy.facts[operand.name].type].value_type


def boundaries(policy: Policy) -> list[Boundary]:
    """Just below, at and just above every threshold a number or date is compared with, once per
    operand value, in policy order."""
    owners = [(f"{t.id}/{c.id}", c.condition) for t in policy.tiers for c in t.criteria]
    owners += [(f"override:{o.id}", o.when) for o in policy.overrides]
    seen: set[tuple[Operand, Any]] = set()
    out = []
    for owner, condition in owners:
        for comparison in comparisons(condition):
            operand = comparison.operand
            vtype = _value_type(policy, operand)
            thresholds_of = OPERATORS[comparison.op].thresholds
            if not VALUE_TYPES[vtype].ordered or thresholds_of is None:
                continue
            for threshold in thresholds_of(comparison.value):
                date = vtype == "date"
                base = Decimal(_dt.date.fromisoformat(threshold).toordinal()) if date else Decimal(repr(threshold))
                step = _step(policy, operand, threshold)
                for where, value in (("just below", base - step), ("at", base), ("just above", base + step)):
                    if date and not _dt.date.min.toordinal() <= value <= _dt.date.max.toordinal():
                        continue  # before 0001-01-01 or after 9999-12-31: no date at all
                    plain: Any = _dt.date.fromordinal(int(value)) if date else (
                        int(value) if value == value.to_integral_value() else float(value))
                    if (operand, plain) in seen:
                        continue
                    seen.add((operand, plain))
                    out.append(Boundary(operand, plain, where, threshold, comparison, owner))
    return out


def _valid(spec: Any, value: Any) -> bool:
    try:
        coerce_value(spec, value, "", from_text=False)
    except ValueError:
        return False
    return True


def _sample(spec: Any, as_of: _dt.date, id_value: str | None = None) -> Any:
    """A valid value for a required fact that a boundary case does not set, or NO_DEFAULT."""
    candidates = FACT_TYPES[spec.type].samples(spec, as_of, id_value)
    return next((c for c in candidates if c is not None and _valid(spec, c)), NO_DEFAULT)


def _facts_for(policy: Policy, boundary: Boundary, as_of: _dt.date) -> dict[str, Any] | None:
    """The operand's facts for a boundary value, or None when no record gives that value."""
    operand, value = boundary.operand, boundary.value
    if operand.kind == "fact":
        spec = policy.facts[operand.name]
        shown = value.isoformat() if isinstance(value, _dt.date) else value
        return {operand.name: shown} if _valid(spec, shown) else None
    facts = facts_of(policy, operand.name)
    if len(facts) != 1:
        return None
    (fact,) = facts
    spec = policy.facts[fact]
    ctx = Context({}, {n: m.compute for n, m in policy.measures.items()}, as_of, {})
    try:
        with localcontext() as dctx:
            dctx.prec = 34
            x, _sign = invert(policy, operand.name, Decimal(repr(value)), ctx, fact)
    except Exception:  # not a simple function of one fact, or no value of it gives the target
        return None
    from_number = FACT_TYPES[spec.type].from_number
    try:
        counted = pool(terminal(policy, operand.name, fact))  # a count among a set: the items to use
    except StopIteration:
        counted = None
    fact_value = None if from_number is None else from_number(spec, x, counted)
    if fact_value is None:
        return None
    if not _valid(spec, fact_value):
        return None
    # the inversion is exact in decimals; keep the case only if the evaluator computes the same value
    coerced = coerce_value(spec, fact_value, "", from_text=False)
    computed = evaluate_expression(operand.name, Context({fact: coerced}, ctx.measures, as_of, {}))
    if isinstance(computed, Missing) or Decimal(repr(computed)) != Decimal(repr(value)):
        return None
    return {fact: fact_value}


@dataclass
class Suggestions:
    cases: list[dict[str, Any]]
    covered: int                 # boundaries an existing case already sits on
    impossible: list[str]        # boundaries no record can reach (outside a fact's range, not invertible)


def suggest_cases(policy: Policy, suite_result: SuiteResult | None = None,
                  as_of: _dt.date | None = None) -> Suggestions:
    """Boundary cases not yet in the suite, each with the tier and criterion status the policy
    gives now, ready to paste into `cases` (check them: they record what the policy does, which
    is what a test must confirm)."""
    reads_date = any(uses_as_of(m.compute) for m in policy.measures.values())
    as_of = as_of or (suite_result.suite.as_of if suite_result else None) or _dt.date.today()
    seen: set[tuple[str, Any]] = set()
    for r in (suite_result.results if suite_result else []):
        if r.decision is None:
            continue
        for name, value in r.case.facts.items():
            seen.add((name, _dt.date.fromisoformat(value) if _is_date_fact(policy, name, value) else _key(value)))
        for name, value in r.decision.measures.items():
            if value is not None:
                seen.add((name, _key(value)))
    cases: list[dict[str, Any]] = []
    covered = 0
    impossible = []
    counter = itertools.count(1)
    with Evaluator(policy, as_of=as_of, outside_window=True) as evaluator:
        for b in boundaries(policy):
            if (b.operand.name, b.value if isinstance(b.value, _dt.date) else _key(b.value)) in seen:
                covered += 1
                continue
            label = (f"{b.operand.name} {_plain_text(b.value)}, {b.where} {_plain_text(b.threshold)}"
                     f" ({b.owner.replace('/', '.')})")
            facts = _facts_for(policy, b, as_of)
            if facts is None:
                impossible.append(label)
                continue
            record = _base_record(policy, as_of, next(counter))
            if record is None:
                impossible.append(label + ": a required fact has no value a suggestion can give")
                continue
            record.update(facts)
            try:
                decision = evaluator.evaluate(record)
                if not b.owner.startswith("override:"):
                    decision = _decisive(policy, evaluator, record, decision, b.owner.split("/"), as_of)
            except RecordError:
                impossible.append(label)
                continue
            expect: dict[str, Any] = {"tier": None if decision.tier is None else decision.tier.id}
            if b.owner.startswith("override:"):
                expect["override"] = None if decision.override is None else decision.override.id
            else:
                tier_id, criterion = b.owner.split("/")
                expect["criteria"] = {tier_id: {criterion: decision.criterion(tier_id, criterion).status}}
            case: dict[str, Any] = {"name": label, "facts": record, "expect": expect}
            if reads_date and (suite_result is None or suite_result.suite.as_of is None):
                case["as_of"] = as_of.isoformat()
            cases.append(case)
    return Suggestions(cases, covered, impossible)


def _decisive(policy: Policy, evaluator: Evaluator, record: dict[str, Any], decision: Decision,
              owner: list[str], as_of: _dt.date) -> Decision:
    """If the boundary's criterion is missing (another part of it reads a fact the case does not
    give), give those facts a plain value (the minimum, 0, no items, false) so that the boundary
    decides it, when that works; the record is updated in place."""
    criterion = decision.criterion(*owner)
    if criterion.status != MISSING:
        return decision
    extra = {}
    for name in criterion.missing_facts:
        if name in policy.facts and name not in record:
            value = _sample(policy.facts[name], as_of)
            if value is not NO_DEFAULT:
                extra[name] = value
    if not extra:
        return decision
    retried = evaluator.evaluate({**record, **extra})
    if retried.criterion(*owner).status == MISSING:
        return decision
    record.update(extra)
    return retried


def _is_date_fact(policy: Policy, name: str, value: Any) -> bool:
    spec = policy.facts.get(name)
    if spec is None or FACT_TYPES[spec.type].value_type != "date" or not isinstance(value, str):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _key(value: Any) -> Any:
    if isinstance(value, list):
        return len(value)  # a list fact's boundary is its count; the measure key covers it
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value))
    return value


def _plain_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, _dt.date) else render_value(value)


def _base_record(policy: Policy, as_of: _dt.date, n: int) -> dict[str, Any] | None:
    record: dict[str, Any] = {}
    for name, spec in policy.facts.items():
        if name == policy.id_fact:
            value = _sample(spec, as_of, f"BOUNDARY-{n:03d}")
        elif spec.required and spec.default is NO_DEFAULT:
            value = _sample(spec, as_of)
        else:
            continue
        if value is NO_DEFAULT:
            if spec.required:
                return None
            continue
        record[name] = value
    return record
