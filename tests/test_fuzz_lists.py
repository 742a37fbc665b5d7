"""Differential fuzzing of lists (docs/language.md "Lists"): random item catalogues, random
aggregates over items with random `where` conditions and windows, lists of 0 to 30 items with
duplicates, any order, absent fields and wrong-typed items, as JSON or as CSV JSON cells. The
evaluator must agree with the reference (tests/reference_items.py) on every record, and the fast
path, the plain path and the template writer must write the same bytes.

    FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_lists.py -q   # a long run, random seed
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from hypothesis import given, note, strategies as st

from evaluator import Evaluator
from evaluator.fast.facts import compile_fast_coercer
from evaluator.fast.jsonbytes import json_line
from evaluator.language.facts import coerce_record
from evaluator.fast.template import jsonl_line
from test_fuzz_differential import (AS_OF, DATES, HOSTILE, POLICY_STRINGS, _fuzz_settings, _input, check_agreement,
                                    chance, dates, fuzz_policy, index, numbers, pick)

FIELD_TYPES = ("number", "integer", "string", "boolean", "date")
ITEM_OPS = {"number": ["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"],
            "integer": ["==", "!=", "<", "<=", ">", ">=", "between"],
            "date": ["==", "!=", "<", ">=", "between", "in"],
            "string": ["==", "!=", "in", "not_in", "starts_with"],
            "boolean": ["==", "!="]}
SMALL = [0, 1, 2, 3, 5, 10, 100, -1, 0.5, 2.5, 30000, 1e15]
TEXTS = ["SG", "AU", "NZ", "security", "networking", "", "é"]


def _constant(draw: Any, kind: str) -> Any:
    if kind in ("number", "integer"):
        return pick(draw, SMALL) if chance(draw, 2) else draw(numbers)
    if kind == "date":
        return pick(draw, DATES + ["2026-06-15", "2026-03-17", "2026-03-16"])
    if kind == "string":
        return pick(draw, TEXTS + POLICY_STRINGS)
    return pick(draw, [True, False])


def _comparison(draw: Any, kind: str, field: str | None) -> dict[str, Any]:
    op = pick(draw, ITEM_OPS[kind])
    if op in ("in", "not_in"):
        value: Any = []
        for _ in range(1 + draw(index) % 3):
            c = _constant(draw, kind)
            if c not in value:
                value.append(c)
    elif op == "between":
        a, b = _constant(draw, kind), _constant(draw, kind)
        value = sorted([a, b], key=lambda v: dt.date.fromisoformat(v) if kind == "date" else v)
    elif op == "starts_with":
        value = _constant(draw, kind) or "S"
    else:
        value = _constant(draw, kind)
    out: dict[str, Any] = {"op": op, "value": value}
    if field is not None:
        out["field"] = field
    return out


def draw_where(draw: Any, fields: dict[str, Any] | None, item_kind: str, depth: int = 0) -> dict[str, Any]:
    choice = draw(index) % (5 if depth < 2 else 1)
    if choice <= 1:
        if fields is None:
            return _comparison(draw, item_kind, None)
        name = pick(draw, sorted(fields))
        return _comparison(draw, fields[name]["type"], name)
    if choice == 4:
        return {"not": draw_where(draw, fields, item_kind, depth + 1)}
    return {"all" if choice == 2 else "any": [draw_where(draw, fields, item_kind, depth + 1)
                                              for _ in range(1 + draw(index) % 3)]}


def draw_fields(draw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for i in range(1 + draw(index) % 4):
        kind = pick(draw, FIELD_TYPES)
        spec: dict[str, Any] = {"type": kind, "description": f"f{i}"}
        if kind in ("number", "integer") and chance(draw, 3):
            spec["minimum"] = pick(draw, [0, -1, 1])
        if kind == "string" and chance(draw, 4):
            spec["enum"] = ["AU", "NZ", "SG"]
        if chance(draw, 4):
            spec["required"] = True
        elif chance(draw, 4):
            spec["default"] = {"number": 1, "integer": 1, "string": "SG", "boolean": False,
                               "date": "2026-06-01"}[kind]
        fields[f"f{i}"] = spec
    return fields


def draw_argument(draw: Any, doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = pick(draw, ["q", "dl", "r"])
    spec = doc["facts"][name]
    fields = spec.get("fields")
    item_kind = {"q": "number", "dl": "date", "r": "record"}[name]
    numeric = [f for f, s in (fields or {}).items() if s["type"] in ("number", "integer")]
    dated = [f for f, s in (fields or {}).items() if s["type"] == "date"]
    ops = ["count_items", "count_distinct"]
    if name == "q" or numeric:
        ops += ["sum_of", "min_of", "max_of", "mean_of"]
    op = pick(draw, ops)
    arg: dict[str, Any] = {"list": name}
    if name == "r" and (op not in ("count_items", "count_distinct") or chance(draw, 2)):
        arg["field"] = pick(draw, numeric) if op not in ("count_items", "count_distinct") else pick(draw, sorted(fields))
    if op == "count_items":
        arg.pop("field", None)
    if chance(draw, 3):
        arg[pick(draw, ["first", "last"])] = 1 + draw(index) % 4
    if (name == "dl" or dated) and chance(draw, 3):
        arg["within_days"] = pick(draw, [0, 1, 90, 365])
        if name == "r":
            arg["date_field"] = pick(draw, dated)
    if chance(draw, 2):
        arg["where"] = draw_where(draw, fields, item_kind)
    return op, arg


def draw_policy(draw: Any) -> dict[str, Any]:
    q: dict[str, Any] = {"type": "number_list", "description": "q"}
    if chance(draw, 3):
        q["minimum"] = 0
    if chance(draw, 3):
        q["max_items"] = 1 + draw(index) % 30
    facts = {"partner_id": {"type": "string", "description": "id", "required": True}, "q": q,
             "dl": {"type": "date_list", "description": "dl"},
             "r": {"type": "record_list", "description": "r", "fields": draw_fields(draw)}}
    measures = {}
    for i in range(1 + draw(index) % 4):
        op, arg = draw_argument(draw, {"facts": facts})
        measures[f"m{i}"] = {"description": f"m{i}", "compute": {op: arg}}
    criteria = []
    for c in range(1 + draw(index) % 3):
        m = pick(draw, sorted(measures))
        criteria.append({"id": f"c{c}", "description": "c", "condition": {
            "measure": m, "op": pick(draw, [">=", "==", "<", "between"]),
            "value": pick(draw, [0, 1, 2, 3, 30000, 2.5]) if True else 0}})
    for c in criteria:
        if c["condition"]["op"] == "between":
            c["condition"]["value"] = sorted([pick(draw, [0, 1, 2, 3, 100]), pick(draw, [0, 1, 2, 3, 100])])
    return {"id": "fuzz-lists", "version": "1", "title": "Fuzz", "currency": "USD", "facts": facts,
            "measures": measures, "tiers": [{"id": "t", "name": "T", "criteria": criteria}]}


def _item_value(draw: Any, kind: str) -> Any:
    if chance(draw, 25):
        return pick(draw, HOSTILE)
    if kind in ("number", "integer"):
        return pick(draw, SMALL + [1, 2, 3])
    if kind == "date":
        return pick(draw, ["2026-06-15", "2026-06-14", "2026-03-17", "2026-03-16", "2025-06-15", "2026-07-01"])
    if kind == "string":
        return pick(draw, TEXTS)
    return pick(draw, [True, False])


def _items(draw: Any, make: Any) -> list[Any]:
    items = [make() for _ in range(draw(index) % 31)]
    if items and chance(draw, 3):  # duplicates
        items += [copy.deepcopy(pick(draw, items)) for _ in range(1 + draw(index) % 3)]
    return items


def draw_record(draw: Any, doc: dict[str, Any], number: int) -> tuple[dict[str, Any], bool]:
    fields = doc["facts"]["r"]["fields"]

    def record_item() -> Any:
        if chance(draw, 40):
            return pick(draw, ["x", 1, None, []])
        return {f: _item_value(draw, s["type"]) for f, s in fields.items() if not chance(draw, 6)}

    record: dict[str, Any] = {"partner_id": f"P{number}"}
    for name, make in (("q", lambda: _item_value(draw, "number")), ("dl", lambda: _item_value(draw, "date")),
                       ("r", record_item)):
        if chance(draw, 10):
            continue
        record[name] = _items(draw, make) if not chance(draw, 30) else pick(draw, HOSTILE)
    from_text = chance(draw, 5)
    if from_text:
        record = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in record.items()
                  if isinstance(v, (list, dict, str))}
    return record, from_text


@st.composite
def cases(draw: Any) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]:
    doc = draw_policy(draw)
    return doc, [draw_record(draw, doc, i) for i in range(1 + draw(index) % 6)]


def _paths_agree(doc: dict[str, Any], batch: list[tuple[dict[str, Any], bool]]) -> None:
    policy = fuzz_policy(doc)
    fast = compile_fast_coercer(policy)
    for record, from_text in batch:  # the fast checks of the list types give what the coercers give
        if not from_text:
            facts, findings = coerce_record(policy, record)
            quick = fast(record)
            assert quick is None or (not findings and quick == facts), record
    with Evaluator(policy, as_of=AS_OF) as cached, Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
        inputs = [_input(r, t, i) for i, (r, t) in enumerate(batch)]
        fast, slow = list(cached.evaluate_many(inputs)), list(plain.evaluate_many(inputs))
    for f, s in zip(fast, slow):
        line = jsonl_line(f)  # before to_dict: a decision written once keeps no template state
        assert line is None or line == json_line(s.to_dict())
        assert json.dumps(f.to_dict()) == json.dumps(s.to_dict())


@_fuzz_settings
@given(cases())
def test_lists_agree_with_the_reference(case: tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]) -> None:
    doc, batch = case
    note(json.dumps(doc, ensure_ascii=False))
    check_agreement(doc, batch)
    _paths_agree(doc, batch)
