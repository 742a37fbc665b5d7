"""Bad partner input: each bad record is a located error record, every other record is still
evaluated, and the run exits 1; input that is unusable as a whole is refused before anything is
written (exit 2). One test (or more) per row of the table of docs/bad-input.md "Bad partner records and policies"."""
from __future__ import annotations

import io
import json

import pytest

from evaluator.errors import InputError
from evaluator.load.records import MAX_LINE_BYTES, read_records

from conftest import run_cli

GOOD = '{"partner_id": "OK-1", "annual_sales_usd": 100000, "referrals_this_year": 1}'


def records_of(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stdout_text.splitlines()]


def read(data: bytes, name: str = "in", fmt: str = "auto") -> list:
    return list(read_records(io.BytesIO(data), name, fmt))


# --- JSONL through the CLI: one run, every kind of bad record, each in its place ------------

BAD_LINES = [
    ("malformed", '{"partner_id": "M1", "annual_sales_usd": }', "invalid JSON"),
    ("truncated", '{"partner_id": "T1", "annual_sa', "Unterminated string"),
    ("string for number", '{"partner_id": "W1", "annual_sales_usd": "100000"}', "must be a number"),
    ("boolean for number", '{"partner_id": "B1", "annual_sales_usd": true}', "must be a number"),
    ("list for string", '{"partner_id": ["L1"]}', "must be a string"),
    ("number for string", '{"partner_id": 17, "annual_sales_usd": 5}', "must be a string"),
    ("string for list", '{"partner_id": "S1", "regions": "ANZ"}', "must be a list of strings"),
    ("non-string list item", '{"partner_id": "S2", "regions": ["ANZ", 7]}', "item 1 must be a string"),
    ("negative", '{"partner_id": "N1", "annual_sales_usd": -0.01}', "below its minimum"),
    ("negative integer", '{"partner_id": "N2", "referrals_this_year": -1}', "below its minimum"),
    ("fractional integer", '{"partner_id": "F1", "referrals_this_year": 1.5}', "must be an integer"),
    ("NaN", '{"partner_id": "X1", "annual_sales_usd": NaN}', "NaN is not a JSON number"),
    ("Infinity", '{"partner_id": "X2", "annual_sales_usd": -Infinity}', "-Infinity is not a JSON number"),
    ("overflow", '{"partner_id": "X3", "annual_sales_usd": 1e400}', "overflows to infinity"),
    ("endless digits", '{"partner_id": "X6", "annual_sales_usd": ' + "9" * 5000 + "}", "more than 400 digits"),
    ("beyond 2**53", '{"partner_id": "X4", "annual_sales_usd": 9007199254740993}', "too large to compare exactly"),
    ("beyond 2**53 float", '{"partner_id": "X5", "annual_sales_usd": 1e16}', "too large to compare exactly"),
    ("duplicate key", '{"partner_id": "D1", "annual_sales_usd": 1, "annual_sales_usd": 2000000}', "duplicate key"),
    ("lone surrogate", '{"partner_id": "U1", "partner_name": "\\ud800"}', "unpaired UTF-16 surrogate"),
    ("deep nesting", '{"partner_id": "Z1", "x": ' + "[" * 100 + "]" * 100 + "}", "nesting deeper than 64 levels"),
    ("not an object", '["partner_id", "A1"]', "must be an object"),
    ("a bare string", '"A2"', "must be an object"),
    ("missing required", '{"annual_sales_usd": 5}', "required fact 'partner_id' is missing"),
    ("bad pattern", '{"partner_id": "has space"}', "does not match the pattern"),
    ("unknown enum item", '{"partner_id": "E1", "regions": ["MARS"]}', "not an allowed value"),
]


def test_every_bad_jsonl_record_is_located_and_the_rest_evaluated(cli, tmp_path):
    lines = [GOOD] + [line for _, line, _ in BAD_LINES] + [GOOD.replace("OK-1", "OK-2")]
    path = tmp_path / "partners.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = cli("evaluate", str(path), "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr_text
    assert "Traceback" not in proc.stderr_text
    assert f"{len(BAD_LINES)} of {len(lines)} records invalid" in proc.stderr_text
    out = records_of(proc)
    assert len(out) == len(lines), "every input record comes out exactly once"
    assert [r["source"]["line"] for r in out] == list(range(1, len(lines) + 1)), "in input order"
    assert out[0]["tier"]["id"] == "premier_certified" and out[-1]["partner_id"] == "OK-2"
    for (what, _, message), record in zip(BAD_LINES, out[1:-1]):
        assert "error" in record, what
        assert message in record["error"]["message"], (what, record["error"]["message"])
        finding = record["error"]["findings"][0]
        assert finding.get("file") == str(path) or record["source"]["file"] == str(path), what
        assert "expected" in finding and "found" in finding, (what, finding)


