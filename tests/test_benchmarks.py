"""The benchmark scripts still run: benchmarks/instructions.py's measured work for every path
(without valgrind, which the suite does not need), and its message when valgrind is missing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = REPO / "benchmarks" / "instructions.py"


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "partners.jsonl"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "population.py"), "60", "-o", str(path)], check=True)
    return path


@pytest.mark.parametrize("mode", ["jsonl lane", "statuses", "tier"])
def test_each_measured_path_runs(partners, mode):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--child", str(partners), mode, "2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_without_valgrind_it_says_so_and_exits_2(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no valgrind on this PATH
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and "valgrind is not installed" in proc.stderr
