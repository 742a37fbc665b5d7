"""The `replay` command: re-evaluate recorded decisions and report those that would now differ.

Thin click layer over tools/replay.py. Exit codes: 0 every recorded decision is reproduced and the
file's end is verified; 1 some differ, were tampered with, carry no input, cannot be read, decide a
partner twice, or the file is incomplete (each is reported); 2 usage error, unreadable file, or
invalid policy. Text output shows the data's control characters harmlessly (render.text).
"""
from __future__ import annotations

import json
import sys
from typing import IO, Any, Iterable

import click

import os

from ..evaluate.exceptions import read_exceptions
from ..evaluate.versions import Program, load_program
from ..tools.history import load_history
from .options import as_of_from, exceptions_option, output_to, policy_from, policy_option, previous_option
from ..errors import EXIT_INVALID_RECORDS
from ..model.policy import Policy
from ..render.text import visible
from ..tools.replay import INCOMPLETE, SAME, STATUSES, Replayed, Replayer
from ..explain.shortfall import show


# how each status reads in the summary line ("3 differ, 1 tampered")
WORDS = {"same": "same", "differs": "differ", "tampered": "tampered", "no_input": "without input",
         "unreadable": "unreadable", "duplicate": "duplicate", "incomplete": "incomplete"}


def _where(item: Replayed) -> str:
    source = item.source or {}
    where = str(source.get("file", "<input>"))
    if "line" in source:
        where += f":{source['line']}"
    return where + (f": {item.partner_id}" if item.partner_id else "")


def _policy_text(ref: dict[str, Any]) -> str:
    return f"{ref.get('id')} {ref.get('version')} (sha256 {ref.get('sha256')})"


def write_text(items: Iterable[Replayed], out: IO[str], policy: Policy) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    recorded: dict[str, dict[str, Any]] = {}
    for item in items:
        counts[item.status] += 1
        if item.recorded_policy is not None:
            recorded.setdefault(json.dumps(item.recorded_policy, sort_keys=True), item.recorded_policy)
        if item.status == SAME:
            continue
        detail = item.message or "; ".join(f"{d.at}: {show(d.recorded)} -> {show(d.now)}" for d in item.differences)
        out.write(visible(f"{_where(item)}: {item.status.replace('_', ' ')}: {detail}") + "\n")
    total = sum(n for status, n in counts.items() if status != INCOMPLETE)
    parts = [f"{n} {WORDS[status]}" for status, n in counts.items() if n and status != INCOMPLETE]
    out.write(f"{total} decision(s) replayed: {', '.join(parts) if parts else 'none'}"
              + (f"; the file is incomplete ({counts[INCOMPLETE]} problem(s) above)" if counts[INCOMPLETE] else "")
              + "\n")
    for ref in recorded.values():
        out.write(visible(f"policy changed: recorded {_policy_text(ref)}, now {_policy_text(policy.ref)}") + "\n")
    return counts


def write_jsonl(items: Iterable[Replayed], out: IO[str], policy: Policy) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for item in items:
        counts[item.status] += 1
        out.write(json.dumps(item.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")
    return counts


WRITERS = {"text": write_text, "jsonl": write_jsonl}


@click.command(short_help="Re-evaluate recorded decisions and report every one not reproduced exactly.")
@click.argument("decisions", metavar="DECISIONS")
@policy_option
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="text", show_default=True,
              help="text: the decisions that differ and a summary; jsonl: one result per recorded decision.")
@click.option("--outcome-only", "outcome_only", is_flag=True,
              help="Compare only what was decided (partner, tier, override, benefits, every status), not every "
                   "field: what a new policy would change.")
@click.option("--strict", is_flag=True, hidden=True, help="Compare every field (the default; kept for old scripts).")
@click.option("--no-trailer", "no_trailer", is_flag=True,
              help="Accept decisions without the trailer `evaluate --with-input` writes last (then a deleted last "
                   "decision goes unnoticed); a trailer that is there is still checked.")
@click.option("--as-of", "as_of", metavar="DATE", default=None,
              help="Evaluation date for decisions that do not record one (default: today, UTC).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE (atomically).")
@previous_option
@exceptions_option
def replay(decisions: str, policy_path: str | None, fmt: str, outcome_only: bool, strict: bool, no_trailer: bool,
           as_of: str | None, output: str | None, previous: str | None = None, exceptions: str | None = None) -> None:
    """Re-evaluate the inputs recorded in DECISIONS (JSONL written by `evaluate --with-input`, or a
    JSON array with --no-trailer; '-' for stdin) under POLICY and report every decision that is not
    reproduced field for field, every recorded input that no longer matches its input_sha256
    (tampered), every partner decided twice, and a file whose trailer does not account for every
    line (incomplete). Exit 1 if any."""
    policy: Policy | Program
    if policy_path is not None and os.path.isdir(policy_path):
        policy = load_program(policy_path)
        versions = policy.versions
    else:
        policy = policy_from(policy_path)
        versions = ()
    options: dict[str, Any] = {}
    if previous is not None:
        options["history"] = load_history(previous, versions)
    if exceptions is not None:
        options["exceptions"] = read_exceptions(exceptions)
    with Replayer(policy, as_of=as_of_from(as_of), outcome_only=outcome_only, strict=strict,
                  options=options) as replayer:
        results = replayer.replay_file(decisions, require_trailer=not no_trailer)
        with output_to(output) as out:
            counts = WRITERS[fmt](results, out, replayer.policy)
    if sum(counts.values()) - counts[SAME]:
        sys.exit(EXIT_INVALID_RECORDS)
