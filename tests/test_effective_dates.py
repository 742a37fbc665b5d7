"""A policy's effective window is checked as real dates in order (docs/bad-input.md): the schema
checks only the YYYY-MM-DD shape, so 2026-02-30, 0000-00-00 and an `until` before `from` passed."""
from __future__ import annotations

import re

import pytest

from conftest import base_policy, write_json


@pytest.mark.parametrize("window, pointer, message", [
    ({"from": "2026-02-30"}, "/effective/from", "effective from is not a real date"),
    ({"from": "0000-00-00"}, "/effective/from", "effective from is not a real date"),
    ({"from": "2026-01-01", "until": "2026-13-01"}, "/effective/until", "effective until is not a real date"),
    ({"from": "2026-07-01", "until": "2026-06-30"}, "/effective/until",
     "the program ends before it starts: effective until is before from"),
])
def test_an_impossible_effective_window_is_refused_and_located(cli, tmp_path, window, pointer, message):
    path = write_json(tmp_path / "p.json", base_policy(effective=window))
    proc = cli("validate", str(path))
    assert proc.returncode == 2
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error: {message} \(at {pointer}\)", proc.stderr_text), \
        proc.stderr_text
    assert "expected:" in proc.stderr_text and "found:" in proc.stderr_text
    assert cli("doc", str(path)).returncode == 2  # the sheet does not print it


@pytest.mark.parametrize("window", [{"from": "2024-02-29"}, {"from": "2026-01-01", "until": "2026-01-01"},
                                    {"from": "2026-01-01", "until": None}, {"from": "2026-01-01", "until": "2027-12-31"}])
def test_a_real_window_is_valid(cli, tmp_path, window):
    assert cli("validate", str(write_json(tmp_path / "p.json", base_policy(effective=window)))).returncode == 0
