"""`evaluate` without --jobs: one worker per usable CPU for an input file of 2 MB or more written
as jsonl, csv or json, one process otherwise; either way the same bytes as --jobs 1."""
from __future__ import annotations

import json
import os

import pytest

from evaluator.cli.options import AUTO_JOBS_MIN_BYTES, default_jobs

from test_cache_differential import AS_OF, population


def _cpus() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def test_the_default_by_input_and_format(tmp_path):
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_bytes(b"x" * (AUTO_JOBS_MIN_BYTES - 1))
    large.write_bytes(b"x" * AUTO_JOBS_MIN_BYTES)
    assert default_jobs(str(small), "jsonl") == 1           # one step below the size: one process
    for fmt in ("jsonl", "csv", "json"):
        assert default_jobs(str(large), fmt) == _cpus()     # at the size: every usable CPU
    assert default_jobs(str(large), "table") == 1           # a table is written by one process
    assert default_jobs("-", "jsonl") == 1                  # standard input: its size is unknown
    assert default_jobs(str(tmp_path / "absent.jsonl"), "jsonl") == 1  # the reader reports it
    assert default_jobs(str(tmp_path), "jsonl") == 1         # not a regular file
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert default_jobs(str(fifo), "jsonl") == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_large_file_by_default_writes_what_one_process_writes(tmp_path, cli, fmt):
    path = tmp_path / "partners.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for record in population.partners(16_000, seed=5):
            fh.write(json.dumps(record) + "\n")
    assert path.stat().st_size >= AUTO_JOBS_MIN_BYTES
    args = ("evaluate", str(path), "--format", fmt, "--as-of", AS_OF.isoformat())
    default, single = cli(*args), cli(*args, "--jobs", "1")
    assert default.returncode == single.returncode == 1, default.stderr_text  # invalid records in the population
    assert default.stdout == single.stdout and default.stderr == single.stderr
