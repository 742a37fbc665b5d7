"""Running a suite: every case evaluated with the real evaluator and compared with what it
expects, one small function per kind of expectation (tier, criteria, shortfall, override,
measures, named conditions, payouts (payouts.py), invalid)."""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator

from ...errors import Finding, RecordError
from ...evaluate.evaluator import Evaluator
from ...language.conditions import combine
from ...model.decision import MET, MISSING, Decision
from ...model.policy import Policy

from .payouts import expect_payouts
from .suite import Case, Suite, TestsFileError, suite_findings


# --- running -------------------------------------------------------------------------------------

@dataclass
class Difference:
    """One expectation not met: what (e.g. `tier`, `criteria premier_certified.sales_100k`),
    expected and actual, as text."""

    what: str
    expected: str
    actual: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "expected": self.expected, "actual": self.actual}


@dataclass
class CaseResult:
    case: Case
    differences: list[Difference]
    decision: Decision | None = None
    record_findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences

    def decided_by(self) -> list[str]:
        """The criteria (and override) that decided the result, as lines of text."""
        if self.decision is None:
            return [f"record invalid: {f.message}" + (f" (at {f.pointer})" if f.pointer else "")
                    for f in self.record_findings]
        d = self.decision
        lines = []
        if d.override is not None:
            lines.append(f"override '{d.override.id}' met: {d.override.description}")
        for result in d.tiers:
            chosen = d.tier is not None and result.tier.id == d.tier.id
            above = d.tier is None or result.tier.rank < d.tier.rank
            if not (chosen or above):
                break
            for c in result.criteria:
                if c.advisory or (above and c.status == MET):
                    continue  # a higher tier's met criteria did not decide anything
                actual = ", ".join(f"{k} = {_show(v)}" for k, v in c.actual.items())
                lines.append(f"{result.tier.name} / {c.id} {c.status}: {c.required}; actual {actual}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.case.name, "passed": self.passed, "pointer": self.case.pointer}
        if self.differences:
            out["differences"] = [d.to_dict() for d in self.differences]
            out["decided_by"] = self.decided_by()
        if self.decision is not None:
            out["tier"] = None if self.decision.tier is None else self.decision.tier.id
        return out


def _show(value: Any) -> str:
    if value is None:
        return "(missing)"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _tier_text(policy: Policy, tier_id: str | None) -> str:
    if tier_id is None:
        return "no tier"
    try:
        return f"{tier_id} ({policy.tier(tier_id).name})"
    except KeyError:
        return tier_id


def _expect_tier(expected: Any, d: Decision, policy: Policy) -> Iterator[Difference]:
    actual = None if d.tier is None else d.tier.id
    if actual != expected:
        yield Difference("tier", _tier_text(policy, expected), _tier_text(policy, actual))


def _expect_criteria(expected: dict[str, dict[str, str]], d: Decision, policy: Policy) -> Iterator[Difference]:
    for tier_id, named in expected.items():
        for criterion, status in named.items():
            actual = d.criterion(tier_id, criterion)
            if actual.status != status:
                yield Difference(f"criterion {tier_id}.{criterion} ({actual.required})", status,
                                 actual.status + _actual_values(actual.actual))


def _actual_values(actual: dict[str, Any]) -> str:
    return " (" + ", ".join(f"{k} = {_show(v)}" for k, v in actual.items()) + ")" if actual else ""


def _shortfall_changes(d: Decision, tier_id: str, criterion: str) -> list[Any] | None:
    shortfall = getattr(d.criterion(tier_id, criterion), "shortfall", None)
    return None if shortfall is None else list(shortfall.changes)


def _change_text(change: Any) -> str:
    if change.by is not None:
        return f"{change.operand.name} {change.change} by {_show(change.by)}"
    return f"{change.operand.name} {change.change}"


def _expect_shortfall(expected: dict[str, dict[str, Any]], d: Decision, policy: Policy) -> Iterator[Difference]:
    for tier_id, named in expected.items():
        for criterion, want in named.items():
            changes = _shortfall_changes(d, tier_id, criterion)
            what = f"shortfall {tier_id}.{criterion}"
            got = "none" if changes is None else "; ".join(_change_text(c) for c in changes)
            if want is None:
                if changes is not None:
                    yield Difference(what, "none", got)
                continue
            if changes is None:
                yield Difference(what, _want_text(want), "none")
                continue
            if isinstance(want, (int, float)):
                ok = len(changes) == 1 and changes[0].by is not None and _equal(changes[0].by, want)
            else:
                by_operand = {c.operand.name: c for c in changes}
                ok = set(by_operand) == set(want) and all(
                    _equal(by_operand[k].by, v) if isinstance(v, (int, float)) else by_operand[k].change == v
                    for k, v in want.items())
            if not ok:
                yield Difference(what, _want_text(want), got)


def _want_text(want: Any) -> str:
    if isinstance(want, dict):
        return "; ".join(f"{k} by {_show(v)}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in want.items())
    return f"one change by {_show(want)}"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return Decimal(repr(a)) == Decimal(repr(b))
    return False


def _expect_override(expected: Any, d: Decision, policy: Policy) -> Iterator[Difference]:
    actual = None if d.override is None else d.override.id
    if actual != expected:
        yield Difference("override", expected or "none", actual or "none")


def _expect_transition(expected: str, d: Decision, policy: Policy) -> Iterator[Difference]:
    actual = d.standing["transition"] if d.standing is not None else "none (the case gives no previous tier)"
    if actual != expected:
        yield Difference("transition", expected, actual)


def _expect_measures(expected: dict[str, Any], d: Decision, policy: Policy) -> Iterator[Difference]:
    """A measure's value (exactly, as decimals), or null for missing."""
    for name, want in expected.items():
        actual = d.measures.get(name)
        if want is None and actual is None:
            continue
        if want is None or actual is None or not _equal(actual, want):
            yield Difference(f"measure {name}", "missing" if want is None else _show(want),
                             "missing" if actual is None else _show(actual))


def _expect_conditions(expected: dict[str, str], d: Decision, policy: Policy) -> Iterator[Difference]:
    """A named condition's status, from the statuses of its comparisons in the decision (the
    suite's checks refuse a named condition no criterion uses)."""
    statuses = {check.pointer: check.status for tier in d.tiers for c in tier.criteria for check in c.checks}
    for name, want in expected.items():
        condition = policy.named[name].condition
        actual = MISSING if condition is None else combine(condition, lambda c: statuses.get(c.pointer, MISSING))
        if actual != want:
            yield Difference(f"condition {name}", want, actual)


def _expect_payouts(expected: dict[str, Any], d: Decision, policy: Policy) -> Iterator[Difference]:
    """Each named benefit's payout: status, amount, annualised amount, who chose it (payouts.py)."""
    for what, want, got in expect_payouts(expected, d, policy):
        yield Difference(what, want, got)


EXPECTATIONS: dict[str, Callable[[Any, Decision, Policy], Iterator[Difference]]] = {
    "tier": _expect_tier,
    "transition": _expect_transition,
    "criteria": _expect_criteria,
    "shortfall": _expect_shortfall,
    "override": _expect_override,
    "measures": _expect_measures,
    "conditions": _expect_conditions,
    "payouts": _expect_payouts,
}


@dataclass
class SuiteResult:
    __test__ = False

    suite: Suite
    policy: Policy
    results: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


class _Evaluators:
    """One Evaluator per evaluation date the cases use, closed together."""

    def __init__(self, policy: Policy):
        self.policy, self.by_date = policy, {}  # type: ignore[var-annotated]

    def get(self, as_of: _dt.date | None) -> Evaluator:
        if as_of not in self.by_date:
            self.by_date[as_of] = Evaluator(self.policy, as_of=as_of, outside_window=True)  # the rules, not the calendar
        return self.by_date[as_of]

    def close(self) -> None:
        for evaluator in self.by_date.values():
            evaluator.close()


def _previous(case: Case, policy: Policy) -> Any:
    """The case's previous review as a decision of this policy (False: the case gives none)."""
    if case.previous is None:
        return False
    tier = case.previous.get("tier")
    decision: dict[str, Any] = {"partner_id": "case", "tier": {"id": tier} if tier is not None else None,
                                "policy": policy.ref}
    if "grace_from" in case.previous:
        decision["standing"] = {"grace": {"from": case.previous["grace_from"]}}
    return decision


def run_case(case: Case, evaluator: Evaluator, policy: Policy) -> CaseResult:
    try:
        decision = evaluator.evaluate(case.facts, previous=_previous(case, policy))
    except RecordError as exc:
        findings = [Finding(f.message, case.pointer + "/facts" + f.pointer, expected=f.expected, found=f.found)
                    for f in exc.findings]
        if case.expect.get("invalid"):
            return CaseResult(case, [], None, findings)
        found = "; ".join(f.message for f in findings)
        return CaseResult(case, [Difference("record", "a valid record", f"invalid: {found}")], None, findings)
    if case.expect.get("invalid"):
        return CaseResult(case, [Difference("record", "invalid", f"valid ({_tier_text(policy, decision.tier.id if decision.tier else None)})")],
                          decision)
    differences = [d for key, check in EXPECTATIONS.items() if key in case.expect
                   for d in check(case.expect[key], decision, policy)]
    return CaseResult(case, differences, decision)


def run_suite(suite: Suite, policy: Policy) -> SuiteResult:
    """Evaluate every case of a checked suite and compare. Raises TestsFileError if the suite
    does not fit the policy."""
    findings = suite_findings(suite, policy)
    if findings:
        raise TestsFileError(findings)
    evaluators = _Evaluators(policy)
    try:
        results = [run_case(case, evaluators.get(case.as_of or suite.as_of), policy) for case in suite.cases]
    finally:
        evaluators.close()
    return SuiteResult(suite, policy, results)
