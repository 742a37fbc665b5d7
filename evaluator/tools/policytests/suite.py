"""The tests file: reading it strictly, validating it (its schema, then its references to the
policy: unknown tiers, criteria, overrides, facts and paid benefits, with did-you-mean; duplicate case names),
each finding located FILE:LINE:COLUMN."""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ...errors import Finding, PolicyError
from ...load.jsontext import Document, JSONProblem, decode_text, loads
from ...load.policyfile import read_document
from ...model.decision import MET, MISSING, NOT_MET
from ...model.policy import Policy, comparisons
from ...validate.checks import schema_findings
from ...validate.names import suggest
from .payouts import check_payout_refs



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
    previous: dict[str, Any] | None = None  # the partner's last review: {"tier": id or null, "grace_from": date}


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
    cases = [Case(c["name"], c["facts"], c["expect"], f"/cases/{i}", _date(c.get("as_of")), c.get("previous"))
             for i, c in enumerate(data["cases"])]
    return Suite(name, doc, cases, named, _date(data.get("as_of")))


def _dates(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(data.get("as_of"), str):
        yield "/as_of", data["as_of"]
    for i, case in enumerate(data.get("cases", [])):
        if isinstance(case, dict) and isinstance(case.get("as_of"), str):
            yield f"/cases/{i}/as_of", case["as_of"]
        previous = case.get("previous") if isinstance(case, dict) else None
        if isinstance(previous, dict) and isinstance(previous.get("grace_from"), str):
            yield f"/cases/{i}/previous/grace_from", previous["grace_from"]


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
        before = (case.previous or {}).get("tier")
        if before is not None and before not in tiers:
            yield suite.finding(f"unknown tier '{before}'" + suggest(before, list(tiers)), case.pointer + "/previous/tier",
                                expected="a tier id of the policy, or null", found=before)
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


def _check_definition_refs(suite: Suite, policy: Policy) -> Iterator[Finding]:
    """Measures and named conditions a case expects exist; a named condition is used by a
    criterion (its status is read off the criteria's comparisons)."""
    used = {check.pointer for tier in policy.tiers for c in tier.criteria for check in comparisons(c.condition)}
    for case in suite.cases:
        base = case.pointer + "/expect"
        for name in case.expect.get("measures", {}):
            if name not in policy.measures:
                yield suite.finding(f"unknown measure '{name}'" + suggest(name, list(policy.measures)),
                                    f"{base}/measures/{_escape(name)}", expected="a measure of the policy", found=name)
        for name in case.expect.get("conditions", {}):
            named = policy.named.get(name)
            if named is None:
                yield suite.finding(f"unknown named condition '{name}'" + suggest(name, list(policy.named)),
                                    f"{base}/conditions/{_escape(name)}", expected="a named condition of the policy",
                                    found=name)
            elif named.condition is None or not {c.pointer for c in comparisons(named.condition)} <= used:
                yield suite.finding(f"named condition '{name}' is used by no criterion, so no decision shows it",
                                    f"{base}/conditions/{_escape(name)}",
                                    expected="a named condition a criterion uses", found=name)


SUITE_CHECKS: dict[str, Callable[[Suite, Policy], Iterator[Finding]]] = {
    "case_names": _check_names,
    "facts": _check_facts,
    "references": _check_tier_refs,
    "definitions": _check_definition_refs,
    "payouts": check_payout_refs,
}


def suite_findings(suite: Suite, policy: Policy) -> list[Finding]:
    return [f for check in SUITE_CHECKS.values() for f in check(suite, policy)]


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
