"""Decision detail levels (`evaluate --detail tier|summary|full`, Decision.to_dict(detail)).

The fast JSONL lane writes, at each level, exactly the json module's rendering of the plain
path's decision at that level (shipped population, a policy with every operator, fuzzed
policies); full stays the default and today's line; every level validates against the decision
schema; every output format takes the level, with --jobs writing the same bytes; the CSV names
the partner, the next tier and what it needs; combinations that make no sense are usage errors.
"""
from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from evaluator import Evaluator, load_policy
from evaluator.evaluate.evaluator import InputRecord
from evaluator.fast.lane import jsonl_lines
from evaluator.model.decision import DETAILS
from evaluator.output.writers import _dumps, output_writer

from conftest import REPO, base_policy
from test_cache_differential import AS_OF, VARIED, _varied_records, population
from test_fuzz_differential import _input, cases, fuzz_policy

SCHEMA = jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "decision.schema.json").read_text()))


def _check(policy, items, detail: str) -> list[str]:
    """The lane's lines at `detail` (first pass: templates made; second: written from them) equal
    the plain path's; returns them."""
    with Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
        expected = [_dumps(r.to_dict(detail)) for r in plain.evaluate_many(items)]
    with Evaluator(policy, as_of=AS_OF) as cached:
        for _ in range(2):
            got = [line for line, _ok in jsonl_lines(cached, items, detail)]
            assert len(got) == len(items)
            for i, (line, want) in enumerate(zip(got, expected)):
                assert line == want, f"{detail}: record {i} differs: {items[i]!r}"
    return expected


@pytest.mark.parametrize("detail", DETAILS)
def test_the_lane_writes_the_plain_paths_bytes_at_every_level(shipped_policy, detail):
    items = list(population.partners(3000, seed=1))
    lines = _check(shipped_policy, items, detail)
    for line in lines:
        SCHEMA.validate(json.loads(line))
    data = [json.loads(line) for line in lines]
    decided = [d for d in data if "error" not in d]
    assert decided and len(decided) < len(data)  # the population holds invalid records too
    if detail == "tier":
        assert all(set(d) <= {"partner_id", "source", "tier", "override", "as_of", "policy", "evaluator",
                              "input_sha256"} for d in decided)
    if detail == "summary":
        needs = [n for d in decided if d["next_tier"] for n in d["next_tier"]["needs"]]
        assert needs and all(type(n["shortfall"]) is str and n["shortfall"] for n in needs)
        assert not any("tiers" in d or "measures" in d for d in decided)


def test_full_is_the_default_and_todays_line(shipped_policy):
    items = list(population.partners(500, seed=2))
    with Evaluator(shipped_policy, as_of=AS_OF) as a, Evaluator(shipped_policy, as_of=AS_OF) as b:
        assert list(jsonl_lines(a, items)) == list(jsonl_lines(b, items, "full"))
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as plain:
        for result in plain.evaluate_many(items):
            assert result.to_dict() == result.to_dict("full")


@pytest.mark.parametrize("detail", ["tier", "summary"])
def test_every_operator_nested_logic_measures_dates_and_overrides(detail):
    _check(load_policy(VARIED), _varied_records(700, seed=4), detail)


@settings(max_examples=30, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_fuzzed_policies_and_records_at_the_summary_level(case):
    doc, batch = case
    policy = fuzz_policy(doc)
    items = [_input(record, from_text, number) for number, (record, from_text) in enumerate(batch)]
    _check(policy, items, "summary")
    _check(policy, items, "tier")


def test_a_threshold_and_one_step_below_in_the_summary():
    policy = load_policy(base_policy())
    items = [InputRecord({"partner_id": "at", "sales": 100}, None), InputRecord({"partner_id": "below", "sales": 99.99}, None),
             InputRecord({"partner_id": "none"}, None)]
    at, below, none = (json.loads(line) for line in _check(policy, items, "summary"))
    assert at["tier"]["id"] == "gold" and at["next_tier"] is None
    assert below["tier"]["id"] == "silver"
    (need,) = below["next_tier"]["needs"]
    assert need["criterion"] == "sales" and "0.01" in need["shortfall"] and "100" in need["shortfall"]
    assert none["tier"] is None and none["next_tier"]["id"] == "silver" and none["next_tier"]["needs"][0]["status"] == "missing"


def test_an_unknown_level_is_refused(shipped_policy):
    with Evaluator(shipped_policy) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "annual_sales_usd": 5})
    with pytest.raises(ValueError, match="detail"):
        decision.to_dict("everything")
    with pytest.raises(ValueError, match="detail"):
        output_writer("jsonl", detail="everything")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_names_the_partner_the_next_tier_and_what_it_needs(tmp_path, cli):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"partner_id": "P1", "partner_name": "=Acme Ltd", "annual_sales_usd": 99999.99,
                                "countries": ["AU"]}) + "\n"
                    + json.dumps({"partner_id": "P2", "annual_sales_usd": "lots"}) + "\n", encoding="utf-8")
    for detail in DETAILS:
        proc = cli("evaluate", str(path), "--format", "csv", "--detail", detail, "--as-of", AS_OF.isoformat())
        assert proc.returncode == 1, proc.stderr_text
        good, bad = _csv(proc.stdout_text)
        assert good["partner_name"] == "'=Acme Ltd"  # neutralised for a spreadsheet
        assert good["policy_id"] == "messagelabs-apac" and bad["error"]
        if detail == "tier":
            assert "next_tier_id" not in good and not any(k.endswith(".status") for k in good)
            continue
        assert good["next_tier_id"] and good["next_tier_needs"]
        assert ("premier_certified.status" in good) == (detail == "full")
        assert ("benefits" in good) == (detail == "summary")


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@pytest.mark.parametrize("detail", ["tier", "summary"])
def test_every_format_with_jobs_writes_the_same_bytes(tmp_path, cli, fmt, detail):
    path = tmp_path / "partners.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in population.partners(1500, seed=3)), encoding="utf-8")
    runs = [cli("evaluate", str(path), "--format", fmt, "--detail", detail, "--as-of", AS_OF.isoformat(), "--jobs", j)
            for j in ("1", "2")]
    assert [p.returncode for p in runs] == [1, 1], runs[0].stderr_text
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout
    if fmt == "json":
        for item in json.loads(runs[0].stdout):
            SCHEMA.validate(item)


def test_the_table_at_each_level(tmp_path, cli):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"partner_id": "P1", "annual_sales_usd": 99999.99, "countries": ["AU"]}) + "\n",
                    encoding="utf-8")
    tables = {d: cli("evaluate", str(path), "--format", "table", "--detail", d, "--as-of", AS_OF.isoformat())
              for d in DETAILS}
    assert all(p.returncode == 0 for p in tables.values())
    summary = tables["summary"].stdout_text
    assert "NEXT TIER" in summary and "Premier Certified" in summary and "must rise by 0.01" in summary
    assert "must rise" not in tables["tier"].stdout_text
    assert tables["full"].stdout_text == cli("evaluate", str(path), "--format", "table",
                                             "--as-of", AS_OF.isoformat()).stdout_text


@pytest.mark.parametrize("extra, says", [(["--with-input"], "replay"), (["--near", "10"], "--near")])
def test_levels_that_cannot_apply_are_usage_errors(tmp_path, cli, extra, says):
    path = tmp_path / "p.jsonl"
    path.write_text('{"partner_id": "P1"}\n', encoding="utf-8")
    proc = cli("evaluate", str(path), "--detail", "summary", *extra)
    assert proc.returncode == 2 and says in proc.stderr_text and "Traceback" not in proc.stderr_text
    assert proc.stdout == b""
