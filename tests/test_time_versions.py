"""Effective windows enforced and the version in force chosen by date (docs/time.md): each window
edge (the first and last day in force, one day outside), version choice at each boundary, a
folder's versions validated as one program (mixed ids, overlaps, gaps, located), the CLI as a
user runs it and the library."""
from __future__ import annotations

import datetime as _dt
import json

import pytest

from conftest import REPO, base_policy, write_json
from evaluator import Evaluator, load_policy
from evaluator.errors import PolicyError
from evaluator.evaluate.versions import NotInForce, load_program

ACME = REPO / "policies" / "acme-points-program.json"
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
FACTS = '{"partner_id": "A", "sales": 500}\n{"partner_id": "B", "sales": 50}\n'


def lines(proc):
    return [json.loads(line) for line in proc.stdout_text.splitlines()]


def two_versions(folder, **extra):
    folder.mkdir(exist_ok=True)
    write_json(folder / "v1.json", base_policy(version="1.0.0", effective={"from": "2026-01-01", "until": "2026-06-30"}))
    second = base_policy(version="2.0.0", effective={"from": "2026-07-01", "until": None}, **extra)
    second["tiers"][0]["criteria"][0]["condition"]["value"] = 1000  # gold is harder in 2.0.0
    write_json(folder / "v2.json", second)
    (folder / "v2.tests.json").write_text("{}", encoding="utf-8")  # a tests file is not a version
    return folder


def ending(folder):
    """The shipped points program with an end date: its 2026 edition, closed on 2026-12-31 (the
    shipped one is open-ended: a current program is in force until replaced)."""
    doc = json.loads(ACME.read_text(encoding="utf-8"))
    doc["effective"] = {"from": "2026-01-01", "until": "2026-12-31"}
    return write_json(folder / "acme-2026.json", doc)


@pytest.mark.parametrize("date, ok", [("2026-01-01", True), ("2026-12-31", True), ("2025-12-31", False),
                                      ("2027-01-01", False), ("2026-06-15", True)])
def test_the_window_edges_of_a_program_with_an_end_date(cli, tmp_path, date, ok):
    proc = cli("evaluate", "--policy", str(ending(tmp_path)), "--as-of", date, "examples/partners.jsonl")
    if ok:
        assert proc.returncode == 0, proc.stderr_text
        assert all("outside_window" not in d["policy"] for d in lines(proc))
    else:
        assert proc.returncode == 2 and proc.stdout == b""
        assert (f"error: policy acme-apac-points 1.1.0 is not in force on {date}: it is in force from 2026-01-01 "
                f"until 2026-12-31") in proc.stderr_text
        assert "--outside-window" in proc.stderr_text and "Traceback" not in proc.stderr_text


@pytest.mark.parametrize("date", ["2026-01-01", "2027-01-01", "2040-06-30"])
def test_the_shipped_points_program_is_in_force_until_replaced(cli, date):
    proc = cli("evaluate", "--policy", str(ACME), "--as-of", date, "examples/partners.jsonl")
    assert proc.returncode == 0, proc.stderr_text
    assert all("outside_window" not in d["policy"] for d in lines(proc))
    refused = cli("evaluate", "--policy", str(ACME), "--as-of", "2025-12-31", "examples/partners.jsonl")
    assert refused.returncode == 2 and "in force from 2026-01-01 (open-ended)" in refused.stderr_text


def test_a_program_from_2007_is_refused_as_of_2001(cli):
    proc = cli("evaluate", "--policy", str(SHIPPED), "--as-of", "2001-01-01", "examples/partners.jsonl")
    assert proc.returncode == 2
    assert "not in force on 2001-01-01: it is in force from 2007-01-01 (open-ended)" in proc.stderr_text
    assert cli("evaluate", "--as-of", "2007-01-01", "examples/partners.jsonl").returncode == 0


