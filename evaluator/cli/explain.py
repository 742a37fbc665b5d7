"""The `explain` command: why each partner got its tier, and what it takes to reach the next one.

Thin click layer over narrative.py (text, markdown) and Decision.to_dict (json: the full decision
with shortfalls). Exit codes: 0 done; 1 some explained records were invalid (each is explained as
invalid); 2 usage error, unreadable input, invalid policy, or a --partner not in FACTS.
"""
from __future__ import annotations

import sys
from typing import Any, Iterable, Iterator

import click

from .options import (as_of_from, as_of_option, exceptions_option, input_format_option, output_option, output_to,
                      outside_window_option, policy_option, previous_option, state_from)
from ..errors import EXIT_INVALID_RECORDS, EvaluatorError
from ..evaluate.evaluator import Evaluator
from ..explain.narrative import RENDERERS
from ..load.records import records_from_path
from .streams import stdin_hint
from ..output.writers import write_json


class PartnerNotFound(EvaluatorError):
    """--partner named a partner that FACTS does not hold (exit 2)."""


def _selected(results: Iterable[Any], partners: tuple[str, ...], seen: set[str]) -> Iterator[Any]:
    for result in results:
        if partners and result.partner_id not in partners:
            continue
        if result.partner_id is not None:
            seen.add(result.partner_id)
        yield result


@click.command(short_help="Explain each decision in FACTS: why the tier, and what the next tier takes.")
@policy_option
@click.option("--partner", "partners", metavar="ID", multiple=True,
              help="Explain only this partner (repeatable). Default: every partner in FACTS.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text or markdown: a narrative per partner; json: the full decisions, with shortfalls.")
@output_option
@input_format_option
@as_of_option
@outside_window_option
@previous_option
@exceptions_option
@click.argument("facts", default="-", metavar="[FACTS|-]")
def explain(policy_path: str | None, partners: tuple[str, ...], fmt: str, output: str | None, input_format: str,
            as_of: str | None, facts: str, outside_window: bool = False, previous: str | None = None,
            exceptions: str | None = None) -> None:
    """Explain the decision for each partner in FACTS (or those given with --partner): the tier
    and why, every criterion met or not with actual against required, what it takes to reach the
    next tier, the tier's advisory criteria not met, and the decision's provenance."""
    date = as_of_from(as_of)
    policy, options = state_from(policy_path, date, outside_window, previous, exceptions)
    seen: set[str] = set()
    invalid = 0
    with Evaluator(policy, as_of=date, **options) as evaluator:
        stdin_hint(facts)
        results = _selected(evaluator.evaluate_many(records_from_path(facts, input_format)), partners, seen)
        with output_to(output) as out:
            if fmt == "json":
                counted = []

                def count(items: Iterable[Any]) -> Iterator[Any]:
                    for item in items:
                        counted.append(item.ok)
                        yield item

                write_json(count(results), out, policy)
                invalid = counted.count(False)
            else:
                first = True
                for result in results:
                    invalid += not result.ok
                    out.write(("" if first else "\n") + RENDERERS[fmt](result))
                    first = False
    unknown = [p for p in partners if p not in seen]
    if unknown:
        raise PartnerNotFound(f"{facts}: no partner {', '.join(unknown)}")
    if invalid:
        click.echo(f"{invalid} record(s) invalid", err=True)
        sys.exit(EXIT_INVALID_RECORDS)
