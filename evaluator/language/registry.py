"""The policy language's registry: every concept declared once, with all its facets, and the
parts of the JSON Schemas that enumerate them generated from it.

    OPERATORS    language/operators.py    ==, !=, <, ..., between (and their negations)
    FACT_TYPES   language/facttypes.py    number, integer, string, boolean, string_list, date
    MEASURES     language/measures.py     sum, product, ..., count, days_since (FORMS: argument forms)
    VALUE_TYPES  language/values.py       number, date, string, boolean, list (ENCODINGS: how the engine sees them)
    ENGINE_TESTS language/encodings.py    eq, lt, le, between, in, contains

Every stage looks a concept's facets up in these tables and keeps no table of its own keyed by
operator or type. tests/test_registry.py walks every entry and fails when one lacks a facet or
when schemas/ or the tables of docs/language.md differ from what the registry makes of them;
after adding an entry, run `python -m evaluator.language.registry` to regenerate them.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from .amounts import amount_schema
from .encodings import ENGINE_TESTS
from .facttypes import FACT_TYPES
from .measures import FORMS, MEASURES
from .money import PERIODS
from .moves import CHANGE_KINDS
from .operators import OPERATORS, written
from .reference import with_tables
from .values import ENCODINGS, VALUE_TYPES

__all__ = ["ENCODINGS", "ENGINE_TESTS", "FACT_TYPES", "FORMS", "MEASURES", "OPERATORS", "VALUE_TYPES",
           "generated_schema", "schema_text", "SCHEMA_FILES"]

SCHEMA_FILES = ("policy", "decision")


def _fact_type_text() -> str:
    names = [t.name + (f" ({t.description})" if t.description else "") for t in FACT_TYPES.values()]
    return ", ".join(names[:-1]) + " or " + names[-1] + "."


def _policy(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    comparison = defs["comparison"]
    comparison["properties"]["op"]["enum"] = written()
    comparison["description"] = ("Compares one fact or one measure with a constant. Operators: "
                                 + "; ".join(f"{o.symbol} ({o.summary})" for o in OPERATORS.values() if o.written)
                                 + ".")
    fact_type = defs["fact"]["properties"]["type"]
    fact_type["enum"] = list(FACT_TYPES)
    fact_type["description"] = _fact_type_text()
    expression = defs["expression"]
    expression["description"] = ("A number (a constant), the name of a number/integer fact or of a measure, "
                                 "or one operation: " + ", ".join(MEASURES) + ".")
    operation = next(branch for branch in expression["oneOf"] if branch.get("type") == "object")
    operation["properties"] = {name: {"description": op.description, **copy.deepcopy(FORMS[op.args].schema)}
                               for name, op in MEASURES.items()}
    defs["amount"] = amount_schema()


def _decision(schema: dict[str, Any]) -> None:
    change = schema["$defs"]["change"]["properties"]
    change["op"]["enum"] = list(OPERATORS)
    change["change"]["enum"] = list(CHANGE_KINDS)
    schema["$defs"]["payout"]["properties"]["period"]["enum"] = list(PERIODS)


_PATCHES = {"policy": _policy, "decision": _decision}


def generated_schema(name: str, current: dict[str, Any]) -> dict[str, Any]:
    """`current` (a schema file's content) with the parts the registry enumerates made from it."""
    schema = copy.deepcopy(current)
    _PATCHES[name](schema)
    return schema


def schema_text(schema: dict[str, Any]) -> str:
    """How a schema file is written (so that regenerating one changes only what changed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Regenerate schemas/ and the tables of docs/language.md in a source checkout (the folder
    given, or the repository's)."""
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[2]
    for name in SCHEMA_FILES:
        path = root / "schemas" / f"{name}.schema.json"
        _rewrite(path, schema_text(generated_schema(name, json.loads(path.read_text(encoding="utf-8")))))
    docs = root / "docs" / "language.md"
    _rewrite(docs, with_tables(docs.read_text(encoding="utf-8")))
    return 0


def _rewrite(path: Path, text: str) -> None:
    if path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
        print(f"regenerated {path}")


if __name__ == "__main__":  # pragma: no cover - a developer's command
    sys.exit(main(sys.argv[1:]))
