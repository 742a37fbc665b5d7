"""Parquet in and out of the CLI as a user runs it: `evaluate partners.parquet -o out.parquet`,
decisions equal to the JSONL ones, read by row group; bad Parquet input a clear error (exit 2)."""
from __future__ import annotations

import json

import pytest

pa = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow: pip install '.[parquet]'")
pq = pytest.importorskip("pyarrow.parquet")

from conftest import EXAMPLES, run_cli  # noqa: E402

AS_OF = "2026-06-30"


@pytest.fixture
def partners(tmp_path):
    """The example partners as Parquet (row groups of 7 rows), with one invalid row at row 4."""
    records = [json.loads(line) for line in (EXAMPLES / "partners.jsonl").read_text(encoding="utf-8").splitlines()]
    records[3]["annual_sales_usd"] = -5
    path = tmp_path / "partners.parquet"
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=7)
    return path


def test_parquet_in_jsonl_out_names_each_row(partners):
    proc = run_cli("evaluate", str(partners), "--as-of", AS_OF)
    assert proc.returncode == 1 and "1 of 25 records invalid" in proc.stderr_text
    lines = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert len(lines) == 25
    assert [d["source"] for d in lines[:2]] == [{"file": str(partners), "row": 1}, {"file": str(partners), "row": 2}]
    assert lines[3]["error"]["message"].startswith(f"{partners}: row 4: 'annual_sales_usd' is below its minimum")
    assert lines[24]["source"]["row"] == 25  # across row groups


def test_parquet_out_holds_the_jsonl_decisions(partners, tmp_path):
    out = tmp_path / "decisions.parquet"
    proc = run_cli("evaluate", str(partners), "-o", str(out), "--as-of", AS_OF)
    assert proc.returncode == 1, proc.stderr_text
    assert proc.stdout_text == ""
    table = pq.read_table(out)
    jsonl = run_cli("evaluate", str(partners), "--as-of", AS_OF).stdout_text.splitlines()
    assert table.column("decision").to_pylist() == jsonl
    assert table.column("partner_id").to_pylist()[:2] == ["AP-0001", "AP-0002"]
    assert table.column("tier_id").to_pylist()[0] == "alliance_partner"
    assert table.column("error").null_count == 24
    assert table.schema.field("tier_rank").type == pa.int32()


def test_jsonl_in_parquet_out_by_format_and_batches(tmp_path):
    out = tmp_path / "decisions.pq"
    proc = run_cli("evaluate", str(EXAMPLES / "partners.jsonl"), "--format", "parquet", "-o", str(out),
                   "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr_text
    lines = run_cli("evaluate", str(EXAMPLES / "partners.jsonl"), "--as-of", AS_OF).stdout_text.splitlines()
    assert pq.read_table(out).column("decision").to_pylist() == lines


def test_parquet_to_a_pipe(partners):
    proc = run_cli("evaluate", str(partners), "--format", "parquet", "--as-of", AS_OF)
    assert proc.returncode == 1
    assert proc.stdout[:4] == b"PAR1" and proc.stdout[-4:] == b"PAR1"


def test_jobs_with_parquet_runs_in_one_process_and_says_so(partners):
    proc = run_cli("evaluate", str(partners), "--jobs", "2", "--as-of", AS_OF)
    assert proc.returncode == 1
    assert "note: --jobs splits JSONL, CSV and JSON; Parquet is evaluated in one process" in proc.stderr_text
    assert proc.stdout_text == run_cli("evaluate", str(partners), "--as-of", AS_OF).stdout_text


def test_a_parquet_file_found_by_its_content(partners, tmp_path):
    renamed = tmp_path / "partners.data"
    renamed.write_bytes(partners.read_bytes())
    proc = run_cli("evaluate", str(renamed), "--as-of", AS_OF)
    assert proc.returncode == 1 and len(proc.stdout_text.splitlines()) == 25


@pytest.mark.parametrize("content, message", [
    (b"PAR1 not really", "is not a readable Parquet file"),
    (b"", "is not a readable Parquet file"),
])
def test_a_file_that_is_not_parquet(tmp_path, content, message):
    path = tmp_path / "broken.parquet"
    path.write_bytes(content)
    proc = run_cli("evaluate", str(path))
    assert proc.returncode == 2 and message in proc.stderr_text and "Traceback" not in proc.stderr_text
    assert proc.stdout_text == ""


def test_a_file_cut_short_is_an_error_and_leaves_the_output_alone(partners, tmp_path):
    cut = tmp_path / "cut.parquet"
    data = partners.read_bytes()
    cut.write_bytes(data[:len(data) // 2] + data[-2000:])  # the footer kept, the row groups' bytes not
    out = tmp_path / "out.parquet"
    out.write_bytes(b"earlier run")
    proc = run_cli("evaluate", str(cut), "-o", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr_text, proc.stderr_text
    assert out.read_bytes() == b"earlier run"


def test_parquet_from_standard_input_is_refused(partners):
    proc = run_cli("evaluate", "-", "--input-format", "parquet", input=partners.read_bytes())
    assert proc.returncode == 2
    assert "Parquet is read from a file, not standard input" in proc.stderr_text


def test_a_column_named_twice(tmp_path):
    path = tmp_path / "twice.parquet"
    pq.write_table(pa.table([pa.array(["A"]), pa.array(["B"])], names=["partner_id", "partner_id"]), path)
    proc = run_cli("evaluate", str(path))
    assert proc.returncode == 2 and "names column(s) partner_id more than once" in proc.stderr_text


def test_near_does_not_write_parquet(partners):
    proc = run_cli("evaluate", str(partners), "--near", "10", "--format", "parquet")
    assert proc.returncode == 2 and "not parquet" in proc.stderr_text


def test_an_empty_parquet_file_is_no_partner(tmp_path):
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"partner_id": pa.array([], pa.string())}), path)
    proc = run_cli("evaluate", str(path), "-o", str(tmp_path / "out.parquet"))
    assert proc.returncode == 0 and "no partner records" in proc.stderr_text
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 0


def test_diff_and_report_read_parquet(partners):
    proc = run_cli("report", str(partners), "--format", "json", "--as-of", AS_OF)
    assert proc.returncode in (0, 1), proc.stderr_text
    jsonl = run_cli("report", str(EXAMPLES / "partners.jsonl"), "--format", "json", "--as-of", AS_OF)
    assert json.loads(proc.stdout_text)["records"] == json.loads(jsonl.stdout_text)["records"]
    policy = str(EXAMPLES.parent / "policies" / "messagelabs-apac.json")
    diff = run_cli("diff", policy, policy, str(partners), "--format", "json", "--as-of", AS_OF)
    assert diff.returncode in (0, 1), diff.stderr_text
    assert json.loads(diff.stdout_text)
