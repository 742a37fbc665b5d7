"""What the command says before it is given any work: a one-line hint on stderr when it would
read partner records from a terminal, none when input is piped; whole first sentences in the
top-level help."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import EVALUATOR_BIN, REPO, run_cli

HINT = "reading partner records from standard input"


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the command with a terminal as its standard input (and nothing typed but Ctrl-D)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "EVALUATOR_DEBUG"}
    proc = subprocess.Popen([str(EVALUATOR_BIN), *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO, env=env)
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        err = b""
        while HINT.encode() not in err and time.monotonic() < deadline:  # the hint comes before any input
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)  # type: ignore[union-attr]
                if not chunk:
                    break
                err += chunk
        os.write(master, b"\x04")  # Ctrl-D: the end of input
        out, rest = proc.communicate(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out.decode(), (err + rest).decode()


@pytest.mark.parametrize("command", [["evaluate"], ["explain"], ["report", "-"]])
def test_a_terminal_with_no_input_gets_a_one_line_hint(command):
    code, _out, err = _on_a_terminal(*command)
    hints = [line for line in err.splitlines() if HINT in line]
    assert len(hints) == 1 and "Ctrl-D" in hints[0] and "FACTS" in hints[0], err
    assert "Traceback" not in err and code in (0, 1, 2)


def test_piped_input_and_a_file_get_no_hint(tmp_path):
    proc = run_cli("evaluate", "--format", "jsonl", input='{"partner_id": "P1", "annual_sales_usd": 30000, "countries": ["AU"]}\n')
    assert proc.returncode == 0 and HINT not in proc.stderr_text
    path = tmp_path / "p.jsonl"
    path.write_text('{"partner_id": "P1"}\n', encoding="utf-8")
    code, _out, err = _on_a_terminal("evaluate", str(path), "--format", "jsonl")
    assert code == 0 and HINT not in err


def test_the_top_level_help_gives_each_command_a_whole_first_sentence():
    proc = run_cli("--help")
    assert proc.returncode == 0
    commands = proc.stdout_text.split("Commands:\n", 1)[1]
    entries = re.split(r"\n  (?=\S)", "\n" + commands.rstrip())[1:]
    names = {entry.split()[0] for entry in entries}
    assert {"evaluate", "explain", "validate", "test", "doc", "diff", "report", "replay", "schema"} <= names
    for entry in entries:
        text = " ".join(entry.split()[1:])
        assert not text.endswith("...") and text.endswith("."), entry