def test_outside_window_evaluates_and_every_decision_says_so(cli, tmp_path):
    acme = ending(tmp_path)
    proc = cli("evaluate", "--policy", str(acme), "--as-of", "2030-01-01", "--outside-window", "examples/partners.jsonl")
    assert proc.returncode == 0
    decisions = lines(proc)
    assert decisions and all(d["policy"]["outside_window"] == {"as_of": "2030-01-01", "from": "2026-01-01",
                                                                "until": "2026-12-31"} for d in decisions)
    # the fast JSONL lane and the plain writer agree, and so do --jobs workers
    for fmt in ("json",):
        again = cli("evaluate", "--policy", str(acme), "--as-of", "2030-01-01", "--outside-window",
                    "examples/partners.jsonl", "--format", fmt)
        assert json.loads(again.stdout_text) == decisions
    jobs = cli("evaluate", "--policy", str(acme), "--as-of", "2030-01-01", "--outside-window", "--jobs", "2",
               "examples/partners.jsonl")
    assert jobs.stdout == proc.stdout


def test_report_and_explain_enforce_the_window_too(cli, tmp_path):
    acme = ending(tmp_path)
    assert cli("report", "--policy", str(acme), "--as-of", "2030-01-01", "examples/partners.jsonl").returncode == 2
    proc = cli("explain", "--policy", str(acme), "--as-of", "2030-01-01", "examples/partners.jsonl")
    assert proc.returncode == 2 and "not in force on 2030-01-01" in proc.stderr_text
    assert cli("report", "--policy", str(acme), "--as-of", "2030-01-01", "--outside-window",
               "examples/partners.jsonl").returncode == 0


def test_diff_is_a_what_if_and_compares_programs_whatever_their_windows(cli):
    proc = cli("diff", "policies/legacy-gold-silver-bronze.json", "policies/messagelabs-apac.json",
               "examples/partners.csv", "--format", "json")
    assert proc.returncode == 0, proc.stderr_text


@pytest.mark.parametrize("date, version", [("2026-01-01", "1.0.0"), ("2026-06-30", "1.0.0"),
                                           ("2026-07-01", "2.0.0"), ("2031-02-03", "2.0.0")])
def test_a_folder_of_versions_picks_the_version_in_force(cli, tmp_path, date, version):
    folder = two_versions(tmp_path / "program")
    (tmp_path / "p.jsonl").write_text(FACTS, encoding="utf-8")
    proc = cli("evaluate", "--policy", str(folder), "--as-of", date, str(tmp_path / "p.jsonl"))
    assert proc.returncode == 0, proc.stderr_text
    decisions = lines(proc)
    assert {d["policy"]["version"] for d in decisions} == {version}
    expected = load_policy(folder / ("v1.json" if version == "1.0.0" else "v2.json")).sha256
    assert {d["policy"]["sha256"] for d in decisions} == {expected}
    assert decisions[0]["tier"]["id"] == ("gold" if version == "1.0.0" else "silver")


def test_no_version_in_force_is_refused_naming_each_window(cli, tmp_path):
    folder = two_versions(tmp_path / "program")
    (tmp_path / "p.jsonl").write_text(FACTS, encoding="utf-8")
    proc = cli("evaluate", "--policy", str(folder), "--as-of", "2025-12-31", str(tmp_path / "p.jsonl"))
    assert proc.returncode == 2
    assert (f"no version of program test-program in {folder} is in force on 2025-12-31: 1.0.0 (v1.json) in force "
            f"from 2026-01-01 until 2026-06-30; 2.0.0 (v2.json) in force from 2026-07-01 (open-ended)") in proc.stderr_text


def test_validate_a_folder_of_versions(cli, tmp_path):
    folder = two_versions(tmp_path / "program")
    proc = cli("validate", str(folder))
    assert proc.returncode == 0, proc.stderr_text
    assert f"{folder}/v1.json: valid" in proc.stderr_text + proc.stdout_text


