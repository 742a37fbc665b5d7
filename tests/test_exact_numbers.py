"""Numbers are decided as written (docs/bad-input.md, "Numbers"): a number whose decimal text is
not exactly the double the evaluator compares (more significant digits than a double holds, an
underflow to 0) is refused with a located error, in JSON, JSONL and CSV records and in policies;
a fraction is never an integer."""
from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings, strategies as st

from evaluator.load.jsontext import JSONProblem, loads, loads_flat
from evaluator.model.numbers import NotExact, exact_float

from conftest import SHIPPED

ROUNDED = [("annual_sales_usd", "99999.999999999999999"),   # would be 100000.0: Premier Certified
           ("referrals_this_year", "4.9999999999999999999"),  # would be the integer 5: Premium Associate
           ("annual_sales_usd", "1e-400"),                     # would be 0
           ("annual_sales_usd", "9007199254740993.0")]         # would be 2**53


@pytest.mark.parametrize("fact, text", ROUNDED)
def test_a_jsonl_number_a_double_cannot_hold_is_refused_and_located(cli, fact, text):
    line = '{"partner_id": "P1", "%s": %s, "regions": ["ANZ", "ASEAN"]}\n' % (fact, text)
    proc = cli("evaluate", "--input-format", "jsonl", "-", input=line)
    assert proc.returncode == 1, proc.stderr_text
    (decision,) = [json.loads(x) for x in proc.stdout_text.splitlines()]
    assert decision["tier"] is None
    (finding,) = decision["error"]["findings"]
    assert finding["pointer"] == f"/{fact}" and finding["line"] == 1
    assert finding["column"] == line.index(text) + 1
    assert finding["found"] == text and "double" in finding["expected"]


@pytest.mark.parametrize("fact, text", ROUNDED[:3])
def test_a_json_document_and_a_csv_cell_are_refused_too(cli, tmp_path, fact, text):
    document = tmp_path / "p.json"
    document.write_text('[\n  {"partner_id": "P1", "%s": %s}\n]\n' % (fact, text))
    proc = cli("evaluate", str(document))
    (decision,) = [json.loads(x) for x in proc.stdout_text.splitlines()]
    assert proc.returncode == 1 and decision["error"]["findings"][0]["line"] == 2
    assert decision["error"]["findings"][0]["pointer"] == f"/{fact}"
    table = tmp_path / "p.csv"
    table.write_text(f"partner_id,{fact}\nP1,{text}\n")
    proc = cli("evaluate", str(table))
    (decision,) = [json.loads(x) for x in proc.stdout_text.splitlines()]
    assert proc.returncode == 1 and decision["partner_id"] == "P1"
    assert decision["error"]["findings"][0]["pointer"] == f"/{fact}"
    assert "double" in decision["error"]["findings"][0]["expected"]


@pytest.mark.parametrize("text, tier", [
    ("100000", "premier_certified"), ("100000.000000000000000", "premier_certified"), ("1e5", "premier_certified"),
    ("99999.99", "certified_partner"), ("99999.9999999999", "certified_partner"),  # 15 digits: exact
])
def test_numbers_a_double_holds_are_decided_as_written(cli, text, tier):
    line = '{"partner_id": "P1", "annual_sales_usd": %s, "regions": ["ANZ", "ASEAN"], "countries": ["AU"]}\n' % text
    proc = cli("evaluate", "--input-format", "jsonl", "-", input=line)
    assert proc.returncode == 0, proc.stdout_text
    assert json.loads(proc.stdout_text)["tier"]["id"] == tier


def test_a_policy_number_a_double_cannot_hold_is_refused_and_located(cli, tmp_path):
    doc = json.loads(SHIPPED.read_text())
    text = re.sub(r'"value": 100000(?![0-9])', '"value": 99999.999999999999999', json.dumps(doc, indent=2), count=1)
    path = tmp_path / "policy.json"
    path.write_text(text)
    proc = cli("validate", str(path))
    assert proc.returncode == 2
    line = text[: text.index("99999.999999999999999")].count("\n") + 1
    assert f"{path}:{line}:" in proc.stderr_text and "(at /tiers/1/criteria/0/condition/value)" in proc.stderr_text


@pytest.mark.parametrize("text, value", [
    ("0.1", 0.1), ("0.30000000000000004", 0.30000000000000004), ("5e-324", 5e-324), ("-0.0", -0.0),
    ("1.5e3", 1500.0), ("123456789012345.0", 123456789012345.0), ("1.7976931348623157e308", 1.7976931348623157e308),
])
def test_exact_float_takes_what_a_double_holds(text, value):
    assert exact_float(text) == value


@pytest.mark.parametrize("text, why", [
    ("99999.999999999999999", "more significant digits"), ("4.9999999999999999999", "compared as 5.0"),
    ("1e-400", "underflows to 0"), ("4e-324", "too small"), ("1e400", "overflows"),
    ("0.1000000000000000000001", "more significant digits"),
])
def test_exact_float_refuses_what_a_double_would_change(text, why):
    with pytest.raises(NotExact, match=why):
        exact_float(text)


def test_loads_refuses_with_the_position():
    with pytest.raises(JSONProblem) as caught:
        loads('{"a": [1, 2],\n "b": 1e-400}')
    assert (caught.value.line, caught.value.column, caught.value.pointer) == (2, 7, "/b")


_digits = st.text("0123456789", min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                 st.builds(lambda a, b: f"{a}.{b}", _digits, _digits),
                 st.builds(lambda a, e: f"{a}e{e}", _digits, st.integers(-400, 400))),
       st.sampled_from(['{"x": %s}', '{"id":"a","x":%s,"y":1}', '{"x":%s }', '{"x" :%s}', '{"xx":1,"x":%s}']))
def test_the_fast_reader_takes_a_number_only_as_loads_does(number, shape):
    raw = (shape % number).encode()
    fast = loads_flat(raw)
    try:
        slow = loads(raw.decode())
    except JSONProblem:
        assert fast is None  # what loads refuses, the fast path never takes
        return
    assert fast is None or (fast == slow and all(
        type(fast[k]) is type(slow[k]) and (not isinstance(slow[k], float) or math.copysign(1, fast[k])
                                            == math.copysign(1, slow[k])) for k in slow))
