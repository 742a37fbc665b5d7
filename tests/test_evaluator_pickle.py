"""An Evaluator pickles as its policy (canonical JSON and sha256) and options, never its engine:
unpickled, it is built on first use, once per process, and decides as the original does."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import pickle

import pytest

from evaluator import Evaluator
from evaluator.errors import EngineError
from evaluator.evaluate import evaluator as module
from evaluator.fast.jsonbytes import json_line

RECORDS = [{"partner_id": "A", "annual_sales_usd": 150000, "countries": ["AU"], "regions": ["ANZ"]},
           {"partner_id": "B", "annual_sales_usd": 2_000_000},
           {"partner_id": "C", "annual_sales_usd": "lots"}]
AS_OF = dt.date(2026, 3, 1)


def _decide_in_child(blob: bytes) -> list[dict]:
    evaluator = pickle.loads(blob)
    assert evaluator._plan is None  # nothing of the engine came along: built below, on first use
    return [json_line(r.to_dict()) for r in evaluator.evaluate_many(RECORDS)]


def test_an_unpickled_evaluator_decides_as_the_original_in_another_process(shipped_policy):
    """Byte for byte: the policy's key order (a decision's benefits keep it) crosses with it."""
    with Evaluator(shipped_policy, as_of=AS_OF, with_input=True) as evaluator:
        expected = [json_line(r.to_dict()) for r in evaluator.evaluate_many(RECORDS)]
        blob = pickle.dumps(evaluator)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as a cluster's worker is
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(_decide_in_child, blob).result(timeout=120) == expected


def test_it_is_small_and_holds_no_engine(shipped_policy):
    with Evaluator(shipped_policy) as evaluator:
        evaluator.evaluate(RECORDS[0])
        blob = pickle.dumps(evaluator)
    assert len(blob) < 4 * len(shipped_policy.document.__repr__()) + 2000
    assert b"durable" not in blob and b"Plan" not in blob


def test_one_engine_per_process_built_on_first_use(shipped_policy):
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        blob = pickle.dumps(evaluator)
        first, second = pickle.loads(blob), pickle.loads(blob)
        assert first is second and first is not evaluator
        assert first._plan is None  # not built yet
        assert first.policy.sha256 == shipped_policy.sha256  # built now
        assert first.as_of == AS_OF and first.evaluate(RECORDS[0]).to_dict() == evaluator.evaluate(RECORDS[0]).to_dict()
        assert pickle.loads(pickle.dumps(first)) is first  # pickled again (a task's result): the same one
        other = pickle.loads(pickle.dumps(Evaluator(shipped_policy, as_of=dt.date(2026, 3, 2))))
        assert other is not first  # other options: another Evaluator
        first.close()
        again = pickle.loads(blob)
        assert again is not first and again.evaluate(RECORDS[1]).tier.id == "alliance_partner"


def test_a_policy_text_that_does_not_match_its_sha256_is_refused_on_first_use(shipped_policy):
    with Evaluator(shipped_policy) as evaluator:
        rebuild, (text, sha256, *options) = evaluator.__reduce__()
    assert '"minimum":0' in text
    tampered = rebuild(text.replace('"minimum":0', '"minimum":1', 1), sha256, *options)
    with pytest.raises(EngineError, match="has sha256 .* not " + sha256):
        tampered.evaluate(RECORDS[0])


def test_the_processes_cache_is_bounded(shipped_policy):
    for day in range(1, module._REBUILT_MAX + 4):
        pickle.loads(pickle.dumps(Evaluator(shipped_policy, as_of=dt.date(2025, 1, day))))
    assert len(module._REBUILT) <= module._REBUILT_MAX


def test_reload_and_close_of_an_unbuilt_one(shipped_policy):
    from evaluator import load_policy
    from conftest import REPO
    with Evaluator(shipped_policy, as_of=dt.date(2024, 5, 5)) as evaluator:
        blob = pickle.dumps(evaluator)
    unbuilt = pickle.loads(blob)
    import json
    document = json.loads((REPO / "policies" / "legacy-gold-silver-bronze.json").read_text(encoding="utf-8"))
    document.pop("effective", None)  # in force whatever the date (the shipped file's window ended in 2006)
    legacy = load_policy(document)
    unbuilt.reload(legacy)
    assert unbuilt.policy.id == legacy.id
    assert pickle.loads(blob).policy.id == shipped_policy.id  # the reloaded one is no longer the process's
    unbuilt.close()
    with pytest.raises(EngineError, match="closed"):
        unbuilt.evaluate(RECORDS[0])
    closed = module.Evaluator.pending(*pickle.loads(blob).__reduce__()[1])
    closed.close()
    with pytest.raises(EngineError, match="closed"):
        closed.evaluate(RECORDS[0])
