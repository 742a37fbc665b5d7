"""Environment errors are the environment's, not bugs (docs/bad-input.md, "Environment"): a closed
standard output or input, a full disk (`/dev/full`) give `cannot write FILE: ...` or `cannot read
standard input: ...` and exit 2, never `internal error` (exit 3), and no output is lost silently."""
from __future__ import annotations

import os
import subprocess

import pytest

from conftest import EVALUATOR_BIN, EXAMPLES, REPO, SHIPPED

FACTS = str(EXAMPLES / "partners.csv")
SHELL = "/bin/sh"


def _sh(command: str, *, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`command` through a shell (for `>&-` and `<&-`), with $E the installed console script."""
    env = dict(os.environ, E=str(EVALUATOR_BIN))
    env.pop("EVALUATOR_DEBUG", None)
    proc = subprocess.run([SHELL, "-c", command], input=stdin, capture_output=True, cwd=REPO, env=env, timeout=120)
    proc.stderr_text = proc.stderr.decode("utf-8", "replace")  # type: ignore[attr-defined]
    return proc


COMMANDS = [
    f'"$E" evaluate {FACTS}',
    f'"$E" evaluate --format table {FACTS}',
    f'"$E" evaluate --jobs 2 {FACTS}',
    f'"$E" validate {SHIPPED}',
    f'"$E" explain {FACTS}',
    f'"$E" report {FACTS}',
    f'"$E" diff {SHIPPED} {SHIPPED} {FACTS}',
    '"$E" schema policy',
    f'"$E" test {SHIPPED}',
    f'"$E" doc {SHIPPED}',
    '"$E" --version',
]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_standard_output_is_an_environment_error(command):
    proc = _sh(command + " >&-")
    assert proc.returncode == 2, proc.stderr_text
    assert "cannot write standard output" in proc.stderr_text
    assert "internal error" not in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_a_closed_standard_output_is_no_error_when_the_output_goes_to_a_file(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = _sh(f'"$E" evaluate -o {out} {FACTS} >&-')
    assert proc.returncode == 0, proc.stderr_text
    assert len(out.read_text().splitlines()) == 25


@pytest.mark.parametrize("command", ['"$E" evaluate', '"$E" evaluate --jobs 2 -', '"$E" explain -',
                                     '"$E" report -', '"$E" replay -'])
def test_a_closed_standard_input_is_an_environment_error(command):
    proc = _sh(command + " <&-")
    assert proc.returncode == 2, proc.stderr_text
    assert "cannot read standard input" in proc.stderr_text
    assert "internal error" not in proc.stderr_text and "Traceback" not in proc.stderr_text


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command, name", [
    (f'"$E" evaluate -o /dev/full {FACTS}', "/dev/full"),
    (f'"$E" evaluate {FACTS} > /dev/full', "standard output"),
    (f'"$E" evaluate --format csv {FACTS} > /dev/full', "standard output"),
    (f'"$E" evaluate --jobs 2 {FACTS} > /dev/full', "standard output"),
    (f'"$E" evaluate --jobs 2 -o /dev/full {FACTS}', "/dev/full"),
    (f'"$E" validate {SHIPPED} > /dev/full', "standard output"),
    (f'"$E" report {FACTS} -o /dev/full', "/dev/full"),
    (f'"$E" explain {FACTS} > /dev/full', "standard output"),
    ('"$E" schema policy > /dev/full', "standard output"),
    (f'"$E" doc -o /dev/full {SHIPPED}', "/dev/full"),
])
def test_a_full_disk_is_cannot_write_exit_2(command, name):
    proc = _sh(command)
    assert proc.returncode == 2, proc.stderr_text
    assert f"cannot write {name}: No space left on device" in proc.stderr_text
    assert "internal error" not in proc.stderr_text and "Traceback" not in proc.stderr_text
    assert "Exception ignored" not in proc.stderr_text


def test_a_reader_that_goes_away_is_still_no_error():
    proc = _sh(f'"$E" evaluate --format table {FACTS} | head -1')
    assert proc.returncode == 0 and proc.stderr_text == ""


def test_the_library_writer_reports_a_full_device(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    from evaluator.errors import EvaluatorError
    from evaluator.output.writers import atomic_output
    with pytest.raises(EvaluatorError, match="cannot write /dev/full: No space left on device"):
        with atomic_output("/dev/full") as out:
            out.write("x" * 100_000)
