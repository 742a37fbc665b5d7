"""Output files are written atomically: a run that fails midway, is interrupted or is killed
leaves the existing --output file exactly as it was and no half-written file; a run that
succeeds replaces it whole (keeping its permissions, writing through a symlink)."""
from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from evaluator.errors import EvaluatorError
from evaluator.output.writers import atomic_output

from conftest import EVALUATOR_BIN, REPO

RECORD = '{"partner_id": "P%d", "annual_sales_usd": %d, "referrals_this_year": 1}\n'
PREVIOUS = "yesterday's decisions: must survive any failed run\n"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".evaluator-"))


def jsonl(n: int) -> str:
    return "".join(RECORD % (i, i * 1000) for i in range(n))


# --- the library ---------------------------------------------------------------------------

def test_an_error_midway_leaves_the_file_untouched(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(PREVIOUS)
    with pytest.raises(RuntimeError):
        with atomic_output(str(out)) as fh:
            fh.write("half a run\n" * 1000)
            fh.flush()
            assert leftovers(tmp_path), "the new content goes to a temporary file beside the output"
            raise RuntimeError("midway")
    assert out.read_text() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_success_replaces_the_file_whole_and_keeps_its_mode(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(PREVIOUS)
    out.chmod(0o640)
    with atomic_output(str(out)) as fh:
        fh.write("new\n")
        assert out.read_text() == PREVIOUS, "not visible before the run completes"
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_default_mode(tmp_path):
    out = tmp_path / "new.jsonl"
    old = os.umask(0o022)
    try:
        with atomic_output(str(out)) as fh:
            fh.write("x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_a_symlink_is_written_through_not_replaced(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text(PREVIOUS)
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with atomic_output(str(link)) as fh:
        fh.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_device_is_written_directly_not_replaced(tmp_path):
    with atomic_output(os.devnull) as fh:
        fh.write("discarded\n")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "/dev/null is still a device"


def test_an_unwritable_place_is_a_clear_error(tmp_path):
    with pytest.raises(EvaluatorError, match="cannot write"):
        with atomic_output(str(tmp_path / "no" / "such" / "dir.jsonl")):
            pass


# --- the CLI -------------------------------------------------------------------------------

def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_run_that_fails_midway_does_not_truncate_the_output(tmp_path):
    """The disk fills up (a file-size limit) after a few hundred decisions have been written."""
    out = tmp_path / "decisions.jsonl"
    out.write_text(PREVIOUS)
    facts = tmp_path / "partners.jsonl"
    facts.write_text(jsonl(400))
    proc = subprocess.run([str(EVALUATOR_BIN), "evaluate", str(facts), "--output", str(out)], cwd=REPO,
                          capture_output=True, timeout=120, preexec_fn=_limit_file_size(64 * 1024))
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert f"cannot write {out}: File too large; {out} is unchanged" in stderr and "Traceback" not in stderr
    assert out.read_text() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_a_run_that_fails_before_writing_does_not_truncate_the_output(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    out.write_text(PREVIOUS)
    bad_policy = tmp_path / "p.json"
    bad_policy.write_text('{"id": ')
    for args in (["--policy", str(bad_policy), "-"], [str(tmp_path / "missing.csv")]):
        proc = cli("evaluate", *args, "--output", str(out), input=jsonl(3))
        assert proc.returncode == 2
        assert out.read_text() == PREVIOUS and leftovers(tmp_path) == []


def _start_and_wait_for_temporary(tmp_path: Path, out: Path) -> subprocess.Popen:
    """An evaluation reading stdin that has written part of its output and waits for more input."""
    proc = subprocess.Popen([str(EVALUATOR_BIN), "evaluate", "-", "--output", str(out)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(jsonl(300).encode())
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        temporary = leftovers(tmp_path)
        if temporary and (tmp_path / temporary[0]).stat().st_size > 0:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the run never started writing")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGHUP, 128 + signal.SIGHUP),
                                          (signal.SIGINT, 130)])
def test_an_interrupted_run_leaves_the_output_and_no_temporary_file(tmp_path, signum, code):
    out = tmp_path / "decisions.jsonl"
    out.write_text(PREVIOUS)
    proc = _start_and_wait_for_temporary(tmp_path, out)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert out.read_text() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_a_killed_run_never_leaves_a_half_output_file(tmp_path):
    """SIGKILL cannot be caught: the output file is still the old one, whole; at most the hidden
    temporary file is left behind (and a later run does not trip over it)."""
    out = tmp_path / "decisions.jsonl"
    out.write_text(PREVIOUS)
    proc = _start_and_wait_for_temporary(tmp_path, out)
    proc.kill()
    proc.communicate(timeout=60)
    assert out.read_text() == PREVIOUS
    facts = tmp_path / "partners.jsonl"
    facts.write_text(jsonl(5))
    done = subprocess.run([str(EVALUATOR_BIN), "evaluate", str(facts), "--output", str(out)], cwd=REPO,
                          capture_output=True, timeout=120)
    assert done.returncode == 0
    assert [json.loads(line)["partner_id"] for line in out.read_text().splitlines()] == [f"P{i}" for i in range(5)]


def test_output_is_complete_when_the_run_succeeds(cli, tmp_path):
    out = tmp_path / "decisions.csv"
    out.write_text(PREVIOUS)
    facts = tmp_path / "partners.jsonl"
    facts.write_text(jsonl(50))
    proc = cli("evaluate", str(facts), "--format", "csv", "--output", str(out))
    assert proc.returncode == 0 and proc.stdout_text == ""
    lines = out.read_text().splitlines()
    assert len(lines) == 51 and lines[0].startswith("partner_id,")
    assert leftovers(tmp_path) == []


def test_invalid_records_still_produce_a_complete_file(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    facts = tmp_path / "partners.jsonl"
    facts.write_text(jsonl(3) + "{broken\n" + jsonl(2))
    proc = cli("evaluate", str(facts), "--output", str(out))
    assert proc.returncode == 1
    assert len(out.read_text().splitlines()) == 6
