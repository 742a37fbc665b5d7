"""The language registry (evaluator/language/): every operator, fact type and measure operation is
declared once with every facet; each is walked here through every stage that uses it (evaluate on
both paths and the template writer, explain and shortfall, static checks, the program sheet,
`test --suggest`, diff, the reference evaluator), from the example it declares; and schemas/
enumerate exactly what the registry declares. An entry missing a facet fails to import at all
(no facet has a default); one whose facet misbehaves fails here."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from typing import Any

import jsonschema
import pytest

import reference
from conftest import REPO
from evaluator import Evaluator, InvalidRecord
from evaluator.fast.jsonbytes import json_line
from evaluator.fast.template import jsonl_line
from evaluator.language.encodings import ENGINE_TESTS
from evaluator.language.expressions import Context, evaluate
from evaluator.language.facts import facts_schema
from evaluator.language.measures import EXAMPLE_AS_OF, EXAMPLE_FACTS, EXAMPLE_RECORD, FORMS, MEASURES
from evaluator.language.reference import with_tables
from evaluator.language.registry import SCHEMA_FILES, generated_schema, schema_text
from evaluator.language.facttypes import FACT_TYPES
from evaluator.language.operators import OPERATORS, written
from evaluator.language.values import ENCODINGS, VALUE_TYPES
from evaluator.load.policyfile import load_policy
from evaluator.model.policy import build_policy
from evaluator.tools.diff import diff_policies
from evaluator.tools.policytests import suggest_cases
from evaluator.tools.sheet import render_sheet
from evaluator.validate.lint import lint_findings

AS_OF = dt.date(2026, 1, 31)
RECORD_FIELDS = {"country": {"type": "string", "description": "country"},
                 "sales_usd": {"type": "number", "description": "sales", "unit": "USD"}}


def _document(fact_type: str, condition: dict[str, Any], measures: dict[str, Any] | None = None,
              facts: dict[str, str] | None = None) -> dict[str, Any]:
    catalogue = {"partner_id": {"type": "string", "description": "id", "required": True}}
    for name, kind in (facts or {"x": fact_type}).items():
        catalogue[name] = {"type": kind, "description": name}
        if kind == "record_list":  # a list of records has an item catalogue
            catalogue[name]["fields"] = RECORD_FIELDS
    return {"id": "registry", "version": "1", "title": "Registry", "currency": "USD", "facts": catalogue,
            "measures": measures or {},
            "tiers": [{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c", "condition": condition}]}]}


def _condition(symbol: str, value: Any) -> dict[str, Any]:
    operator = OPERATORS[symbol]
    if operator.written:
        return {"fact": "x", "op": symbol, "value": value}
    return {"not": {"fact": "x", "op": operator.negation, "value": value}}  # how a policy writes it


# --- every facet is there and fits the others ----------------------------------------------------

def test_every_entry_declares_every_facet():
    for table in (OPERATORS, FACT_TYPES, MEASURES):
        for entry in table.values():
            for f in dataclasses.fields(entry):
                assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, \
                    f"{type(entry).__name__}.{f.name} has a default: a new entry could leave it out"


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_an_operator_fits_the_rest_of_the_registry(symbol):
    operator = OPERATORS[symbol]
    negation = OPERATORS[operator.negation]
    assert negation.negation == symbol
    assert operator.written or negation.written  # every operator can be written, or is a written one's negation
    assert operator.encoding in ENCODINGS
    assert operator.example.fact_type in FACT_TYPES
    for conjunct in operator.meaning(operator.example.value):
        for elementary, _constant in conjunct:
            assert OPERATORS[elementary].constraint is not None  # the static checks can read every meaning
    if operator.written:
        assert operator.lower is not None and operator.words is not None
        vtype = FACT_TYPES[operator.example.fact_type].value_type
        low = operator.lower(vtype, operator.example.value)
        assert low.test.name in ENGINE_TESTS
    if operator.slack is not None or operator.thresholds is not None:
        assert VALUE_TYPES[FACT_TYPES[operator.example.fact_type].value_type].ordered


@pytest.mark.parametrize("name", list(FACT_TYPES))
def test_a_fact_type_fits_the_rest_of_the_registry(name):
    kind = FACT_TYPES[name]
    assert kind.value_type in VALUE_TYPES
    assert kind.spec_keys <= {"minimum", "maximum", "enum", "pattern", "max_items"}
    assert (kind.bound is not None) == ("minimum" in kind.spec_keys)
    assert (kind.restate is not None) == (kind.value_type in ("number", "list", "date", "items"))  # what measures read
    assert kind.domain(build_policy(_document(name, {"fact": "x", "op": "!=", "value": 0})).facts["x"]).kind \
        == kind.value_type or name == "boolean"


@pytest.mark.parametrize("name", list(MEASURES))
def test_every_measure_operation_end_to_end(name):
    op = MEASURES[name]
    assert op.args in FORMS
    expression, expected = op.example
    assert list(expression) == [name]
    as_of = dt.date.fromisoformat(EXAMPLE_AS_OF)
    facts = {k: (dt.date.fromisoformat(v) if EXAMPLE_FACTS[k] == "date" else v) for k, v in EXAMPLE_RECORD.items()}
    assert evaluate(expression, Context(facts, {}, as_of, {})) == expected
    document = _document("number", {"measure": "m", "op": ">=", "value": expected + 1},
                         measures={"m": {"description": "m", "compute": expression}}, facts=EXAMPLE_FACTS)
    policy = load_policy(document)
    record = {"partner_id": "P", **EXAMPLE_RECORD}
    with Evaluator(policy, as_of=as_of) as evaluator:
        decision = evaluator.evaluate(record)
    assert decision.measures["m"] == expected
    assert decision.criterion("t", "c").status == "not_met" and decision.criterion("t", "c").shortfall.text
    assert reference.decide(document, record, as_of).measures["m"] == expected
    lint_findings(policy)
    assert "m" in render_sheet(policy, "markdown")


# --- each operator end to end ---------------------------------------------------------------------

def _decide(policy: Any, record: dict[str, Any], cache_size: int | None) -> Any:
    with Evaluator(policy, as_of=AS_OF, cache_size=cache_size) as evaluator:
        return next(iter(evaluator.evaluate_many([record])))


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_every_operator_end_to_end(symbol):
    example = OPERATORS[symbol].example
    document = _document(example.fact_type, _condition(symbol, example.value))
    policy = load_policy(copy.deepcopy(document))  # validated, linted: no finding stops it
    records = {"met": {"partner_id": "M", "x": example.met}, "not_met": {"partner_id": "U", "x": example.unmet},
               "missing": {"partner_id": "A"}}
    for status, record in records.items():
        cached, plain = _decide(policy, record, None), _decide(policy, record, 0)
        assert cached.criterion("t", "c").status == status, (symbol, record)
        assert json.dumps(cached.to_dict()) == json.dumps(plain.to_dict())  # the fast path, the plain path
        line = jsonl_line(cached)
        assert line is None or line == json_line(plain.to_dict())           # the template writer
        truth = reference.decide(document, record, AS_OF)
        assert truth.criteria[("t", "c")] == status                          # the reference evaluator
        shortfall = cached.criterion("t", "c").shortfall
        assert (shortfall is None) == (status == "met") and (shortfall is None or shortfall.text)
    lint_findings(policy)
    sheet = render_sheet(policy, "markdown")
    assert "`x`" in sheet
    suggestions = suggest_cases(policy, as_of=AS_OF)
    if OPERATORS[symbol].thresholds is not None:
        assert suggestions.cases, symbol
    other = copy.deepcopy(document)
    criterion = other["tiers"][0]["criteria"][0]
    criterion["condition"] = {"not": criterion["condition"]}  # every present value now decides the other way
    with Evaluator(policy, as_of=AS_OF) as old, Evaluator(load_policy(other), as_of=AS_OF) as new:
        diff = diff_policies(old, new, list(records.values())).to_dict()
    assert diff["totals"]["records"] == 3 and diff["totals"]["moved"] == 2
    assert all(moved["causes"][0]["criterion"] == "c" for moved in diff["moved"])  # each move names its cause


# --- each fact type end to end --------------------------------------------------------------------

@pytest.mark.parametrize("name", list(FACT_TYPES))
def test_every_fact_type_end_to_end(name):
    valid, text, invalid = FACT_TYPES[name].example
    items = FACT_TYPES[name].value_type == "items"
    document = _document(name, {"fact": "x", "op": "!=", "value": 0} if FACT_TYPES[name].value_type == "number"
                         else {"measure": "n", "op": ">=", "value": 0} if name == "string_list" or items
                         else {"fact": "x", "op": "!=", "value": True} if name == "boolean"
                         else {"fact": "x", "op": "!=", "value": "2000-01-01" if name == "date" else "?"},
                         measures={"n": {"description": "n", "compute": {"count": "x"}}} if name == "string_list"
                         else {"n": {"description": "n", "compute": {"count_items": {"list": "x"}}}} if items
                         else None)
    policy = load_policy(document)
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        from_json = evaluator.evaluate({"partner_id": "P", "x": valid})
        from evaluator.evaluate.evaluator import InputRecord
        (from_text,) = evaluator.evaluate_many([InputRecord({"partner_id": "P", "x": text}, from_text=True)])
        (bad,) = evaluator.evaluate_many([{"partner_id": "P", "x": invalid}])
    assert from_json.criterion("t", "c").checks[0].actual == from_text.criterion("t", "c").checks[0].actual
    assert isinstance(bad, InvalidRecord) and bad.findings[0].pointer == "/x"
    schema = facts_schema(policy)
    jsonschema.validate({"partner_id": "P", "x": valid}, schema)
    assert reference.decide(document, {"partner_id": "P", "x": valid}, AS_OF).invalid == []
    assert reference.decide(document, {"partner_id": "P", "x": invalid}, AS_OF).invalid == ["/x"]


# --- the schemas enumerate the registry -----------------------------------------------------------

@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_schemas_are_generated_from_the_registry(name):
    path = REPO / "schemas" / f"{name}.schema.json"
    current = path.read_text(encoding="utf-8")
    assert current == schema_text(generated_schema(name, json.loads(current))), \
        f"schemas/{name}.schema.json is not what the registry makes: run python -m evaluator.language.registry"


def test_the_language_reference_tables_are_made_from_the_registry():
    path = REPO / "docs" / "language.md"
    current = path.read_text(encoding="utf-8")
    assert current == with_tables(current), "docs/language.md is out of date: run python -m evaluator.language.registry"
    for symbol in written():
        assert f"| `{symbol}` |" in current


def test_the_policy_schema_takes_every_written_operator_fact_type_and_operation():
    schema = json.loads((REPO / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]
    assert defs["comparison"]["properties"]["op"]["enum"] == written()
    assert defs["fact"]["properties"]["type"]["enum"] == list(FACT_TYPES)
    operation = next(b for b in defs["expression"]["oneOf"] if b.get("type") == "object")
    assert list(operation["properties"]) == list(MEASURES)