def test_json_errors_carry_line_and_column(cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(GOOD + '\n{"partner_id": "X1",\n   "annual_sales_usd": NaN}\n' + GOOD + "\n"
                    '{"partner_id": "D1", "annual_sales_usd": 1, "annual_sales_usd": 2}\n', encoding="utf-8")
    out = records_of(cli("evaluate", str(path)))
    # the object spread over two lines is two broken JSONL lines: each its own located error
    assert [r["source"]["line"] for r in out] == [1, 2, 3, 4, 5]
    dup = out[4]["error"]["findings"][0]
    assert (dup["line"], dup["column"]) == (5, 45) and dup["found"] == "'annual_sales_usd' again"


def test_the_located_error_of_a_nan_is_not_fooled_by_the_text_nan_in_a_string():
    (record,) = read(b'{"partner_name": "NaN Holdings", "annual_sales_usd": NaN}', "x.jsonl")
    finding = record.findings[0]
    assert (finding.line, finding.column) == (1, 54)


def test_duplicate_key_is_located_in_its_own_object_not_an_earlier_one():
    text = b'[{"partner_id": "A", "x": 1},\n {"partner_id": "B", "y": 1, "y": 2}]'
    first, second = read(text, "x.json")
    assert not first.findings
    finding = second.findings[0]
    assert (finding.line, finding.column) == (2, 30) and "'y'" in finding.message


# --- CSV -----------------------------------------------------------------------------------

def test_csv_bad_cells_missing_and_extra_cells_and_quoted_fields(cli, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_text(
        'partner_id,partner_name,annual_sales_usd,regions,referrals_this_year\n'
        'OK-1,"Smith, Jones & Co",100000,ANZ;ASEAN,1\n'          # quoted comma
        'Q-1,"He said ""hi""",25000,,0\n'                        # doubled quotes
        'Q-2,"two\nlines",1000000,ANZ,0\n'                       # a quoted newline: one row, two lines
        'C-1,short,5\n'                                          # missing cells
        'C-2,long,5,ANZ,1,extra\n'                               # extra cells
        'N-1,nan,NaN,,\n'                                        # NaN as text
        'N-2,inf,inf,,\n'
        'N-3,underscore,1_000,,\n'                               # int() would take it
        'N-4,hex,0x10,,\n'
        'N-5,arabic digits,١٢٣,,\n'                               # int() would take it
        'N-6,thousands,"1,000",,\n'
        'N-7,negative,-5,,\n'
        'N-8,huge,1e20,,\n'
        'N-9,bool,true,,\n'
        'OK-2,spaces, 25000 ,ANZ,2\n', encoding="utf-8")
    proc = cli("evaluate", str(path), "--format", "jsonl")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr_text
    out = records_of(proc)
    assert [r["partner_id"] for r in out] == ["OK-1", "Q-1", "Q-2", "C-1", "C-2", "N-1", "N-2", "N-3", "N-4", "N-5",
                                              "N-6", "N-7", "N-8", "N-9", "OK-2"]
    assert out[0]["tier"]["id"] == "premier_certified"
    assert out[1]["tier"]["id"] == "certified_partner"
    assert out[2]["tier"]["id"] == "alliance_partner" and out[2]["source"]["line"] == 4
    assert out[3]["source"] == {"file": str(path), "line": 6, "row": 4}
    assert "missing cells" in out[3]["error"]["message"] and "extra cells" in out[4]["error"]["message"]
    for record in out[5:11]:
        assert "error" in record and "annual_sales_usd" in record["error"]["message"], record
    assert "below its minimum" in out[11]["error"]["message"]
    assert "too large to compare exactly" in out[12]["error"]["message"]
    assert "must be a number" in out[13]["error"]["message"]
    assert out[14]["tier"]["id"] == "certified_partner"


def test_csv_malformed_quoting_and_oversized_field_are_error_records():
    big = "x" * 200_000
    records = read(f'partner_id,note\nA,ok\nB,"{big}"\nC,fine\n'.encode(), "x.csv")
    assert [bool(r.findings) for r in records] == [False, True, False]
    assert "malformed CSV" in records[1].findings[0].message


def test_csv_header_naming_a_column_twice_is_refused_before_output(cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("partner_id,annual_sales_usd,annual_sales_usd\nA,1,2\n", encoding="utf-8")
    proc = cli("evaluate", str(path), "--format", "csv")
    assert proc.returncode == 2 and "more than once" in proc.stderr_text
    assert proc.stdout_text == "", "nothing is written before the input is known to be usable"


# --- encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("bom.csv", b"\xef\xbb\xbfpartner_id,annual_sales_usd,referrals_this_year\nA,25000,0\n"),
    ("bom.jsonl", b'\xef\xbb\xbf{"partner_id": "A", "annual_sales_usd": 25000, "referrals_this_year": 0}\n'),
    ("bom.json", b'\xef\xbb\xbf[{"partner_id": "A", "annual_sales_usd": 25000, "referrals_this_year": 0}]'),
    ("bom-stdin", b'\xef\xbb\xbf{"partner_id": "A", "annual_sales_usd": 25000, "referrals_this_year": 0}\n'),
])
def test_a_utf8_byte_order_mark_is_accepted(cli, tmp_path, name, data):
    if name.endswith("stdin"):
        proc = cli("evaluate", "-", input=data)
    else:
        (tmp_path / name).write_bytes(data)
        proc = cli("evaluate", str(tmp_path / name))
    assert proc.returncode == 0, proc.stderr_text
    (record,) = records_of(proc)
    assert record["partner_id"] == "A" and record["tier"]["id"] == "certified_partner"


@pytest.mark.parametrize("name, data, message", [
    ("u16.csv", "partner_id\nA\n".encode("utf-16"), "UTF-16 encoded"),
    ("u16be.jsonl", b"\xfe\xff" + '{"partner_id": "A"}\n'.encode("utf-16-be"), "UTF-16 encoded"),
    ("u32.json", '[{"partner_id": "A"}]'.encode("utf-32"), "UTF-32 encoded"),
    ("nobom16.jsonl", '{"partner_id": "A"}\n'.encode("utf-16-le"), "NUL bytes"),
    ("sheet.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "ZIP archive"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "Office document"),
    ("gz.jsonl", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
])
def test_other_encodings_and_binary_files_are_refused_clearly(cli, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    proc = cli("evaluate", str(path), "--output", str(out))
    assert proc.returncode == 2, proc.stderr_text
    assert message in proc.stderr_text and str(path) in proc.stderr_text and "UTF-8" in proc.stderr_text
    assert "Traceback" not in proc.stderr_text
    assert out.read_text() == "previous\n"


def test_a_latin1_byte_makes_only_its_line_or_row_invalid(cli, tmp_path):
    csv_path = tmp_path / "latin1.csv"
    csv_path.write_bytes(b"partner_id,partner_name,annual_sales_usd\nA,Caf\xe9 Ltd,25000\nB,Plain,25000\n")
    proc = cli("evaluate", str(csv_path))
    assert proc.returncode == 1
    bad, good = records_of(proc)
    assert "not valid UTF-8" in bad["error"]["message"] and "partner_name" in bad["error"]["message"]
    assert bad["error"]["findings"][0]["found"] == "byte 0xe9" and bad["source"]["line"] == 2
    assert bad["partner_id"] == "A" and good["partner_id"] == "B" and "tier" in good
    jsonl_path = tmp_path / "latin1.jsonl"
    jsonl_path.write_bytes(b'{"partner_id": "A", "partner_name": "Caf\xe9"}\n{"partner_id": "B"}\n')
    bad, good = records_of(cli("evaluate", str(jsonl_path)))
    assert "not valid UTF-8" in bad["error"]["message"] and bad["error"]["findings"][0]["found"] == "byte 0xe9"
    assert good["partner_id"] == "B"


def test_a_latin1_header_is_refused():
    with pytest.raises(InputError, match="header is not valid UTF-8"):
        read(b"partner_id,r\xe9gion\nA,x\n", "x.csv")


# --- empty input ---------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\n\n  \t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_an_empty_input_is_refused_whatever_its_format(data):
    for name in ("x.csv", "x.json", "x.jsonl", "<stdin>"):
        with pytest.raises(InputError, match="is empty: no partner records"):
            read(data, name)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n"])
def test_an_empty_input_is_an_error_and_nothing_is_written(cli, tmp_path, data):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    out = tmp_path / "decisions.jsonl"
    out.write_text("yesterday's decisions\n")
    proc = cli("evaluate", str(path), "--output", str(out))
    assert proc.returncode == 2
    assert f"{path} is empty: no partner records" in proc.stderr_text
    assert out.read_text() == "yesterday's decisions\n"
    proc = cli("evaluate", "-", "--format", "table", input=data)
    assert proc.returncode == 2 and "<stdin> is empty" in proc.stderr_text and proc.stdout_text == ""


@pytest.mark.parametrize("name, data", [("header.csv", b"partner_id,annual_sales_usd\n"), ("none.json", b"[]")])
def test_a_header_only_csv_or_an_empty_array_is_zero_records(cli, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    proc = cli("evaluate", str(path))
    assert proc.returncode == 0 and proc.stdout_text == ""
    assert f"no partner records in {path}" in proc.stderr_text


# --- whole-document JSON and format detection ----------------------------------------------

def test_a_malformed_json_document_is_refused_with_its_location(cli, tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[\n  {"partner_id": "A"},\n  {"partner_id": "B", "annual_sales_usd": 5\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("keep\n")
    proc = cli("evaluate", str(path), "--format", "csv", "--output", str(out))
    assert proc.returncode == 2
    assert f"{path}:4:1: invalid JSON" in proc.stderr_text and "cut short" in proc.stderr_text
    assert out.read_text() == "keep\n"


def test_a_pretty_printed_object_on_stdin_is_one_record(cli):
    proc = cli("evaluate", "-", input='{\n  "partner_id": "A",\n  "annual_sales_usd": 25000,\n'
                                      '  "referrals_this_year": 0\n}\n')
    assert proc.returncode == 0, proc.stderr_text
    (record,) = records_of(proc)
    assert record["tier"]["id"] == "certified_partner"


def test_jsonl_whose_first_line_is_broken_is_still_jsonl():
    records = read(b'{"partner_id": oops}\n{"partner_id": "B"}\n', "<stdin>")
    assert [bool(r.findings) for r in records] == [True, False]


def test_an_over_long_jsonl_line_is_an_error_record_and_the_next_line_is_read():
    long_line = b'{"partner_id": "A", "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n'
    records = read(long_line + b'{"partner_id": "B"}\n', "x.jsonl")
    assert len(records) == 2
    assert "longer than" in records[0].findings[0].message and records[0].source["line"] == 1
    assert records[1].data == {"partner_id": "B"} and records[1].source["line"] == 2


def test_a_record_error_in_a_json_array_element_is_located_on_its_line_and_column():
    first, second = read(b'[{"partner_id": "A"},\n   {"partner_id": "B", "n": NaN}]', "x.json")
    assert not first.findings
    finding = second.findings[0]
    assert (finding.line, finding.column) == (2, 29)


def test_an_unreadable_input_file_is_exit_2(cli, tmp_path):
    proc = cli("evaluate", str(tmp_path / "missing.csv"), "--format", "table")
    assert proc.returncode == 2 and "cannot read" in proc.stderr_text and proc.stdout_text == ""
    proc = cli("evaluate", str(tmp_path))
    assert proc.returncode == 2 and "cannot read" in proc.stderr_text


def test_dates_that_do_not_exist_are_error_records(tmp_path):
    from evaluator import Evaluator, load_policy
    from conftest import base_policy
    with Evaluator(load_policy(base_policy())) as evaluator:
        results = list(evaluator.evaluate_many([{"partner_id": "A", "joined": "2026-02-30"},
                                                {"partner_id": "B", "joined": "26-1-1"},
                                                {"partner_id": "C", "joined": "2024-02-29"}]))
    assert [r.ok for r in results] == [False, False, True]
    assert "not a real date" in results[0].findings[0].message and results[0].findings[0].pointer == "/joined"


def test_lone_surrogates_from_library_callers_are_invalid_not_a_crash():
    from evaluator import Evaluator, load_policy
    from conftest import base_policy
    with Evaluator(load_policy(base_policy())) as evaluator:
        results = list(evaluator.evaluate_many([{"partner_id": "A\ud800"}, {"partner_id": "B", "x": "\udfff"},
                                                {"partner_id": "C", "regions": ["\ud83d"]}]))
    assert [r.ok for r in results] == [False, True, False]
    assert "not valid Unicode text" in results[0].findings[0].message
    for result in results:  # every result can be written out as UTF-8
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_output_is_utf8_whatever_the_locale(cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"partner_id": "A", "regions": ["Café 日本"]}\n', encoding="utf-8")
    proc = cli("evaluate", str(path), env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr_text, proc.stderr_text
    assert "Café 日本" in records_of(proc)[0]["error"]["message"]
    proc = cli("evaluate", str(path), "--format", "table", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr_text and "Café 日本" in proc.stdout_text
