"""The examples of docs/reports.md run as shown: each `$ command` of a console block, run by a
shell in a folder holding the examples, prints exactly the lines that follow it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import EVALUATOR_BIN, EXAMPLES, REPO

DOC = REPO / "docs" / "reports.md"


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
    env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVALUATOR_DEBUG", None)
    for command, expected in steps:
        proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        assert proc.stdout.decode("utf-8").splitlines() == expected, command
    if any("-o report.html" in command for command, _ in steps):
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert "<h2>Channel share of sales</h2>" in page and "stroke-dasharray" in page


def test_the_documented_target_is_the_shipped_one():
    import json
    shipped = json.loads((REPO / "policies" / "messagelabs-apac.json").read_text())["targets"][0]
    shown = json.loads("{" + re.search(r'```json\n(.*?)```', DOC.read_text(), re.S).group(1) + "}")["targets"][0]
    assert {k: v for k, v in shown.items() if k != "per"} == {k: v for k, v in shipped.items()
                                                             if k not in ("per", "description")}
    assert shown["per"]["fact"] == shipped["per"]["fact"]
    assert shown["per"]["targets"].items() <= shipped["per"]["targets"].items()
