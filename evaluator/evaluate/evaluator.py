"""Evaluate partners against a compiled policy with durable-rules: the library's entry point.

For one record: coerce its facts (language/facts.py, or the fast coercer), compute measures,
encode every operand, let the engine decide every comparison of every criterion of every tier
and override (no short-circuit), then combine the outcomes in three-valued logic. A comparison
whose operand is absent is `missing`: the engine cannot tell "no data" from "not met", so that
is decided in Python, before the engine's answer is read (plan.py does all of it).

The result is the first override whose condition is met, else the highest-ranked tier whose
required (non-advisory) criteria are all met, else no tier.

Embedding: one Evaluator may be shared by threads (the engine is locked; the cache is thread-safe).
`reload(policy)` swaps in a new plan atomically: each evaluation takes the current plan once and
uses it throughout, so every decision is wholly the old or wholly the new policy (it names which
in `policy.sha256`); the old plan's rulesets are freed when its last in-flight evaluation ends.
`prepared` is the one loop over input records (evaluate_many and the template writer use it):
it moves to the current plan after a reload and brings every record out once.

Pickling (Dask, Spark, Ray send an Evaluator to their workers): an Evaluator pickles as its
policy's JSON text (in its own key order), sha256 and options, never its engine. Unpickled, it is the process's
Evaluator for that policy and those options (`rebuilt`: one engine per worker process, however
many tasks bring it), built on first use; a policy text whose sha256 differs is refused.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import threading
from typing import Any, Iterable, Iterator, NamedTuple

from ..version import __version__
from ..compile.compiler import CompiledPolicy
from ..errors import EngineError, Finding, RecordError
from ..language.facts import coerce_record
from ..model.decision import Decision, InvalidRecord, input_sha256, partner_id
from ..model.digest import NotJSONData, input_snapshot
from ..model.policy import Policy
from .plan import Plan
from .standing import History, State
from .exceptions import Exceptions, checked
from .versions import Program, check_in_force, outside_note


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


class Prepared(NamedTuple):
    """A JSON record the fast coercer accepted, on the cached path, not yet decided: its plan (the
    policy it will be decided by), the record, its facts and where it came from."""

    plan: Plan
    data: Any
    facts: dict[str, Any]
    source: dict[str, Any] | None


_prepared = tuple.__new__  # makes a Prepared from its fields in one C call (its own __new__ is Python)


class Evaluator:
    """Decides partners' tiers under one policy. Thread-safe; `reload` swaps the policy atomically.

    `cache_size`: entries of the engine-outcome cache (None: sized from a memory budget; 0: no
    cache, the engine decides every record and decisions are built eagerly: the plain path)."""

    def __init__(self, policy: Policy | Program, *, as_of: _dt.date | None = None, with_input: bool = False,
                 cache_size: int | None = None, outside_window: bool = False, history: History | None = None,
                 exceptions: Exceptions | None = None):
        if cache_size is not None and cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self.with_input = with_input  # decisions carry their input record (for replay)
        self.as_of = as_of or _dt.datetime.now(_dt.timezone.utc).date()
        self.outside_window = outside_window  # evaluate outside the policy's effective window (decisions say so)
        self.program = policy if isinstance(policy, Program) else None
        policy = self._in_force(policy) if policy is not None else policy  # None: pending (unpickled)
        self._state = State(history, checked(exceptions, policy) if exceptions is not None else None) \
            if history is not None or exceptions is not None else None
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._pending: tuple[str, str] | None = None  # (policy text, sha256) of an unpickled one, not built yet
        self._plan: Plan | None = self._new_plan(policy) if policy is not None else None
        self._last: Plan = self._plan  # None only while pending (built on first use)

    @classmethod
    def pending(cls, text: str, sha256: str, as_of: _dt.date, with_input: bool,
                cache_size: int | None) -> "Evaluator":
        """An Evaluator of the policy whose canonical JSON is `text`, loaded, checked against
        `sha256` and compiled on first use (what an unpickled Evaluator is)."""
        evaluator = cls(None, as_of=as_of, with_input=with_input, cache_size=cache_size)  # type: ignore[arg-type]
        evaluator._pending = (text, sha256)
        return evaluator

    def _build_pending(self) -> Plan:
        """The plan of a pending Evaluator's policy (called with the lock held)."""
        from ..load.policyfile import load_policy  # (load imports this module)
        text, sha256 = self._pending  # type: ignore[misc]
        policy = load_policy(json.loads(text))
        if policy.sha256 != sha256:
            raise EngineError(f"the policy sent with this evaluator has sha256 {policy.sha256}, not {sha256}")
        self._plan = self._last = self._new_plan(self._in_force(policy))
        self._pending = None
        return self._plan

    def __reduce__(self) -> tuple[Any, ...]:
        if self._state is not None or self.program is not None or self.outside_window:
            # what a worker would need of these is not sent yet: refuse rather than decide differently
            raise TypeError("an Evaluator with a tier history, exceptions, a folder of versions or "
                            "outside_window cannot be pickled (send the policy and build one on the worker)")
        if self._pending is not None:
            text, sha256 = self._pending
        else:
            # the document's own key order (a decision's benefits keep it), its sha256 the canonical form's
            text, sha256 = policy_text(self._last.policy.document), self._last.policy.sha256
        return (rebuilt, (text, sha256, self.as_of, self.with_input, self._cache_size))

    def _in_force(self, policy: Policy | Program) -> Policy:
        """The policy (of a program: the version in force at the evaluation date), checked to be
        in force then unless outside_window; NotInForce otherwise."""
        if isinstance(policy, Program):
            return policy.at(self.as_of)
        if not self.outside_window:
            check_in_force(policy, self.as_of)
        return policy

    def _new_plan(self, policy: Policy) -> Plan:
        plan = Plan(policy, self._cache_size)
        note = outside_note(policy, self.as_of)
        if note is not None:
            plan.ref = {**policy.ref, "outside_window": note}
        return plan

    # -- the current policy (informational: each decision names the policy that made it) --
    @property
    def policy(self) -> Policy:
        return self._current().policy

    @property
    def compiled(self) -> CompiledPolicy:
        return self._current().compiled

    @property
    def reads_as_of(self) -> bool:
        return self._current().reads_as_of

    def _current(self) -> Plan:
        if self._last is None:  # pending: built now
            self._release(self._acquire())
        return self._last

    # -- lifecycle --
    def reload(self, policy: Policy | Program) -> None:
        """Swap in `policy` atomically. It is compiled and registered first: if that fails the
        old policy stays in force. Evaluations already running finish with the old policy, whose
        rulesets are then freed; every later evaluation uses the new one."""
        checked_policy = self._in_force(policy)
        if self._state is not None and self._state.exceptions is not None:
            checked(self._state.exceptions, checked_policy)
        new = self._new_plan(checked_policy)
        with self._lock:
            if self._pending is not None:  # never built: nothing to retire
                self._pending, self._plan = None, new
            old = self._plan
            if old is new:
                self._last = new
                return
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
            old, self._plan, self._pending = self._plan, None, None
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

    def _acquire(self) -> Plan:
        with self._lock:
            plan = self._plan
            if plan is None:
                if self._pending is None:
                    raise EngineError("evaluator is closed")
                plan = self._build_pending()
            plan.users += 1
            return plan

    def _release(self, plan: Plan) -> None:
        with self._lock:
            plan.users -= 1
            idle = plan.retired and plan.users == 0
        if idle:
            plan.close()

    def cache_info(self) -> dict[str, int]:
        """The current policy's outcome cache: hits, misses (each one an engine call), size, maxsize."""
        plan = self._current()
        if plan.outcome is None:
            return {"hits": 0, "misses": 0, "size": 0, "maxsize": 0}
        info = plan.outcome.cache_info()  # type: ignore[attr-defined]
        return {"hits": info.hits, "misses": info.misses, "size": info.currsize, "maxsize": info.maxsize}

    # -- evaluation --
    def evaluate(self, record: Any, *, source: dict[str, Any] | None = None, from_text: bool = False,
                 previous: Any = False) -> Decision:
        """Decide one partner record (a dict of facts). Raises RecordError if the record is invalid.
        `previous`: the partner's last decision (a dict as written, or None: it has none), for the
        policy's transition rules; by default the Evaluator's `history`, if it has one."""
        plan = self._acquire()
        try:
            return self._evaluate(plan, record, source, from_text, previous=previous)
        finally:
            self._release(plan)

    def _evaluate(self, plan: Plan, record: Any, source: dict[str, Any] | None, from_text: bool,
                  as_of: _dt.date | None = None, previous: Any = False) -> Decision:
        facts = None if from_text else plan.fast_coerce(record)  # None: not sure; the full check says
        if facts is None:
            facts, findings = coerce_record(plan.policy, record, from_text=from_text)
            if findings:
                raise RecordError(findings)
        pid = partner_id(plan.policy, record)
        as_of = as_of or self.as_of
        if plan.outcome is not None:
            decision = plan.decide(facts, pid, source, as_of)
        else:
            decision = plan.decide_plain(facts, pid, source, as_of)
        state = self._state if previous is False or self._state is not None else State()
        if state is not None:
            state.apply(decision, plan.policy, as_of, previous)
        try:
            return self._provenance(decision, record, from_text)
        except NotJSONData as exc:  # no JSON text, so no digest: the record is invalid
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
        return self._each(records, False)  # type: ignore[return-value]  # decided: never a Prepared

    def prepared(self, records: Iterable[Any], as_of: _dt.date | None = None
                 ) -> Iterator[Prepared | Decision | InvalidRecord]:
        """Each record in order, exactly once: a Prepared record (valid JSON facts on the cached
        path, which the caller decides with its plan, or writes from its plan's templates), or
        its Decision, or an InvalidRecord. Holds the current plan, and moves to a new one after a
        reload; a Prepared record's plan stays usable until the next record is asked for.
        `as_of`: this call's evaluation date instead of the Evaluator's (a long-running service
        decides each request as of its own day, without changing what other callers see)."""
        return self._each(records, True, as_of)

    def _each(self, records: Iterable[Any], prepare: bool,
              as_of: _dt.date | None = None) -> Iterator[Prepared | Decision | InvalidRecord]:
        """The one loop over input records (evaluate_many and prepared return it as it is, so a
        record passes through one generator): a valid JSON record on the cached path is decided
        here, or, when `prepare`, handed out as a Prepared record."""
        as_of = as_of or self.as_of
        plan = self._acquire()
        held: Plan | None = plan  # released in `finally` (None while between two plans)
        # looked up once per plan, not per record: whether the cached path applies, its coercer
        fast, coerce = plan.outcome is not None and not self.with_input and self._state is None, plan.fast_coerce
        try:
            for index, item in enumerate(records, start=1):
                if self._plan is not plan:  # reloaded (or closed): move to the current plan
                    self._release(plan)
                    held = None
                    held = plan = self._acquire()
                    fast, coerce = (plan.outcome is not None and not self.with_input and self._state is None,
                                    plan.fast_coerce)
                if type(item) is InputRecord or isinstance(item, InputRecord):
                    data, source, findings, from_text = item.data, item.source, item.findings, item.from_text
                else:
                    data, source, findings, from_text = item, {"index": index}, [], False
                if findings:
                    yield self._invalid(plan, data, findings, source, from_text)
                    continue
                if fast and not from_text:
                    facts = coerce(data)  # the common case, without _evaluate's steps
                    if facts is not None:
                        if prepare:
                            yield _prepared(Prepared, (plan, data, facts, source))
                            continue
                        try:
                            snapshot = input_snapshot(data)
                        except NotJSONData as exc:  # a caller's record JSON cannot hold: an error record, never a raise
                            yield self.unrecordable(plan, data, exc, source)
                            continue
                        yield plan.decide(facts, partner_id(plan.policy, data), source, as_of, snapshot)
                        continue
                result: Decision | InvalidRecord
                try:
                    result = self._evaluate(plan, data, source, from_text, as_of)
                except RecordError as exc:
                    result = self._invalid(plan, data, exc.findings, source, from_text)
                yield result
        finally:
            if held is not None:
                self._release(held)

    def _invalid(self, plan: Plan, data: Any, findings: list[Finding], source: dict[str, Any] | None,
                 from_text: bool = False) -> InvalidRecord:
        invalid = InvalidRecord(partner_id(plan.policy, data), findings, plan.ref, __version__, source)
        if data is None:
            return invalid
        try:
            return self._provenance(invalid, data, from_text)
        except NotJSONData:  # no JSON text, so no digest and no copy of it: the findings say why
            invalid.input_sha256, invalid.input = None, None
            return invalid

    def unrecordable(self, plan: Plan, data: Any, exc: NotJSONData, source: dict[str, Any] | None) -> InvalidRecord:
        """The error record of a record JSON cannot hold (a library caller's: itself inside it, a
        key that is not a string, an integer Python cannot write): no digest, located."""
        return self._invalid(plan, data, [not_json(exc)], source)