def test_overlapping_versions_are_an_error_located_at_the_later_one(cli, tmp_path):
    folder = two_versions(tmp_path / "program")
    doc = json.loads((folder / "v2.json").read_text())
    doc["effective"]["from"] = "2026-06-30"  # one day in common with 1.0.0
    write_json(folder / "v2.json", doc)
    proc = cli("validate", str(folder), "--format", "json")
    assert proc.returncode == 2
    report = {entry["file"]: entry for entry in json.loads(proc.stdout_text)}
    (finding,) = report[str(folder / "v2.json")]["findings"]
    line = next(i for i, text in enumerate((folder / "v2.json").read_text().splitlines(), 1) if '"from"' in text)
    assert finding["pointer"] == "/effective/from" and finding["line"] == line and finding["severity"] == "error"
    assert "overlaps version 1.0.0" in finding["message"] and finding["found"] == "2026-06-30"
    assert finding["expected"] == "a date after 2026-06-30"
    # and evaluating with such a folder is refused with the same finding
    (tmp_path / "p.jsonl").write_text(FACTS, encoding="utf-8")
    run = cli("evaluate", "--policy", str(folder), "--as-of", "2026-03-01", str(tmp_path / "p.jsonl"))
    assert run.returncode == 2 and "overlaps version 1.0.0" in run.stderr_text


def test_an_open_ended_version_before_another_overlaps(tmp_path):
    folder = two_versions(tmp_path / "program")
    doc = json.loads((folder / "v1.json").read_text())
    doc["effective"]["until"] = None
    write_json(folder / "v1.json", doc)
    with pytest.raises(PolicyError) as info:
        load_program(folder)
    assert "version 1.0.0 to end (effective until) before it" in info.value.findings[0].expected


def test_a_gap_between_versions_is_a_warning(cli, tmp_path):
    folder = two_versions(tmp_path / "program")
    doc = json.loads((folder / "v2.json").read_text())
    doc["effective"]["from"] = "2026-07-03"
    write_json(folder / "v2.json", doc)
    proc = cli("validate", str(folder))
    assert proc.returncode == 0
    assert "warning: no version is in force from 2026-07-01 to 2026-07-02 (between version 1.0.0 and 2.0.0)" \
        in proc.stderr_text
    assert cli("validate", "--strict", str(folder)).returncode == 2
    (tmp_path / "p.jsonl").write_text(FACTS, encoding="utf-8")
    assert cli("evaluate", "--policy", str(folder), "--as-of", "2026-07-02", str(tmp_path / "p.jsonl")).returncode == 2
    assert cli("evaluate", "--policy", str(folder), "--as-of", "2026-07-03", str(tmp_path / "p.jsonl")).returncode == 0


