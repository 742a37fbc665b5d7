"""docs/reuse.md: its JSON fragments are what the shipped policy and tests files hold (its
commands run in tests/test_docs.py)."""
from __future__ import annotations

import json
import re

from conftest import REPO

DOC = REPO / "docs" / "reuse.md"


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
