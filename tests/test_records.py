"""Reading partner input: JSON object and array, JSONL, CSV; locations; every record once."""
from __future__ import annotations

import io

import pytest

from evaluator.errors import InputError
from evaluator.load.records import detect_format, read_records


def read(text: str | bytes, name: str = "in", fmt: str = "auto"):
    data = text.encode() if isinstance(text, str) else text
    return list(read_records(io.BytesIO(data), name, fmt))


def test_jsonl_keeps_line_numbers_and_skips_blank_lines():
    records = read('{"partner_id": "a"}\n\n{"partner_id": "b"}\n', "x.jsonl")
    assert [r.data["partner_id"] for r in records] == ["a", "b"]
    assert [r.source["line"] for r in records] == [1, 3]


def test_jsonl_bad_line_is_an_error_record_and_the_rest_are_read():
    records = read('{"partner_id": "a"}\n{"partner_id": \n{"partner_id": "c", "x": NaN}\n{"a":1,"a":2}\n'
                   '{"partner_id": "d"}\n', "x.jsonl")
    assert len(records) == 5
    assert [bool(r.findings) for r in records] == [False, True, True, True, False]
    assert records[1].findings[0].line == 2 and "invalid JSON" in records[1].findings[0].message
    assert "NaN" in records[2].findings[0].message
    assert "duplicate key 'a'" in records[3].findings[0].message



def test_jsonl_line_ends_and_blank_lines_read_as_the_strict_reader_reads_them():
    """The fast reader takes a line with its end (CRLF, LF, spaces, tabs: JSON whitespace);
    what it reads is what the strict reader reads from the stripped line, and whatever is not
    JSON whitespace after a record is still an error with its column."""
    from evaluator.load.jsontext import JSONProblem, loads
    lines = [b'{"a":1}\r\n', b'{"a":2} \t\r\n', b'  {"a":3}\n', b"   \n", b"\r\n", b"\t\r\n",
             b'{"a":4}\x0b\n', b'{"a":5,"a":6}\r\n', b'{"a":[1,"x"]}\r\n', b'{"a":7}\r']
    records = read(b"".join(lines), "x.jsonl")
    expected = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            expected.append((number, loads(line.rstrip(b"\r\n").decode()), None))
        except JSONProblem as exc:
            expected.append((number, None, exc.column))
    got = [(r.source["line"], r.data, r.findings[0].column if r.findings else None) for r in records]
    assert got == expected
    assert [number for number, data, _ in got if data is None] == [7, 8]

def test_jsonl_invalid_utf8_line_is_an_error_record():
    records = read(b'{"partner_id": "a"}\n{"partner_id": "\xff"}\n{"partner_id": "c"}\n', "x.jsonl")
    assert [bool(r.findings) for r in records] == [False, True, False]
    assert "UTF-8" in records[1].findings[0].message


def test_json_array_gives_each_element_its_line():
    records = read('[\n {"partner_id": "a"},\n\n {"partner_id": "b",\n  "n": 1}\n]', "x.json")
    assert [(r.data["partner_id"], r.source["line"], r.source["index"]) for r in records] == [("a", 2, 1), ("b", 4, 2)]


def test_json_array_element_with_duplicate_key_is_an_error_record():
    records = read('[{"partner_id": "a"}, {"partner_id": "b", "partner_id": "c"}, {"partner_id": "d"}]', "x.json")
    assert [bool(r.findings) for r in records] == [False, True, False]


def test_json_single_object_is_one_record():
    (record,) = read('  {"partner_id": "a"}', "x.json")
    assert record.data == {"partner_id": "a"}


def test_malformed_json_document_is_an_input_error():
    with pytest.raises(InputError, match="x.json:1:"):
        read('[{"partner_id": "a"},', "x.json")


def test_csv_rows_with_lists_and_quoted_fields():
    text = 'partner_id,name,regions\nA1,"Smith, Jones & Co","ANZ; ASEAN"\nA2,"He said ""hi""",\n'
    records = read(text, "x.csv")
    assert [r.data for r in records] == [
        {"partner_id": "A1", "name": "Smith, Jones & Co", "regions": "ANZ; ASEAN"},
        {"partner_id": "A2", "name": 'He said "hi"', "regions": ""}]
    assert all(r.from_text for r in records)
    assert [r.source for r in records] == [{"file": "x.csv", "line": 2, "row": 1}, {"file": "x.csv", "line": 3, "row": 2}]


def test_csv_row_with_missing_or_extra_cells_is_an_error_record():
    records = read("partner_id,sales\nA,1\nB\nC,3,4\nD,5\n", "x.csv")
    assert [bool(r.findings) for r in records] == [False, True, True, False]
    assert "missing cells" in records[1].findings[0].message and records[1].findings[0].line == 3
    assert "extra cells" in records[2].findings[0].message


def test_csv_multiline_quoted_field_keeps_the_row_start_line():
    records = read('partner_id,note\nA,"line one\nline two"\nB,x\n', "x.csv")
    assert [r.source["line"] for r in records] == [2, 4]


def test_csv_with_bom_and_crlf():
    records = read(b"\xef\xbb\xbfpartner_id,sales\r\nA,1\r\n", "x.csv")
    assert records[0].data == {"partner_id": "A", "sales": "1"}


def test_csv_duplicate_header_is_an_input_error():
    with pytest.raises(InputError, match="more than once"):
        read("partner_id,a,a\nx,1,2\n", "x.csv")


@pytest.mark.parametrize("name, head, fmt", [
    ("a.jsonl", b"", "jsonl"), ("a.NDJSON", b"", "jsonl"), ("a.json", b"", "json"), ("a.csv", b"", "csv"),
    ("<stdin>", b"  [", "json"), ("<stdin>", b'\xef\xbb\xbf{"a": 1}', "jsonl"), ("<stdin>", b"partner_id,x", "csv"),
])
def test_format_detection(name, head, fmt):
    assert detect_format(name, head) == fmt


def test_explicit_format_overrides_detection():
    records = read('{"partner_id": "a"}\n', "weird.txt", fmt="jsonl")
    assert records[0].data == {"partner_id": "a"}
