"""The JSON writer's text (report.indented): orjson where it writes exactly what the json module
writes with indent=2, the json module everywhere else (small and huge floats, non-finite numbers,
integers beyond 64 bits, lone surrogates)."""
from __future__ import annotations

import datetime as _dt
import json

from hypothesis import given, settings, strategies as st

from evaluator import Evaluator
from evaluator.output.writers import indented

from test_cache_differential import population

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.text(max_size=6),
                    st.sampled_from([1e-05, 1e16, 0.0001, -0.0, 5e-324, float("nan"), "\ud800", "é\u2028\x00"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=12)


@settings(max_examples=500, derandomize=True, deadline=None, database=None)
@given(VALUES)
def test_indented_text_is_the_json_modules(value):
    assert indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_indented_decisions_are_the_json_modules(shipped_policy):
    with Evaluator(shipped_policy, as_of=_dt.date(2026, 1, 1)) as evaluator:
        for result in evaluator.evaluate_many(population.partners(300, seed=4)):
            data = result.to_dict()
            assert indented(data) == json.dumps(data, ensure_ascii=False, indent=2)
