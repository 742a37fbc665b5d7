"""docs/time.md keeps its examples (its commands run in order, in one folder, in
tests/test_docs.py, so a later command reads what an earlier one wrote)."""
from __future__ import annotations

from conftest import REPO
from docblocks import blocks

DOC = REPO / "docs" / "time.md"


def test_the_doc_has_its_examples():
    console = [b for b in blocks(DOC) if b.language == "console"]
    assert len(console) == 4 and sum(len(b.steps) for b in console) >= 10
