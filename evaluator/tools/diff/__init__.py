"""Impact analysis of a program change (`evaluator diff`): model.py decides and counts who moves
and why, words.py puts causes and benefit changes into words, writers.py renders the result
(table, Markdown, HTML, CSV, JSON)."""
from .model import (DIRECTIONS, DOWN, FAIL_ON, LATERAL, UNCHANGED, UP, Diff, benefit_changes, causes,
                    comparison_basis, diff_policies, direction, paired)
from .words import benefit_text, cause_text
from .writers import WRITERS, write_csv

__all__ = ["DIRECTIONS", "DOWN", "FAIL_ON", "LATERAL", "UNCHANGED", "UP", "Diff", "WRITERS", "benefit_changes",
           "benefit_text", "cause_text", "causes", "comparison_basis", "diff_policies", "direction", "paired",
           "write_csv"]
