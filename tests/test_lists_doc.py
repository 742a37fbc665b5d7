"""docs/lists.md: its JSON blocks are the specialist program's own declarations (its commands run
in tests/test_docs.py)."""
from __future__ import annotations

import json
import re

import pytest

from conftest import REPO

DOC = REPO / "docs" / "lists.md"


@pytest.mark.parametrize("block", re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))
def test_the_policy_fragments_are_json(block):
    parsed = json.loads("{" + block + "}")
    shipped = json.loads((REPO / "policies" / "specialist-program.json").read_text(encoding="utf-8"))
    for name, value in parsed.items():  # the fragments are the shipped program's own declarations
        if name in shipped["measures"]:
            assert value["compute"] == shipped["measures"][name]["compute"], name
