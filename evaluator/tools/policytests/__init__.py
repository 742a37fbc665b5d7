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
from .coverage import Coverage, coverage, coverage_text
from .run import CaseResult, Difference, SuiteResult, run_case, run_suite
from .suggest import Boundary, Suggestions, boundaries, suggest_cases
from .suite import (MAX_TESTS_BYTES, TESTS_SUFFIX, Case, Suite, TestsFileError, find_tests, is_tests_document,
                    load_suite, named_policy, read_named_policy, read_tests_document, suite_findings)

__all__ = ["Boundary", "Case", "CaseResult", "Coverage", "Difference", "MAX_TESTS_BYTES", "Suggestions", "Suite",
           "SuiteResult", "TESTS_SUFFIX", "TestsFileError", "boundaries", "coverage", "coverage_text", "find_tests",
           "is_tests_document", "load_suite", "named_policy", "read_named_policy", "read_tests_document", "run_case",
           "run_suite", "suggest_cases", "suite_findings"]
