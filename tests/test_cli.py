"""The installed `evaluator` console script, run as a user runs it: outputs, exit codes, errors."""
from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from conftest import EXAMPLES, REPO, SHIPPED, base_policy, write_json

DECISION_SCHEMA = json.loads((REPO / "schemas" / "decision.schema.json").read_text())


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr_text and "Traceback" not in proc.stdout_text


def test_version(cli):
    proc = cli("--version")
    assert proc.returncode == 0 and "evaluator, version" in proc.stdout_text
    # and whether the installed package runs compiled (a wheel built with Cython) or pure Python
    assert proc.stdout_text.rstrip().endswith(("(compiled)", "(pure Python)"))


def test_commands_in_modules_of_their_own_are_imported_when_used():
    """Start-up of `evaluate` does not import diff, report, test, doc, explain or replay; each
    is listed in the help and imported when it runs."""
    import subprocess
    import sys
    from evaluator.cli.main import EXTRA_COMMANDS
    modules = sorted({"evaluator.cli" + target.split(":")[0] for target in EXTRA_COMMANDS.values()})
    script = ("import sys\nfrom evaluator.cli import cli\n"
              "print(sorted(m for m in sys.modules if m in %r))\n"
              "print(sorted(cli.list_commands(None)))\n"
              "cmd = cli.get_command(None, 'diff')\nprint(cmd.name, 'evaluator.cli.impact' in sys.modules)" % modules)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert all(name in out[1] for name in [*EXTRA_COMMANDS, "evaluate", "validate", "schema"])
    assert out[2] == "diff True"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_stops_early_is_not_an_error(tmp_path, jobs):
    """`evaluator evaluate ... | head -1`: the reader closes the pipe; the run stops with exit 0,
    quietly (click alone would exit 1, which here means "some records were invalid")."""
    import subprocess
    from conftest import EVALUATOR_BIN
    path = tmp_path / "p.jsonl"
    records = [{"partner_id": f"P{i}", "annual_sales_usd": i * 1000, "regions": ["ANZ"]} for i in range(3000)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = subprocess.Popen([str(EVALUATOR_BIN), "evaluate", str(path), "--format", "jsonl", "--jobs", jobs],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away with most of the output unread (~15 MB)
    _, err = proc.communicate(timeout=120)
    assert json.loads(first)["partner_id"] == "P0"
    assert proc.returncode == 0 and b"Traceback" not in err and b"error" not in err, err


def test_evaluate_jsonl_sample_every_decision_matches_the_schema(cli):
    proc = cli("evaluate", str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 0, proc.stderr_text
    lines = proc.stdout_text.splitlines()
    assert len(lines) == 25
    validator = jsonschema.Draft202012Validator(DECISION_SCHEMA)
    for line in lines:
        decision = json.loads(line)
        validator.validate(decision)
        assert decision["policy"]["id"] == "messagelabs-apac"
        assert len(decision["policy"]["sha256"]) == 64
    first = json.loads(lines[0])
    assert first["partner_id"] == "AP-0001" and first["tier"]["name"] == "Alliance Partner"
    assert [t["id"] for t in first["tiers"]] == ["alliance_partner", "premier_certified", "certified_partner",
                                                 "premium_associate", "associate_partner"]
    assert first["tiers"][0]["criteria"][0] == {
        "id": "sales_1m", "description": "At least $1,000,000 of MessageLabs sales in the last 12 months.",
        "advisory": False, "status": "met", "actual": {"annual_sales_usd": 4850000},
        "required": "annual_sales_usd >= 1000000",
        "checks": [{"operand": "annual_sales_usd", "kind": "fact", "op": ">=", "value": 1000000, "actual": 4850000,
                    "status": "met", "pointer": "/tiers/0/criteria/0/condition"}]} | {
        k: v for k, v in first["tiers"][0]["criteria"][0].items()
        if k not in ("id", "description", "advisory", "status", "actual", "required", "checks")}


def test_csv_and_jsonl_inputs_give_the_same_decisions(cli):
    a = [json.loads(l) for l in cli("evaluate", str(EXAMPLES / "partners.jsonl")).stdout_text.splitlines()]
    b = [json.loads(l) for l in cli("evaluate", str(EXAMPLES / "partners.csv")).stdout_text.splitlines()]
    # the input digest is of the record as read: CSV cells are text, so it differs by design
    strip = lambda d: {k: v for k, v in d.items() if k not in ("source", "input_sha256")}  # noqa: E731
    assert [strip(d) for d in a] == [strip(d) for d in b]


def test_json_output_is_an_array(cli):
    proc = cli("evaluate", "--format", "json", str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0
    data = json.loads(proc.stdout_text)
    assert len(data) == 25 and data[24]["partner_id"] == "AP-0025"


def test_csv_output(cli):
    proc = cli("evaluate", "--format", "csv", str(EXAMPLES / "partners.jsonl"))
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert len(rows) == 25
    assert rows[3]["partner_id"] == "AP-0004" and rows[3]["tier_id"] == "premier_certified"
    assert rows[3]["alliance_partner.sales_1m"] == "not_met"
    assert rows[3]["premier_certified.multi_region"] == "met"


def test_table_output_for_people(cli):
    proc = cli("evaluate", "--format", "table", str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0
    out = proc.stdout_text
    assert out.splitlines()[0].split() == ["PARTNER", "TIER", "NOTES"]
    assert "AP-0016           Associate Partner  missing annual_sales_usd" in out
    assert out.rstrip().endswith("25 partners: 4 Alliance Partner, 8 Premier Certified, 6 Certified Partner, "
                                 "3 Associate Partner, 1 Premium Associate, 3 (no tier)")


@pytest.mark.parametrize("args", [("-",), ()])
def test_reads_stdin(cli, args):
    proc = cli("evaluate", *args, input='{"partner_id": "s1", "annual_sales_usd": 100000}\n')
    assert proc.returncode == 0
    assert json.loads(proc.stdout_text)["tier"]["id"] == "premier_certified"


def test_stdin_json_array_and_csv(cli):
    proc = cli("evaluate", input='[{"partner_id": "a", "referrals_this_year": 5}, {"partner_id": "b"}]')
    assert [json.loads(l)["tier"] for l in proc.stdout_text.splitlines()][1] is None
    proc = cli("evaluate", input="partner_id,referrals_this_year\na,5\nb,1\n")
    assert [json.loads(l)["tier"]["id"] for l in proc.stdout_text.splitlines()] == [
        "premium_associate", "associate_partner"]


def test_invalid_records_become_located_error_records_and_exit_1(cli):
    text = "\n".join([
        '{"partner_id": "ok1", "annual_sales_usd": 5}',
        '{"partner_id": "bad1", "annual_sales_usd": -5}',
        '{"partner_id": "bad2", "annual_sales_usd": "lots"',
        '{"annual_sales_usd": 5}',
        '{"partner_id": "ok2", "referrals_this_year": 2}',
    ]) + "\n"
    proc = cli("evaluate", input=text)
    assert proc.returncode == 1
    no_traceback(proc)
    out = [json.loads(l) for l in proc.stdout_text.splitlines()]
    assert [o["partner_id"] for o in out] == ["ok1", "bad1", None, None, "ok2"]
    assert ["error" in o for o in out] == [False, True, True, True, False]
    assert out[1]["source"] == {"file": "<stdin>", "line": 2}
    assert out[1]["error"]["findings"][0]["pointer"] == "/annual_sales_usd"
    assert out[1]["error"]["findings"][0]["expected"] == ">= 0"
    assert "invalid JSON" in out[2]["error"]["message"] and out[2]["source"]["line"] == 3
    assert "required fact 'partner_id' is missing" in out[3]["error"]["message"]
    assert out[4]["tier"]["id"] == "associate_partner"
    assert "3 of 5 records invalid" in proc.stderr_text
    jsonschema.Draft202012Validator(DECISION_SCHEMA).validate(out[1])


def test_invalid_csv_rows_in_table_format(cli):
    proc = cli("evaluate", "--format", "table", input="partner_id,annual_sales_usd\nA,100000\nB,abc\nC\n")
    assert proc.returncode == 1
    assert "B                 -" in proc.stdout_text and "INVALID" in proc.stdout_text
    assert "line 3" in proc.stdout_text and "line 4" in proc.stdout_text


def test_bad_policy_exits_2_with_a_located_message(cli, tmp_path):
    doc = base_policy()
    doc["tiers"][0]["criteria"][0]["condition"]["fact"] = "sails"
    policy = write_json(tmp_path / "bad.json", doc)
    proc = cli("evaluate", "--policy", str(policy), str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 2
    no_traceback(proc)
    assert f"{policy}:" in proc.stderr_text and "did you mean 'sales'" in proc.stderr_text
    assert proc.stdout_text == ""


@pytest.mark.parametrize("args, message", [
    (("evaluate", "nope.jsonl"), "cannot read nope.jsonl"),
    (("evaluate", "--format", "xml"), "Invalid value for '--format'"),
    (("evaluate", "--as-of", "yesterday"), "expected a date"),
    (("frobnicate",), "No such command"),
    (("evaluate", "--policy", "missing.json"), "cannot read policy"),
])
def test_usage_errors_exit_2(cli, args, message):
    proc = cli(*args, input="")
    assert proc.returncode == 2, proc.stderr_text
    assert message in proc.stderr_text
    no_traceback(proc)


def test_output_file(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    proc = cli("evaluate", str(EXAMPLES / "partners.jsonl"), "--output", str(out))
    assert proc.returncode == 0 and proc.stdout_text == ""
    assert len(out.read_text().splitlines()) == 25
    assert [p.name for p in tmp_path.iterdir()] == ["decisions.jsonl"]  # no temporary file left


def test_output_file_untouched_when_the_policy_is_bad(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    out.write_text("previous run\n")
    bad = write_json(tmp_path / "bad.json", {"id": "x"})
    proc = cli("evaluate", "--policy", str(bad), str(EXAMPLES / "partners.jsonl"), "--output", str(out))
    assert proc.returncode == 2
    assert out.read_text() == "previous run\n"


def test_validate(cli, tmp_path):
    proc = cli("validate", str(SHIPPED))
    assert proc.returncode == 0 and "valid" in proc.stdout_text + proc.stderr_text
    doc = base_policy()
    doc["currency"] = "dollars"
    doc["tiers"][0]["criteria"][0]["condition"]["fact"] = "sails"
    bad = write_json(tmp_path / "bad.json", doc)
    proc = cli("validate", str(SHIPPED), str(bad))
    assert proc.returncode == 2
    no_traceback(proc)
    lines = proc.stderr_text.splitlines()
    assert any(l.startswith(f"{bad}:") and "/currency" in l for l in lines)
    assert any("did you mean 'sales'" in l for l in lines)
    assert any("expected:" in l for l in lines) and any("found:" in l for l in lines)


def test_validate_json_format(cli, tmp_path):
    bad = write_json(tmp_path / "bad.json", dict(base_policy(), currency="dollars"))
    proc = cli("validate", "--format", "json", str(bad))
    assert proc.returncode == 2
    (report,) = json.loads(proc.stdout_text)
    assert report["valid"] is False
    assert report["findings"][0]["pointer"] == "/currency" and report["findings"][0]["line"] > 1


def test_schema_command(cli):
    for which in ("policy", "decision", "facts"):
        proc = cli("schema", which)
        assert proc.returncode == 0
        jsonschema.Draft202012Validator.check_schema(json.loads(proc.stdout_text))
    facts = json.loads(cli("schema", "facts").stdout_text)
    assert facts["required"] == ["partner_id"]
    assert facts["properties"]["annual_sales_usd"]["anyOf"][0] == {"type": "number", "minimum": 0}


def test_decisions_are_reproducible(cli):
    a = cli("evaluate", str(EXAMPLES / "partners.jsonl")).stdout
    b = cli("evaluate", str(EXAMPLES / "partners.jsonl")).stdout
    assert a == b
