"""Evaluate partners against a compiled policy with durable-rules.

For one record: coerce its facts (facts.py), compute measures (measures.py), encode every
operand (compile.py), let the engine decide every comparison of every criterion of every tier
and override (engine.py; no short-circuit), then combine the outcomes in three-valued logic
(explain.py). A comparison whose operand is absent is `missing`: the engine cannot tell "no data"
from "not met", so that is decided here, before the engine's answer is read.

The result is the first override whose condition is met, else the highest-ranked tier whose
required (non-advisory) criteria are all met, else no tier.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Iterator

from . import __version__
from .compile import CompiledPolicy, compile_policy
from .decision import MET, MISSING, NOT_MET, Decision, InvalidRecord, TierResult
from .engine import Engine
from .errors import Finding, RecordError
from .explain import combine, criterion_result
from .facts import coerce_record
from .measures import Context, Missing, evaluate as evaluate_expression, uses_as_of
from .policy import Comparison, Operand, Policy


class InputRecord:
    """A record as read from input, with where it came from (file, line or row) and, if it could
    not even be parsed, the findings that say why."""

    __slots__ = ("data", "source", "findings", "from_text")

    def __init__(self, data: Any, source: dict[str, Any] | None = None, findings: list[Finding] | None = None,
                 from_text: bool = False):
        self.data, self.source, self.findings, self.from_text = data, source, findings or [], from_text


class Evaluator:
    """Decides partners' tiers under one policy. Thread-safe: engine calls are serialised."""

    def __init__(self, policy: Policy, *, as_of: _dt.date | None = None):
        self.policy = policy
        self.compiled: CompiledPolicy = compile_policy(policy)
        self._engine = Engine(self.compiled.rulesets, self.compiled.disjuncts)
        self.reads_as_of = any(uses_as_of(m.compute) for m in policy.measures.values())
        self.as_of = as_of or _dt.datetime.now(_dt.timezone.utc).date()

    # -- lifecycle --
    def close(self) -> None:
        """Free the engine's rulesets. The Evaluator cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> "Evaluator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- evaluation --
    def _partner_id(self, record: Any) -> str | None:
        if isinstance(record, dict):
            value = record.get(self.policy.id_fact)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
        return None

    def evaluate(self, record: Any, *, source: dict[str, Any] | None = None, from_text: bool = False) -> Decision:
        """Decide one partner record (a dict of facts). Raises RecordError if the record is invalid."""
        facts, findings = coerce_record(self.policy, record, from_text=from_text)
        if findings:
            raise RecordError(findings)
        return self._decide(facts, self._partner_id(record), source)

    def evaluate_many(self, records: Iterable[Any]) -> Iterator[Decision | InvalidRecord]:
        """Decide each record in order. Every record comes out exactly once: a Decision, or an
        InvalidRecord naming every problem. Items may be dicts or InputRecord objects."""
        for index, item in enumerate(records, start=1):
            if isinstance(item, InputRecord):
                data, source, findings, from_text = item.data, item.source, item.findings, item.from_text
            else:
                data, source, findings, from_text = item, {"index": index}, [], False
            if findings:
                yield self._invalid(data, findings, source)
                continue
            try:
                yield self.evaluate(data, source=source, from_text=from_text)
            except RecordError as exc:
                yield self._invalid(data, exc.findings, source)

    def _invalid(self, data: Any, findings: list[Finding], source: dict[str, Any] | None) -> InvalidRecord:
        return InvalidRecord(self._partner_id(data), findings, self.policy.ref, __version__, source)

    def _decide(self, facts: dict[str, Any], partner_id: str | None, source: dict[str, Any] | None) -> Decision:
        ctx = Context(facts, {n: m.compute for n, m in self.policy.measures.items()}, self.as_of, {})
        measures = {name: ctx.value(name) for name in self.policy.measures}
        values: dict[Operand, Any] = {}
        present: dict[Operand, Any] = {}
        for operand in self.compiled.codecs:
            if operand.kind == "fact":
                value = facts.get(operand.name, Missing(frozenset([operand.name])))
            else:
                value = measures[operand.name]
            values[operand] = value
            if not isinstance(value, Missing):
                present[operand] = value

        fired = self._engine.fire(self.compiled.encode(present))
        leaf_true = [any(rule in fired for rule in leaf.rules) for leaf in self.compiled.leaves]
        lowered = self.compiled.lowered

        def leaf_status(comparison: Comparison) -> str:
            if comparison.operand not in present:
                return MISSING
            index, negate = lowered[comparison.pointer]
            return MET if leaf_true[index] != negate else NOT_MET

        tier_results = []
        chosen = None
        for tier in self.policy.tiers:
            criteria = [criterion_result(c, leaf_status, values) for c in tier.criteria]
            required = [c.status for c in criteria if not c.advisory]
            status = NOT_MET if NOT_MET in required else MISSING if MISSING in required else MET
            tier_results.append(TierResult(tier, status, criteria))
            if chosen is None and status == MET:
                chosen = tier

        override_results = []
        applied = None
        for override in self.policy.overrides:
            status = combine(override.when, leaf_status)
            override_results.append((override, status))
            if applied is None and status == MET:
                applied = override
        if applied is not None:
            chosen = self.policy.tier(applied.tier) if applied.tier is not None else None

        return Decision(
            partner_id=partner_id,
            tier=chosen,
            tiers=tier_results,
            override=applied,
            overrides=override_results,
            measures={n: (None if isinstance(v, Missing) else v) for n, v in measures.items()},
            policy=self.policy.ref,
            evaluator_version=__version__,
            as_of=self.as_of if self.reads_as_of else None,
            source=source,
        )
