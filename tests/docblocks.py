"""The code blocks of the project's Markdown (README.md, docs/*.md), as tests/test_docs.py runs them.

Every fenced block names its language, so none can hide a command:

- ```console: `$ command` lines, each run by /bin/sh; the lines after a command are what it
  prints (standard output and error together), compared exactly; a line `...` stands for any
  number of lines, and `...` within a line for any text. A command may continue on the next line after a trailing backslash.
- ```sh / ```bash / ```shell: the whole block one script (`set -eu`), which must exit 0.
- ```python: the whole block one program, which must exit 0.
- anything else (json, text, csv, ...) is shown, not run.

A comment `<!-- doc-test: skip (why) -->` on the line before a block leaves it out: for the few
commands that install the package or take minutes (the harness runs in the tests that they set up).
The blocks of one file run in order in one folder, so a page (the tutorial) can build on what
an earlier block made.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from conftest import EVALUATOR_BIN, REPO

RUN = {"console", "sh", "bash", "shell", "python"}
COPIED = ("examples", "policies", "schemas")  # what the folder a page runs in holds
# a block after `<!-- server: evaluator serve ARGS -->` runs against a real server (tests/test_service_doc.py)
SERVER = "<!-- server:"
SKIP = re.compile(r"<!--\s*doc-test:\s*skip\b(.*?)-->", re.S)
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


@dataclass
class Block:
    path: Path
    line: int                 # of the opening fence, 1-based
    language: str
    text: str
    skipped: str | None = None  # the reason given, when marked not to run
    on_a_server: bool = False   # run by tests/test_service_doc.py against a real server
    steps: list[tuple[str, list[str]]] = field(default_factory=list)  # console: (command, expected lines)

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and set(lines[i].strip()) == {fence[0]}):
            body.append(lines[i][len(match["indent"]):] if lines[i].startswith(match["indent"]) else lines[i])
            i += 1
        i += 1
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        skip = SKIP.search(previous)
        block = Block(path, start + 1, info.split()[0] if info else "", "\n".join(body) + "\n",
                      skip.group(1).strip(" ()") or "marked" if skip else None, previous.startswith(SERVER))
        if block.language == "console":
            block.steps = console_steps(body)
        found.append(block)
    return found


def console_steps(body: list[str]) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    continuing = False
    for line in body:
        if continuing:
            command, expected = steps[-1]
            steps[-1] = (command + "\n" + line, expected)
            continuing = line.endswith("\\")
        elif line.startswith("$ "):
            steps.append((line[2:], []))
            continuing = line.endswith("\\")
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"console block: output before any `$ command`: {line!r}")
    return steps


def matches(expected: list[str], got: list[str]) -> bool:
    """`got` is `expected`, where a line `...` matches any run of lines (none included) and `...`
    within a line any text (a digest, a version: what changes with the policy, not the point)."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and _line(expected[0], got[0]) and matches(expected[1:], got[1:])


def _line(expected: str, got: str) -> bool:
    if "..." not in expected:
        return expected == got
    return re.fullmatch(".*".join(map(re.escape, expected.split("..."))), got, re.S) is not None


# --- running them ---------------------------------------------------------------------------

def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("EVALUATOR_DEBUG", None)
    path = os.pathsep.join(dict.fromkeys([str(EVALUATOR_BIN.parent), str(Path(sys.executable).parent)]))
    env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_block(block: Block, folder: Path, env: dict[str, str]) -> list[str]:
    """What went wrong running one block (nothing when it ran as shown)."""
    problems = []
    if block.language == "console":
        for command, expected in block.steps:
            if "/dev/full" in command and not os.path.exists("/dev/full"):
                continue
            proc = subprocess.run(["/bin/sh", "-c", command], cwd=folder, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=600)
            got = proc.stdout.decode("utf-8", "replace").splitlines()
            if not matches(expected, got):
                problems.append(f"{block.name}: `{command}` printed:\n" + "\n".join(got)
                                + "\n--- the page shows:\n" + "\n".join(expected))
    else:
        if block.language == "python":
            args = [sys.executable, "-c", block.text]
        else:
            args = ["/bin/sh", "-c", "set -eu\n" + block.text]
        proc = subprocess.run(args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=600)
        if proc.returncode != 0:
            problems.append(f"{block.name}: {block.language} block exited {proc.returncode}:\n"
                            + proc.stdout.decode("utf-8", "replace"))
    return problems


def run_page(path: Path, folder: Path) -> list[str]:
    """What went wrong running a page's blocks in order in `folder` (given copies of COPIED)."""
    for name in COPIED:
        if not (folder / name).exists():
            shutil.copytree(REPO / name, folder / name)
    env = _env()
    problems: list[str] = []
    for block in blocks(path):
        if block.language in RUN and block.skipped is None and not block.on_a_server:
            problems += run_block(block, folder, env)
    return problems
