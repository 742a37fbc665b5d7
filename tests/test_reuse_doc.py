"""The examples of docs/reuse.md run as shown: each `$ command` of a console block, run by a
shell in a folder holding the shipped policies, prints exactly the lines that follow it; and
its JSON fragments are valid parts of a policy or tests file."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import EVALUATOR_BIN, REPO

DOC = REPO / "docs" / "reuse.md"


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


@pytest.mark.parametrize("steps", _blocks(), ids=lambda steps: steps[0][0][:40])
def test_the_examples_run_as_shown(tmp_path, steps):
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVALUATOR_DEBUG", None)
    for command, expected in steps:
        proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        assert proc.stdout.decode("utf-8").splitlines() == expected, command


def test_the_json_fragments_are_what_the_shipped_files_hold():
    fragments = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    policy = json.loads((REPO / "policies" / "regional-reseller-program.json").read_text())
    tests = json.loads((REPO / "policies" / "tests" / "regional-reseller-program.tests.json").read_text())
    parameters = json.loads("{" + fragments[0] + "}")["parameters"]
    assert all(policy["parameters"][k] == v for k, v in parameters.items())
    conditions = json.loads("{" + fragments[1] + "}")["conditions"]
    assert all(policy["conditions"][k] == v for k, v in conditions.items())
    fact = json.loads("{" + fragments[2] + "}")
    catalogue = json.loads((REPO / "policies" / "acme-points-program.json").read_text())["facts"]
    assert {k: v for k, v in fact["home_country"].items() if k != "aliases"} == \
        {k: v for k, v in catalogue["home_country"].items() if k in fact["home_country"]}
    case = json.loads(fragments[-1])
    shipped = next(c for c in tests["cases"] if c["name"] == case["name"])
    assert case["facts"] == shipped["facts"]
    assert case["expect"]["measures"] == shipped["expect"]["measures"]
