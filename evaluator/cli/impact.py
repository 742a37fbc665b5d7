"""The `diff` and `report` commands: impact analysis of a program change, and the program report.

Thin click layer over tools/diff and tools/report. Exit codes: 0 done; 1 some records were
invalid (they are listed in the output), or `--fail-on` found such a move; 2 usage error,
unreadable input or invalid policy.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Iterable, Iterator

import click

from .options import (as_of_from, as_of_option, csv_raw_option, exceptions_option, input_format_option,
                      output_option, output_to, outside_window_option, policy_option, previous_option, state_from)
from ..tools.diff import FAIL_ON, WRITERS as DIFF_WRITERS, diff_policies, write_csv as write_diff_csv
from ..errors import EXIT_INVALID_RECORDS, EXIT_OK
from ..evaluate.evaluator import Evaluator
from ..load.policyfile import load_policy
from ..tools.report import DEFAULT_LIST_LIMIT, DEFAULT_NEAR_PERCENT, WRITERS as REPORT_WRITERS, ReportSet, build_report
from ..load.records import records_from_path
from .streams import stdin_hint

# A progress bar is drawn only for runs long enough to need one.
PROGRESS_MIN_RECORDS = 1000


def estimate_records(path: str, input_format: str) -> int | None:
    """About how many records a CSV or JSONL file holds (its line count), or None if unknown."""
    if path == "-" or not os.path.isfile(path):
        return None
    fmt = input_format
    if fmt == "auto":
        lowered = path.lower()
        fmt = "csv" if lowered.endswith(".csv") else "jsonl" if lowered.endswith((".jsonl", ".ndjson")) else "json"
    if fmt == "json":
        return None
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return max(lines - (1 if fmt == "csv" else 0), 0)


def with_progress(records: Iterable[Any], path: str, input_format: str, label: str) -> Iterator[Any]:
    """The records, with a progress bar on stderr when stderr is a terminal and the run is long."""
    if not sys.stderr.isatty():
        yield from records
        return
    length = estimate_records(path, input_format)
    if length is not None and length < PROGRESS_MIN_RECORDS:
        yield from records
        return
    with click.progressbar(records, length=length, label=label, file=sys.stderr, show_pos=True,
                           show_eta=length is not None) as bar:
        yield from bar




@click.command()
@click.argument("old_policy", metavar="OLD_POLICY", type=click.Path(dir_okay=False))
@click.argument("new_policy", metavar="NEW_POLICY", type=click.Path(dir_okay=False))
@click.argument("facts", metavar="FACTS|-")
@click.option("--format", "fmt", type=click.Choice(list(DIFF_WRITERS)), default="table", show_default=True,
              help="table for a terminal; json (everything); csv (moved and invalid partners); markdown; "
                   "html (one self-contained page).")
@output_option
@input_format_option
@as_of_option
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default=None,
              help="Exit 1 when a partner moves down, up, or at all (any: up, down or lateral).")
@csv_raw_option
def diff(old_policy: str, new_policy: str, facts: str, fmt: str, output: str | None, input_format: str,
         as_of: str | None, fail_on: str | None, csv_raw: bool = False) -> None:
    """Who a program change moves: decide every partner in FACTS under OLD_POLICY and NEW_POLICY.

    Reports the transition matrix (old tier x new tier), every partner that moves with the
    criteria that moved it, benefit changes, totals, and every record invalid under either
    policy. Exit 1 when records are invalid or --fail-on finds such a move."""
    date = as_of_from(as_of)
    old, new = load_policy(old_policy), load_policy(new_policy)
    # a what-if: each policy is evaluated at the date whatever its effective window (an old program
    # against its successor is what a migration report compares)
    with Evaluator(old, as_of=date, outside_window=True) as old_evaluator, \
            Evaluator(new, as_of=date, outside_window=True) as new_evaluator:
        stdin_hint(facts)
        records = with_progress(records_from_path(facts, input_format), facts, input_format, "Comparing")
        result = diff_policies(old_evaluator, new_evaluator, records, input_name=facts)
    with output_to(output) as out:
        if fmt == "csv":
            write_diff_csv(result, out, raw=csv_raw)
        else:
            DIFF_WRITERS[fmt](result, out)
    totals = result.totals()
    code = EXIT_OK
    if fail_on is not None and result.has(fail_on):
        moving = totals["moved"] if fail_on == "any" else totals[fail_on]
        click.echo(f"--fail-on {fail_on}: {moving} partner(s) move {'' if fail_on == 'any' else fail_on}".rstrip(),
                   err=True)
        code = EXIT_INVALID_RECORDS
    if totals["invalid"]:
        click.echo(f"{totals['invalid']} of {totals['records']} records invalid under either policy", err=True)
        code = EXIT_INVALID_RECORDS
    sys.exit(code)


def snapshot_labels(paths: list[str]) -> list[str]:
    """Each snapshot's name in the report: its file name without the extension, or the path as
    given when two files share a name."""
    stems = [os.path.splitext(os.path.basename(p))[0] if p != "-" else "stdin" for p in paths]
    return stems if len(set(stems)) == len(stems) else list(paths)


def snapshot_dates(values: tuple[str, ...], count: int) -> list[Any]:
    """--as-of given once (every snapshot), once per FACTS file (in order), or not at all (today)."""
    dates = [as_of_from(v) for v in values]
    if not dates:
        return [None] * count
    if len(dates) == 1:
        return dates * count
    if len(dates) != count:
        raise click.BadParameter(f"given {len(dates)} times for {count} FACTS files; expected once, or once per "
                                 "file in the same order", param_hint="--as-of")
    return dates


@click.command()
@policy_option
@click.argument("facts", metavar="FACTS|-...", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(list(REPORT_WRITERS)), default="markdown", show_default=True,
              help="markdown, html (one self-contained page with charts) or json.")
@output_option
@input_format_option
@click.option("--as-of", "as_of", metavar="DATE", multiple=True,
              help="The date the facts are as of (default: today, UTC): once for every FACTS file, or once per "
                   "file in the same order (last quarter's end, this quarter's end).")
@click.option("--by", "dimensions", metavar="FACT", multiple=True,
              help="Break partners down by this string or list fact (repeatable). Default: every list fact "
                   "and every string fact with an enum.")
@click.option("--sum", "sums", metavar="FACT", multiple=True,
              help="Total this number fact per tier (repeatable). Default: number facts in the policy's currency.")
@click.option("--near", "near", metavar="PERCENT", type=click.FloatRange(min=0), default=DEFAULT_NEAR_PERCENT,
              show_default=True, help="Near misses and partners at risk within PERCENT of a threshold, as "
                                      "`evaluate --near` lists them.")
@outside_window_option
@previous_option
@exceptions_option
@click.option("--list", "list_limit", metavar="N", type=click.IntRange(min=0), default=DEFAULT_LIST_LIMIT,
              show_default=True, help="Name at most N near misses and N partners at risk per tier, closest first.")
def report(policy_path: str | None, facts: tuple[str, ...], fmt: str, output: str | None, input_format: str,
           as_of: tuple[str, ...], dimensions: tuple[str, ...], sums: tuple[str, ...], near: float,
           list_limit: int, outside_window: bool = False, previous: str | None = None,
           exceptions: str | None = None) -> None:
    """A program-wide summary of FACTS under a policy: partners per tier and per region and
    country, sales per tier, the policy's targets (channel share of sales), near misses and
    partners at risk by name. Given several FACTS files (snapshots, oldest first), it also shows
    the movement between them. Exit 1 when records are invalid (they are listed)."""
    if list(facts).count("-") > 1:
        raise click.BadParameter("standard input ('-') can be read once", param_hint="FACTS")
    dates = snapshot_dates(as_of, len(facts))
    policy, options = state_from(policy_path, dates[-1], outside_window, previous, exceptions)
    reports = []
    for path, label, date in zip(facts, snapshot_labels(list(facts)), dates):
        with Evaluator(policy, as_of=date, **options) as evaluator:
            stdin_hint(path)
            records = with_progress(records_from_path(path, input_format), path, input_format, "Evaluating")
            reports.append(build_report(evaluator, records, dimensions=list(dimensions) if dimensions else None,
                                        sums=list(sums) if sums else None, near_percent=near, input_name=path,
                                        list_limit=list_limit, label=label if len(facts) > 1 else None))
    result = ReportSet(reports)
    with output_to(output) as out:
        REPORT_WRITERS[fmt](result, out)
    if result.invalid:
        click.echo(f"{result.invalid} of {result.records} records invalid", err=True)
        sys.exit(EXIT_INVALID_RECORDS)
    sys.exit(EXIT_OK)
