"""Where the shipped schemas and policies are: inside the installed package (the wheel copies
them to evaluator/_data) or, in a source checkout, at the top of the repository."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent
DEFAULT_POLICY = "messagelabs-apac.json"


def data_dir(name: str) -> Path:
    """The folder of shipped `schemas` or `policies`."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped {name} folder is missing from this installation")


@functools.lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """A shipped JSON Schema by short name: policy, decision."""
    with open(data_dir("schemas") / f"{name}.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


def default_policy_path() -> Path:
    return data_dir("policies") / DEFAULT_POLICY
