"""The examples of docs/service.md and of the README's service section run as shown: before each
```console block, `<!-- server: [VAR=value] evaluator serve ARGS -->` names the server it talks
to, started for the block (on a free port, standing for 8080) in a folder holding the examples
and `policy.json`, a copy of the shipped program; each `$ command`, run by a shell there, prints
exactly the lines that follow it. (The embedding snippet of docs/library.md runs in tests/test_docs.py.)"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import EVALUATOR_BIN, EXAMPLES, REPO, SHIPPED
from service_server import Server

pytest.importorskip("uvicorn")

DOC = REPO / "docs" / "service.md"
README = REPO / "README.md"
BLOCK = re.compile(r"<!-- server: (.*?) -->\n```console\n(.*?)```", re.S)


def _blocks(path):
    blocks = []
    for server, body in BLOCK.findall(path.read_text(encoding="utf-8")):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append((server, steps))
    return blocks


def _examples():
    return [pytest.param(server, steps, id=f"{path.name}:{steps[0][0][:40]}")
            for path in (DOC, README) for server, steps in _blocks(path)]


def test_the_documents_have_examples():
    assert len(_blocks(DOC)) >= 5 and len(_blocks(README)) == 1


@pytest.mark.parametrize("server, steps", _examples())
def test_the_examples_run_as_shown(tmp_path, server, steps):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copy(SHIPPED, tmp_path / "policy.json")
    words = server.split()
    env = dict(w.split("=", 1) for w in words[:words.index("evaluator")])
    args = words[words.index("evaluator") + 2:]  # after `evaluator serve`
    with Server(*args, env=env, cwd=tmp_path) as srv:
        shell_env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        for command, expected in steps:
            command = command.replace("localhost:8080", f"127.0.0.1:{srv.port}")
            proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=shell_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=120)
            assert proc.stdout.decode("utf-8").splitlines() == expected, command
        assert srv.stop() == 0
