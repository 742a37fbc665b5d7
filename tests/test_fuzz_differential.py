"""Differential fuzzing: the durable-rules path against the pure-Python reference (reference.py).

Hypothesis generates random policies (a fact catalogue with random constraints and defaults,
measures built from every operation, criteria of nested all/any/not over every operator, advisory
criteria, several ranked tiers, overrides) and random partner records (values at and next to every
constant of the policy, large and tiny numbers, floats, missing and null facts, unicode, wrong types,
JSON-typed or CSV text). For every record the evaluator and the reference must agree on validity
(and which fields are invalid), every measure, every criterion, tier and override status, and the
tier.

CI runs a bounded number of examples with a fixed seed. A long run on demand:

    FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz_differential.py -q   # random seed
    FUZZ_EXAMPLES=20000 FUZZ_SEED=7 python -m pytest tests/test_fuzz_differential.py -q

Every failure found is kept below as an explicit regression test.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, seed, settings, strategies as st

from evaluator import Evaluator
from evaluator.model.decision import InvalidRecord
from evaluator.evaluate.evaluator import InputRecord
from evaluator.model.policy import Policy, build_policy
from evaluator.validate.checks import CHECKS, CONTROL, schema_findings

import reference

AS_OF = dt.date(2026, 6, 15)
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
CI_EXAMPLES = 250

NUMBERS = [0, 1, -1, 2, 7, 10, 100, 1000000, 0.5, -0.5, 0.1, 0.2, 0.30000000000000004, 99.99, 1234.5678,
           1e-300, 5e-324, -5e-324, 1e-05, 1e15, 1e16, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 9007199254740991.0,
           1.7976931348623157e308]
STRINGS = ["AU", "NZ", "au", "", " ", "é", "e\u0301", "É", "🙂", "ß", "SS", "\x00", "a,b", "x;y", "日本",
           'q"uote', "A" * 40]
DATES = ["0001-01-01", "1970-01-01", "2000-02-29", "2024-02-29", "2026-06-14", "2026-06-15", "2026-06-16",
         "9999-12-31"]
PATTERNS = ["[A-Z]{2}", ".*", "[^;]*", "[a-zA-Z0-9 ]+", "A.*", "(AU|NZ)", "[0-9]{1,3}", ".{0,2}"]
NUMBER_FACTS = ("n1", "n2", "i1")


# --- policies ------------------------------------------------------------------------------
# Generators are plain functions taking hypothesis' `draw`, over strategies built once here:
# building strategies inside each example costs hypothesis more than evaluating the example.

numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-1000, 1000),
                    st.floats(allow_nan=False, allow_infinity=False, width=64))
record_numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-2 ** 53, 2 ** 53),
                           st.floats(allow_nan=False, allow_infinity=False, min_value=-2.0 ** 53, max_value=2.0 ** 53))
small_integers = st.integers(-10 ** 6, 10 ** 6)
strings = st.one_of(st.sampled_from(STRINGS), st.text(max_size=6))
# a policy's texts hold no control character (validate refuses them: check_text); records may
POLICY_STRINGS = [s for s in STRINGS if not CONTROL.search(s)]
policy_strings = st.one_of(st.sampled_from(POLICY_STRINGS), st.text(max_size=6).filter(lambda s: not CONTROL.search(s)))
dates = st.one_of(st.sampled_from(DATES), st.dates().map(dt.date.isoformat))
index = st.integers(0, 1 << 30)
# Values of the wrong shape: each must make the record invalid, never give a wrong answer.
HOSTILE = [True, False, "5", "", [], ["a"], {"a": 1}, 2 ** 53 + 1, -(2 ** 53) - 2, 1e300, float("nan"),
           float("inf"), "2026-02-30", "26-01-01", [1, 2], 0.5, "\ud800", ["\udfff"]]


def pick(draw: Any, items: Any) -> Any:
    return items[draw(index) % len(items)]


def chance(draw: Any, one_in: int) -> bool:
    return draw(index) % one_in == 0


def _valid(spec: dict[str, Any], value: Any) -> bool:
    try:
        reference.fact_value(spec, value, False)
    except reference.Bad:
        return False
    return True


def draw_facts(draw: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"partner_id": {"type": "string", "description": "id", "required": True}}
    for name, kind in (("n1", "number"), ("n2", "number"), ("i1", "integer"), ("s1", "string"),
                       ("b1", "boolean"), ("l1", "string_list"), ("d1", "date"), ("d2", "date")):
        spec: dict[str, Any] = {"type": kind, "description": name}
        if kind in ("number", "integer", "date"):
            values = {"number": numbers, "integer": small_integers, "date": dates}[kind]
            bounds = sorted(draw(values) for _ in range(draw(index) % 3))
            if len(bounds) == 2 and chance(draw, 2):
                spec["minimum"], spec["maximum"] = bounds
            elif bounds:
                spec[pick(draw, ["minimum", "maximum"])] = bounds[0]
        if kind in ("string", "string_list"):
            if chance(draw, 4):
                spec["enum"] = sorted({pick(draw, POLICY_STRINGS) for _ in range(1 + draw(index) % 5)})
            elif chance(draw, 4):
                spec["pattern"] = pick(draw, PATTERNS)
        if kind == "string_list" and chance(draw, 2):
            spec["max_items"] = draw(index) % 4
        if chance(draw, 6):
            spec["required"] = True
        if chance(draw, 6):
            default = draw_value(draw, kind, [])
            texts = default if isinstance(default, list) else [default]
            if default is not None and _valid(spec, default) and \
                    not any(isinstance(t, str) and CONTROL.search(t) for t in texts):  # validate refuses those
                spec["default"] = default
        facts[name] = spec
    return facts


def draw_expression(draw: Any, measures: list[str], depth: int = 0) -> Any:
    choice = draw(index) % (12 if depth < 2 else 6)
    if choice == 10:  # a number per segment of s1
        table: dict[str, Any] = {"fact": "s1", "values": {pick(draw, POLICY_STRINGS): draw(numbers)
                                                         for _ in range(1 + draw(index) % 3)}}
        if chance(draw, 2):
            table["default"] = draw(numbers)
        return {"lookup": table}
    if choice == 11:  # one value when b1 holds, another when not
        return {"if": {"fact": "b1", "then": draw_expression(draw, measures, depth + 1),
                       "else": draw_expression(draw, measures, depth + 1)}}
    if choice == 0:
        return pick(draw, NUMBER_FACTS + tuple(measures))
    if choice == 1:
        return draw(numbers)
    if choice == 2:
        return {"constant": draw(numbers)}
    if choice == 3:
        return {"count": "l1"}
    if choice == 4:
        return {"count_in": {"list": "l1",
                             "values": sorted({pick(draw, POLICY_STRINGS) for _ in range(1 + draw(index) % 3)})}}
    if choice == 5:
        return pick(draw, [{"days_since": "d1"}, {"days_since": "d2"}, {"days_between": ["d1", "d2"]}])
    if choice in (6, 7):
        op = pick(draw, ["sum", "product", "min", "max"])
        return {op: [draw_expression(draw, measures, depth + 1) for _ in range(2 + draw(index) % 2)]}
    op = pick(draw, ["difference", "ratio"])
    return {op: [draw_expression(draw, measures, depth + 1) for _ in range(2)]}


def draw_measures(draw: Any) -> dict[str, Any]:
    measures: dict[str, Any] = {}
    for i in range(draw(index) % 4):
        measures[f"m{i}"] = {"description": f"m{i}", "compute": draw_expression(draw, list(measures))}
    return measures


OPS = {
    "number": ["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"],
    "integer": ["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"],
    "date": ["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"],
    "string": ["==", "!=", "in", "not_in", "starts_with"],
    "boolean": ["==", "!=", "in", "not_in"],
    "string_list": ["contains"],
}
CONSTANTS = {"number": numbers, "integer": numbers, "date": dates, "string": policy_strings, "boolean": st.booleans(),
             "string_list": policy_strings}


def _key(kind: str, value: Any) -> Any:
    return dt.date.fromisoformat(value) if kind == "date" else value


def draw_constant(draw: Any, kind: str, op: str) -> Any:
    one = CONSTANTS[kind]
    if op in ("in", "not_in"):
        value: Any = []
        for _ in range(1 + draw(index) % 4):
            candidate = draw(one)
            if _key(kind, candidate) not in {_key(kind, v) for v in value}:
                value.append(candidate)
    elif op == "between":
        value = sorted([draw(one), draw(one)], key=lambda v: _key(kind, v))
    elif op == "starts_with":
        value = draw(one) or "A"  # a prefix is never empty
        if chance(draw, 2):
            value = value[:1 + draw(index) % max(1, len(value))]
    else:
        value = draw(one)
    return value


def draw_comparison(draw: Any, facts: dict[str, Any], measures: dict[str, Any]) -> dict[str, Any]:
    operands = [("fact", n) for n in facts if n != "partner_id"] + [("measure", m) for m in measures]
    kind_of_operand, name = pick(draw, operands)
    kind = facts[name]["type"] if kind_of_operand == "fact" else "number"
    op = pick(draw, OPS[kind])
    value = draw_constant(draw, kind, op)
    if chance(draw, 6):  # a value per segment of s1
        keys = sorted({pick(draw, POLICY_STRINGS) for _ in range(1 + draw(index) % 3)})
        lookup: dict[str, Any] = {"fact": "s1", "values": {k: (value if chance(draw, 3) else draw_constant(draw, kind, op))
                                                          for k in keys}}
        if chance(draw, 2):
            lookup["default"] = draw_constant(draw, kind, op)
        value = {"lookup": lookup}
    elif chance(draw, 8):  # a value by cases over other comparisons
        cases_value: dict[str, Any] = {"cases": [
            {"when": draw_comparison(draw, facts, measures), "value": draw_constant(draw, kind, op)}
            for _ in range(1 + draw(index) % 2)]}
        if chance(draw, 2):
            cases_value["default"] = value
        value = cases_value
    return {kind_of_operand: name, "op": op, "value": value}


def reuse(draw: Any, doc: dict[str, Any]) -> None:
    """Parameters and named conditions in a drawn policy: some constants become parameters (a
    whole value, one item of a list, a lookup's value, a number in a formula), some conditions
    named conditions used where they were and at other places too."""
    params: dict[str, Any] = {}

    def parametrize(value: Any) -> Any:
        if chance(draw, 4):
            name = f"p{len(params)}"
            params[name] = {"description": name, "value": value}
            return {"param": name}
        if isinstance(value, list):
            return [v if isinstance(v, list) else parametrize(v) for v in value]
        return value

    def walk_condition(cond: dict[str, Any]) -> None:
        for word in ("all", "any"):
            for part in cond.get(word, ()):
                walk_condition(part)
        if "not" in cond:
            walk_condition(cond["not"])
        if "op" in cond:
            value = cond["value"]
            if isinstance(value, dict) and "cases" in value:
                for case in value["cases"]:
                    walk_condition(case["when"])
                    case["value"] = parametrize(case["value"])
                if "default" in value:
                    value["default"] = parametrize(value["default"])
            elif isinstance(value, dict):
                table = value["lookup"]
                table["values"] = {k: parametrize(v) for k, v in table["values"].items()}
                if "default" in table:
                    table["default"] = parametrize(table["default"])
            else:
                cond["value"] = parametrize(value)

    def walk_formula(expr: Any) -> Any:
        if isinstance(expr, (int, float)) and not isinstance(expr, bool):
            return parametrize(expr)
        if isinstance(expr, dict):
            ((op, arg),) = expr.items()
            if op in ("sum", "product", "min", "max", "difference", "ratio"):
                return {op: [walk_formula(e) for e in arg]}
            if op == "lookup":
                return {op: {**arg, "values": {k: parametrize(v) for k, v in arg["values"].items()},
                             **({"default": parametrize(arg["default"])} if "default" in arg else {})}}
            if op == "if":
                return {op: {**arg, "then": walk_formula(arg["then"]), "else": walk_formula(arg["else"])}}
        return expr

    named: dict[str, Any] = {}
    places = [(c, "condition") for t in doc["tiers"] for c in t["criteria"]] + \
             [(o, "when") for o in doc.get("overrides", [])]
    for holder, key in places:
        walk_condition(holder[key])
        if chance(draw, 3):
            if named and chance(draw, 2):  # use one already named
                holder[key] = {"ref": pick(draw, sorted(named))}
            else:
                name = f"k{len(named)}"
                inner = holder[key]
                if named and chance(draw, 3):  # a named condition that uses another
                    inner = {pick(draw, ["all", "any"]): [inner, {"ref": pick(draw, sorted(named))}]}
                named[name] = {"description": name, "condition": inner}
                holder[key] = {"ref": name}
    for measure in doc.get("measures", {}).values():
        measure["compute"] = walk_formula(measure["compute"])
    if params:
        doc["parameters"] = params
    if named:
        doc["conditions"] = named


def draw_condition(draw: Any, facts: dict[str, Any], measures: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    choice = draw(index) % (6 if depth < 3 else 1)
    if choice <= 2:
        return draw_comparison(draw, facts, measures)
    if choice == 5:
        return {"not": draw_condition(draw, facts, measures, depth + 1)}
    word = "all" if choice == 3 else "any"
    return {word: [draw_condition(draw, facts, measures, depth + 1) for _ in range(1 + draw(index) % 3)]}


def draw_policy(draw: Any) -> dict[str, Any]:
    facts = draw_facts(draw)
    measures = draw_measures(draw)
    tiers = []
    for t in range(1 + draw(index) % 4):
        criteria = []
        for c in range(draw(index) % 4):
            criterion = {"id": f"c{c}", "description": f"c{c}", "condition": draw_condition(draw, facts, measures)}
            if chance(draw, 5):
                criterion["advisory"] = True
            criteria.append(criterion)
        tiers.append({"id": f"t{t}", "name": f"Tier {t}", "criteria": criteria})
    overrides = [{"id": f"o{o}", "description": f"o{o}", "when": draw_condition(draw, facts, measures),
                  "tier": pick(draw, [t["id"] for t in tiers] + [None])}
                 for o in range(draw(index) % 3)]
    doc = {"id": "fuzz", "version": "1", "title": "Fuzz", "currency": "USD", "facts": facts, "tiers": tiers}
    if measures:
        doc["measures"] = measures
    if overrides:
        doc["overrides"] = overrides
    if chance(draw, 2):
        reuse(draw, doc)
    return doc


# --- records -------------------------------------------------------------------------------

def _constants(doc: Any, kind: str) -> list[Any]:
    """Every constant of a kind the policy mentions anywhere (bounds, comparisons, measures)."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if kind == "string" and isinstance(node.get("lookup"), dict):  # the segments are keys
                found.extend(node["lookup"].get("values", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif kind == "number" and isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append(node)
        elif kind == "date" and isinstance(node, str) and len(node) == 10 and node[4:5] == "-":
            found.append(node)
        elif kind == "string" and isinstance(node, str):
            found.append(node)

    walk(doc)
    return found


def _near_numbers(constants: list[Any]) -> list[Any]:
    """Each constant, one either side of it (integers and floats), and its negation."""
    out = []
    for c in constants:
        out.extend([c, c + 1, c - 1, -c])
        if isinstance(c, float) or abs(c) < 2 ** 53:
            out.extend([math.nextafter(float(c), math.inf), math.nextafter(float(c), -math.inf)])
    return [v for v in out if not isinstance(v, float) or math.isfinite(v)]


def _near_dates(constants: list[str]) -> list[str]:
    out = []
    for text in constants:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            continue
        for delta in (-1, 0, 1):
            try:
                out.append((day + dt.timedelta(days=delta)).isoformat())
            except OverflowError:
                pass
    return out


def draw_value(draw: Any, kind: str, near: list[Any]) -> Any:
    """A well-typed value, half the time one at or next to a constant of the policy."""
    if near and kind != "boolean" and chance(draw, 2):
        if kind == "string_list":
            return [pick(draw, near) for _ in range(draw(index) % 4)]
        return pick(draw, near)
    if kind in ("number", "integer"):
        return draw(record_numbers)
    if kind == "date":
        return draw(dates)
    if kind == "string":
        return draw(strings)
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "string_list":
        return [draw(strings) for _ in range(draw(index) % 5)]
    raise AssertionError(kind)


def _text(value: Any) -> Any:
    """A record value as a CSV cell would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, (int, float)):
        return repr(value)
    return value


def draw_record(draw: Any, doc: dict[str, Any], near: dict[str, list[Any]], number: int) -> tuple[dict[str, Any], bool]:
    record: dict[str, Any] = {"partner_id": f"P{number}"}
    for name, spec in doc["facts"].items():
        if name == "partner_id":
            continue
        choice = draw(index) % 20
        if choice == 0:
            continue  # absent
        if choice == 1:
            record[name] = None
        elif choice == 2:
            record[name] = pick(draw, HOSTILE)
        else:
            kind = spec["type"]
            pool = near["number"] if kind in ("number", "integer") else near.get(kind, near["string"])
            record[name] = draw_value(draw, kind, pool)
    from_text = chance(draw, 5)
    if from_text:
        record = {k: ("" if v is None else _text(v)) for k, v in record.items()}
    return record, from_text


@st.composite
def cases(draw: Any) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]:
    doc = draw_policy(draw)
    near = {"number": _near_numbers(_constants(doc, "number")), "date": _near_dates(_constants(doc, "date")),
            "string": _constants(doc, "string")}
    batch = [draw_record(draw, doc, near, i) for i in range(1 + draw(index) % 8)]
    return doc, batch


# --- the property --------------------------------------------------------------------------

def static_claims(policy: Policy, doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    """What the static checks (lint.py) claim about criteria and overrides: a status no record
    can get ("can never be met": never met; "always holds": never not_met). Keyed like
    Result.criteria, overrides as ("override", id)."""
    try:
        from evaluator.validate.lint import lint_findings
    except ImportError:  # pragma: no cover - the static checks are another issue's module
        return {}
    where: dict[str, tuple[str, str]] = {}
    for t, tier in enumerate(doc["tiers"]):
        for c, criterion in enumerate(tier["criteria"]):
            where[f"/tiers/{t}/criteria/{c}"] = (tier["id"], criterion["id"])
    for o, override in enumerate(doc.get("overrides", [])):
        where[f"/overrides/{o}/when"] = ("override", override["id"])
    claims = {}
    for finding in lint_findings(policy):
        if finding.pointer not in where:
            continue
        if finding.check == "contradictions" and "an alternative" not in finding.message:
            claims[where[finding.pointer]] = reference.MET
        elif finding.check == "always_true":
            claims[where[finding.pointer]] = reference.NOT_MET
    return claims


def check_agreement(doc: dict[str, Any], batch: list[tuple[dict[str, Any], bool]]) -> None:
    """Evaluate every record with the engine and with the reference, and require them to agree;
    and no record may get a status the static checks say is impossible."""
    policy = fuzz_policy(doc)
    impossible = static_claims(policy, doc)
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for number, (record, from_text) in enumerate(batch):
            expected = reference.decide(doc, record, AS_OF, from_text=from_text)
            results = list(evaluator.evaluate_many([_input(record, from_text, number)]))
            assert len(results) == 1, "every record comes out exactly once"
            got = results[0]
            where = f"record {number} {record!r} (from_text={from_text})"
            if expected.invalid:
                assert isinstance(got, InvalidRecord), f"{where}: the reference finds {expected.invalid} invalid"
                assert sorted({f.pointer for f in got.findings}) == sorted(expected.invalid), where
                continue
            assert not isinstance(got, InvalidRecord), f"{where}: unexpectedly invalid: {got.message}"
            assert _same(got.measures, expected.measures), f"{where}: measures {got.measures} != {expected.measures}"
            criteria = {(t.tier.id, c.id): c.status for t in got.tiers for c in t.criteria}
            assert criteria == expected.criteria, where
            assert {t.tier.id: t.status for t in got.tiers} == expected.tiers, where
            assert {o.id: status for o, status in got.overrides} == expected.overrides, where
            assert (got.tier.id if got.tier else None) == expected.tier, where
            statuses = {**expected.criteria, **{("override", k): v for k, v in expected.overrides.items()}}
            for key, status in impossible.items():
                assert statuses[key] != status, f"{where}: lint says {key} can never be {status}"
            if got.tier is not None:
                assert got.tier.rank == [t["id"] for t in doc["tiers"]].index(got.tier.id) + 1


def fuzz_policy(doc: dict[str, Any]) -> Policy:
    """The policy as load_policy builds it, without the static analysis of authoring checks: a
    criterion that can never be met is an authoring error, yet its evaluation must still be right."""
    assert not schema_findings(doc), schema_findings(doc)
    policy = build_policy(doc)
    errors = [f for check in CHECKS.values() for f in check(policy) if f.severity == "error"]
    assert not errors, errors
    return policy


def _input(record: dict[str, Any], from_text: bool, number: int) -> Any:
    return InputRecord(record, {"index": number + 1}, from_text=from_text)


def _same(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    return got.keys() == expected.keys() and all(
        (got[k] is None) == (expected[k] is None) and (got[k] is None or got[k] == expected[k]) for k in got)


def _fuzz_settings(test: Any) -> Any:
    if FUZZ_EXAMPLES:
        if os.environ.get("FUZZ_SEED"):
            test = seed(int(os.environ["FUZZ_SEED"]))(test)
        return settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, print_blob=True,
                        suppress_health_check=list(HealthCheck))(test)
    return settings(max_examples=CI_EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))(test)


@_fuzz_settings
@given(cases())
def test_engine_agrees_with_reference(case: tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]) -> None:
    doc, batch = case
    note(json.dumps(doc, ensure_ascii=False))
    check_agreement(doc, batch)


# --- regressions: every failure the fuzzer found, kept as an explicit test ------------------

def _doc(facts: dict[str, Any], *conditions: dict[str, Any], measures: dict[str, Any] | None = None,
         advisory: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "fuzz", "version": "1", "title": "Fuzz", "currency": "USD",
                           "facts": {"partner_id": {"type": "string", "description": "id", "required": True}, **facts},
                           "tiers": [{"id": "t0", "name": "Tier 0", "criteria": [
                               {"id": f"c{i}", "description": f"c{i}", "condition": c, "advisory": advisory}
                               for i, c in enumerate(conditions)]},
                               {"id": "t1", "name": "Tier 1", "criteria": []}]}
    if measures:
        doc["measures"] = measures
    return doc


DATE = {"type": "date", "description": "d1"}


@pytest.mark.parametrize("condition", [
    {"fact": "d1", "op": "<", "value": "0001-01-01"},       # the date one day short is before year 1
    {"fact": "d1", "op": ">", "value": "9999-12-31"},       # ... or after year 9999
    {"fact": "d1", "op": "between", "value": ["0001-01-01", "0001-01-01"]},
    {"fact": "d1", "op": "!=", "value": "9999-12-31"},
])
def test_regression_unmeetable_date_bounds_do_not_crash_explanations(condition):
    """Found by the fuzzer: explaining how far a date falls short of `< 0001-01-01` computed a date
    before year 1 and raised ValueError, so the record crashed instead of getting a decision."""
    doc = _doc({"d1": DATE}, condition, advisory=True)
    check_agreement(doc, [({"partner_id": "P", "d1": d}, False)
                          for d in ("0001-01-01", "0001-01-02", "2026-06-15", "9999-12-30", "9999-12-31", None)])
    with Evaluator(fuzz_policy(doc), as_of=AS_OF) as evaluator:
        for d in ("0001-01-01", "9999-12-31"):
            json.dumps(evaluator.evaluate({"partner_id": "P", "d1": d}).to_dict())


@pytest.mark.parametrize("value", [1e15, -1e15, 2 ** 53, 10 ** 30])
def test_regression_a_date_measure_far_from_its_constant_does_not_crash_explanations(value):
    """Found by the long fuzz run (seed 20260601): `days_since(d1) == 1e15` with d1 = 0001-01-01;
    turning the shortfall back into a date overflowed (OverflowError) instead of saying that no
    date reaches it."""
    doc = _doc({"d1": DATE}, {"measure": "m0", "op": "==", "value": value},
               measures={"m0": {"description": "m0", "compute": {"days_since": "d1"}}}, advisory=True)
    check_agreement(doc, [({"partner_id": "P", "d1": d}, False) for d in ("0001-01-01", "2026-06-15", "9999-12-31")])


@pytest.mark.parametrize("compute, record", [
    ({"ratio": ["n2", "n1"]}, {"n1": 5e-324, "n2": 1}),                          # 1 / 5e-324 = inf
    ({"product": ["n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1",
                  "n1", "n1", "n1", "n1"]}, {"n1": 9e15}),                        # overflows to inf
    ({"difference": [{"product": ["n1", 1e300]}, {"product": ["n1", 1e300]}]}, {"n1": 1e10}),  # inf - inf = nan
    ({"ratio": [{"product": ["m0", "m0", "m0"]}, 3]}, {"i1": 2 ** 53}),           # int too large for a float
])
def test_regression_a_measure_that_is_not_a_finite_number_is_missing(compute, record):
    """Found by the long fuzz run (seed 20260601): `ratio(n2, n1)` with n1 = 5e-324 gave the
    measure the value inf, which met every `>=`; NaN (inf - inf) was coded below every constant,
    so it met every `<`.
    A measure that is not a finite number is missing, like a ratio with a zero denominator."""
    measures = {"m0": {"description": "m0", "compute": {"product": ["i1"] * 7}},  # 2**371 for i1 = 2**53
                "m1": {"description": "m1", "compute": compute}}
    doc = _doc({"n1": {"type": "number", "description": "n1"}, "n2": {"type": "number", "description": "n2"},
                "i1": {"type": "integer", "description": "i1"}},
               {"measure": "m1", "op": ">=", "value": 0}, {"measure": "m1", "op": "<", "value": 0},
               measures=measures)
    check_agreement(doc, [({"partner_id": "P", **record}, False)])
    with Evaluator(fuzz_policy(doc), as_of=AS_OF) as evaluator:
        decision = evaluator.evaluate({"partner_id": "P", **record})
    assert decision.measures["m1"] is None and decision.tiers[0].status == "missing"
    json.dumps(decision.to_dict(), allow_nan=False)
