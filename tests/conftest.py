"""Shared fixtures: paths, the shipped policy, a running CLI, and small policy builders."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evaluator import Evaluator, load_policy

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
EXAMPLES = REPO / "examples"
EVALUATOR_BIN = Path(sys.executable).parent / "evaluator"


@pytest.fixture(scope="session")
def shipped_policy():
    return load_policy(SHIPPED)


@pytest.fixture(scope="session")
def shipped(shipped_policy):
    """One Evaluator of the shipped program, shared by the whole session."""
    with Evaluator(shipped_policy) as evaluator:
        yield evaluator


def run_cli(*args: str, input: str | bytes | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed `evaluator` console script as a user would."""
    assert EVALUATOR_BIN.exists(), f"console script not installed at {EVALUATOR_BIN}"
    data = input.encode() if isinstance(input, str) else input
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("EVALUATOR_DEBUG", None)
    proc = subprocess.run([str(EVALUATOR_BIN), *args], input=data, capture_output=True, cwd=cwd or REPO,
                          env=full_env, timeout=timeout)
    proc.stdout_text = proc.stdout.decode("utf-8", "replace")  # type: ignore[attr-defined]
    proc.stderr_text = proc.stderr.decode("utf-8", "replace")  # type: ignore[attr-defined]
    return proc


@pytest.fixture
def cli():
    return run_cli


def base_policy(**changes: Any) -> dict[str, Any]:
    """A small valid policy document to modify in tests."""
    doc: dict[str, Any] = {
        "id": "test-program",
        "version": "1.0.0",
        "title": "Test program",
        "currency": "USD",
        "facts": {
            "partner_id": {"type": "string", "description": "id", "required": True},
            "sales": {"type": "number", "unit": "USD", "minimum": 0, "description": "sales"},
            "balance": {"type": "number", "unit": "USD", "description": "balance, may be negative"},
            "referrals": {"type": "integer", "minimum": 0, "description": "referrals"},
            "country": {"type": "string", "description": "country"},
            "regions": {"type": "string_list", "description": "regions"},
            "active": {"type": "boolean", "description": "active"},
            "joined": {"type": "date", "description": "joined"},
        },
        "measures": {"region_count": {"description": "regions", "compute": {"count": "regions"}}},
        "tiers": [
            {"id": "gold", "name": "Gold", "criteria": [
                {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 100}}]},
            {"id": "silver", "name": "Silver", "criteria": [
                {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 10}}]},
        ],
    }
    doc.update(copy.deepcopy(changes))
    return doc


def policy_with_condition(condition: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A one-tier policy whose single criterion is `condition`."""
    return base_policy(tiers=[{"id": "t", "name": "T", "criteria": [
        {"id": "c", "description": "c", "condition": condition}]}], **changes)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
