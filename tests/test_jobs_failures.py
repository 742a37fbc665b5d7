"""`evaluate --jobs N` when its workers fail (evaluator/fast/pool.py, fast/workers.py): a worker
killed mid-run is an error, exit 3; a worker told to end in the middle of its fork ends
(it once lived on, and the run waited for it for ever: tests/test_hostile_loading.py, short of
memory, --jobs 2); none of them hangs the run or outlives it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from conftest import EVALUATOR_BIN, REPO

def _facts(path, n):
    path.write_text("".join(json.dumps({"partner_id": f"P{i}", "annual_sales_usd": i * 100}) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def test_a_worker_killed_mid_run_stops_it_with_an_error(tmp_path):
    facts = _facts(tmp_path / "f.jsonl", 60000)
    proc = subprocess.Popen([str(EVALUATOR_BIN), "evaluate", str(facts), "--jobs", "2", "-o", str(tmp_path / "o.jsonl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(workers) == 2
        time.sleep(0.3)
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3 and "a worker process died" in err and "Traceback" not in err, err
    assert not (tmp_path / "o.jsonl").exists()
    assert not [w for w in workers if os.path.exists(f"/proc/{w}")
                and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]


# SIGTERM while a child of the CLI's process is still in os.fork's hooks: Python prints a
# SystemExit raised there ("Exception ignored in ...") and carries on, as the try below does
SIGTERM_IN_THE_FORK = """
import os, signal, sys
from evaluator.output.writers import exit_cleanly_on_signals
exit_cleanly_on_signals()
pid = os.fork()
if pid == 0:
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0.2) if hasattr(signal, "sigtimedwait") else None
    except SystemExit:
        pass
    os._exit(0)  # lived on
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_copy_told_to_end_before_it_set_its_handlers_ends():
    proc = subprocess.run([sys.executable, "-c", SIGTERM_IN_THE_FORK], capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(128 + signal.SIGTERM)