def test_mixed_program_ids_a_version_without_a_window_and_a_version_used_twice(cli, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_json(folder / "a.json", base_policy(effective={"from": "2026-01-01", "until": "2026-06-30"}))
    write_json(folder / "b.json", base_policy(id="other-program", effective={"from": "2026-07-01"}))
    write_json(folder / "c.json", base_policy(version="1.0.0"))
    proc = cli("validate", str(folder), "--format", "json")
    assert proc.returncode == 2
    found = {(entry["file"].rsplit("/", 1)[1], f["pointer"]): f for entry in json.loads(proc.stdout_text)
             for f in entry["findings"]}
    assert found[("b.json", "/id")]["expected"] == "test-program" and found[("b.json", "/id")]["line"] == 2
    assert "needs an effective window" in found[("c.json", "/effective")]["message"]
    assert found[("c.json", "/version")]["found"] == "1.0.0"


def test_the_shipped_policies_folder_is_three_programs_not_one(cli):
    proc = cli("evaluate", "--policy", "policies", "examples/partners.jsonl")
    assert proc.returncode == 2 and "a folder of versions holds one program" in proc.stderr_text
    assert "Traceback" not in proc.stderr_text


def test_an_empty_folder_is_a_clear_error(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    proc = cli("evaluate", "--policy", str(tmp_path / "empty"), "examples/partners.jsonl")
    assert proc.returncode == 2 and "the folder holds no policy file" in proc.stderr_text


def test_library_windows_and_programs(tmp_path):
    folder = two_versions(tmp_path / "program")
    program = load_program(folder)
    assert [p.version for p in program.versions] == ["1.0.0", "2.0.0"]
    with Evaluator(program, as_of=_dt.date(2026, 6, 30)) as evaluator:
        assert evaluator.policy.version == "1.0.0"
        assert evaluator.evaluate({"partner_id": "A", "sales": 500}).policy["version"] == "1.0.0"
    with Evaluator(program, as_of=_dt.date(2026, 7, 1)) as evaluator:
        assert evaluator.evaluate({"partner_id": "A", "sales": 500}).tier.id == "silver"
    v1 = program.versions[0]
    with pytest.raises(NotInForce):
        Evaluator(v1, as_of=_dt.date(2026, 7, 1))
    with Evaluator(v1, as_of=_dt.date(2026, 7, 1), outside_window=True) as evaluator:
        assert evaluator.evaluate({"partner_id": "A", "sales": 1}).to_dict()["policy"]["outside_window"]["as_of"] \
            == "2026-07-01"
        with pytest.raises(NotInForce):  # a reload to a policy not in force is refused; the old one stays
            evaluator.outside_window = False
            evaluator.reload(v1)
        assert evaluator.policy is v1
    # a list of versions is a program too, checked the same way
    assert load_program(list(program.versions)).at(_dt.date(2026, 7, 1)).version == "2.0.0"
    with pytest.raises(PolicyError):
        load_program([program.versions[0], program.versions[0]])


def test_the_example_versions_are_the_shipped_program_with_their_dates_and_rules():
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    folder = REPO / "examples" / "program"
    first = json.loads((folder / "messagelabs-apac-1.0.0.json").read_text(encoding="utf-8"))
    second = json.loads((folder / "messagelabs-apac-1.1.0.json").read_text(encoding="utf-8"))
    schema = "../../schemas/policy.schema.json"
    assert first == {**shipped, "$schema": schema, "effective": {"from": "2007-01-01", "until": "2026-03-31"}}
    rules = second.pop("transitions")
    assert rules["grace_days"] == 90 and rules["max_steps_down"] == 1
    assert second == {**shipped, "$schema": schema, "version": "1.1.0", "effective": {"from": "2026-04-01",
                                                                                      "until": None}}


def test_decisions_with_time_members_fit_the_decision_schema(tmp_path):
    import jsonschema
    from evaluator.resources import schema
    from evaluator.evaluate.standing import History
    from evaluator import load_exceptions
    policy = load_policy(base_policy(effective={"from": "2026-01-01", "until": "2026-06-30"},
                                     transitions={"grace_days": 10, "max_steps_down": 1}))
    exceptions = load_exceptions({"program": "test-program", "exceptions": [
        {"id": "EX-1", "partner_id": "E", "tier": None, "reason": "r", "approver": "a", "ticket": "t",
         "granted": "2026-01-01", "expires": "2026-12-31"}]})
    gold = {"tier": {"id": "gold"}, "policy": policy.ref}
    history = History.of([{"partner_id": p, **gold} for p in ("A", "B", "E")])
    validator = jsonschema.Draft202012Validator(schema("decision"))
    with Evaluator(policy, as_of=_dt.date(2026, 7, 1), outside_window=True, history=history,
                   exceptions=exceptions) as evaluator:
        results = list(evaluator.evaluate_many([{"partner_id": "A", "sales": 500}, {"partner_id": "B", "sales": 5},
                                                {"partner_id": "E", "sales": 5}, {"partner_id": "N", "sales": 5}]))
    for result in results:
        data = result.to_dict()
        validator.validate(data)
        assert "outside_window" in data["policy"] and "standing" in data
    assert results[2].to_dict()["exception"]["id"] == "EX-1" and results[2].tier is None
    bad = {**results[1].to_dict(), "standing": {"transition": "sideways"}}
    assert list(validator.iter_errors(bad))
