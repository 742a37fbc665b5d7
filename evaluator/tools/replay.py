"""Replay: re-evaluate recorded decisions and report every one that is not reproduced exactly.

Decisions written with `evaluate --with-input` carry the input record as read and its sha256.
For each recorded decision, replay first checks that the recorded input still hashes to the
recorded `input_sha256` (else the record was tampered with), then evaluates it again under the
given policy, at the recorded evaluation date when there is one, and compares *every field* of
the two decisions: a decision re-attributed to another partner, an edited `next_tier`, policy
version or sha256, evaluator version or description differs. `outcome_only` compares what was
decided instead (the partner id, tier, override, benefits, each payout's status, amount,
currency and period, every tier's and criterion's status; an error record: its findings): the question "what would change under this new policy?".

A partner decided twice is reported (`duplicate`), and so is a run whose end cannot be verified
(`incomplete`): the trailer `evaluate` writes last (output/trailer.py) holds the number of lines
before it and their sha256, recomputed here while reading, so a deleted, added, reordered or
edited line, or a file cut short, is found (decisions.py reads the file).

This is how an audit or an appeal is answered: same input, same policy, same decision.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ..errors import EvaluatorError
from ..model.decision import input_sha256
from ..evaluate.evaluator import Evaluator, InputRecord
from ..model.policy import Policy
from ..evaluate.versions import Program, in_force, window_of

from .decisions import DecisionsFile, EndProblem

SAME, DIFFERS, TAMPERED, NO_INPUT, UNREADABLE = "same", "differs", "tampered", "no_input", "unreadable"
DUPLICATE, INCOMPLETE = "duplicate", "incomplete"
STATUSES = (SAME, DIFFERS, TAMPERED, NO_INPUT, UNREADABLE, DUPLICATE, INCOMPLETE)
PAYOUT_OUTCOME = ("status", "amount", "currency", "period")  # of a payout, what `outcome_only` compares


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.timezone.utc).date()


def window_start(policy: Policy) -> _dt.date | None:
    window = window_of(policy)
    return window[0] if window is not None else None


@dataclass
class Difference:
    at: str  # a path into the decision, e.g. /tiers/premier_certified/criteria/sales_100k/status
    recorded: Any
    now: Any

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "recorded": self.recorded, "now": self.now}


@dataclass
class Replayed:
    """The outcome of replaying one recorded decision (or of checking the file's end)."""

    partner_id: str | None
    source: dict[str, Any] | None
    status: str
    message: str = ""
    differences: list[Difference] = field(default_factory=list)
    recorded_policy: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == SAME

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"partner_id": self.partner_id}
        if self.source is not None:
            out["source"] = self.source
        out["status"] = self.status
        if self.message:
            out["message"] = self.message
        if self.differences:
            out["differences"] = [d.to_dict() for d in self.differences]
        if self.recorded_policy is not None:
            out["recorded_policy"] = self.recorded_policy
        return out


