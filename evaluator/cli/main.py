"""The `evaluator` command: a thin click layer over the library.

Exit codes:
  0  every record evaluated (validate: the policies are valid)
  1  some records were invalid; each appears as an error record, every other one is evaluated
  2  usage error, unreadable input, an invalid policy, or the environment's error (a closed
     standard stream, a full disk: `cannot write FILE: ...`, not enough memory, threads or
     processes: `not enough memory to finish`, also when too short of memory to start)
  3  internal error (the engine misbehaved); a bug to report
No user error prints a traceback; set EVALUATOR_DEBUG=1 to see one for an internal error.
"""
from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import sys
from typing import Any, Iterator

import click

from ..version import __version__
from .. import compiled
from ..errors import EXIT_INVALID_RECORDS, EXIT_OK, EXIT_USAGE, EvaluatorError, OutputError, PolicyError, ResourceError
from ..evaluate.evaluator import Evaluator
from ..load.policyfile import read_document, validate_document
from ..model.fields import FieldWatch
from ..model.decision import DETAILS, FULL
from ..model.policy import Policy
from ..load.records import records_from_path
from ..load.parquet import SUFFIXES as PARQUET_SUFFIXES, is_parquet
from ..explain.near import near_writer
from ..output.trailer import DigestingText
from ..output.writers import WRITE_FAILURES, WRITERS, exit_cleanly_on_signals, output_writer, text_safe_stdout
from ..render.text import visible, visible_lines
from ..resources import schema as shipped_schema
from .options import (as_of_from, as_of_option, csv_raw_option, default_jobs, exceptions_option,
                      input_format_option, output_option, output_to, outside_window_option, policy_from,
                      policy_option, previous_option, state_from, strict_fields_option)
from .streams import STDOUT, flush_stdout, guard_standard_streams, silence_stdout, stdin_hint


class _Counter:
    """Counts invalid records as results stream past, without holding them."""

    def __init__(self, results: Iterator[Any]):
        self.results, self.invalid, self.total = results, 0, 0

    def __iter__(self) -> Iterator[Any]:
        for result in self.results:
            self.total += 1
            if not result.ok:
                self.invalid += 1
            yield result


class _ReaderGone(Exception):
    """The reader of our output went away (`| head`): not an error of ours."""


def first_sentence(text: str) -> str:
    """The first sentence of a help text, whole, on one line."""
    words = " ".join(text.split("\n\n", 1)[0].split())
    end = words.find(". ")
    return words if end < 0 else words[:end + 1]


