"""The language reference's tables (docs/language.md), made from the registry: every operator,
fact type and measure operation with what it means and its own example, so the docs can never
list a concept the language lacks or miss one it has.

Each table stands in docs/language.md between `<!-- registry:NAME -->` and `<!-- /registry:NAME -->`;
`python -m evaluator.language.registry` rewrites them, tests/test_registry.py checks they are current.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from .amounts import AMOUNT_FORMS
from .facttypes import FACT_TYPES
from .measures import EXAMPLE_AS_OF, EXAMPLE_FACTS, EXAMPLE_RECORD, MEASURES
from .money import PERIODS, RULE
from .operators import OPERATORS


def _code(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False).replace("|", "\\|") + "`"


def operators_table() -> str:
    rows = ["| operator | holds when | example | met by | not met by |", "| --- | --- | --- | --- | --- |"]
    for op in OPERATORS.values():
        if not op.written:
            continue
        e = op.example
        rows.append(f"| `{op.symbol}` | {op.summary} | `{{\"fact\": \"x\", \"op\": \"{op.symbol}\", \"value\": "
                    f"{json.dumps(e.value)}}}` ({e.fact_type} `x`) | {_code(e.met)} | {_code(e.unmet)} |")
    negations = ", ".join(f"`not` of `{OPERATORS[o.negation].symbol}` is `{o.symbol}`"
                          for o in OPERATORS.values() if not o.written)
    return "\n".join(rows) + f"\n\nIn explanations a negated comparison is stated as its complement ({negations})."


def fact_types_table() -> str:
    rows = ["| type | values | catalogue keys | JSON | CSV cell |", "| --- | --- | --- | --- | --- |"]
    for kind in FACT_TYPES.values():
        valid, text, _invalid = kind.example
        keys = ", ".join(f"`{k}`" for k in ("minimum", "maximum", "enum", "pattern", "max_items") if k in kind.spec_keys)
        rows.append(f"| `{kind.name}` | {kind.words}{' (' + kind.description + ')' if kind.description else ''} "
                    f"| {keys or '—'} | {_code(valid)} | `{text}` |")
    return "\n".join(rows)


def measures_table() -> str:
    record = ", ".join(f"{name} ({kind})" for name, kind in EXAMPLE_FACTS.items())
    rows = ["| operation | value | example | gives |", "| --- | --- | --- | --- |"]
    for op in MEASURES.values():
        expression, value = op.example
        rows.append(f"| `{op.name}` | {op.description} | {_code(expression)} | {_code(value)} |")
    return "\n".join(rows) + (f"\n\nThe examples read the facts {record} of the record "
                              f"`{json.dumps(EXAMPLE_RECORD)}` evaluated as of {EXAMPLE_AS_OF}.")


def amounts_table() -> str:
    rows = ["| form | pays | example | with | gives (USD) |", "| --- | --- | --- | --- | --- |"]
    for form in AMOUNT_FORMS.values():
        amount, record, gives = form.example
        rows.append(f"| `{form.key}` | {form.description} | {_code(amount)} | {_code(record) if record else '—'} "
                    f"| `{gives}` |")
    periods = "; ".join(f"`{p.name}` ({p.description[0].lower() + p.description[1:].rstrip('.')})"
                        for p in PERIODS.values())
    return "\n".join(rows) + f"\n\nPeriods: {periods}. Rounding: {RULE}."


TABLES: dict[str, Callable[[], str]] = {"operators": operators_table, "fact-types": fact_types_table,
                                        "measures": measures_table, "amounts": amounts_table}


def with_tables(text: str) -> str:
    """`text` (docs/language.md) with every registry table it holds made anew."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- registry:{name} -->\n)(?:.*?\n)?(<!-- /registry:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text
