"""Partner facts: check one record against the policy's fact catalogue and coerce its values.

Each fact is checked and typed by its fact type's `coerce` facet (facttypes.py, coercion.py).
JSON input is strict; CSV cells are text, parsed by the fact's type (`from_text=True`). Fields
the catalogue does not name are ignored. Also derives the JSON Schema of partner records from a
policy, from each fact type's schema fragment.
"""
from __future__ import annotations

from typing import Any

from ..errors import Finding
from ..model.policy import NO_DEFAULT, FactSpec, Policy
from .coercion import Invalid, describe
from .facttypes import FACT_TYPES


def coerce_value(spec: FactSpec, value: Any, pointer: str, *, from_text: bool) -> Any:
    return FACT_TYPES[spec.type].coerce(spec, value, from_text)


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def coerce_record(policy: Policy, record: Any, *, from_text: bool = False) -> tuple[dict[str, Any], list[Finding]]:
    """The record's facts, typed, with defaults applied; and every problem found, each located
    by the JSON Pointer of the field. A fact given as null (or an empty CSV cell, except in a
    string_list column) is absent."""
    if not isinstance(record, dict):
        return {}, [Finding("a partner record must be an object", "", expected="an object of facts",
                            found=describe(record))]
    facts: dict[str, Any] = {}
    findings = []
    for name, spec in policy.facts.items():
        field = name
        if spec.aliases:  # other names of the fact in input (model/fields.py)
            present = [f for f in (name, *spec.aliases) if f in record]
            if len(present) > 1:
                findings.append(Finding(f"fact '{name}' is given twice: as " + " and ".join(f"'{f}'" for f in present),
                                        "/" + escape(present[1]), expected="one field for the fact",
                                        found=", ".join(present)))
                continue
            field = present[0] if present else name
        value = record.get(field)
        if from_text and isinstance(value, str) and value.strip() == "":
            # An empty CSV cell is a missing fact, except in a list column, where it lists nothing.
            value = FACT_TYPES[spec.type].empty_cell()
        if value is None:
            if spec.default is not NO_DEFAULT:
                facts[name] = FACT_TYPES[spec.type].coerce(spec, spec.default, False)
            elif spec.required:
                findings.append(Finding(f"required fact '{name}' is missing", "/" + escape(field),
                                        expected=f"a {spec.type}", found="nothing" if field not in record else "null"))
            continue
        try:
            facts[name] = FACT_TYPES[spec.type].coerce(spec, value, from_text)
        except Invalid as exc:
            findings.append(Finding(str(exc), "/" + escape(field) + exc.at, expected=exc.expected, found=exc.found))
    return facts, findings


def facts_schema(policy: Policy) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one partner record for a policy, derived from its catalogue."""
    properties: dict[str, Any] = {}
    for name, spec in policy.facts.items():
        prop: dict[str, Any] = {"description": spec.description + (f" ({spec.unit})" if spec.unit else "")}
        prop.update(FACT_TYPES[spec.type].json_schema(spec))
        if not spec.required:
            prop = {"anyOf": [prop, {"type": "null"}], "description": prop.pop("description")}
        if spec.default is not NO_DEFAULT:
            prop["default"] = spec.default
        properties[name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:partner-policy-evaluator:facts:{policy.id}:{policy.version}",
        "title": f"Partner facts for {policy.title} {policy.version}",
        "description": "One partner record. Facts not listed are ignored; a missing or null fact is 'missing' "
                       "for the criteria that read it.",
        "type": "object",
        "required": [n for n, s in policy.facts.items() if s.required],
        "properties": properties,
        "additionalProperties": True,
    }