class _LazyGroup(click.Group):
    """The commands of EXTRA_COMMANDS are imported when they are run or listed, not at start-up:
    `evaluate` does not pay for the modules of diff, report or test (about 0.1 s of its start-up)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *EXTRA_COMMANDS})

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:  # click would exit 1 on it, which here means "records invalid"
            raise _ReaderGone() from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with the whole first sentence of its help (click cuts it at ~45 characters)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.short_help or first_sentence(command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in EXTRA_COMMANDS and name not in self.commands:
            import importlib
            module, attribute = EXTRA_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module, __package__), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evaluator",
                      message=f"%(prog)s, version %(version)s ({'compiled' if compiled() else 'pure Python'})")
def cli() -> None:
    """Evaluate channel partners against a partner program written as a JSON policy."""


@cli.command()
@click.argument("policies", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for editors and CI.")
@click.option("--strict", is_flag=True, help="Treat warnings of the static checks as errors.")
@click.option("--exceptions", "exceptions", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="Also check an exceptions file against the policy (of a folder: the version in force at --as-of).")
@as_of_option
def validate(policies: tuple[str, ...], fmt: str, strict: bool, exceptions: str | None = None,
             as_of: str | None = None) -> None:
    """Check POLICY files (or folders of versions of one program) against the policy schema, the
    semantic checks and the static checks; a folder's versions also as one program (one id, no
    overlapping windows; a gap is a warning).

    Prints every problem as FILE:LINE:COLUMN with its JSON Pointer, what was expected and what was
    found, as an error or a warning. Exit 0 when there are no errors (with --strict: no warnings
    either), 2 otherwise."""
    from .versions import validation_report
    report = []
    failed = False
    for path, findings in validation_report(policies, exceptions, as_of_from(as_of)):
        if strict:
            import dataclasses
            findings = [dataclasses.replace(f, severity="error") for f in findings]
        errors = [f for f in findings if f.severity == "error"]
        failed = failed or bool(errors)
        report.append((path, findings))
    if fmt == "json":
        click.echo(json.dumps([{"file": p, "valid": not any(f.severity == "error" for f in fs),
                                "findings": [f.to_dict() for f in fs]} for p, fs in report], indent=2))
    else:
        for path, findings in report:
            for finding in findings:
                click.echo(visible_lines(finding.show()), err=True)  # a policy's text shown harmlessly
            error_count = sum(f.severity == "error" for f in findings)
            warnings = len(findings) - error_count
            status = f"{error_count} error(s)" if error_count else "valid"
            click.echo(f"{visible(path)}: {status}" + (f", {warnings} warning(s)" if warnings else ""),
                       err=bool(error_count))
    sys.exit(2 if failed else EXIT_OK)


@cli.command()
@policy_option
@click.option("--format", "fmt", type=click.Choice(sorted([*WRITERS, "parquet"])), default=None,
              help="Output format. Default: parquet for -o FILE.parquet, table on a terminal, else jsonl.")
@output_option
@input_format_option
@as_of_option
@click.option("--detail", type=click.Choice(DETAILS), default=FULL, show_default=True,
              help="How much of each decision to write: tier (the tier alone), summary (the tier, its benefits and "
                   "what the next tier still needs, as text) or full (every tier, criterion, check and shortfall).")
@click.option("--with-input", is_flag=True, help="Record each input record in its decision (what `replay` re-evaluates).")
@click.option("--near", metavar="PERCENT", type=click.FloatRange(min=0), default=None,
              help="Instead of decisions, list partners within PERCENT of the next tier or less than PERCENT above "
                   "their own tier's thresholds (at risk).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Worker processes (0: one per CPU); the output is the same bytes. Default: one per CPU for an "
                   "input file of 2 MB or more (about 13,000 partners) written as jsonl, csv or json, else 1.")
@csv_raw_option
@click.option("--no-trailer", "no_trailer", is_flag=True,
              help="With --with-input and jsonl: leave out the last line that lets `replay` verify the run is "
                   "complete (its record count and the lines' sha256).")
@outside_window_option
@previous_option
@exceptions_option
@strict_fields_option
@click.argument("facts", default="-", metavar="[FACTS|-]")
def evaluate(policy_path: str | None, fmt: str | None, output: str | None, input_format: str, as_of: str | None,
             facts: str, with_input: bool = False, near: float | None = None, jobs: int | None = None,
             csv_raw: bool = False, no_trailer: bool = False, outside_window: bool = False,
             previous: str | None = None, exceptions: str | None = None, strict_fields: bool = False,
             detail: str = FULL) -> None:
    """Decide the tier of every partner in FACTS (JSON, JSONL, CSV or Parquet; '-' or nothing for stdin).

    One decision per input record, in input order; an invalid record becomes an error record with
    its line or row and the problem, and the others are still evaluated (exit 1).

    Time: POLICY may be a folder of versions of one program (the version in force at --as-of is
    used); a date outside the policy's effective window is refused (exit 2) unless
    --outside-window; --previous applies the policy's transition rules to the last review's tiers;
    --exceptions applies governed one-off tiers (docs/time.md)."""
    if detail != FULL and (with_input or near is not None):
        raise click.UsageError(f"--detail {detail} cannot be combined with "
                               + ("--with-input: `replay` re-evaluates full decisions" if with_input else
                                  "--near, which lists near misses instead of decisions"))
    date = as_of_from(as_of)
    policy, options = state_from(policy_path, date, outside_window, previous, exceptions)
    stdin_hint(facts)
    if fmt is None:
        if output is not None and output.lower().endswith(PARQUET_SUFFIXES):
            fmt = "parquet"
        else:
            fmt = "table" if output is None and sys.stdout.isatty() else "jsonl"
    if fmt == "parquet" and near is not None:
        raise click.UsageError("--near lists partners as table, jsonl, csv or json, not parquet")
    # decisions written for replay end with a trailer (output/trailer.py) where the format allows
    trailer = with_input and fmt == "jsonl" and near is None and not no_trailer
    if jobs is None:
        jobs = default_jobs(facts, fmt)
    parquet = fmt == "parquet" or input_format == "parquet" or (input_format == "auto" and is_parquet(facts))
    if jobs != 1 and parquet:
        click.echo("note: --jobs splits JSONL, CSV and JSON; Parquet is evaluated in one process here "
                   "(past one machine: docs/scale.md)", err=True)
    if jobs != 1 and near is None and fmt != "table" and not strict_fields and not parquet:
        from ..fast.parallel import evaluate_parallel
        with output_to(output) as out:
            counter: Any = evaluate_parallel(policy, facts, input_format, fmt, out, jobs=jobs, as_of=date,
                                             with_input=with_input, csv_raw=csv_raw, trailer=trailer, options=options,
                                             detail=detail)
    else:
        counter = _evaluate_here(policy, facts, input_format, fmt, output, date, with_input, near,
                                 csv_raw, trailer, options, strict_fields, detail)
    _evaluated(counter, facts)


def _evaluate_here(policy: Policy, facts: str, input_format: str, fmt: str, output: str | None,
                   as_of: _dt.date | None, with_input: bool, near: float | None, csv_raw: bool = False,
                   trailer: bool = False, options: dict[str, Any] | None = None,
                   strict_fields: bool = False, detail: str = FULL) -> "_Counter":
    evaluator = Evaluator(policy, as_of=as_of, with_input=with_input, **(options or {}))
    watch = FieldWatch(policy, strict_fields)
    try:
        if fmt == "parquet":
            from ..output.parquet import write_parquet
            counter = _Counter(iter(()))
            with output_to(output) as out:
                counter.total, counter.invalid = write_parquet(evaluator, watch.watch(records_from_path(facts, input_format)),
                                                               out)
        else:
            counter = _evaluate_watched(evaluator, watch, policy, facts, input_format, fmt, output, near, csv_raw,
                                        trailer, detail)
    finally:
        evaluator.close()
    note = watch.report()
    if note:
        click.echo(note, err=True)
    return counter


def _evaluate_watched(evaluator: Evaluator, watch: FieldWatch, policy: Policy, facts: str, input_format: str,
                      fmt: str, output: str | None, near: float | None, csv_raw: bool, trailer: bool,
                      detail: str = FULL) -> "_Counter":
    if fmt == "jsonl" and near is None:  # the common case, written from per-encoding templates
        from ..fast.lane import write_jsonl
        counter = _Counter(iter(()))
        with output_to(output) as out:
            target: Any = DigestingText(out) if trailer else out
            counter.total, counter.invalid = write_jsonl(evaluator, watch.watch(records_from_path(facts, input_format)),
                                                         target, detail)
            if trailer:
                target.finish()
        return counter
    counter = _Counter(evaluator.evaluate_many(watch.watch(records_from_path(facts, input_format))))
    with output_to(output) as out:
        write = output_writer(fmt, csv_raw=csv_raw, detail=detail) if near is None else \
            near_writer(fmt, near, csv_raw)
        write(counter, out, policy)
    return counter


def _evaluated(counter: Any, facts: str) -> None:
    if counter.total == 0:
        click.echo(f"note: no partner records in {facts if facts != '-' else 'standard input'}", err=True)
    if counter.invalid:
        click.echo(f"{counter.invalid} of {counter.total} records invalid", err=True)
        sys.exit(EXIT_INVALID_RECORDS)


@cli.command()
@click.argument("which", type=click.Choice(["policy", "facts", "decision"]))
@policy_option
def schema(which: str, policy_path: str | None) -> None:
    """Print a JSON Schema: the policy language, the partner facts of a policy, or a decision."""
    if which == "facts":
        from ..language.facts import facts_schema
        data = facts_schema(policy_from(policy_path))
    else:
        data = shipped_schema(which)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# Commands that live in modules of their own: command name -> "module:attribute" (a click
# command), imported when used (_LazyGroup), so adding one is one line here.
EXTRA_COMMANDS: dict[str, str] = {
    "explain": ".explain:explain",
    "replay": ".replay:replay",
    "diff": ".impact:diff",
    "report": ".impact:report",
    "test": ".authoring:test",
    "doc": ".authoring:doc",
    "serve": ".serve:serve",
}


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the CLI and turns every error into a message and an exit
    code; standard output is flushed before exiting, so a full disk is reported, not lost."""
    guard_standard_streams()  # a closed stdin or stdout: `cannot read/write ...`, exit 2, when used
    exit_cleanly_on_signals()  # SIGTERM/SIGHUP unwind like errors: no temporary output file left
    text_safe_stdout()
    code = _run(argv)
    try:
        flush_stdout()
    except OutputError as exc:
        click.echo(visible_lines(exc.show()), err=True)
        code = EXIT_USAGE
    except BrokenPipeError:
        silence_stdout()
    sys.exit(code)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return EXIT_OK
    if isinstance(exc.code, int):
        return exc.code
    click.echo(str(exc.code), err=True)
    return 1


