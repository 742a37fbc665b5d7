"""A run killed by SIGKILL leaves its hidden temporary output beside the target; the next run into
that folder removes it once its writer is provably gone (no lock held, its process not running),
reports one it cannot prove abandoned, and never touches one a live run is writing
(docs/bad-input.md, "Environment")."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time

import pytest

from evaluator.output.tempfiles import clean_stale, prefix

from conftest import EVALUATOR_BIN, EXAMPLES, REPO

RECORD = json.dumps({"partner_id": "P", "annual_sales_usd": 150000, "regions": ["ANZ", "ASEAN"]}) + "\n"


def _temporaries(folder):
    return sorted(p for p in folder.iterdir() if p.name.startswith(".evaluator-"))


def _writer(out):
    """A run writing `out` from a stdin left open: it is alive, its temporary file exists."""
    proc = subprocess.Popen([str(EVALUATOR_BIN), "evaluate", "-o", str(out), "--input-format", "jsonl", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdin is not None
    proc.stdin.write(RECORD.encode() * 2000)  # more than the file's buffer: bytes reach the disk
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in _temporaries(out.parent)):
        assert time.monotonic() < deadline, "the writer made no temporary file"
        time.sleep(0.05)
    return proc


def test_a_killed_runs_temporary_output_is_removed_by_the_next_run(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    killed = _writer(out)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    (left,) = _temporaries(tmp_path)
    assert left.stat().st_size > 0 and not out.exists()
    proc = cli("evaluate", "-o", str(out), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0
    assert f"note: removed {left}, the temporary output of a run that was stopped (pid {killed.pid};" \
        in proc.stderr_text
    assert _temporaries(tmp_path) == [] and len(out.read_text().splitlines()) == 25


def test_a_live_runs_temporary_output_is_left_alone(cli, tmp_path):
    out = tmp_path / "decisions.jsonl"
    live = _writer(out)
    try:
        (busy,) = _temporaries(tmp_path)
        other = tmp_path / "other.jsonl"
        proc = cli("evaluate", "-o", str(other), str(EXAMPLES / "partners.csv"))
        assert proc.returncode == 0 and "note:" not in proc.stderr_text
        assert busy.exists()
    finally:
        live.stdin.close()  # type: ignore[union-attr]
        assert live.wait(120) == 0
    assert len(out.read_text().splitlines()) == 2000 and _temporaries(tmp_path) == []


def test_an_older_temporary_file_is_reported_not_removed(cli, tmp_path):
    older = tmp_path / ".evaluator-k3j2h1g0.tmp"
    older.write_text("half a run")
    proc = cli("evaluate", "-o", str(tmp_path / "out.jsonl"), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0
    assert f"note: {older} (10 bytes) looks like the temporary output of an interrupted run" in proc.stderr_text
    assert older.exists()


def _named(folder, pid, start, boot):
    path = folder / f".evaluator-{pid}-{start}-{boot}-abc123.tmp"
    path.write_text("x")
    return path


def test_only_a_provably_abandoned_file_is_removed(tmp_path):
    notes: list[str] = []
    mine = prefix()  # .evaluator-PID-START-BOOT-
    pid, start, boot = mine[len(".evaluator-"):-1].split("-")
    reused = _named(tmp_path, pid, int(start) + 1, boot)     # this PID, but another process's start time
    running = _named(tmp_path, pid, start, boot)             # this very process: alive
    rebooted = _named(tmp_path, pid, start, "ffffffff" if boot != "ffffffff" else "eeeeeeee")
    locked = _named(tmp_path, 4_000_000, 1, boot)            # no such process, but its lock is held
    fd = os.open(locked, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        clean_stale(str(tmp_path), notes.append)
    finally:
        os.close(fd)
    assert not reused.exists() and not rebooted.exists()
    assert running.exists() and locked.exists()
    assert len(notes) == 2 and all(n.startswith("removed ") for n in notes)
    clean_stale(str(tmp_path), notes.append)  # the lock let go: now provably abandoned
    assert not locked.exists() and running.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_that_completes_leaves_no_temporary_file(cli, tmp_path, jobs):
    out = tmp_path / "out.jsonl"
    assert cli("evaluate", "--jobs", jobs, "-o", str(out), str(EXAMPLES / "partners.csv")).returncode == 0
    assert _temporaries(tmp_path) == []
