"""What the commands share: the options that read partners and write results (defined once), and
turning their values into a policy, a date and an output stream."""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import stat
import sys
from typing import IO, Any, Iterator

import click

from ..load.policyfile import load_policy
from ..load.records import FORMATS
from ..model.policy import Policy
from ..errors import OutputError
from ..output.writers import WRITE_FAILURES, atomic_output
from ..resources import default_policy_path
from .streams import STDOUT, flush_stdout, silence_stdout


def policy_from(path: str | None, as_of: _dt.date | None = None) -> Policy:
    """The policy of POLICY; of a folder of versions, the version in force at `as_of` (default: today)."""
    if path is not None and os.path.isdir(path):
        from ..evaluate.versions import load_program
        return load_program(path).at(as_of or _dt.datetime.now(_dt.timezone.utc).date())
    return load_policy(path or default_policy_path())


def state_from(policy_path: str | None, as_of: _dt.date | None, outside_window: bool = False,
               previous: str | None = None, exceptions: str | None = None) -> tuple[Policy, dict[str, Any]]:
    """The policy in force and the Evaluator's keyword arguments for the time options: the
    version in force (of a folder of versions), the window allowed or not, the last review's
    decisions and the exceptions (their warnings, what is not in force, said once on stderr)."""
    from ..evaluate.versions import check_in_force, load_program
    date = as_of or _dt.datetime.now(_dt.timezone.utc).date()
    versions: tuple[Policy, ...] = ()
    if policy_path is not None and os.path.isdir(policy_path):
        program = load_program(policy_path)
        policy, versions = program.at(date), program.versions
    else:
        policy = policy_from(policy_path)
    if not outside_window:
        check_in_force(policy, date)
    options: dict[str, Any] = {"outside_window": outside_window}
    if previous is not None:
        from ..tools.history import load_history
        options["history"] = load_history(previous, versions)
    if exceptions is not None:
        from ..evaluate.exceptions import checked, read_exceptions
        from ..render.text import visible_lines
        options["exceptions"] = found = checked(read_exceptions(exceptions), policy)
        for finding in found.not_in_force(date):
            click.echo(visible_lines(finding.show()), err=True)
    return policy, options


def as_of_from(value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, found {value!r}", param_hint="--as-of") from None


@contextlib.contextmanager
def output_to(path: str | None) -> Iterator[IO[str]]:
    """Standard output or FILE (atomic_output); a full disk is `cannot write ...` (exit 2)."""
    if path is None or path == "-":
        try:
            yield sys.stdout
            flush_stdout()
        except OSError as exc:
            if exc.errno not in WRITE_FAILURES:
                raise
            silence_stdout()
            raise OutputError(f"cannot write {STDOUT}: {exc.strerror}") from None
    else:
        with atomic_output(path) as fh:
            yield fh


# Options shared by the commands that read partners and write results (defined once here).
input_format_option = click.option("--input-format", type=click.Choice(FORMATS), default="auto", show_default=True,
                                   help="Format of FACTS; auto uses the file extension, else the content.")
as_of_option = click.option("--as-of", "as_of", metavar="DATE", default=None,
                            help="Evaluation date for date measures (default: today, UTC). Recorded in decisions "
                                 "that use it.")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
                             help="Write to FILE (atomically: replaced only when the run completes).")
policy_option = click.option("--policy", "-p", "policy_path", metavar="POLICY", type=click.Path(),
                             help="Policy file, or a folder of versions of one program (the version in force at the "
                                  "evaluation date is used). Default: the shipped MessageLabs APAC program.")
outside_window_option = click.option("--outside-window", "outside_window", is_flag=True,
                                     help="Evaluate even at a date outside the policy's effective window (refused "
                                          "otherwise, exit 2); each decision then says so (policy.outside_window).")
previous_option = click.option("--previous", "previous", metavar="DECISIONS", type=click.Path(dir_okay=False),
                               help="The last review's decisions (what evaluate wrote), by partner id: the policy's "
                                    "transition rules (grace, steps down) decide the tier held; each decision records "
                                    "the previous tier and the transition (standing).")
exceptions_option = click.option("--exceptions", "exceptions", metavar="FILE", type=click.Path(dir_okay=False),
                                 help="An exceptions file (schemas/exceptions.schema.json): one-off tiers granted to "
                                      "partners, with approver, reason, ticket and expiry, named in each decision "
                                      "they make. Expired ones are not applied (said once on stderr).")
csv_raw_option = click.option("--csv-raw", "csv_raw", is_flag=True,
                              help="CSV: write cells as they are. By default a text cell that a spreadsheet would run "
                                   "as a formula (starting with = + - @) gets a leading ' and control characters are "
                                   "shown as escapes (docs/bad-input.md).")
strict_fields_option = click.option(
    "--strict-fields", "strict_fields", is_flag=True,
    help="A record holding a field the policy does not know (neither a fact nor an alias) is an error record. "
         "Without it such fields are ignored and named once on stderr.")


# `evaluate --jobs` by default: one worker per usable CPU for an input file of at least this size
# (about 13,000 partners of the shipped program), else one process. Below it a run is mostly
# start-up and each worker's first decisions of every encoding, and a second process gains
# nothing (docs/performance.md has the figures).
AUTO_JOBS_MIN_BYTES = 2 * 1024 * 1024
PARALLEL_FORMATS = ("jsonl", "csv", "json")


def default_jobs(facts: str, fmt: str) -> int:
    """--jobs when not given: one per usable CPU for a regular file of AUTO_JOBS_MIN_BYTES or more
    written as jsonl, csv or json; 1 for standard input, a pipe, a small file or a table."""
    if facts == "-" or fmt not in PARALLEL_FORMATS:
        return 1
    try:
        info = os.stat(facts)
    except OSError:
        return 1  # reported by the reader, as when --jobs 1 is given
    if not stat.S_ISREG(info.st_mode) or info.st_size < AUTO_JOBS_MIN_BYTES:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