# The Evaluators unpickled in this process, by what they were pickled as: tasks that each bring
# the same Evaluator share one engine. Bounded: a worker that has seen many policies (what-if runs)
# keeps the most recent; an evicted one is freed when no task holds it any more.
_REBUILT: dict[tuple[Any, ...], Evaluator] = {}
_REBUILT_MAX = 8
_REBUILT_LOCK = threading.Lock()


def policy_text(document: Any) -> str:
    """A policy document as JSON text in its own key order (the canonical form sorts them)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def rebuilt(text: str, sha256: str, as_of: _dt.date, with_input: bool, cache_size: int | None) -> Evaluator:
    """The process's Evaluator for a pickled one (its policy's canonical JSON and sha256, its
    options): made pending (built on first use) the first time, the same one after that."""
    key = (sha256, text, as_of, with_input, cache_size)
    with _REBUILT_LOCK:
        evaluator = _REBUILT.get(key)
        if evaluator is None or (evaluator._pending is None and (  # closed, or reloaded with another policy
                evaluator._plan is None or evaluator._plan.policy.sha256 != sha256)):
            evaluator = _REBUILT[key] = Evaluator.pending(text, sha256, as_of, with_input, cache_size)
            while len(_REBUILT) > _REBUILT_MAX:
                del _REBUILT[next(iter(_REBUILT))]
        return evaluator
