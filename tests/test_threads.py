"""One Evaluator shared by many threads gives exactly the single-thread decisions, and never
deadlocks. durable-rules loses results silently when asserts interleave (see the notes); the
engine lock, the thread-safe outcome cache and per-evaluation plans must make that impossible.
Every join has a timeout: a deadlock fails the test instead of hanging the suite."""
from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import sys
import threading

import pytest

from evaluator import Evaluator, load_policy

from conftest import REPO

AS_OF = _dt.date(2026, 3, 31)
THREADS = 6


def _population(n: int, seed: int):
    spec = importlib.util.spec_from_file_location("population", REPO / "benchmarks" / "population.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return list(module.partners(n, seed))


RECORDS = _population(200, seed=5)


def _run_threads(target, n: int = THREADS, timeout: float = 120) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(k)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave as finely as possible
    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=timeout)
            assert not t.is_alive(), "deadlock: a thread did not finish"
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def _dumps(results) -> list[str]:
    return [json.dumps(r.to_dict()) for r in results]


@pytest.mark.parametrize("cache_size", [None, 0, 3], ids=["cached", "plain", "tiny-cache"])
def test_shared_evaluator_gives_the_single_thread_decisions(shipped_policy, cache_size):
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as single:
        expected = _dumps(single.evaluate_many(RECORDS))
    records = RECORDS if cache_size != 0 else RECORDS[:120]
    expected = expected[:len(records)]
    got: dict[int, list[str]] = {}
    # a cold cache: the first lookups of every encoding race each other to the engine
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=cache_size) as shared:
        def work(k: int) -> None:
            # each thread walks the records from a different starting point
            order = list(range(len(records)))
            order = order[k * 37 % len(order):] + order[:k * 37 % len(order)]
            out = {}
            for i in order:
                result = shared.evaluate_many([records[i]])
                decision = next(iter(result))
                decision.source = {"index": i + 1}  # evaluate_many numbers from 1 per call
                out[i] = json.dumps(decision.to_dict())
            got[k] = [out[i] for i in range(len(records))]

        _run_threads(work)
    for k in range(THREADS):
        assert got[k] == expected, f"thread {k} differs from the single-thread decisions"


def test_threads_consuming_batches_and_single_calls_together(shipped_policy):
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as single:
        expected = _dumps(single.evaluate_many(RECORDS))
        expected_one = [json.dumps(single.evaluate(r).to_dict()) if _valid(single, r) else None for r in RECORDS]
    got: dict[int, list] = {}
    with Evaluator(shipped_policy, as_of=AS_OF) as shared:
        def work(k: int) -> None:
            if k % 2:
                got[k] = _dumps(shared.evaluate_many(RECORDS))
            else:
                got[k] = [json.dumps(shared.evaluate(r).to_dict()) if _valid(shared, r) else None for r in RECORDS]

        _run_threads(work)
    for k, results in got.items():
        assert results == (expected if k % 2 else expected_one)



def test_threads_sharing_the_jsonl_template_writer_write_the_single_thread_lines(shipped_policy):
    """One Evaluator's template writer (its templates, shortfall memos and the last float it
    wrote, all shared) used by many threads at once writes exactly what one thread writes; the
    records are served in different orders so different sales figures interleave."""
    from evaluator.evaluate.evaluator import InputRecord
    from evaluator.fast.lane import jsonl_lines
    records = _population(600, seed=11)
    with Evaluator(shipped_policy, as_of=AS_OF) as single:
        expected = [line for line, _ok in jsonl_lines(single, records)]
    got: dict[int, list[str]] = {}
    with Evaluator(shipped_policy, as_of=AS_OF) as shared:
        def work(k: int) -> None:
            start = k * 97 % len(records)
            order = list(range(start, len(records))) + list(range(start))
            lines = {}
            for i in order:
                lines[i] = next(jsonl_lines(shared, [InputRecord(records[i], {"index": i + 1})]))[0]
            got[k] = [lines[i] for i in range(len(records))]

        _run_threads(work)
    for k in range(THREADS):
        assert got[k] == expected, f"thread {k} differs from the single-thread lines"

def _valid(evaluator: Evaluator, record) -> bool:
    from evaluator.language.facts import coerce_record
    return not coerce_record(evaluator.policy, record)[1]


def test_a_large_policy_split_across_rulesets_is_thread_safe():
    # several rulesets per evaluation: a thread must never see another's half-finished assert
    tiers = [{"id": f"t{i}", "name": f"T{i}", "criteria": [
        {"id": f"c{j}", "description": "c", "condition": {"fact": "sales", "op": ">=", "value": i * 100 + j}}
        for j in range(66)]} for i in range(2)]
    from conftest import base_policy
    policy = load_policy(base_policy(tiers=list(reversed(tiers))))
    records = [{"partner_id": f"P{v}", "sales": v} for v in range(0, 200, 6)]
    with Evaluator(policy, cache_size=0) as single:
        expected = _dumps(single.evaluate_many(records))
    got: dict[int, list[str]] = {}
    with Evaluator(policy, cache_size=0) as shared:
        _run_threads(lambda k: got.__setitem__(k, _dumps(shared.evaluate_many(records))), n=4)
    assert all(got[k] == expected for k in range(4))


# --- signals: an interrupt never lands inside the engine --------------------------------------

def test_a_signal_during_an_engine_call_is_raised_after_it_not_inside_durable_rules():
    # The CLI turns SIGTERM into SystemExit. Raised inside a rule action, durable-rules would
    # catch it, print "base exception type ..." with a traceback and report a failed action;
    # the engine holds such signals back for the call and they are raised right after it.
    import subprocess
    import textwrap
    code = textwrap.dedent("""
        import os, signal, sys
        from evaluator.compile.engine import Engine
        def stop(signum, frame):
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, stop)
        class Signalling(Engine):
            def _action(self, rule):
                inner = super()._action(rule)
                def run(closure):
                    if rule == "l0":
                        os.kill(os.getpid(), signal.SIGTERM)  # arrives while durable runs the action
                    inner(closure)
                return run
        e = Signalling({"r0": {"l0": {"$and": [{"__e": 1}, {"$gte": {"x": 1}}]}}}, {"r0": 1})
        try:
            fired = e.fire({"r0": {"x": 5}})
            print("after the call", sorted(fired), flush=True)
        finally:
            e.close()
        print("not reached")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 128 + 15, result.stderr
    assert "base exception" not in result.stderr and "Traceback" not in result.stderr
    assert "not reached" not in result.stdout
