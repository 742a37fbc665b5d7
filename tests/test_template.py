"""The template writer (template.py) writes exactly what report.write_jsonl writes.

Every line is compared with the json module's rendering of the same record decided by the plain
path (engine for every record, every result built at once): the shipped population, a policy
with every operator, nested logic, measures, dates and overrides, and fuzzed policies and records.
Also: the short cut for `fact >= / <= number` shortfalls gives the general path's Change.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from evaluator import Evaluator, load_policy
from evaluator.evaluate.evaluator import InputRecord
from evaluator.language.expressions import Context
from evaluator.model.policy import Comparison, Operand, build_policy
from evaluator.output.writers import _dumps
from evaluator.explain.shortfall import _leaf_change, leaf_change
from evaluator.evaluate.plan import Plan
from evaluator.fast.lane import jsonl_lines
from evaluator.fast.jsonbytes import dump
from evaluator.fast.template import jsonl_line, writer_for

from conftest import base_policy
from test_cache_differential import AS_OF, VARIED, _varied_records, population
from test_fuzz_differential import _input, cases, fuzz_policy


def _check(policy, items: list[Any], *, as_of: _dt.date = AS_OF, cache_size: int | None = None) -> int:
    """Every record's template line equals the plain path's json line; returns how many were
    written from a template."""
    with Evaluator(policy, as_of=as_of, cache_size=0) as plain, \
            Evaluator(policy, as_of=as_of, cache_size=cache_size) as cached:
        expected = [_dumps(r.to_dict()) for r in plain.evaluate_many(items)]
        fast = 0
        results = list(cached.evaluate_many(items))
        assert len(results) == len(expected) == len(items)
        for i, (result, want) in enumerate(zip(results, expected)):
            line = jsonl_line(result)
            if line is None:  # only an error record, or text holding what a marker would look like
                assert not result.ok or "\\u0000" in want, f"record {i}: a valid decision was not templated"
                continue
            fast += 1
            assert line == want, f"record {i} differs: {items[i]!r}"
    # the writer's lane (jsonl_lines): the first pass makes templates, the second is written
    # mostly without Decision objects; both exactly the same lines, with the same ok flags
    oks = [r.ok for r in results]
    with Evaluator(policy, as_of=as_of, cache_size=cache_size) as lane:
        for _ in range(2):
            got = list(jsonl_lines(lane, items))
            assert [ok for _, ok in got] == oks
            for i, ((line, _ok), want) in enumerate(zip(got, expected)):
                assert line == want, f"record {i} differs in the lane: {items[i]!r}"
    return fast


def test_shipped_population_every_line_identical_and_from_templates(shipped_policy):
    records = list(population.partners(3000, seed=5))
    items = [InputRecord(r, {"file": "partners.jsonl", "line": i + 1}) for i, r in enumerate(records)]
    fast = _check(shipped_policy, items)
    assert fast > 0.95 * len(records)


def test_a_second_pass_reuses_templates_and_remembered_shortfalls(shipped_policy):
    records = list(population.partners(400, seed=9))
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        first = [jsonl_line(r) for r in evaluator.evaluate_many(records)]
        plan = evaluator._plan
        writer = writer_for(plan)
        templates, memo = len(writer.templates), len(writer.memo)
        assert 0 < templates < len(records) and memo > 0
        second = [jsonl_line(r) for r in evaluator.evaluate_many(records)]
        assert second == first
        assert len(writer.templates) == templates and len(writer.memo) == memo


def test_every_operator_nested_logic_measures_dates_and_overrides():
    policy = load_policy(VARIED)
    records = _varied_records(700, seed=4)
    assert _check(policy, records) > 500
    assert _check(policy, records[:150], cache_size=1) > 100  # outcomes evicted: templates still right


def test_the_evaluation_date_is_part_of_the_template():
    policy = load_policy(VARIED)
    records = _varied_records(200, seed=8)
    for as_of in (_dt.date(2020, 1, 1), _dt.date(2026, 6, 30)):
        _check(policy, records, as_of=as_of)


def test_the_lane_answers_without_decisions_once_an_encoding_has_its_template(shipped_policy, monkeypatch):
    records = [{"partner_id": f"P{i}", "annual_sales_usd": 30000 + i, "regions": ["ANZ"]} for i in range(50)]
    built = []
    real = Plan.decide
    monkeypatch.setattr(Plan, "decide", lambda self, *a: built.append(1) or real(self, *a))
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        lines = [line for line, ok in jsonl_lines(evaluator, records) if ok]
    assert len(lines) == 50 and len(built) == 1  # one encoding: one Decision, to cut its template
    assert all(f'"partner_id":"P{i}"' in line for i, line in enumerate(lines))


def test_records_kept_with_their_input_and_already_explained_decisions_use_the_ordinary_path(shipped_policy):
    record = {"partner_id": "P1", "annual_sales_usd": 30000, "regions": ["ANZ"]}
    with Evaluator(shipped_policy, as_of=AS_OF, with_input=True) as evaluator:
        assert jsonl_line(evaluator.evaluate(record)) is None
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        decision = evaluator.evaluate(record)
        decision.tiers[0].criteria[0].required = "changed by the caller"
        assert jsonl_line(decision) is None            # to_dict shows the caller's change
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as evaluator:
        assert jsonl_line(evaluator.evaluate(record)) is None  # the plain path builds everything at once


def test_text_that_looks_like_a_marker_disables_the_template():
    doc = base_policy()
    doc["tiers"][0]["criteria"][0]["description"] = "sales \u0000 0 \u0000"
    # validate refuses a NUL in a policy's text (check_text): only a policy built unchecked holds one
    policy = build_policy(doc)
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        decision = evaluator.evaluate({"partner_id": "P", "sales": 5})
        assert jsonl_line(decision) is None
        assert "\\u0000" in _dumps(decision.to_dict())


def test_record_text_that_looks_like_a_marker_is_written_as_it_is():
    """A record's own values are slots, never part of the cut text: a partner id or country that
    looks like a marker (or holds an escaped one) is written exactly, from the template."""
    doc = base_policy()
    doc["tiers"][0]["criteria"].append({"id": "where", "description": "where",
                                        "condition": {"fact": "country", "op": "!=", "value": "XX"}})
    policy = load_policy(doc)
    items = [InputRecord({"partner_id": pid, "sales": sales, "country": country}, {"file": "p.jsonl", "line": i + 1})
             for i, (pid, sales, country) in enumerate([("P\u00000\u0000", 5, "\x001\x00"),
                                                         ("\x000\x00", 50, "\\u0000"), ("Q", 500, "\x00")])]
    assert _check(policy, items) == len(items)


def test_small_floats_and_odd_strings_are_written_as_the_json_module_writes_them():
    for value in (1e-05, 0.00012, 5e-324, 1e16, -0.0, 123456.78, 2 ** 53, "a\"\\\n\x7f\u2028\U0001F600", None,
                  True, ["x", "y"], _dt.date(2026, 1, 2), {"by": 1e-07, "text": "rise by 1e-07"}):
        expected = json.dumps(value if not isinstance(value, _dt.date) else value.isoformat(),
                              ensure_ascii=False, separators=(",", ":"))
        assert dump(value).decode() == expected


def test_bound_shortfalls_with_percent_quotes_and_unicode_in_their_text():
    """The `fact >= / <= number` shortfall is written from a bytes % format: a % sign, a quote
    or a non-ASCII letter in the fixed text (unit, the reason a value cannot be reached) is
    escaped like the rest, and amounts up and down, whole and decimal, land in their places."""
    doc = base_policy()
    doc["facts"]["sales"]["unit"] = '% "pts" é '
    doc["facts"]["sales"]["maximum"] = 150
    doc["facts"]["referrals"]["unit"] = "100%s"
    doc["tiers"][0]["criteria"].append({"id": "cap", "description": "cap",
                                        "condition": {"fact": "referrals", "op": "<=", "value": 3}})
    doc["tiers"][0]["criteria"].append({"id": "high", "description": "unreachable",
                                        "condition": {"fact": "sales", "op": ">=", "value": 200}})
    policy = load_policy(doc)
    items = [InputRecord({"partner_id": f"P{i}", "sales": sales, "referrals": referrals},
                         {"file": "p%s.jsonl", "line": i + 1})
             for i, (sales, referrals) in enumerate([(5, 7), (99.99, 4), (0.5, 3), (100, 0), (120.25, 2 ** 53),
                                                     (9, 2), (5, 7), (99.99, 4)])]
    assert _check(policy, items) == len(items)


@settings(max_examples=60, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_fuzzed_policies_and_records(case):
    doc, batch = case
    policy = fuzz_policy(doc)
    items = [_input(record, from_text, number) for number, (record, from_text) in enumerate(batch)]
    _check(policy, items)


# --- the bound short cut in shortfall.py ------------------------------------------------------

NUMBERS = st.one_of(st.integers(-10 ** 12, 10 ** 12),
                    st.floats(-1e12, 1e12, allow_nan=False).map(lambda x: round(x, 2)),
                    st.floats(-1e6, 1e6, allow_nan=False),
                    st.sampled_from([0, 0.01, 24999.99, 25000, 99999.99, 1e-05, 123.456789]))


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(kind=st.sampled_from(["number", "integer"]), op=st.sampled_from([">=", "<=", ">", "<"]),
       negated=st.booleans(), constant=NUMBERS, actual=NUMBERS, unit=st.sampled_from([None, "", "USD"]),
       low=st.sampled_from([None, 0, -5]), high=st.sampled_from([None, 10 ** 6]))
def test_bound_short_cut_equals_the_general_path(kind, op, negated, constant, actual, unit, low, high):
    if kind == "integer":
        actual = int(actual)
    fact = {"type": kind, "description": "x"}
    if unit is not None:
        fact["unit"] = unit
    if low is not None:
        fact["minimum"] = low
    if high is not None:
        fact["maximum"] = high
    policy = load_policy(base_policy(facts={"partner_id": {"type": "string", "description": "id", "required": True},
                                            "x": fact}, measures={},
                                     tiers=[{"id": "t", "name": "T", "criteria": [
                                         {"id": "c", "description": "c",
                                          "condition": {"fact": "x", "op": op, "value": constant}}]}]))
    comparison = Comparison(Operand("fact", "x"), op, constant, "/tiers/0/criteria/0/condition")
    ctx = Context({"x": actual}, {}, AS_OF, {})
    fast = leaf_change(policy, comparison, negated, ctx)
    general = _leaf_change(policy, comparison, fast.op, ctx)
    assert fast == general and fast.cost == general.cost
    assert fast.to_dict() == general.to_dict()
    if fast.op in (">=", "<=") and fast.reachable:  # the amount is exact, in decimal
        assert Decimal(repr(fast.to)) == Decimal(repr(constant))



# --- finding the markers in a decision's JSON ---------------------------------------------------

_PIECES = st.sampled_from([b'"\\u0000', b'\\u0000"', b',"\\u0000', b'\\u0000":null', b":null", b",", b'"', b"{", b"}",
                           b"[", b"]", b"0", b"12", b"x", b"\\u", b"\\u000", b"\\u00001", b'":', b" "])


@st.composite
def _texts(draw):
    """JSON-like bytes with markers of both forms, numbers of any width, and near-misses."""
    out = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 3))
        n = str(draw(st.integers(0, 10 ** 6))).encode()
        if kind == 0:
            out.append(b'"\\u0000' + n + b'\\u0000"')
        elif kind == 1:
            out.append(b',"\\u0000' + n + b'\\u0000":null')
        else:
            out.append(b"".join(draw(st.lists(_PIECES, max_size=4))))
    return b"".join(out)


# the markers' definition, as template.py once found them: the reference for template._marks
_ANY_MARK = re.compile(rb',"\\u0000(\d+)\\u0000":null|"\\u0000(\d+)\\u0000"')


@settings(max_examples=1500, derandomize=True, deadline=None, database=None)
@given(_texts())
def test_markers_are_found_as_the_marker_expression_finds_them(text):
    """template._marks (bytes.find) gives the reference expression's matches wherever _cut uses
    it: on text whose escaped NULs are all markers' (it counts them first); elsewhere it may
    stop early (then _cut gives up), never give a different match."""
    from evaluator.fast.jsonbytes import marks as _marks
    expected = [(m.start(), m.end(), int(m.group(1) or m.group(2))) for m in _ANY_MARK.finditer(text)]
    got = list(_marks(text))
    if text.count(b"\\u0000") == 2 * len(expected):
        assert got == expected
    else:
        assert got == expected[:len(got)]

# --- the installed command, as a user runs it -------------------------------------------------

def test_the_command_writes_what_the_plain_path_renders(tmp_path, shipped_policy, cli):
    """`evaluator evaluate` (one process, two processes, stdout and --output) writes, line for
    line, the json module's rendering of the plain path's decision of each record."""
    from evaluator.load import records as _records
    path = tmp_path / "partners.jsonl"
    rows = list(population.partners(1200, seed=21))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with open(path, "rb") as fh, Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as plain:
        expected = "".join(_dumps(r.to_dict()) + "\n"
                           for r in plain.evaluate_many(_records.read_jsonl(fh, str(path))))
    for args in ([], ["--jobs", "2"]):
        proc = cli("evaluate", str(path), "--as-of", AS_OF.isoformat(), "--format", "jsonl", *args)
        assert proc.returncode == 1, proc.stderr_text  # the population holds invalid records
        assert proc.stdout.decode("utf-8") == expected, args
        out = tmp_path / "out.jsonl"
        proc = cli("evaluate", str(path), "--as-of", AS_OF.isoformat(), "--output", str(out), *args)
        assert proc.returncode == 1 and out.read_text(encoding="utf-8") == expected, args


def test_one_record_at_a_time_as_a_service_would(shipped_policy):
    """jsonl_lines over [InputRecord(record)] (no source) is json.dumps(evaluate(record).to_dict()),
    and an invalid record comes out as its error record, not an exception."""
    records = list(population.partners(300, seed=13))
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as plain, Evaluator(shipped_policy, as_of=AS_OF) as served:
        for record in records:
            ((text, ok),) = jsonl_lines(served, [InputRecord(record)])
            expected = list(plain.evaluate_many([InputRecord(record)]))[0]
            assert ok == expected.ok and text == _dumps(expected.to_dict())
            assert '"source"' not in text


def test_the_byte_stream_is_used_under_any_utf8_text_stream(shipped_policy):
    """write_jsonl writes bytes straight to the buffer of a UTF-8 text stream whatever its error
    handler (stdout has surrogateescape under a C.UTF-8 locale), and text to any other stream:
    the same bytes either way."""
    import io
    from evaluator.fast.lane import binary_of, write_jsonl
    records = [InputRecord(r, {"file": "p.jsonl", "line": i + 1})
               for i, r in enumerate(population.partners(200, seed=8))]
    written = {}
    for errors in ("strict", "surrogateescape", "replace"):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", errors=errors, newline="")
        assert binary_of(out) is raw
        with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
            write_jsonl(evaluator, records, out)
        written[errors] = raw.getvalue()
    text = io.StringIO()
    assert binary_of(text) is None
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    assert binary_of(latin) is None
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        write_jsonl(evaluator, records, text)
    assert written["strict"] == written["surrogateescape"] == written["replace"] == text.getvalue().encode("utf-8")


def test_every_member_of_a_decision_is_declared_and_every_record_member_has_its_slots(shipped_policy):
    """The decision model declares what each member of a decision's JSON depends on
    (model/decision.py DECISION_FIELDS); the template writer marks the record's own members by that
    declaration. A member added to Decision.to_dict without a declaration, or declared as the
    record's without a way to write it, fails here (rather than silently losing every template)."""
    from evaluator.fast.template import RECORD_SLOTS
    from evaluator.model.decision import DECISION_FIELDS, RECORD
    assert {name for name, kind in DECISION_FIELDS.items() if kind == RECORD} == set(RECORD_SLOTS)
    records = [{"partner_id": f"P{i}", "annual_sales_usd": 1000 * i, "regions": ["ANZ", "ASEAN"][: i % 3],
                "referrals_this_year": i % 7} for i in range(60)]
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        decisions = list(evaluator.evaluate_many(records))
        writer = writer_for(decisions[0].encoding_state().plan)
        lines = [jsonl_line(d) for d in decisions]
        for decision in evaluator.evaluate_many(records):
            assert set(decision.to_dict()) <= set(DECISION_FIELDS)
    assert all(line is not None for line in lines)  # every encoding got its template: none fell back
    assert writer.templates and all(t is not None for t in writer.templates.values())
