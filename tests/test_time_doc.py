"""The examples of docs/time.md run as shown: each `$ command` of a console block, run by a shell
in a folder holding copies of examples/ and policies/, prints exactly the lines that follow it
(stdout and stderr together), in order, so a later command reads what an earlier one wrote."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import EVALUATOR_BIN, EXAMPLES, REPO

DOC = REPO / "docs" / "time.md"


def _blocks() -> list[list[tuple[str, list[str]]]]:
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def test_the_doc_has_its_examples():
    assert len(_blocks()) == 4 and sum(len(b) for b in _blocks()) >= 10


@pytest.mark.parametrize("steps", _blocks(), ids=lambda steps: steps[0][0][:50])
def test_the_examples_run_as_shown(tmp_path, steps):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVALUATOR_DEBUG", None)
    for command, expected in steps:
        proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        assert proc.stdout.decode("utf-8").splitlines() == expected, command
