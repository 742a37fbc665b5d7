"""Policy tests: cases a program manager writes beside a policy, run against it.

A tests file (`schemas/policy-tests.schema.json`) lives beside its policy, as `NAME.tests.json`
next to `NAME.json` or in a `tests` folder beside it, never inside the policy: the policy's
sha256, which every decision records, then changes only when the program does. Each case gives a
partner record and what the decision must say: the tier, the status of named criteria, their
shortfall, the override, or that the record is invalid. Only what a case names is checked.

The file is read strictly and validated like a policy: the schema first, then checks against the
policy (unknown tiers, criteria, overrides and facts, with "did you mean"; duplicate case names),
each finding located FILE:LINE:COLUMN. `run_suite` evaluates every case with the real evaluator
and compares, one small function per kind of expectation (EXPECTATIONS). `coverage` says which
tiers were the result and which criteria were seen both met and not met; `suggest_cases` writes
boundary cases (just below, at and just above every numeric threshold) ready to paste.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any, Callable, Iterator

from ..model.decision import MET, MISSING, NOT_MET, Decision
from ..errors import Finding, PolicyError, RecordError
from ..evaluate.evaluator import Evaluator
from ..explain.results import render_value
from ..language.facts import coerce_value
from ..load.jsontext import Document, JSONProblem, decode_text, loads
from ..load.policyfile import read_document
from ..language.measures import Context, Missing, evaluate as evaluate_expression, uses_as_of
from ..model.policy import NO_DEFAULT, Comparison, Operand, Policy, comparisons
from ..validate.checks import schema_findings, suggest

TESTS_SUFFIX = ".tests.json"
MAX_TESTS_BYTES = 20 * 1024 * 1024
STATUSES = (MET, NOT_MET, MISSING)


class TestsFileError(PolicyError):
    """A tests file that cannot be read or is invalid: every finding, located."""

    __test__ = False  # not a pytest class

    def show(self) -> str:
        errors = sum(f.severity == "error" for f in self.findings)
        return "\n".join([f.show() for f in self.findings] + [f"{errors} error(s) in tests file"])


# --- the tests file ------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    facts: dict[str, Any]
    expect: dict[str, Any]
    pointer: str
    as_of: _dt.date | None = None


@dataclass
class Suite:
    __test__ = False

    path: str
    doc: Document
    cases: list[Case]
    policy_path: Path | None
    as_of: _dt.date | None = None

    def finding(self, message: str, pointer: str, **kw: Any) -> Finding:
        line, column = self.doc.locate(pointer)
        return Finding(message, pointer, self.path, line, column, **kw)


def find_tests(policy_path: str | os.PathLike[str]) -> Path | None:
    """The tests file of a policy: NAME.tests.json beside NAME.json, or tests/NAME.tests.json."""
    path = Path(policy_path)
    stem = path.name[:-5] if path.name.endswith(".json") else path.name
    for candidate in (path.with_name(stem + TESTS_SUFFIX), path.parent / "tests" / (stem + TESTS_SUFFIX)):
        if candidate.is_file():
            return candidate
    return None


def is_tests_document(data: Any) -> bool:
    return isinstance(data, dict) and "cases" in data and "tiers" not in data


def read_tests_document(path: str | os.PathLike[str]) -> Document:
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TESTS_BYTES + 1)
    except OSError as exc:
        raise TestsFileError([Finding(f"cannot read tests file: {exc.strerror or exc}", file=name)]) from None
    if len(raw) > MAX_TESTS_BYTES:
        raise TestsFileError([Finding(f"tests file is larger than {MAX_TESTS_BYTES} bytes", file=name,
                                      expected=f"at most {MAX_TESTS_BYTES} bytes", found="a larger file")])
    try:
        text = decode_text(raw, "tests file")
        return Document(loads(text), text, name)
    except JSONProblem as exc:
        raise TestsFileError([Finding(str(exc), file=name, line=exc.line, column=exc.column,
                                      expected=exc.expected, found=exc.found)]) from None


def named_policy(path: str | os.PathLike[str], doc: Document) -> Path | None:
    """The policy a tests file names in `policy`, resolved against the tests file's folder (None
    when it names none). Refused, located at /policy: a path that is not relative to that folder
    (absolute), or not a .json file that exists."""
    value = doc.data.get("policy") if isinstance(doc.data, dict) else None
    if value is None:
        return None
    line, column = doc.locate("/policy")

    def refuse(message: str, expected: str) -> TestsFileError:
        return TestsFileError([Finding(message, "/policy", str(path), line, column, expected=expected,
                                       found=json.dumps(value, ensure_ascii=False)[:80])])
    if not isinstance(value, str) or not value:
        raise refuse("policy must name a policy file", "a path relative to the tests file's folder")
    if Path(value).is_absolute() or value.startswith("~"):
        raise refuse("policy must be a path relative to the tests file's folder, not an absolute path",
                     "a relative path such as ../NAME.json")
    named = Path(path).parent / value
    if not value.endswith(".json") or not named.is_file():
        raise refuse(f"policy names no policy file: {named} " + ("is not a .json file" if not value.endswith(".json")
                                                                else "does not exist"),
                     "the path of a policy .json file, relative to the tests file's folder")
    return named


def read_named_policy(path: str | os.PathLike[str], doc: Document) -> Document:
    """The policy document a tests file names, read; what is not a JSON policy is refused without
    showing any of its content (a tests file must not make the evaluator print another file)."""
    named = named_policy(path, doc)
    if named is None:
        raise TestsFileError([Finding("a tests file given on its own must name its policy", "", str(path), 1, 1,
                                      expected='"policy": "PATH/TO/POLICY.json" (relative to the tests file)',
                                      found="no policy")])
    line, column = doc.locate("/policy")
    try:
        policy_doc = read_document(named)
    except PolicyError as exc:
        reason = exc.findings[0].message if exc.findings and exc.findings[0].check == "read" else "not JSON"
        raise TestsFileError([Finding(f"policy {named} is not a JSON policy ({reason}; its content is not shown)",
                                      "/policy", str(path), line, column, expected="a policy .json file")]) from None
    data = policy_doc.data
    if not isinstance(data, dict) or "tiers" not in data or "facts" not in data:
        raise TestsFileError([Finding(f"policy {named} is not a policy (no facts and tiers; its content is not "
                                      "shown)", "/policy", str(path), line, column, expected="a policy .json file")])
    return policy_doc


def _date(value: str | None) -> _dt.date | None:
    return None if value is None else _dt.date.fromisoformat(value)


def load_suite(path: str | os.PathLike[str], policy_path: str | os.PathLike[str] | None = None,
               doc: Document | None = None) -> Suite:
    """Read and schema-check a tests file. `policy_path`: the policy it was found for (its own
    `policy` field, if any, must name the same file). Raises TestsFileError."""
    doc = doc or read_tests_document(path)
    name = str(path)
    problems = schema_findings(doc.data, "policy-tests")
    located = []
    for f in problems:
        line, column = doc.locate(f.pointer)
        located.append(Finding(f.message, f.pointer, name, line, column, f.expected, f.found, check="schema"))
    data = doc.data
    for pointer, value in _dates(data):
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            line, column = doc.locate(pointer)
            located.append(Finding("not a real date", pointer, name, line, column, "a date YYYY-MM-DD", value))
    if located:
        raise TestsFileError(located)
    named = named_policy(name, doc)
    if named is not None:
        named = named.resolve()
    if policy_path is not None:
        given = Path(policy_path).resolve()
        if named is not None and named != given:
            line, column = doc.locate("/policy")
            raise TestsFileError([Finding(f"tests file names policy '{data['policy']}', not the policy it was "
                                          f"given for ({policy_path})", "/policy", name, line, column,
                                          expected=str(policy_path), found=data["policy"])])
        named = given
    cases = [Case(c["name"], c["facts"], c["expect"], f"/cases/{i}", _date(c.get("as_of")))
             for i, c in enumerate(data["cases"])]
    return Suite(name, doc, cases, named, _date(data.get("as_of")))


def _dates(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(data.get("as_of"), str):
        yield "/as_of", data["as_of"]
    for i, case in enumerate(data.get("cases", [])):
        if isinstance(case, dict) and isinstance(case.get("as_of"), str):
            yield f"/cases/{i}/as_of", case["as_of"]


# --- checks of a suite against its policy, one small function per kind of reference ----------

def _check_names(suite: Suite, policy: Policy) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for case in suite.cases:
        if case.name in seen:
            yield suite.finding(f"duplicate case name '{case.name}' (first at {seen[case.name]})",
                                case.pointer + "/name", expected="a unique case name", found=case.name)
        seen.setdefault(case.name, case.pointer)


def _check_facts(suite: Suite, policy: Policy) -> Iterator[Finding]:
    known = list(policy.facts)
    for case in suite.cases:
        for name in case.facts:
            if name not in policy.facts:
                yield suite.finding(f"case '{case.name}' gives '{name}', which is not a fact of the policy"
                                    + suggest(name, known), f"{case.pointer}/facts/{_escape(name)}",
                                    expected="a fact of the policy's catalogue", found=name)


def _check_tier_refs(suite: Suite, policy: Policy) -> Iterator[Finding]:
    tiers = {t.id: t for t in policy.tiers}
    overrides = [o.id for o in policy.overrides]
    for case in suite.cases:
        base = case.pointer + "/expect"
        tier = case.expect.get("tier")
        if tier is not None and tier not in tiers:
            yield suite.finding(f"unknown tier '{tier}'" + suggest(tier, list(tiers)), base + "/tier",
                                expected="a tier id of the policy, or null", found=tier)
        override = case.expect.get("override")
        if override is not None and override not in overrides:
            yield suite.finding(f"unknown override '{override}'" + suggest(override, overrides), base + "/override",
                                expected="an override id of the policy, or null", found=override)
        for key in ("criteria", "shortfall"):
            for tier_id, named in case.expect.get(key, {}).items():
                pointer = f"{base}/{key}/{_escape(tier_id)}"
                if tier_id not in tiers:
                    yield suite.finding(f"unknown tier '{tier_id}'" + suggest(tier_id, list(tiers)), pointer,
                                        expected="a tier id of the policy", found=tier_id)
                    continue
                ids = [c.id for c in tiers[tier_id].criteria]
                for criterion in named:
                    if criterion not in ids:
                        yield suite.finding(f"tier '{tier_id}' has no criterion '{criterion}'" + suggest(criterion, ids),
                                            f"{pointer}/{_escape(criterion)}",
                                            expected=f"a criterion of {tier_id}: " + ", ".join(ids), found=criterion)


SUITE_CHECKS: dict[str, Callable[[Suite, Policy], Iterator[Finding]]] = {
    "case_names": _check_names,
    "facts": _check_facts,
    "references": _check_tier_refs,
}


def suite_findings(suite: Suite, policy: Policy) -> list[Finding]:
    return [f for check in SUITE_CHECKS.values() for f in check(suite, policy)]


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


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


EXPECTATIONS: dict[str, Callable[[Any, Decision, Policy], Iterator[Difference]]] = {
    "tier": _expect_tier,
    "criteria": _expect_criteria,
    "shortfall": _expect_shortfall,
    "override": _expect_override,
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
            self.by_date[as_of] = Evaluator(self.policy, as_of=as_of)
        return self.by_date[as_of]

    def close(self) -> None:
        for evaluator in self.by_date.values():
            evaluator.close()


def run_case(case: Case, evaluator: Evaluator, policy: Policy) -> CaseResult:
    try:
        decision = evaluator.evaluate(case.facts)
    except RecordError as exc:
        findings = [Finding(f.message, case.pointer + "/facts" + f.pointer, expected=f.expected, found=f.found)
                    for f in exc.findings]
        if case.expect.get("invalid"):
            return CaseResult(case, [], None, findings)
        found = "; ".join(f.message for f in findings)
        return CaseResult(case, [Difference("record", "a valid record", f"invalid: {found}")], None, findings)
    if case.expect.get("invalid"):
        return CaseResult(case, [Difference("record", "invalid", f"valid ({_tier_text(policy, decision.tier and decision.tier.id)})")],
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


# --- coverage ------------------------------------------------------------------------------------

@dataclass
class Coverage:
    """How often each tier was the result and each criterion met / not met / missing."""

    policy: Policy
    tiers: dict[str | None, int]
    criteria: dict[tuple[str, str], dict[str, int]]
    overrides: dict[str, int]

    def uncovered(self) -> list[tuple[str, str, str]]:
        """(tier id, criterion id, what was never seen) for every criterion not both met and not met."""
        out = []
        for (tier_id, criterion), counts in self.criteria.items():
            if counts[MET] and counts[NOT_MET]:
                continue
            if not counts[MET] and not counts[NOT_MET]:
                why = "never exercised"
            else:
                why = "never met" if not counts[MET] else "never not met"
            out.append((tier_id, criterion, why))
        return out

    def tiers_never(self) -> list[str]:
        return [t.id for t in self.policy.tiers if not self.tiers.get(t.id)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tiers": [{"tier": t.id, "cases": self.tiers.get(t.id, 0)} for t in self.policy.tiers]
                     + [{"tier": None, "cases": self.tiers.get(None, 0)}],
            "criteria": [{"tier": t, "criterion": c, **counts, "covered": bool(counts[MET] and counts[NOT_MET])}
                         for (t, c), counts in self.criteria.items()],
            "overrides": [{"override": o, "cases": n} for o, n in self.overrides.items()],
            "uncovered": [{"tier": t, "criterion": c, "reason": why} for t, c, why in self.uncovered()],
            "tiers_never_the_result": self.tiers_never(),
        }


def coverage(result: SuiteResult) -> Coverage:
    policy = result.policy
    tiers: dict[str | None, int] = {}
    criteria = {(t.id, c.id): {s: 0 for s in STATUSES} for t in policy.tiers for c in t.criteria}
    overrides = {o.id: 0 for o in policy.overrides}
    for r in result.results:
        d = r.decision
        if d is None:
            continue
        key = None if d.tier is None else d.tier.id
        tiers[key] = tiers.get(key, 0) + 1
        if d.override is not None:
            overrides[d.override.id] += 1
        for tier_result in d.tiers:
            for c in tier_result.criteria:
                criteria[(tier_result.tier.id, c.id)][c.status] += 1
    return Coverage(policy, tiers, criteria, overrides)


def coverage_text(cov: Coverage) -> list[str]:
    policy = cov.policy
    lines = ["coverage:", "  tiers as the result:"]
    width = max([len(t.name) for t in policy.tiers] + [7])
    for t in policy.tiers:
        n = cov.tiers.get(t.id, 0)
        lines.append(f"    {t.name:<{width}}  {n:>3} case(s)" + ("   never the result" if not n else ""))
    lines.append(f"    {'no tier':<{width}}  {cov.tiers.get(None, 0):>3} case(s)")
    labels = {(t.id, c.id): f"{t.name} / {c.id}" + (" (advisory)" if c.advisory else "")
              for t in policy.tiers for c in t.criteria}
    cwidth = max([len(v) for v in labels.values()] + [9])
    lines.append(f"  {'criteria':<{cwidth + 2}}  met  not_met  missing")
    uncovered = {(t, c): why for t, c, why in cov.uncovered()}
    for key, counts in cov.criteria.items():
        mark = uncovered.get(key, "covered")
        lines.append(f"    {labels[key]:<{cwidth}}  {counts[MET]:>3}  {counts[NOT_MET]:>7}  {counts[MISSING]:>7}  {mark}")
    for override, n in cov.overrides.items():
        lines.append(f"    override {override}: applied in {n} case(s)")
    if uncovered:
        lines.append(f"  not covered: {len(uncovered)} of {len(cov.criteria)} criteria: "
                     + ", ".join(f"{labels[k]} ({why})" for k, why in uncovered.items()))
    else:
        lines.append(f"  every criterion ({len(cov.criteria)}) was both met and not met")
    return lines


# --- boundary cases --------------------------------------------------------------------------------

ORDERED_OPS = {"<", "<=", ">", ">=", "==", "!=", "between"}


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
    from ..explain.shortfall import integral
    if operand.kind == "fact":
        spec = policy.facts[operand.name]
        if spec.type in ("integer", "date"):
            return Decimal(1)
    elif integral(policy, policy.measures[operand.name].compute):
        return Decimal(1)
    return Decimal(1).scaleb(-max(2, _decimal_places(threshold)))


def _is_date(policy: Policy, operand: Operand) -> bool:
    return operand.kind == "fact" and policy.facts[operand.name].type == "date"


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
            numeric = operand.kind == "measure" or policy.facts[operand.name].type in ("number", "integer", "date")
            if not numeric or comparison.op not in ORDERED_OPS:
                continue
            thresholds = comparison.value if comparison.op == "between" else (comparison.value,)
            for threshold in thresholds:
                date = _is_date(policy, operand)
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


_ITEM_FAMILIES: tuple[Callable[[int], str], ...] = (
    lambda i: "".join(chr(65 + (i // 26 ** k) % 26) for k in (1, 0)),  # AA, AB, ...
    lambda i: f"ITEM{i + 1}",
    lambda i: f"item-{i + 1}",
    lambda i: str(i + 1),
)


def _items(spec: Any, n: int, pool: tuple[str, ...] | None = None) -> list[str] | None:
    """n distinct items a list fact accepts (from `pool` if given), or None."""
    if pool is not None:
        candidates: list[str] = [v for v in pool if spec.enum is None or v in spec.enum]
        return candidates[:n] if len(candidates) >= n else None
    if spec.enum is not None:
        return list(spec.enum[:n]) if len(spec.enum) >= n else None
    for family in _ITEM_FAMILIES:
        items = [family(i) for i in range(min(n, 26 * 26))]
        if len(items) == n and all(spec.pattern is None or re.fullmatch(spec.pattern, v) for v in items):
            return items
    return None


def _valid(spec: Any, value: Any) -> bool:
    try:
        coerce_value(spec, value, "", from_text=False)
    except ValueError:
        return False
    return True


def _sample(spec: Any, as_of: _dt.date, id_value: str | None = None) -> Any:
    """A valid value for a required fact that a boundary case does not set, or NO_DEFAULT."""
    if spec.type in ("number", "integer"):
        candidates: list[Any] = [spec.minimum if spec.minimum is not None else 0, spec.maximum]
    elif spec.type == "string":
        candidates = ([id_value] if id_value else []) + list(spec.enum or ()) + [f(0) for f in _ITEM_FAMILIES]
    elif spec.type == "boolean":
        candidates = [False]
    elif spec.type == "string_list":
        candidates = [[]]
    else:
        candidates = [spec.minimum or as_of.isoformat()]
    return next((c for c in candidates if c is not None and _valid(spec, c)), NO_DEFAULT)


def _facts_for(policy: Policy, boundary: Boundary, as_of: _dt.date) -> dict[str, Any] | None:
    """The operand's facts for a boundary value, or None when no record gives that value."""
    operand, value = boundary.operand, boundary.value
    if operand.kind == "fact":
        spec = policy.facts[operand.name]
        shown = value.isoformat() if isinstance(value, _dt.date) else value
        return {operand.name: shown} if _valid(spec, shown) else None
    from ..explain.shortfall import _count_in_values, _terminal, facts_of, invert
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
    if spec.type == "string_list":
        if x != x.to_integral_value() or x < 0:
            return None
        terminal = _terminal(policy, operand.name, fact)
        pool = _count_in_values(policy, terminal) if isinstance(terminal, dict) and "count_in" in terminal else None
        fact_value: Any = _items(spec, int(x), pool)
        if fact_value is None:
            return None
    elif spec.type == "date":
        if x != x.to_integral_value():
            return None
        fact_value = _dt.date.fromordinal(int(x)).isoformat()
    elif spec.type == "integer":
        if x != x.to_integral_value():
            return None
        fact_value = int(x)
    else:
        fact_value = int(x) if x == x.to_integral_value() else float(x)
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
    with Evaluator(policy, as_of=as_of) as evaluator:
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
    if spec is None or spec.type != "date" or not isinstance(value, str):
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