def outcome(decision: dict[str, Any]) -> dict[str, Any]:
    """What a decision decided, keyed by stable paths: the part `outcome_only` compares."""
    if "error" in decision:
        findings = decision["error"].get("findings", []) if isinstance(decision["error"], dict) else []
        return {"/partner_id": decision.get("partner_id"),
                "/error": sorted(f"{f.get('pointer', '')}: {f.get('message', '')}" for f in findings
                                 if isinstance(f, dict))}
    tier = decision.get("tier")
    override = decision.get("override")
    out: dict[str, Any] = {
        "/partner_id": decision.get("partner_id"),
        "/tier": tier.get("id") if isinstance(tier, dict) else None,
        "/override": override.get("id") if isinstance(override, dict) else None,
        "/benefits": [b.get("id") for b in decision.get("benefits") or [] if isinstance(b, dict)],
    }
    for p in decision.get("payouts") or []:
        if isinstance(p, dict):  # what a benefit pays was decided too (evaluate/payouts.py)
            for key in PAYOUT_OUTCOME:
                out[f"/payouts/{_escape(p.get('benefit'))}/{key}"] = p.get(key)
    for t in decision.get("tiers") or []:
        if not isinstance(t, dict):
            continue
        out[f"/tiers/{t.get('id')}/status"] = t.get("status")
        for c in t.get("criteria") or []:
            if isinstance(c, dict):
                out[f"/tiers/{t.get('id')}/criteria/{c.get('id')}/status"] = c.get("status")
    return out


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def json_differences(recorded: Any, now: Any, at: str = "") -> Iterator[Difference]:
    """Every place two JSON values differ, as JSON Pointers."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in list(recorded) + [k for k in now if k not in recorded]:
            if key in recorded and key in now:
                yield from json_differences(recorded[key], now[key], f"{at}/{_escape(key)}")
            else:  # a field only one side has (a null field is a field)
                yield Difference(f"{at}/{_escape(key)}", recorded.get(key), now.get(key))
    elif isinstance(recorded, list) and isinstance(now, list) and len(recorded) == len(now):
        for i, (a, b) in enumerate(zip(recorded, now)):
            yield from json_differences(a, b, f"{at}/{i}")
    elif recorded != now or type(recorded) is not type(now):
        yield Difference(at or "/", recorded, now)


def compare(recorded: dict[str, Any], now: dict[str, Any], outcome_only: bool = False) -> list[Difference]:
    """The differences between a recorded decision and the one made now: every field (default),
    or only what was decided."""
    if not outcome_only:
        return list(json_differences(recorded, now))
    a, b = outcome(recorded), outcome(now)
    if ("/error" in a) != ("/error" in b):  # valid then, invalid now (or the reverse): say how
        return [Difference("/tier" if "/error" in b else "/error",
                           a.get("/tier", "invalid") if "/error" in b else "invalid",
                           "invalid" if "/error" in b else b.get("/tier"))]
    return [Difference(key, a.get(key), b.get(key)) for key in list(a) + [k for k in b if k not in a]
            if a.get(key) != b.get(key)]


def _where(source: dict[str, Any] | None) -> str:
    source = source or {}
    return f"line {source['line']}" if "line" in source else f"record {source.get('index', '?')}"


class Replayer:
    """Re-evaluates recorded decisions under one policy (one Evaluator per evaluation date), or
    under the versions of a program (each decision by the version it names, else the one in force
    at its date). `options`: the Evaluator's time arguments the decisions were made with
    (outside_window, history, exceptions). `strict` is kept for callers of the time when outcomes
    were the default: every field is now."""

    def __init__(self, policy: Policy | Program, *, as_of: _dt.date | None = None, outcome_only: bool = False,
                 strict: bool = False, options: dict[str, Any] | None = None):
        self.program = policy if isinstance(policy, Program) else None
        self.policy = policy.versions[-1] if isinstance(policy, Program) else policy
        self.as_of, self.options = as_of, dict(options or {})
        self.outcome_only = outcome_only and not strict
        self._evaluators: dict[tuple[_dt.date | None, str], Evaluator] = {}
        self._seen: dict[str, dict[str, Any] | None] = {}  # partner id -> where it was first decided

    def close(self) -> None:
        for evaluator in self._evaluators.values():
            evaluator.close()
        self._evaluators.clear()

    def __enter__(self) -> "Replayer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _policy_for(self, recorded: dict[str, Any] | None, as_of: _dt.date | None) -> Policy:
        if self.program is None:
            return self.policy
        named = self.program.by_sha256(str((recorded or {}).get("sha256")))
        return named if named is not None else self.program.at(as_of or _today())

    @staticmethod
    def _changed(recorded: dict[str, Any] | None, policy: Policy) -> dict[str, Any] | None:
        """The recorded policy, when it is not the one replaying (an outside_window note aside)."""
        if recorded is None:
            return None
        bare = {k: v for k, v in recorded.items() if k != "outside_window"}
        return None if bare == policy.ref else recorded

    def _evaluator(self, as_of: _dt.date | None, policy: Policy | None = None) -> Evaluator:
        policy = policy or self.policy
        key = (as_of, policy.sha256)
        if key not in self._evaluators:
            # outside_window: a decision made outside the window is reproduced as such, and one
            # made inside it at a date now outside is found to differ (not refused)
            self._evaluators[key] = Evaluator(policy, as_of=as_of, with_input=True,
                                              **{**self.options, "outside_window": True})
        return self._evaluators[key]

    def replay(self, record: Any, source: dict[str, Any] | None = None) -> Replayed:
        """Replay one recorded decision (a dict read from a decisions file)."""
        if not isinstance(record, dict) or "policy" not in record or "tier" not in record:
            return Replayed(None, source, UNREADABLE, "not a decision record (no tier and policy)")
        pid = record.get("partner_id") if isinstance(record.get("partner_id"), str) else None
        policy = record.get("policy") if isinstance(record.get("policy"), dict) else None
        changed = self._changed(policy, self.policy)
        if pid is not None:
            if pid in self._seen:
                return Replayed(pid, source, DUPLICATE, f"partner {pid} is decided more than once (first at "
                                                        f"{_where(self._seen[pid])})", recorded_policy=changed)
            self._seen[pid] = source
        if "input" not in record:
            return Replayed(pid, source, NO_INPUT, "the decision has no input record (write decisions with "
                                                    "`evaluate --with-input` to replay them)", recorded_policy=changed)
        recorded_sha = record.get("input_sha256")
        actual_sha = input_sha256(record["input"])
        if recorded_sha != actual_sha:
            return Replayed(pid, source, TAMPERED, f"input_sha256 is {recorded_sha}, but the recorded input hashes to "
                                                   f"{actual_sha}: the input was changed after the decision",
                            recorded_policy=changed)
        outside = policy.get("outside_window") if policy is not None else None
        date = record.get("as_of") if isinstance(record.get("as_of"), str) else \
            outside.get("as_of") if isinstance(outside, dict) and isinstance(outside.get("as_of"), str) else None
        try:
            as_of = _dt.date.fromisoformat(date) if date is not None else self.as_of
        except ValueError:
            return Replayed(pid, source, UNREADABLE, f"as_of is not a date: {date!r}")
        try:
            chosen = self._policy_for(policy, as_of)
            if date is None and outside is None:
                # made in force, at a date it does not record (its policy reads none): any day in force
                # gives that decision, so a day in force when the one asked for is not
                as_of = as_of if in_force(chosen, as_of or _today()) else window_start(chosen)
            evaluator = self._evaluator(as_of, chosen)
        except EvaluatorError as exc:  # no version of the program in force at that date
            return Replayed(pid, source, UNREADABLE, str(exc), recorded_policy=changed)
        changed = self._changed(policy, evaluator.policy)
        (result,) = evaluator.evaluate_many([InputRecord(record["input"], record.get("source"),
                                                         from_text=record.get("input_is_text") is True)])
        differences = compare(record, result.to_dict(), self.outcome_only)
        return Replayed(pid, source, DIFFERS if differences else SAME, "", differences, changed)

    def replay_many(self, records: Iterable[InputRecord]) -> Iterator[Replayed]:
        """Replay each record of a decisions file, in order; every record comes out exactly once."""
        for item in records:
            if item.findings:
                message = "; ".join(f.message + (f" (line {f.line}, column {f.column})" if f.column else "")
                                    for f in item.findings)
                yield Replayed(None, item.source, UNREADABLE, message)
                continue
            yield self.replay(item.data, item.source)

    def replay_file(self, path: str, *, require_trailer: bool = True) -> Iterator[Replayed]:
        """Replay every decision of a decisions file (JSONL or a JSON array; '-' for stdin), then
        report each way its end cannot be verified (`incomplete`). An unusable file (unreadable,
        empty, not text) is an InputError now, before any result."""
        return self._replay_file(DecisionsFile(path, require_trailer=require_trailer))

    def _replay_file(self, decisions: DecisionsFile) -> Iterator[Replayed]:
        yield from self.replay_many(decisions)
        for problem in decisions.problems:
            yield _incomplete(problem)


def _incomplete(problem: EndProblem) -> Replayed:
    return Replayed(None, problem.source, INCOMPLETE, problem.message)
