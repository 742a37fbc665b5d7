"""No time bomb in what ships: the policies, example programs and exceptions that the docs and tests
use without `--as-of` evaluate at today's date (UTC), so a date in them that today will cross
changes what they print. The shipped points program was in force "until 2026-12-31": every command
run on it without `--as-of` (a server's default date, a page of the docs) would have been refused
from 2027-01-01 on. So: a window in force today is open-ended (a current program is in force until
replaced, `until: null`), an ended one is history, none starts later; an exception in examples/ has
expired; a tests file whose cases depend on the date names its `as_of`. A test that needs a window
to end writes its own copy (tests/test_time_versions.py). And the current programs are in force
years from now, through the CLI."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO

TODAY = _dt.datetime.now(_dt.timezone.utc).date()
SHIPPED_JSON = sorted(p for p in [*(REPO / "policies").glob("*.json"), *EXAMPLES.rglob("*.json")]
                      if not p.name.endswith(".tests.json"))


def _doc(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _day(text: str | None) -> _dt.date | None:
    return None if text is None else _dt.date.fromisoformat(text)


def _window_problem(effective: dict) -> str | None:
    start, end = _day(effective.get("from")), _day(effective.get("until"))
    if end is not None and end < TODAY:
        return None  # history: refused today and on every later day alike
    if start is not None and start > TODAY:
        return f"starts on {start}, after today ({TODAY}): what evaluates today will be refused then, or the reverse"
    if end is not None:
        return (f"in force today but ends on {end}: every run without --as-of changes on {end + _dt.timedelta(days=1)} "
                "(a current program is in force until replaced: until null; a test that needs an end date writes its own copy)")
    return None


def test_the_windows_shipped_are_open_ended_or_over():
    policies = [(p, _doc(p)) for p in SHIPPED_JSON]
    windows = [(p, d["effective"]) for p, d in policies if isinstance(d.get("effective"), dict)]
    assert len(windows) >= 5, [p.name for p, _ in windows]  # the shipped programs and examples/program are read
    problems = [f"{p.relative_to(REPO)}: {why}" for p, w in windows if (why := _window_problem(w))]
    assert not problems, "\n".join(problems)


def test_the_example_exceptions_have_expired():
    files = [(p, d) for p, d in ((p, _doc(p)) for p in SHIPPED_JSON) if isinstance(d.get("exceptions"), list)]
    assert files  # examples/exceptions.json
    problems = [f"{p.relative_to(REPO)}: {e['id']} expires on {e['expires']}, not before today ({TODAY})"
                for p, d in files for e in d["exceptions"] if _dt.date.fromisoformat(e["expires"]) >= TODAY]
    assert not problems, "\n".join(problems)


def test_a_tests_file_that_depends_on_the_date_names_it():
    unnamed = []
    for path in sorted((REPO / "policies" / "tests").glob("*.tests.json")):
        suite = _doc(path)
        policy = _doc((path.parent / suite["policy"]).resolve())
        dated = any(fact.get("type") == "date" for fact in policy["facts"].values()) or "transitions" in policy
        if dated and not suite.get("as_of"):
            unnamed.append(path.name)
    assert not unnamed, f"date facts or transitions, and no as_of: {unnamed}"


def test_the_check_finds_a_window_that_today_will_cross():
    assert _window_problem({"from": "2026-01-01", "until": str(TODAY + _dt.timedelta(days=400))})
    assert _window_problem({"from": str(TODAY + _dt.timedelta(days=1)), "until": None})
    assert _window_problem({"from": "2026-01-01", "until": str(TODAY)})  # its last day is today
    assert _window_problem({"from": "2004-01-01", "until": str(TODAY - _dt.timedelta(days=1))}) is None
    assert _window_problem({"from": "2007-01-01", "until": None}) is None


CURRENT = [("policies/messagelabs-apac.json", "examples/partners.jsonl"),
           ("policies/acme-points-program.json", "examples/partners.jsonl"),
           ("policies/regional-reseller-program.json", "examples/partners.jsonl"),
           ("examples/program", "examples/partners.csv")]


@pytest.mark.parametrize("policy, facts", CURRENT, ids=[p for p, _ in CURRENT])
def test_the_current_programs_are_in_force_years_from_now(cli, policy, facts):
    later = (TODAY + _dt.timedelta(days=5 * 366)).isoformat()
    for command in ("evaluate", "report", "explain"):
        proc = cli(command, "--policy", policy, "--as-of", later, facts)
        assert proc.returncode in (0, 1) and "not in force" not in proc.stderr_text, (command, proc.stderr_text)
        if command == "evaluate":
            decisions = [json.loads(line) for line in proc.stdout_text.splitlines()]
            assert decisions and all("outside_window" not in d.get("policy", {}) for d in decisions)
