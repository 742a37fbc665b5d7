"""`evaluate_many` never raises for one record, and the compiled and the pure build decide alike
(docs/bad-input.md, "Numbers" and "Environment"): a str Enum member is the string it holds; a
record JSON cannot hold (itself inside it, a key that is not a string, an integer Python cannot
write) is an error record naming where, with no digest."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import hostile_cases
from evaluator import Evaluator, InvalidRecord, default_policy

from conftest import REPO


@pytest.fixture(scope="module")
def decided():
    with Evaluator(default_policy()) as evaluator:
        named = hostile_cases.cases()
        return dict(zip(named, evaluator.evaluate_many(named.values())))


def test_a_str_enum_member_is_the_string_it_holds(decided):
    assert decided["enum list items"].tier.id == "premier_certified"
    assert decided["enum id"].partner_id == "ANZ" and type(decided["enum id"].partner_id) is str
    assert decided["int subclass id"].partner_id is None  # a boolean is no id


@pytest.mark.parametrize("name, pointer, words", [
    ("huge unused int", "/unused", "an integer of more than 4300 digits"),
    ("huge id", "/partner_id", "must be a string"),  # found first; still no digest
    ("circular", "/self", "holds itself"),
    ("circular in a list", "/notes/0", "holds itself"),
    ("int key", "/", "key 1 is not a string"),
    ("tuple key", "/", "key (1, 2) is not a string"),
])
def test_a_record_json_cannot_hold_is_an_error_record(decided, name, pointer, words):
    result = decided[name]
    assert isinstance(result, InvalidRecord)
    (finding,) = result.findings
    assert finding.pointer == pointer and words in finding.message and result.input_sha256 is None
    json.dumps(result.to_dict())  # and it can be written


def test_a_huge_fact_is_invalid_and_described(decided):
    result = decided["huge fact"]
    assert isinstance(result, InvalidRecord) and "too large to compare exactly" in result.message


def test_compiled_and_pure_decide_alike():
    """The installed package (compiled in CI's first run) against the source tree as plain Python."""
    here = hostile_cases.lines()
    child = subprocess.run(
        [sys.executable, "-c", "import sys, json; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import evaluator; "
                               "assert not evaluator.compiled(), 'the source tree is plain Python'; "
                               "import hostile_cases; print(json.dumps(hostile_cases.lines()))",
         str(REPO), str(REPO / "tests")], capture_output=True, text=True, timeout=300, cwd=REPO / "tests")
    assert child.returncode == 0, child.stderr
    pure = json.loads(child.stdout)
    assert len(here) == len(pure) == 4 * len(hostile_cases.cases())
    for mine, theirs in zip(here, pure):
        assert mine == theirs
