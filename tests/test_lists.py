"""Lists in the language (docs/language.md "Lists"): number_list, date_list and record_list facts,
measures over their items with conditions on the same item and windows, explained per item; the
four examples of the shipped policies/specialist-program.json at and one step around each
boundary, on both evaluation paths, against the reference evaluator."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

import reference
from conftest import REPO
from evaluator import Evaluator, InvalidRecord, load_policy
from evaluator.errors import PolicyError
from evaluator.evaluate.evaluator import InputRecord
from evaluator.fast.jsonbytes import json_line
from evaluator.fast.template import jsonl_line

POLICY_PATH = REPO / "policies" / "specialist-program.json"
DOC = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 6, 30)

BASE = {"partner_id": "P",
        "country_stats": [{"country": "SG", "sales_usd": 100000, "certified_engineers": 3}],
        "certifications": [{"person": p, "track": "security"} for p in ("a", "b", "c")],
        "quarterly_sales_usd": [30000, 45000, 45000],
        "deals": [{"deal_id": "D1", "registered": "2026-04-01"}]}


def _with(**changes):
    record = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return record


def _decide(record, cache_size=None, doc=DOC):
    with Evaluator(load_policy(copy.deepcopy(doc)), as_of=AS_OF, cache_size=cache_size) as evaluator:
        return next(iter(evaluator.evaluate_many([record])))


def _both(record, doc=DOC):
    """The decision, after checking the fast path, the plain path, the template writer and the
    reference evaluator agree on it."""
    cached, plain = _decide(record, None, doc), _decide(record, 0, doc)
    line = jsonl_line(cached)  # before to_dict: a decision written once keeps no template state
    assert line is not None or isinstance(cached, InvalidRecord)
    assert line is None or line == json_line(plain.to_dict())
    assert json.dumps(cached.to_dict()) == json.dumps(plain.to_dict())
    truth = reference.decide(doc, record, AS_OF)
    if isinstance(cached, InvalidRecord):
        assert truth.invalid == [f.pointer for f in cached.findings]
        return cached
    assert {n: v for n, v in truth.measures.items()} == {n: cached.measures[n] for n in truth.measures}
    for (tier, criterion), status in truth.criteria.items():
        assert cached.criterion(tier, criterion).status == status, (tier, criterion)
    return cached


def _status(decision, criterion, tier="specialist"):
    return decision.criterion(tier, criterion).status


def test_the_base_record_sits_on_every_boundary_and_meets_all():
    decision = _both(BASE)
    assert decision.tier.id == "specialist"


# --- "the requirements are met within one country" ---------------------------------------------

@pytest.mark.parametrize("stats, status", [
    ([{"country": "SG", "sales_usd": 100000, "certified_engineers": 3}], "met"),
    ([{"country": "SG", "sales_usd": 99999.99, "certified_engineers": 3}], "not_met"),
    ([{"country": "SG", "sales_usd": 100000, "certified_engineers": 2}], "not_met"),
    # both requirements met, but in different countries: the same item must meet both
    ([{"country": "AU", "sales_usd": 500000, "certified_engineers": 0},
      {"country": "SG", "sales_usd": 1000, "certified_engineers": 9}], "not_met"),
    ([{"country": "AU", "sales_usd": 500000, "certified_engineers": 0},
      {"country": "SG", "sales_usd": 100000, "certified_engineers": 9}], "met"),
    ([], "not_met"),                                       # some over an empty list is not met
    ([{"country": "SG", "sales_usd": 100000}], "not_met"),  # certified_engineers defaults to 0
])
def test_one_country_needs_both_in_the_same_item(stats, status):
    assert _status(_both(_with(country_stats=stats)), "one_country") == status


def test_an_absent_list_is_missing():
    decision = _both(_with(country_stats=None))
    assert _status(decision, "one_country") == "missing"
    assert decision.criterion("specialist", "one_country").shortfall.text


def test_the_closest_item_and_what_it_still_needs():
    stats = [{"country": "AU", "sales_usd": 150000, "certified_engineers": 2},
             {"country": "NZ", "sales_usd": 40000, "certified_engineers": 5}]
    (change,) = _both(_with(country_stats=stats)).criterion("specialist", "one_country").shortfall.changes
    text = change.on_fact.text
    assert "closest AU (item 0): certified_engineers must rise by 1, from 2 to 3" in text
    assert "next NZ (item 1): sales_usd must rise by 60000, from 40000 to 100000 USD" in text


def test_order_and_duplicates_do_not_change_the_decision_and_the_cache_stays_sound():
    one = [{"country": "AU", "sales_usd": 150000, "certified_engineers": 2},
           {"country": "SG", "sales_usd": 100000, "certified_engineers": 3}]
    records = [_with(partner_id=f"P{i}", country_stats=stats) for i, stats in enumerate(
        [one, list(reversed(one)), one + one, [one[0]], [one[0], {"country": "SG", "sales_usd": 100000}]])]
    policy = load_policy(copy.deepcopy(DOC))
    with Evaluator(policy, as_of=AS_OF) as cached, Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
        fast = [d.to_dict() for d in cached.evaluate_many(records)]
        slow = [d.to_dict() for d in plain.evaluate_many(records)]
    assert fast == slow
    assert [d["tiers"][0]["criteria"][0]["status"] for d in fast] == ["met", "met", "met", "not_met", "not_met"]


# --- "at least three distinct people certified in the security track" ---------------------------

@pytest.mark.parametrize("people, status", [
    (["a", "b", "c"], "met"), (["a", "b"], "not_met"), (["a", "a", "b"], "not_met"), (["a", "b", "c", "c"], "met")])
def test_distinct_people_in_the_track(people, status):
    certs = [{"person": p, "track": "security"} for p in people] + [{"person": "z", "track": "networking"}]
    decision = _both(_with(certifications=certs))
    assert _status(decision, "security_track") == status
    if status == "not_met":
        assert "security_people must rise by 1" in decision.criterion("specialist", "security_track").shortfall.text


# --- "each of the last three quarters at least $30k, and together at least $120k" ------------------

@pytest.mark.parametrize("quarters, status", [
    ([30000, 45000, 45000], "met"),
    ([29999, 45000, 46001], "not_met"),          # one quarter a dollar short, the total still met
    ([30000, 45000, 44999], "not_met"),          # the total a dollar short
    ([30000, 45000, 45000, 0], "met"),           # the fourth quarter is outside the window
    ([0, 30000, 45000, 45000], "not_met"),       # most recent first: the window is the first three
    ([60000, 60000], "not_met"),                 # only two quarters reported
])
def test_rolling_window_of_quarters(quarters, status):
    assert _status(_both(_with(quarterly_sales_usd=quarters)), "rolling_quarters") == status


def test_the_quarter_that_must_rise_is_named():
    shortfall = _both(_with(quarterly_sales_usd=[20000, 50000, 50000])).criterion("specialist", "rolling_quarters").shortfall
    (change,) = shortfall.changes
    assert change.on_fact.text == "quarterly_sales_usd item 0 must rise by 10000, from 20000 to 30000 USD"


# --- "a deal registered within the last 90 days" -------------------------------------------------

@pytest.mark.parametrize("registered, status", [
    ("2026-04-01", "met"),   # 90 days before 2026-06-30
    ("2026-03-31", "not_met"),  # 91 days
    ("2026-06-30", "met"),
    ("2026-07-01", "not_met"),  # after the evaluation date: not within
])
def test_deal_within_ninety_days(registered, status):
    decision = _both(_with(deals=[{"deal_id": "D", "registered": registered}]))
    assert _status(decision, "recent_deal") == status


# --- validation, item by item --------------------------------------------------------------------

@pytest.mark.parametrize("value, pointer", [
    ([{"country": "SG", "sales_usd": 1}, {"country": "AU", "sales_usd": "lots"}], "/country_stats/1/sales_usd"),
    ([{"country": "SG", "sales_usd": 1}, {"sales_usd": 5}], "/country_stats/1/country"),
    ([{"country": "sg", "sales_usd": 1}], "/country_stats/0/country"),
    ([{"country": "SG", "sales_usd": -1}], "/country_stats/0/sales_usd"),
    ([{"country": "SG", "sales_usd": 1, "certified_engineers": 1.5}], "/country_stats/0/certified_engineers"),
    (["SG"], "/country_stats/0"),
    ({"country": "SG"}, "/country_stats"),
    ([{"country": "SG", "sales_usd": 1}] * 61, "/country_stats"),
])
def test_each_problem_is_located_in_its_item(value, pointer):
    bad = _both(_with(country_stats=value))
    assert isinstance(bad, InvalidRecord)
    assert [f.pointer for f in bad.findings] == [pointer]
    assert bad.findings[0].expected


def test_number_list_items_are_checked():
    bad = _both(_with(quarterly_sales_usd=[1, -5]))
    assert isinstance(bad, InvalidRecord) and bad.findings[0].pointer == "/quarterly_sales_usd/1"


def test_csv_cells_hold_lists_as_json_arrays():
    policy = load_policy(copy.deepcopy(DOC))
    good = {k: json.dumps(v) if isinstance(v, list) else v for k, v in BASE.items()}
    bad = dict(good, country_stats="SG;AU")
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        decided, refused = evaluator.evaluate_many([InputRecord(good, from_text=True), InputRecord(bad, from_text=True)])
    assert decided.tier.id == "specialist"
    assert isinstance(refused, InvalidRecord) and refused.findings[0].pointer == "/country_stats"
    assert "JSON array" in refused.findings[0].expected


# --- static checks -------------------------------------------------------------------------------

def _findings(doc):
    with pytest.raises(PolicyError) as err:
        load_policy(doc)
    return err.value.findings


def test_an_unknown_item_field_is_located_with_did_you_mean():
    doc = copy.deepcopy(DOC)
    doc["measures"]["qualifying_countries"]["compute"]["count_items"]["where"]["all"][1]["field"] = "certified_engineer"
    (finding,) = _findings(doc)
    assert finding.pointer == "/measures/qualifying_countries/compute/count_items/where/all/1/field"
    assert "did you mean 'certified_engineers'" in finding.message


def test_an_aggregate_over_a_text_field_is_refused():
    doc = copy.deepcopy(DOC)
    doc["measures"]["x"] = {"description": "x", "compute": {"sum_of": {"list": "certifications", "field": "person"}}}
    (finding,) = _findings(doc)
    assert finding.pointer == "/measures/x/compute/sum_of/field" and "sum_of adds numbers" in finding.message


def test_a_constant_of_the_wrong_type_in_an_item_condition_is_refused():
    doc = copy.deepcopy(DOC)
    doc["measures"]["qualifying_countries"]["compute"]["count_items"]["where"]["all"][0]["value"] = "100000"
    (finding,) = _findings(doc)
    assert finding.pointer.endswith("/where/all/0/value")


def test_a_list_fact_is_compared_only_through_a_measure():
    doc = copy.deepcopy(DOC)
    doc["tiers"][1]["criteria"][0]["condition"] = {"fact": "country_stats", "op": "==", "value": 1}
    findings = _findings(doc)
    assert any("through a measure" in f.message for f in findings)


def test_a_record_list_needs_its_item_catalogue():
    doc = copy.deepcopy(DOC)
    del doc["facts"]["deals"]["fields"]
    assert any(f.pointer == "/facts/deals" for f in _findings(doc))


# --- the CLI as a user runs it -------------------------------------------------------------------

def test_cli_decides_nested_records_and_locates_bad_items(cli, tmp_path):
    facts = tmp_path / "partners.jsonl"
    facts.write_text(json.dumps(BASE) + "\n" + json.dumps(_with(partner_id="Q", deals=[{"deal_id": "D"}])) + "\n")
    proc = cli("evaluate", "-p", str(POLICY_PATH), "--as-of", "2026-06-30", "--format", "jsonl", str(facts))
    assert proc.returncode == 1, proc.stderr_text
    lines = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert lines[0]["tier"]["id"] == "specialist"
    assert lines[1]["error"]["findings"][0]["pointer"] == "/deals/0/registered"


# --- every and none: counts compared with 0 --------------------------------------------------------

def _quantified(condition):
    doc = copy.deepcopy(DOC)
    doc["measures"]["failing"] = {"description": "countries under $10,000", "compute": {"count_items": {
        "list": "country_stats", "where": condition}}}
    doc["tiers"][1]["criteria"].append({"id": "q", "description": "q",
                                        "condition": {"measure": "failing", "op": "==", "value": 0}})
    return doc


EVERY = _quantified({"not": {"field": "sales_usd", "op": ">=", "value": 10000}})   # every item >= 10000
NONE = _quantified({"field": "country", "op": "==", "value": "KP"})                # no item is KP


@pytest.mark.parametrize("stats, every, none", [
    ([{"country": "AU", "sales_usd": 10000}, {"country": "SG", "sales_usd": 100000}], "met", "met"),
    ([{"country": "AU", "sales_usd": 9999.5}, {"country": "SG", "sales_usd": 100000}], "not_met", "met"),
    ([{"country": "KP", "sales_usd": 10000}], "met", "not_met"),
    ([], "met", "met"),                  # every and none over an empty list are met
    (None, "missing", "missing"),        # an absent list is missing
])
def test_every_and_none(stats, every, none):
    record = _with(country_stats=stats)
    assert _both(record, EVERY).criterion("select", "q").status == every
    assert _both(record, NONE).criterion("select", "q").status == none


def test_an_item_missing_a_field_the_condition_reads_is_missing():
    doc = copy.deepcopy(EVERY)
    doc["facts"]["country_stats"]["fields"]["sales_usd"]["required"] = False
    decision = _both(_with(country_stats=[{"country": "AU", "sales_usd": 20000}, {"country": "SG"}]), doc)
    assert decision.criterion("select", "q").status == "missing"


def test_every_names_each_failing_item_and_by_how_much():
    stats = [{"country": "AU", "sales_usd": 50000}, {"country": "SG", "sales_usd": 5000},
             {"country": "NZ", "sales_usd": 8000}]
    (change,) = _both(_with(country_stats=stats), EVERY).criterion("select", "q").shortfall.changes
    assert change.on_fact.text == (
        "country_stats: 2 items must come to meet sales_usd >= 10000: NZ (item 2): sales_usd must rise by 2000, "
        "from 8000 to 10000 USD; SG (item 1): sales_usd must rise by 5000, from 5000 to 10000 USD")


def test_a_distinct_count_says_how_many_more_people_and_who_is_there():
    certs = [{"person": "ana", "track": "security"}, {"person": "ana", "track": "security"},
             {"person": "ben", "track": "security"}]
    (change,) = _both(_with(certifications=certs)).criterion("specialist", "security_track").shortfall.changes
    assert change.on_fact.text == 'certifications needs 1 more distinct person where track == "security" (2 now: "ana", "ben")'


# --- static checks of item conditions (warnings) -------------------------------------------------

def _lint(doc):
    from evaluator.model.policy import build_policy
    from evaluator.validate.lint import lint_findings
    return [f for f in lint_findings(build_policy(doc)) if f.check == "item_contradictions"]


def test_a_contradiction_inside_one_item_condition_is_named():
    doc = copy.deepcopy(DOC)
    doc["measures"]["qualifying_countries"]["compute"]["count_items"]["where"]["all"].append(
        {"field": "sales_usd", "op": "<", "value": 50000})
    (finding,) = _lint(doc)
    assert finding.pointer == "/measures/qualifying_countries/compute/count_items/where"
    assert "sales_usd >= 100000 and sales_usd < 50000 cannot both hold" in finding.message


def test_a_condition_outside_the_items_bounds_and_one_every_item_meets_are_named():
    doc = copy.deepcopy(DOC)
    doc["measures"]["quarters_reported"]["compute"]["count_items"]["where"] = {"op": "<", "value": 0}
    doc["measures"]["security_people"]["compute"]["count_distinct"]["where"] = {
        "field": "track", "op": "in", "value": ["security", "networking", "collaboration", "data_center"]}
    messages = sorted(f.message for f in _lint(doc))
    assert messages == ["every item of 'certifications' meets the condition: it chooses nothing out",
                        "no item of 'quarterly_sales_usd' can meet the condition: item < 0 cannot hold "
                        "(item has minimum 0)"]


def test_the_shipped_program_has_no_finding():
    from evaluator.model.policy import build_policy
    from evaluator.validate.lint import lint_findings
    assert lint_findings(build_policy(copy.deepcopy(DOC))) == []


def test_the_template_writer_tells_lists_apart_by_their_items_types():
    """Its shortfall memo is keyed by the facts a criterion reads: [20000] and [20000.0] print
    differently, records with the same fields in another order are the same record."""
    records = [_with(partner_id=f"P{i}", quarterly_sales_usd=q, country_stats=c) for i, (q, c) in enumerate([
        ([20000, 50000, 50000], [{"country": "SG", "sales_usd": 90000, "certified_engineers": 3}]),
        ([20000.0, 50000, 50000], [{"country": "SG", "sales_usd": 90000.0, "certified_engineers": 3}]),
        ([20000, 50000, 50000], [{"certified_engineers": 3, "sales_usd": 90000, "country": "SG"}])])]
    policy = load_policy(copy.deepcopy(DOC))
    with Evaluator(policy, as_of=AS_OF) as cached, Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
        lines = [jsonl_line(d) for d in cached.evaluate_many(records)]
        expected = [json_line(d.to_dict()) for d in plain.evaluate_many(records)]
    assert lines == expected
    assert "from 20000.0 to 30000" in lines[1] and "from 20000 to 30000" in lines[0]


def test_decisions_over_lists_follow_the_decision_schema():
    import jsonschema
    validator = jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "decision.schema.json").read_text()))
    lines = (REPO / "examples" / "specialist-partners.jsonl").read_text(encoding="utf-8").splitlines()
    with Evaluator(load_policy(copy.deepcopy(DOC)), as_of=AS_OF) as evaluator:
        for decision in evaluator.evaluate_many([json.loads(line) for line in lines]):
            data = decision.to_dict()
            assert not list(validator.iter_errors(data)), data["partner_id"]


def test_the_facts_schema_describes_the_nested_record():
    import jsonschema
    from evaluator.language.facts import facts_schema
    schema = facts_schema(load_policy(copy.deepcopy(DOC)))
    jsonschema.validate(BASE, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_with(deals=[{"deal_id": "D"}]), schema)  # its required date
    assert schema["properties"]["country_stats"]["anyOf"][0]["items"]["properties"]["certified_engineers"]["default"] == 0


def test_the_fast_checks_read_valid_lists_and_leave_bad_ones_to_the_slow_path():
    from evaluator.fast.facts import compile_fast_coercer
    from evaluator.language.facts import coerce_record
    policy = load_policy(copy.deepcopy(DOC))
    fast = compile_fast_coercer(policy)
    nested = _with(country_stats=[{"country": "SG", "sales_usd": 100000.5}, {"country": "AU", "sales_usd": 3}])
    facts, findings = coerce_record(policy, nested)
    quick = fast(nested)
    assert not findings and quick == facts and quick is not None
    assert [type(v) for v in quick["country_stats"][0].values()] == [str, float, int]  # the default, coerced
    assert repr(quick["deals"][0]["registered"]) == "datetime.date(2026, 4, 1)"
    for bad in ([{"country": "SG", "sales_usd": "1"}], [{"sales_usd": 1}], ["SG"], [{"country": "SG", "sales_usd": 1}] * 61):
        assert fast(_with(country_stats=bad)) is None
