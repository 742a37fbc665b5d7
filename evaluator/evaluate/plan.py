"""One policy made ready to evaluate: compiled, registered in its own engine, with its outcome
cache (`Plan`), and what the engine decided for one encoding (`Outcome`).

A decision's statuses depend only on the record's *encoded* operands (each value's place
relative to the policy's constants, or its absence), so the engine's outcome for each distinct
encoding is kept in a bounded LRU cache (`cache_size`; 0 is the plain path, the engine for every
record). Every distinct encoding is still decided by durable-rules; tests/test_cache_differential.py
proves both paths give byte-identical decisions. A plan never changes once built; the Evaluator
(evaluator.py) swaps plans on reload.
"""
from __future__ import annotations

import datetime as _dt
import functools
from bisect import bisect_left
from typing import Any, Callable

from ..compile.compiler import CompiledPolicy, compile_policy
from ..compile.engine import Engine
from ..explain.results import add_shortfalls, criterion_result
from ..fast.facts import compile_fast_coercer
from ..language.conditions import combine, render
from ..language.encodings import NumericCodec
from ..language.expressions import Context, Missing, names_in, uses_as_of
from ..language.facttypes import FACT_TYPES
from ..language.measures import length_of
from ..version import __version__
from ..model.decision import (MET, MISSING, NOT_MET, CheckResult, CriterionResult, Decision, Encoded, TierResult,
                              partner_name)

_encoded = tuple.__new__  # makes an Encoded from its fields in one C call (its own __new__ is Python)
from ..model.payouts import Payout
from ..model.policy import Comparison, Operand, Override, Policy, Tier, comparisons
from .payouts import payouts_of

# The outcome cache is bounded by entries, sized from a memory budget and the policy's size.
CACHE_BUDGET_BYTES = 16 * 1024 * 1024
MIN_CACHE_ENTRIES, MAX_CACHE_ENTRIES = 1024, 65536


class Outcome:
    """What the engine decided for one distinct encoding: the status of every comparison (indexed
    like `Plan.index`), of every criterion and tier (in policy order), the tier the result is,
    and the overrides' results. `rows` is what Decision.statuses() gives: each tier with its
    status and each criterion's (id, status), immutable, so every decision of this encoding
    shares it."""

    __slots__ = ("statuses", "criteria", "tiers", "chosen", "applied", "overrides", "rows")

    def __init__(self, statuses: tuple[str, ...], criteria: tuple[str, ...], tiers: tuple[str, ...],
                 chosen: Tier | None, applied: Override | None, overrides: tuple[tuple[Override, str], ...],
                 policy_tiers: tuple[Tier, ...] | list[Tier]):
        self.statuses, self.criteria, self.tiers = statuses, criteria, tiers
        self.chosen, self.applied, self.overrides = chosen, applied, overrides
        rows = []
        n = 0
        for tier, status in zip(policy_tiers, tiers):
            rows.append((tier, status, tuple((c.id, s) for c, s in zip(tier.criteria, criteria[n:]))))
            n += len(tier.criteria)
        self.rows = tuple(rows)


