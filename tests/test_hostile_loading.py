"""Hostile input, part 2 (issue 26): what reading and loading must survive. Each test is a
reproduction as a user runs it (the installed CLI in a subprocess, or the library) of one
attack: CSV record smuggling, patterns that backtrack, quadratic reading, memory per byte,
deep measure chains, wide headers, memory pressure. Timing checks are ratios of the fastest of
several runs, with a generous factor: never seconds (benchmarks/load_scaling.py has figures)."""
from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings, strategies as st

from evaluator.load import csvrows

from conftest import run_cli


# --- 1. CSV record smuggling ------------------------------------------------------------------

def _smuggling_csv(size: int) -> str:
    return ("partner_id,partner_name,annual_sales_usd\nOK1,N,5\nBIG,\"" + "A" * size
            + "\nINJECTED,Fake,5000000\nrest\",5\nOK2,M,6\n")


def test_nothing_inside_an_over_long_quoted_field_becomes_a_record(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(_smuggling_csv(2 * csvrows.MAX_ROW_CHARS))
    proc = run_cli("evaluate", str(path), "--format", "csv")
    assert proc.returncode == 1, proc.stderr_text
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert [(r["partner_id"], r["line"]) for r in rows] == [("OK1", "2"), ("", "3"), ("OK2", "6")]
    assert "INJECTED" not in proc.stdout_text and "rest" not in proc.stdout_text
    assert f"row is longer than {csvrows.MAX_ROW_CHARS} characters" in rows[1]["error"]
    assert "line 3" in rows[1]["error"]


def test_a_quoted_field_past_the_csv_modules_field_limit_is_one_error_record(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(_smuggling_csv(140_000))  # over csv's 131,072 per field, under the row limit
    proc = run_cli("evaluate", str(path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert [(r["partner_id"], r["line"]) for r in rows] == [("OK1", "2"), ("", "3"), ("OK2", "6")]
    assert "field larger than field limit" in rows[1]["error"] and "INJECTED" not in proc.stdout_text


def test_report_does_not_count_a_smuggled_partner(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(_smuggling_csv(2 * csvrows.MAX_ROW_CHARS))
    proc = run_cli("report", str(path), "--format", "json")
    summary = json.loads(proc.stdout_text)
    assert (summary["records"], summary["partners"], summary["invalid"]) == (3, 2, 1)
    assert {t["id"]: t["partners"] for t in summary["tiers"]}["alliance_partner"] == 0


_CELL = st.text(alphabet='ab ,"\n\r', max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=5), st.booleans(),
       st.text(alphabet='ab,"\n\r', max_size=30))
def test_rows_are_cut_as_the_csv_module_reads_them(table, crlf, raw):
    """The cut rows, each read on its own, are what csv.reader reads from the whole text: for
    well-quoted tables and for arbitrary text (stray quotes, lone \\r)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows(table)
    for text in (out.getvalue(), raw, out.getvalue() + raw):
        expected = list(csv.reader(io.StringIO(text, newline="")))
        reader = csvrows.RowReader()
        got = [reader.cells(row) for _, row, _ in csvrows.split_rows(io.StringIO(text, newline=""))]
        assert [r for r in got if r] == [r for r in expected if r], text


def test_rows_are_located_by_the_line_they_start_on():
    text = 'a,b\n1,"x\ny"\n\n2,z\r\n3,"\r\n"\n4,5'
    starts = [(line, row) for line, row, _ in csvrows.split_rows(io.StringIO(text, newline=""))]
    assert [line for line, _ in starts] == [1, 2, 4, 5, 6, 8]


def test_an_over_long_row_is_skipped_to_its_real_end_in_bounded_pieces():
    text = 'h\n"' + "x," * 50 + '""\n' * 10 + '"\nnext\n'
    got = list(csvrows.split_rows(io.StringIO(text, newline=""), limit=16))
    assert [(line, row) for line, row, _ in got] == [(1, "h\n"), (2, None), (13, "next\n")]
