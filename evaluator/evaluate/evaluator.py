"""Evaluate partners against a compiled policy with durable-rules.

For one record: coerce its facts (facts.py), compute measures (measures.py), encode every
operand (compile.py), let the engine decide every comparison of every criterion of every tier
and override (engine.py; no short-circuit), then combine the outcomes in three-valued logic
(explain.py). A comparison whose operand is absent is `missing`: the engine cannot tell "no data"
from "not met", so that is decided here, before the engine's answer is read.

The result is the first override whose condition is met, else the highest-ranked tier whose
required (non-advisory) criteria are all met, else no tier.

Speed: a decision's statuses depend only on the record's *encoded* operands (each value's place
relative to the policy's constants, or its absence), so the engine's outcome for each distinct
encoding is kept in a bounded LRU cache (`cache_size`; 0 is the plain path, the engine for every
record). Every distinct encoding is still decided by durable-rules; tests/test_cache_differential.py
proves both paths give byte-identical decisions. On the cached path a decision's per-criterion
results (`Decision.tiers`, with their shortfalls) are built from those statuses and the record's
values on first use, so a caller that only needs the tier does not pay for the explanation.

Embedding: one Evaluator may be shared by threads (the engine is locked; the cache is thread-safe).
`reload(policy)` swaps in a new compiled policy atomically: each evaluation takes the current
"plan" once and uses it throughout, so every decision is wholly the old or wholly the new policy
(it names which in `policy.sha256`); the old plan's rulesets are freed when its last in-flight
evaluation ends.
"""
from __future__ import annotations

import copy
import datetime as _dt
import functools
import threading
from bisect import bisect_left
from typing import Any, Callable, Iterable, Iterator

from .. import __version__
from ..compile.compiler import CompiledPolicy, ListCodec, NumericCodec, compile_policy
from ..model.decision import (MET, MISSING, NOT_MET, CheckResult, CriterionResult, Decision, InvalidRecord, TierResult,
                       input_sha256, partner_id)
from ..model.digest import NotJSONData, input_snapshot
from ..compile.engine import Engine
from ..errors import EngineError, Finding, RecordError
from ..explain.results import add_shortfalls, combine, criterion_result, render
from ..language.facts import coerce_record
from ..fast.facts import compile_fast_coercer
from ..language.measures import Context, Missing, names_in, uses_as_of
from ..model.policy import Comparison, Operand, Override, Policy, Tier, comparisons

_new_decision = object.__new__  # the cached path makes a Decision without __init__ (see _decide)

# The outcome cache is bounded by entries, sized from a memory budget and the policy's size.
CACHE_BUDGET_BYTES = 16 * 1024 * 1024
MIN_CACHE_ENTRIES, MAX_CACHE_ENTRIES = 1024, 65536


def not_json(exc: NotJSONData) -> Finding:
    """The finding of a record JSON cannot hold (no digest, no replay): located by its pointer."""
    return Finding(f"the record is not JSON data: {exc}", exc.pointer,
                   expected="JSON data: objects with string keys, lists, strings, numbers, true, false, null",
                   found=str(exc))


class InputRecord:
    """A record as read from input, with where it came from (file, line or row) and, if it could
    not even be parsed, the findings that say why."""

    __slots__ = ("data", "source", "findings", "from_text")

    def __init__(self, data: Any, source: dict[str, Any] | None = None, findings: list[Finding] | None = None,
                 from_text: bool = False):
        self.data, self.source, self.findings, self.from_text = data, source, findings or [], from_text


