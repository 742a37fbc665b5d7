"""Authoring commands: `evaluator test` (policy tests, coverage, boundary suggestions) and
`evaluator doc` (the program sheet). Thin click layers over policytests.py and sheet.py.

`test` exit codes: 0 every case passed, 1 some case failed, 2 a policy or tests file is invalid
or missing (usage error).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import EXIT_OK, EXIT_USAGE, EvaluatorError
from ..load.policyfile import load_policy
from ..model.policy import Policy
from ..render.text import visible, visible_lines
from ..tools.policytests import (CaseResult, SuiteResult, coverage, coverage_text, find_tests, is_tests_document,
                                load_suite, named_policy, read_named_policy, read_tests_document, run_suite,
                                suggest_cases)

EXIT_FAILED = 1


def _resolve(path: str, tests_path: str | None) -> tuple[Path, Path | None, Any]:
    """(policy path, tests path or None, the tests Document if already read) for one argument,
    which may be a policy or a tests file."""
    if tests_path is not None:
        return Path(path), Path(tests_path), None
    if path.endswith(".tests.json"):
        doc = read_tests_document(path)
        if is_tests_document(doc.data):
            read_named_policy(path, doc)  # refused, showing none of its content, unless a JSON policy
            return named_policy(path, doc), Path(path), doc  # type: ignore[return-value]
    return Path(path), find_tests(path), None


def _diff_lines(result: CaseResult, suite: Any) -> list[str]:
    lines = []
    for d in result.differences:
        lines += [f"      {d.what}:", f"        - expected: {d.expected}", f"        + actual:   {d.actual}"]
    if result.decision is None:  # an invalid record: where in the tests file, and why
        for f in result.record_findings:
            line, column = suite.doc.locate(f.pointer)
            lines.append(f"      {suite.path}:{line}:{column}: {f.message} (at {f.pointer})"
                         + (f": expected {f.expected}, found {f.found}" if f.expected else ""))
        return lines
    lines.append("      decided by:")
    lines += [f"        {line}" for line in result.decided_by()] or ["        (no criteria)"]
    return lines


def _text(suite_result: SuiteResult, with_coverage: bool) -> list[str]:
    suite, policy = suite_result.suite, suite_result.policy
    lines = [f"{suite.path}: {policy.id} {policy.version} ({policy.source}), {len(suite.cases)} case(s)"]
    for r in suite_result.results:
        if r.passed:
            lines.append(f"  PASS  {r.case.name}")
            continue
        line, column = suite.doc.locate(r.case.pointer)
        lines.append(f"  FAIL  {r.case.name}  ({suite.path}:{line}:{column})")
        lines += _diff_lines(r, suite)
    if with_coverage:
        lines += ["  " + line for line in coverage_text(coverage(suite_result))]
    return lines


@click.command("test")
@click.argument("policies", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--tests", "tests_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="The tests file (default: NAME.tests.json beside POLICY, or tests/NAME.tests.json). One POLICY only.")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Also show which tiers were the result and which criteria were both met and not met.")
@click.option("--suggest", is_flag=True,
              help="Print boundary cases (just below, at, just above each numeric threshold) not yet in the "
                   "tests, as JSON ready to paste into \"cases\". One POLICY only; the tests file may be absent.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def test(policies: tuple[str, ...], tests_path: str | None, with_coverage: bool, suggest: bool, fmt: str) -> None:
    """Run the test cases of each POLICY (a policy file, or a tests file that names its policy).

    Prints PASS or FAIL per case, with expected against actual and the criteria that decided the
    result for each failure, then a final line `N passed, M failed`. Exit 0 when every case
    passes, 1 when any fails, 2 when a policy or tests file is invalid or missing."""
    if (tests_path or suggest) and len(policies) != 1:
        raise click.UsageError("--tests and --suggest take exactly one POLICY")
    if suggest:
        _suggest(policies[0], tests_path)
        return
    suites: list[SuiteResult] = []
    errors = False
    for path in policies:
        try:
            suites.append(_run_one(path, tests_path))
        except EvaluatorError as exc:
            click.echo(visible_lines(exc.show()), err=True)
            errors = True
    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites)
    if fmt == "json":
        click.echo(json.dumps({
            "suites": [{"tests": s.suite.path, "policy": s.policy.source, "policy_id": s.policy.id,
                        "policy_version": s.policy.version, "passed": s.passed, "failed": s.failed,
                        "cases": [r.to_dict() for r in s.results],
                        **({"coverage": coverage(s).to_dict()} if with_coverage else {})} for s in suites],
            "passed": passed, "failed": failed, "errors": errors}, indent=2, ensure_ascii=False))
    else:
        for s in suites:
            for line in _text(s, with_coverage):
                click.echo(visible(line))  # case names and values from the tests file: shown harmlessly
        click.echo(f"{passed} passed, {failed} failed")
    sys.exit(EXIT_USAGE if errors else EXIT_FAILED if failed else EXIT_OK)


def _run_one(path: str, tests_path: str | None) -> SuiteResult:
    policy_path, found, doc = _resolve(path, tests_path)
    if found is None:
        stem = policy_path.name[:-5] if policy_path.name.endswith(".json") else policy_path.name
        raise click.UsageError(f"no tests for {path}: expected {policy_path.with_name(stem + '.tests.json')} "
                               f"or {policy_path.parent / 'tests' / (stem + '.tests.json')} (or pass --tests FILE)")
    policy = load_policy(policy_path)
    suite = load_suite(found, policy_path, doc)
    return run_suite(suite, policy)


def _suggest(path: str, tests_path: str | None) -> None:
    policy_path, found, doc = _resolve(path, tests_path)
    policy: Policy = load_policy(policy_path)
    suite_result = run_suite(load_suite(found, policy_path, doc), policy) if found is not None else None
    suggestions = suggest_cases(policy, suite_result)
    click.echo(json.dumps(suggestions.cases, indent=2, ensure_ascii=False))
    click.echo(f"{len(suggestions.cases)} boundary case(s) suggested; {suggestions.covered} already in the tests",
               err=True)
    for label in suggestions.impossible:
        click.echo(f"  not suggested (no valid record reaches it): {visible(label)}", err=True)


@click.command("doc", short_help="Write the program sheet of POLICY: tiers, criteria in words, benefits and provenance.")
@click.argument("policy", required=False, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True,
              help="markdown, or one self-contained HTML file that prints well.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE (atomically) instead of standard output.")
def doc(policy: str | None, fmt: str, output: str | None) -> None:
    """Write the program sheet of POLICY (default: the shipped program): tiers with their criteria
    in words and benefits, advisory criteria, overrides, facts, measures, effective dates, version
    and sha256. Generated from the policy alone, so it never drifts from it."""
    from ..output.writers import atomic_output
    from ..resources import default_policy_path
    from ..tools.sheet import render_sheet
    text = render_sheet(load_policy(policy or default_policy_path()), fmt)
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with atomic_output(output) as fh:
            fh.write(text)
