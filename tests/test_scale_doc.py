"""The examples of docs/scale.md run as shown: each ```python block as a script (the Dask one on a
real LocalCluster), each `$ command` of a console block in a folder holding partners.parquet (the
example partners), printing exactly the lines that follow it."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pa = pytest.importorskip("pyarrow", reason="docs/scale.md needs the dask extra: pip install '.[dask]'")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("dask.distributed", reason="docs/scale.md needs the dask extra: pip install '.[dask]'")

from conftest import EVALUATOR_BIN, EXAMPLES, REPO  # noqa: E402
from docblocks import blocks  # noqa: E402

DOC = (REPO / "docs" / "scale.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", re.findall(r"```python\n(.*?)```", DOC, re.S), ids=lambda c: c.split("\n")[0][:40])
def test_the_python_blocks_run(tmp_path, code):
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-3000:]


def test_the_console_block_runs_as_shown(tmp_path):
    records = [json.loads(line) for line in (EXAMPLES / "partners.jsonl").read_text(encoding="utf-8").splitlines()]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "partners.parquet")
    env = dict(os.environ, PATH=f"{EVALUATOR_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("EVALUATOR_DEBUG", None)
    console = [b for b in blocks(REPO / "docs" / "scale.md") if b.language == "console"]
    assert console
    for block in console:
        for command, expected in block.steps:
            proc = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.decode("utf-8").splitlines() == expected, command
    assert pq.read_table(tmp_path / "decisions.parquet").num_rows == 25


def test_the_table_of_columns_names_the_schema():
    from evaluator import default_policy
    from evaluator.frames import decisions_schema
    rows = [line.split("|")[1] for line in DOC.splitlines() if line.startswith("| `")]
    documented = {name for cell in rows for name in re.findall(r"`([^`]+)`", cell)}
    for name in decisions_schema(default_policy(), decisions=True).names:
        if "." not in name:
            assert name in documented, name