class Outcome:
    """What the engine decided for one distinct encoding: the status of every comparison (indexed
    like `_Plan.index`), of every criterion and tier (in policy order), the tier the result is,
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


MEMO_TYPES = ("string_list", "string", "boolean")
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


class _Plan:
    """One policy made ready: compiled, registered in its own engine, with its outcome cache.
    Never changes once built; `users` counts the evaluations in flight so a retired plan's
    rulesets are freed only when the last of them ends."""

    def __init__(self, policy: Policy, cache_size: int | None):
        self.policy = policy
        self.compiled = compiled = compile_policy(policy)
        self.reads_as_of = any(uses_as_of(m.compute) for m in policy.measures.values())
        self.computes = {n: m.compute for n, m in policy.measures.items()}
        self.operands: tuple[Operand, ...] = tuple(compiled.codecs)
        position = {op: i for i, op in enumerate(self.operands)}
        # (is a fact, name, encode, is a list, sorted constants of a numeric codec: inlined in key())
        self.encoders = tuple((op.kind == "fact", op.name, compiled.codecs[op].encode,
                               isinstance(compiled.codecs[op], ListCodec),
                               compiled.codecs[op].constants if type(compiled.codecs[op]) is NumericCodec else None)
                              for op in self.operands)
        # every comparison the engine decides, in one order: pointer -> index into Outcome.statuses
        self.comparisons: list[tuple[int, int, bool]] = []   # (operand position, leaf, negate)
        self.index: dict[str, int] = {}
        for condition in policy.conditions():
            for comparison in comparisons(condition):
                leaf, negate = compiled.lowered[comparison.pointer]
                self.index[comparison.pointer] = len(self.comparisons)
                self.comparisons.append((position[comparison.operand], leaf, negate))
        # per tier, per criterion: what its result needs, its `required` text rendered once
        self.layout = [(tier, [(criterion, render(criterion.condition),
                                [(comparison, self.index[comparison.pointer]) for comparison in comparisons(criterion.condition)])
                               for criterion in tier.criteria]) for tier in policy.tiers]
        self.fields = {name: [(compiled.keys[op], position[op], isinstance(compiled.codecs[op], ListCodec))
                              for op in ops] for name, ops in compiled.ruleset_operands.items()}
        # measures computed only from lists, strings and booleans (a count of regions) take few
        # distinct values: the cached path remembers them by their inputs
        deps = {name: _fact_inputs(policy, name) for name in self.computes}
        self.memo_deps = {name: tuple(sorted(d)) for name, d in deps.items()
                          if d and all(policy.facts[f].type in MEMO_TYPES for f in d)}
        # a measure that is {"count": a string_list fact} is the list's length whenever the fact
        # is there (a checked list): read directly, the general path otherwise
        counted = {name: expr["count"] for name, expr in self.computes.items()
                   if isinstance(expr, dict) and list(expr) == ["count"] and isinstance(expr["count"], str)
                   and name not in policy.facts and expr["count"] in policy.facts
                   and policy.facts[expr["count"]].type == "string_list"}
        self.measure_steps = tuple((name, counted.get(name), self.memo_deps.get(name)) for name in self.computes)
        self.memo: dict[tuple[Any, ...], Any] = {}
        self.fast_coerce = compile_fast_coercer(policy)
        self.cache_size = default_cache_size(compiled) if cache_size is None else cache_size
        self.outcome: Callable[[tuple[Any, ...]], Outcome] | None = (
            functools.lru_cache(maxsize=self.cache_size)(self._outcome) if self.cache_size > 0 else None)
        self.users = 0
        self.retired = False
        self.engine = Engine(compiled.rulesets, compiled.disjuncts)  # last: nothing after it can fail

    def close(self) -> None:
        self.engine.close()
        if self.outcome is not None:
            self.outcome.cache_clear()  # type: ignore[attr-defined]
        self.memo.clear()

    # -- per record --
    def measures_of(self, facts: dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
        ctx = Context(facts, self.computes, as_of, {})
        return {name: ctx.value(name) for name in self.computes}

    def measures_memo(self, facts: dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
        """measures_of, remembering the measures whose inputs take few values (see MEMO_TYPES)."""
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
        out = []
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


class Evaluator:
    """Decides partners' tiers under one policy. Thread-safe; `reload` swaps the policy atomically.

    `cache_size`: entries of the engine-outcome cache (None: sized from a memory budget; 0: no
    cache, the engine decides every record and decisions are built eagerly: the plain path)."""

    def __init__(self, policy: Policy, *, as_of: _dt.date | None = None, with_input: bool = False,
                 cache_size: int | None = None):
        if cache_size is not None and cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self.with_input = with_input  # decisions carry their input record (for replay)
        self.as_of = as_of or _dt.datetime.now(_dt.timezone.utc).date()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._plan: _Plan | None = _Plan(policy, cache_size)
        self._last = self._plan

    # -- the current policy (informational: each decision names the policy that made it) --
    @property
    def policy(self) -> Policy:
        return self._last.policy

    @property
    def compiled(self) -> CompiledPolicy:
        return self._last.compiled

    @property
    def reads_as_of(self) -> bool:
        return self._last.reads_as_of

    # -- lifecycle --
    def reload(self, policy: Policy) -> None:
        """Swap in `policy` atomically. It is compiled and registered first: if that fails the
        old policy stays in force. Evaluations already running finish with the old policy, whose
        rulesets are then freed; every later evaluation uses the new one."""
        new = _Plan(policy, self._cache_size)
        with self._lock:
            old = self._plan
            if old is not None:
                self._plan = self._last = new
                old.retired = True
                idle = old.users == 0
        if old is None:
            new.close()
            raise EngineError("evaluator is closed")
        if idle:
            old.close()

    def close(self) -> None:
        """Free the engine's rulesets. The Evaluator cannot be used afterwards. Safe to call twice."""
        with self._lock:
            old, self._plan = self._plan, None
            if old is None:
                return
            old.retired = True
            idle = old.users == 0
        if idle:
            old.close()

    def __enter__(self) -> "Evaluator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _acquire(self) -> _Plan:
        with self._lock:
            plan = self._plan
            if plan is None:
                raise EngineError("evaluator is closed")
            plan.users += 1
            return plan

    def _release(self, plan: _Plan) -> None:
        with self._lock:
            plan.users -= 1
            idle = plan.retired and plan.users == 0
        if idle:
            plan.close()

    def cache_info(self) -> dict[str, int]:
        """The current policy's outcome cache: hits, misses (each one an engine call), size, maxsize."""
        plan = self._last
        if plan.outcome is None:
            return {"hits": 0, "misses": 0, "size": 0, "maxsize": 0}
        info = plan.outcome.cache_info()  # type: ignore[attr-defined]
        return {"hits": info.hits, "misses": info.misses, "size": info.currsize, "maxsize": info.maxsize}

    # -- evaluation --
    @staticmethod
    def _partner_id(plan: _Plan, record: Any) -> str | None:
        return partner_id(plan.policy, record)

    def evaluate(self, record: Any, *, source: dict[str, Any] | None = None, from_text: bool = False) -> Decision:
        """Decide one partner record (a dict of facts). Raises RecordError if the record is invalid."""
        plan = self._acquire()
        try:
            return self._evaluate(plan, record, source, from_text)
        finally:
            self._release(plan)

    def _evaluate(self, plan: _Plan, record: Any, source: dict[str, Any] | None, from_text: bool) -> Decision:
        facts = None if from_text else plan.fast_coerce(record)  # None: not sure; the full check says
        if facts is None:
            facts, findings = coerce_record(plan.policy, record, from_text=from_text)
            if findings:
                raise RecordError(findings)
        decide = self._decide if plan.outcome is not None else self._decide_plain
        decision = decide(plan, facts, self._partner_id(plan, record), source)
        try:
            return self._provenance(decision, record, from_text)
        except NotJSONData as exc:
            raise RecordError([not_json(exc)]) from None

    def _provenance(self, result: Any, record: Any, from_text: bool) -> Any:
        result.input_sha256 = input_sha256(record)
        if self.with_input:  # a copy: the record as evaluated, whatever the caller does with it later
            result.input, result.input_is_text = copy.deepcopy(record), from_text
        return result

    def evaluate_many(self, records: Iterable[Any]) -> Iterator[Decision | InvalidRecord]:
        """Decide each record in order. Every record comes out exactly once: a Decision, or an
        InvalidRecord naming every problem. Items may be dicts or InputRecord objects. After a
        `reload`, the next record is decided by the new policy."""
        plan: _Plan | None = self._acquire()
        try:
            for index, item in enumerate(records, start=1):
                if self._plan is not plan:  # reloaded (or closed): move to the current plan
                    self._release(plan)  # type: ignore[arg-type]
                    plan = None
                    plan = self._acquire()
                if isinstance(item, InputRecord):
                    data, source, findings, from_text = item.data, item.source, item.findings, item.from_text
                else:
                    data, source, findings, from_text = item, {"index": index}, [], False
                if findings:
                    yield self._invalid(plan, data, findings, source, from_text)
                    continue
                if not from_text and plan.outcome is not None and not self.with_input:
                    facts = plan.fast_coerce(data)  # the common case, without _evaluate's steps
                    if facts is not None:
                        try:
                            snapshot = input_snapshot(data)
                        except NotJSONData as exc:  # no digest: an error record, never a raise
                            yield self._invalid(plan, data, [not_json(exc)], source, from_text)
                            continue
                        yield self._decide(plan, facts, partner_id(plan.policy, data), source, snapshot)
                        continue
                try:
                    result = self._evaluate(plan, data, source, from_text)
                except RecordError as exc:
                    result = self._invalid(plan, data, exc.findings, source, from_text)
                yield result
        finally:
            if plan is not None:
                self._release(plan)

    def _invalid(self, plan: _Plan, data: Any, findings: list[Finding], source: dict[str, Any] | None,
                 from_text: bool = False) -> InvalidRecord:
        invalid = InvalidRecord(self._partner_id(plan, data), findings, plan.policy.ref, __version__, source)
        if data is None:
            return invalid
        try:
            return self._provenance(invalid, data, from_text)
        except NotJSONData:  # no JSON text, so no digest and no copy of it: the findings say why
            invalid.input_sha256, invalid.input = None, None
            return invalid

    def _decide(self, plan: _Plan, facts: dict[str, Any], partner_id: str | None,
                source: dict[str, Any] | None, digest: bytes | str | None = None) -> Decision:
        """The cached path: the outcome of the record's encoding, explained on first use. `digest`
        is the input's digest, or its canonical bytes (digest.input_snapshot), hashed on first use."""
        as_of = self.as_of
        measures = plan.measures_memo(facts, as_of)
        key = plan.key(facts, measures)
        outcome = plan.outcome(key)  # type: ignore[misc]
        # every field at once rather than through __init__; `tiers` is built on first use
        # (Decision.__getattr__) from `_fast`
        decision = _new_decision(Decision)
        decision.__dict__ = fields = {
            "partner_id": partner_id, "tier": outcome.chosen, "override": outcome.applied,
            "overrides": list(outcome.overrides),
            "measures": {n: (None if type(v) is Missing else v) for n, v in measures.items()},
            "policy": plan.policy.ref, "evaluator_version": __version__,
            "as_of": as_of if plan.reads_as_of else None, "source": source,
            "input": None, "input_is_text": False,
            "_fast": (key, outcome, facts, measures, as_of, plan),  # template.py writes from it
        }
        if type(digest) is bytes:  # hashed when read (Decision.__getattr__): most callers never do
            fields["_input_bytes"] = digest
        else:
            fields["input_sha256"] = digest
        return decision

    def _decide_plain(self, plan: _Plan, facts: dict[str, Any], partner_id: str | None,
                      source: dict[str, Any] | None) -> Decision:
        """The plain path: the engine decides this record, and everything is built now."""
        measures = plan.measures_of(facts, self.as_of)
        values = plan.values_of(facts, measures)
        present = {op: v for op, v in values.items() if not isinstance(v, Missing)}
        fired = plan.engine.fire(plan.compiled.encode(present))
        status_of = plan.status_lookup(plan.statuses(fired, lambda i: plan.operands[i] in present))

        tier_results = plan.tier_results(status_of, values)
        chosen = next((r.tier for r in tier_results if r.status == MET), None)
        applied, override_results = plan.overrides(status_of)
        if applied is not None:
            chosen = plan.policy.tier(applied.tier) if applied.tier is not None else None
        add_shortfalls(plan.policy, tier_results, chosen, facts, self.as_of)

        return Decision(
            partner_id=partner_id,
            tier=chosen,
            tiers=tier_results,
            override=applied,
            overrides=list(override_results),
            measures={n: (None if isinstance(v, Missing) else v) for n, v in measures.items()},
            policy=plan.policy.ref,
            evaluator_version=__version__,
            as_of=self.as_of if plan.reads_as_of else None,
            source=source,
        )