def _run(argv: list[str] | None) -> int:
    """The command's exit code; every error shown as a message (visible: data holds no escape)."""
    try:
        cli.main(args=argv, prog_name="evaluator", standalone_mode=False)
    except SystemExit as exc:  # a command's sys.exit(code)
        return _exit_code(exc)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except EvaluatorError as exc:
        click.echo(visible_lines(exc.show()), err=True)
        return exc.exit_code
    except (BrokenPipeError, _ReaderGone):
        silence_stdout()  # the reader went away (e.g. `| head`): not an error of ours
        return EXIT_OK
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except MemoryError:
        return _resource("memory")
    except RuntimeError as exc:
        if "can't start new thread" not in str(exc):
            return _internal(exc)
        return _resource("memory or threads")
    except OSError as exc:
        if exc.errno in (errno.ENOMEM, errno.EAGAIN):  # a fork or a mapping refused
            return _resource("memory or processes")
        if exc.errno in WRITE_FAILURES:  # a write outside output_to (click.echo): standard output's
            silence_stdout()
            click.echo(f"error: cannot write {STDOUT}: {exc.strerror}", err=True)
            return EXIT_USAGE
        return _internal(exc)
    except Exception as exc:  # an internal error: short message, traceback only on request
        return _internal(exc)
    return EXIT_OK


def _resource(what: str) -> int:
    error = ResourceError(what)
    try:
        click.echo(visible_lines(error.show()), err=True)
    except MemoryError:  # pragma: no cover - not even memory for the message
        pass
    return error.exit_code


def _internal(exc: Exception) -> int:
    if os.environ.get("EVALUATOR_DEBUG"):
        raise exc
    click.echo(f"internal error: {type(exc).__name__}: {exc} (set EVALUATOR_DEBUG=1 for details)", err=True)
    return 3


if __name__ == "__main__":  # pragma: no cover
    main()