def default_cache_size(compiled: CompiledPolicy) -> int:
    """Entries that fit CACHE_BUDGET_BYTES: a key holds one code per operand, an outcome one status
    per comparison (an estimate of CPython object sizes, generous rather than tight)."""
    per_entry = 400 + 40 * len(compiled.codecs) + 8 * len(compiled.lowered)
    return max(MIN_CACHE_ENTRIES, min(MAX_CACHE_ENTRIES, CACHE_BUDGET_BYTES // per_entry))


MEMO_ENTRIES = 4096
_ABSENT = object()


def _fact_inputs(policy: Policy, measure: str, seen: frozenset[str] = frozenset()) -> set[str] | None:
    """The facts a measure reads, through other measures; None if that cannot be told."""
    found: set[str] = set()
    for name, _role, _pointer in names_in(policy.measures[measure].compute, ""):
        if name in policy.facts:
            found.add(name)
        elif name in policy.measures and name not in seen:
            inner = _fact_inputs(policy, name, seen | {measure})
            if inner is None:
                return None
            found |= inner
        else:
            return None
    return found


class Plan:
    """One policy made ready: compiled, registered in its own engine, with its outcome cache.
    Never changes once built; `users` counts the evaluations in flight so a retired plan's
    rulesets are freed only when the last of them ends."""

    def __init__(self, policy: Policy, cache_size: int | None):
        self.policy = policy
        self.ref: dict[str, Any] = policy.ref  # what decisions name (the Evaluator adds outside_window)
        self.compiled = compiled = compile_policy(policy)
        self.reads_as_of = any(uses_as_of(m.compute) for m in policy.measures.values())
        self.computes = {n: m.compute for n, m in policy.measures.items()}
        # the engine's inputs, in one order: each slot (an operand in one encoding) and its operand
        slots = tuple(compiled.codecs)
        self.operands: tuple[Operand, ...] = tuple(slot.operand for slot in slots)
        position = {slot: i for i, slot in enumerate(slots)}
        # (is a fact, name, encode, is a list, sorted constants of a numeric codec: inlined in key())
        self.encoders = tuple((slot.operand.kind == "fact", slot.operand.name, codec.encode, codec.is_list,
                               codec.constants if type(codec) is NumericCodec else None)
                              for slot, codec in compiled.codecs.items())
        # every comparison the engine decides, in one order: pointer -> index into Outcome.statuses
        self.comparisons: list[tuple[int, int, bool]] = []   # (slot position, leaf, negate)
        self.index: dict[str, int] = {}
        for condition in policy.conditions():
            for comparison in comparisons(condition):
                leaf, negate = compiled.lowered[comparison.pointer]
                self.index[comparison.pointer] = len(self.comparisons)
                self.comparisons.append((position[compiled.slot_of[comparison.pointer]], leaf, negate))
        # per tier, per criterion: what its result needs, its `required` text rendered once
        self.layout = [(tier, [(criterion, render(criterion.condition),
                                [(comparison, self.index[comparison.pointer]) for comparison in comparisons(criterion.condition)])
                               for criterion in tier.criteria]) for tier in policy.tiers]
        self.fields = {name: [(compiled.keys[slot], position[slot], compiled.codecs[slot].is_list)
                              for slot in ruleset_slots] for name, ruleset_slots in compiled.ruleset_operands.items()}
        # measures computed only from facts whose values are few (lists, strings, booleans: a
        # count of regions) take few distinct values: the cached path remembers them by their inputs
        deps = {name: _fact_inputs(policy, name) for name in self.computes}
        self.memo_deps = {name: tuple(sorted(d)) for name, d in deps.items()
                          if d and all(FACT_TYPES[policy.facts[f].type].few_values for f in d)}
        # a measure that is the length of a list fact ({"count": fact}) is len() of it whenever
        # the fact is there (a checked list): read directly, the general path otherwise
        lengths = {name: length_of(expr) for name, expr in self.computes.items() if name not in policy.facts}
        counted = {name: fact for name, fact in lengths.items() if fact is not None and fact in policy.facts
                   and FACT_TYPES[policy.facts[fact].type].value_type == "list"}
        self.measure_steps = tuple((name, counted.get(name), self.memo_deps.get(name)) for name in self.computes)
        self.memo: dict[tuple[Any, ...], Any] = {}
        self.fast_coerce = compile_fast_coercer(policy)
        self.cache_size = default_cache_size(compiled) if cache_size is None else cache_size
        self.outcome: Callable[[tuple[Any, ...]], Outcome] | None = (
            functools.lru_cache(maxsize=self.cache_size)(self._outcome) if self.cache_size > 0 else None)
        self.users = 0
        self.retired = False
        # what other stages keep per plan (the template writer's templates), dropped with it
        self.attachments: dict[str, Any] = {}
        self.engine = Engine(compiled.rulesets, compiled.disjuncts)  # last: nothing after it can fail

    def close(self) -> None:
        self.engine.close()
        self.attachments.clear()
        if self.outcome is not None:
            self.outcome.cache_clear()  # type: ignore[attr-defined]
        self.memo.clear()

    # -- per record --
    def measures_of(self, facts: dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
        ctx = Context(facts, self.computes, as_of, {})
        return {name: ctx.value(name) for name in self.computes}

    def measures_memo(self, facts: dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
        """measures_of, remembering the measures whose inputs take few values (fact types with few_values)."""
        memo = self.memo
        ctx = None
        out = {}
        for name, counted, deps in self.measure_steps:
            if counted is not None:
                items = facts.get(counted)
                if type(items) is list:
                    out[name] = len(items)
                    continue
            if deps is None:
                if ctx is None:
                    ctx = Context(facts, self.computes, as_of, {})
                out[name] = ctx.value(name)
                continue
            key = (name, *[tuple(v) if type(v) is list else v for v in map(facts.get, deps)])
            value = memo.get(key, _ABSENT)
            if value is _ABSENT:
                if ctx is None:
                    ctx = Context(facts, self.computes, as_of, {})
                value = ctx.value(name)
                if len(memo) >= MEMO_ENTRIES:
                    memo.clear()
                memo[key] = value
            out[name] = value
        return out

    def values_of(self, facts: dict[str, Any], measures: dict[str, Any]) -> dict[Operand, Any]:
        """Every compared operand's value; an absent one is Missing (naming the facts it needs)."""
        values: dict[Operand, Any] = {}
        for operand in self.operands:
            if operand.kind == "fact":
                values[operand] = facts.get(operand.name, Missing(frozenset([operand.name])))
            else:
                values[operand] = measures[operand.name]
        return values

    def key(self, facts: dict[str, Any], measures: dict[str, Any]) -> tuple[Any, ...]:
        """The record as the engine sees it: each operand's code, None when absent."""
        out: list[Any] = []
        for is_fact, name, encode, is_list, constants in self.encoders:
            value = facts.get(name) if is_fact else measures[name]
            if value is None or type(value) is Missing:
                out.append(None)
            elif constants is not None:  # NumericCodec.encode, inlined: the hottest line
                i = bisect_left(constants, value)
                out.append(2 * i + 1 if i < len(constants) and constants[i] == value else 2 * i)
            else:
                out.append(tuple(encode(value)) if is_list else encode(value))
        return tuple(out)

    # -- what the engine decides --
    def statuses(self, fired: frozenset[str], present: Callable[[int], bool]) -> tuple[str, ...]:
        leaf_true = [any(rule in fired for rule in leaf.rules) for leaf in self.compiled.leaves]
        return tuple(MISSING if not present(operand) else MET if leaf_true[leaf] != negate else NOT_MET
                     for operand, leaf, negate in self.comparisons)

    def _outcome(self, key: tuple[Any, ...]) -> Outcome:
        """Ask durable-rules about one encoding (the cache's miss path)."""
        facts = {name: {field: (list(key[i]) if is_list else key[i]) for field, i, is_list in fields
                        if key[i] is not None}
                 for name, fields in self.fields.items()}
        statuses = self.statuses(self.engine.fire(facts), lambda i: key[i] is not None)
        status_of = self.status_lookup(statuses)
        criteria: list[str] = []
        tiers: list[str] = []
        chosen = None
        for tier in self.policy.tiers:
            outcomes = [combine(c.condition, status_of) for c in tier.criteria]
            required = [s for c, s in zip(tier.criteria, outcomes) if not c.advisory]
            status = NOT_MET if NOT_MET in required else MISSING if MISSING in required else MET
            if chosen is None and status == MET:
                chosen = tier
            criteria.extend(outcomes)
            tiers.append(status)
        applied, overrides = self.overrides(status_of)
        if applied is not None:
            chosen = self.policy.tier(applied.tier) if applied.tier is not None else None
        return Outcome(statuses, tuple(criteria), tuple(tiers), chosen, applied, overrides, self.policy.tiers)

    def status_lookup(self, statuses: tuple[str, ...]) -> Callable[[Comparison], str]:
        index = self.index
        return lambda comparison: statuses[index[comparison.pointer]]

    def overrides(self, status_of: Callable[[Comparison], str]) -> tuple[Override | None, tuple[tuple[Override, str], ...]]:
        results = []
        applied = None
        for override in self.policy.overrides:
            status = combine(override.when, status_of)
            results.append((override, status))
            if applied is None and status == MET:
                applied = override
        return applied, tuple(results)

    # -- decisions --
    def decide(self, facts: dict[str, Any], partner_id: str | None, source: dict[str, Any] | None,
               as_of: _dt.date, digest: bytes | str | None = None) -> Decision:
        """The cached path: the outcome of the record's encoding, explained on first use. `digest`
        is the input's digest, or its canonical bytes (digest.input_snapshot), hashed on first use."""
        measures = self.measures_memo(facts, as_of)
        key = self.key(facts, measures)
        outcome = self.outcome(key)  # type: ignore[misc]
        return Decision.encoded(
            _encoded(Encoded, (key, outcome, facts, measures, as_of, self)), partner_id, outcome.chosen,
            outcome.applied, list(outcome.overrides), {n: (None if type(v) is Missing else v) for n, v in measures.items()},
            self.ref, __version__, as_of if self.reads_as_of else None, source, digest)

    def decide_plain(self, facts: dict[str, Any], partner_id: str | None, source: dict[str, Any] | None,
                     as_of: _dt.date) -> Decision:
        """The plain path: the engine decides this record, and everything is built now."""
        measures = self.measures_of(facts, as_of)
        values = self.values_of(facts, measures)
        present = {op: v for op, v in values.items() if not isinstance(v, Missing)}
        fired = self.engine.fire(self.compiled.encode(present))
        statuses = self.statuses(fired, lambda i: self.operands[i] in present)
        status_of = self.status_lookup(statuses)

        tier_results = self.tier_results(status_of, values)
        chosen = next((r.tier for r in tier_results if r.status == MET), None)
        applied, override_results = self.overrides(status_of)
        if applied is not None:
            chosen = self.policy.tier(applied.tier) if applied.tier is not None else None
        add_shortfalls(self.policy, tier_results, chosen, facts, as_of)

        return Decision(
            partner_id=partner_id,
            tier=chosen,
            tiers=tier_results,
            override=applied,
            overrides=list(override_results),
            measures={n: (None if isinstance(v, Missing) else v) for n, v in measures.items()},
            policy=self.ref,
            evaluator_version=__version__,
            as_of=as_of if self.reads_as_of else None,
            source=source,
            partner_name=partner_name(self.policy, facts),
        ).with_payouts_from(self, statuses, facts, as_of)

    def payouts(self, tier: Tier | None, statuses: tuple[str, ...], facts: dict[str, Any],
                as_of: _dt.date) -> tuple[Payout, ...]:
        """What the benefits of `tier` pay the partner (evaluate/payouts.py), from the record's
        comparison statuses (both paths') and facts."""
        if tier is None or not tier.payables:
            return ()
        return payouts_of(self.policy, tier, self.status_lookup(statuses), facts, self.computes, as_of)

    # -- the explanation --
    def tier_results(self, status_of: Callable[[Comparison], str], values: dict[Operand, Any]) -> list[TierResult]:
        results = []
        for tier in self.policy.tiers:
            criteria = [criterion_result(c, status_of, values) for c in tier.criteria]
            required = [c.status for c in criteria if not c.advisory]
            status = NOT_MET if NOT_MET in required else MISSING if MISSING in required else MET
            results.append(TierResult(tier, status, criteria))
        return results

    def explain(self, outcome: Outcome, facts: dict[str, Any], measures: dict[str, Any],
                as_of: _dt.date, shortfalls: bool = True) -> list[TierResult]:
        """Every tier's and criterion's result, with shortfalls, from cached statuses (built on
        first use of `Decision.tiers`). The same results as `tier_results` (explain.py's
        criterion_result), without re-deciding statuses or re-rendering `required` per record:
        tests/test_cache_differential.py holds the two to byte-identical output."""
        # each operand's value by position (an Operand as a dict key is hashed on every lookup)
        values = [facts.get(name, Missing(frozenset([name]))) if is_fact else measures[name]
                  for is_fact, name, *_ in self.encoders]
        operand_of = self.comparisons
        statuses, criterion_statuses = outcome.statuses, outcome.criteria
        results = []
        n = 0
        for (tier, layout), tier_status in zip(self.layout, outcome.tiers):
            criteria = []
            for criterion, required, checks_layout in layout:
                status = criterion_statuses[n]
                n += 1
                checks = []
                actual: dict[str, Any] = {}
                missing: set[str] = set()
                for comparison, i in checks_layout:
                    value = values[operand_of[i][0]]
                    if type(value) is Missing:
                        missing |= value.facts
                        value = None
                    actual.setdefault(comparison.operand.name, value)
                    checks.append(CheckResult(comparison.operand, comparison.op, comparison.value, value, statuses[i],
                                              comparison.pointer))
                criteria.append(CriterionResult(criterion.id, criterion.description, criterion.advisory, status, actual,
                                                required, checks, sorted(missing) if status == MISSING else [],
                                                criterion.pointer))
            results.append(TierResult(tier, tier_status, criteria))
        if shortfalls:
            add_shortfalls(self.policy, results, outcome.chosen, facts, as_of)
        return results
