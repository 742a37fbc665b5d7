"""The examples of docs/lists.md run as shown: each `$ command` of a console block, run by a shell
in a folder holding the examples and the shipped policies, prints exactly the lines that follow
it; and every JSON block is valid JSON (a fragment of a policy)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import EVALUATOR_BIN, EXAMPLES, REPO

DOC = REPO / "docs" / "lists.md"


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


@pytest.mark.parametrize("steps", _blocks(), ids=lambda steps: steps[0][0][:60])
def test_the_examples_run_as_shown(tmp_path, steps):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVALUATOR_DEBUG", None)
    for command, expected in steps:
        proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=120)
        assert proc.stdout.decode("utf-8").splitlines() == expected, command


@pytest.mark.parametrize("block", re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))
def test_the_policy_fragments_are_json(block):
    parsed = json.loads("{" + block + "}")
    shipped = json.loads((REPO / "policies" / "specialist-program.json").read_text(encoding="utf-8"))
    for name, value in parsed.items():  # the fragments are the shipped program's own declarations
        if name in shipped["measures"]:
            assert value["compute"] == shipped["measures"][name]["compute"], name
