"""Evaluator.reload: an atomic swap, wholly-old-or-wholly-new decisions, the old engine freed,
memory flat over 1,000 reloads; and the policy file watcher built on it."""
from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from evaluator import Evaluator, load_policy
from evaluator.evaluate import plan as evaluate_module  # where plans (and their engines) are made
from evaluator.errors import EngineError, PolicyError
from evaluator.tools.watch import PolicyWatcher

from conftest import base_policy, write_json

AS_OF = _dt.date(2026, 1, 1)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _policies():
    old = load_policy(base_policy(version="1.0.0"))
    # the new version lowers gold to 50 and renames silver's criterion: a mixed decision shows
    new_doc = base_policy(version="2.0.0")
    new_doc["tiers"][0]["criteria"][0]["condition"]["value"] = 50
    new_doc["tiers"][1]["criteria"][0]["id"] = "sales_new"
    return old, load_policy(new_doc)


RECORDS = [{"partner_id": f"P{i}", "sales": s} for i, s in enumerate([0, 9, 10, 49, 50, 99, 100, 1000])]


def test_reload_swaps_the_policy_and_decisions_name_it():
    old, new = _policies()
    with Evaluator(old, as_of=AS_OF) as evaluator:
        before = evaluator.evaluate({"partner_id": "p", "sales": 60})
        evaluator.reload(new)
        after = evaluator.evaluate({"partner_id": "p", "sales": 60})
        assert (before.tier.id, before.policy["sha256"], before.policy["version"]) == ("silver", old.sha256, "1.0.0")
        assert (after.tier.id, after.policy["sha256"], after.policy["version"]) == ("gold", new.sha256, "2.0.0")
        assert evaluator.policy is new
        # a decision made before the reload keeps explaining itself with its own policy
        assert [c.id for c in before.tier_result("silver").criteria] == ["sales"]
        assert [c.id for c in after.tier_result("silver").criteria] == ["sales_new"]


def test_every_decision_is_wholly_old_or_wholly_new_under_concurrent_reloads():
    old, new = _policies()
    expected = {}
    for policy in (old, new):
        with Evaluator(policy, as_of=AS_OF, cache_size=0) as reference:
            expected[policy.sha256] = [json.dumps(d.to_dict()) for d in reference.evaluate_many(RECORDS)]
    seen = {old.sha256: 0, new.sha256: 0}
    errors: list[str] = []

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: a reload lands inside evaluations
    try:
        _race(old, new, expected, seen, errors)
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
    assert seen[old.sha256] > 0 and seen[new.sha256] > 0


def _race(old, new, expected, seen, errors) -> None:
    stop = threading.Event()
    with Evaluator(old, as_of=AS_OF) as evaluator:
        def work() -> None:
            try:
                while not stop.is_set():
                    for i, decision in enumerate(evaluator.evaluate_many(RECORDS)):
                        sha = decision.policy["sha256"]
                        seen[sha] += 1
                        if json.dumps(decision.to_dict()) != expected[sha][i]:
                            errors.append(f"record {i} under {sha[:8]} is not that policy's decision")
            except Exception as exc:  # an engine error in a thread must fail the test
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for n in range(200):
            evaluator.reload(new if n % 2 == 0 else old)
        stop.set()
        for t in threads:
            t.join(timeout=60)
            assert not t.is_alive(), "deadlock"


def test_a_batch_in_flight_keeps_the_old_engine_until_it_moves_on():
    old, new = _policies()
    with Evaluator(old, as_of=AS_OF) as evaluator:
        batch = evaluator.evaluate_many(RECORDS)
        first = next(batch)
        old_engine = evaluator._plan.engine
        evaluator.reload(new)
        assert old_engine._names and not old_engine._closed  # the batch still holds the old plan
        second = next(batch)  # the next record moves to the new policy ...
        assert old_engine._closed and old_engine._host._ruleset_directory == {}  # ... and the old one is freed
        assert first.policy["sha256"] == old.sha256 and second.policy["sha256"] == new.sha256
        assert [d.policy["sha256"] for d in batch] == [new.sha256] * (len(RECORDS) - 2)


def test_the_old_rulesets_are_freed_at_once_when_nothing_is_in_flight():
    old, new = _policies()
    with Evaluator(old) as evaluator:
        engine = evaluator._plan.engine
        evaluator.reload(new)
        assert engine._closed and engine._host._ruleset_directory == {}


def test_a_failed_reload_keeps_the_old_policy(monkeypatch):
    old, new = _policies()
    with Evaluator(old, as_of=AS_OF) as evaluator:
        def broken(*args, **kwargs):
            raise EngineError("durable-rules refused the ruleset")
        monkeypatch.setattr(evaluate_module, "Engine", broken)
        with pytest.raises(EngineError, match="refused"):
            evaluator.reload(new)
        monkeypatch.undo()
        decision = evaluator.evaluate({"partner_id": "p", "sales": 60})
        assert decision.policy["sha256"] == old.sha256 and decision.tier.id == "silver"


def test_memory_stays_flat_over_1000_reloads(shipped_policy):
    # durable-rules keeps every registered ruleset (about 100 KB each for the shipped program)
    # unless it is freed: 1,000 leaked reloads grow the process by ~100 MB.
    with Evaluator(shipped_policy) as evaluator:
        for n in range(50):
            evaluator.reload(shipped_policy)
            evaluator.evaluate({"partner_id": "p", "annual_sales_usd": n * 1000})
        before = _rss_mb()
        for n in range(1000):
            evaluator.reload(shipped_policy)
            evaluator.evaluate({"partner_id": "p", "annual_sales_usd": n * 1000, "referrals_this_year": n % 7})
        growth = _rss_mb() - before
        assert len(evaluator._plan.engine._host._ruleset_directory) == len(evaluator.compiled.rulesets)
    assert growth < 20, f"RSS grew {growth:.1f} MB over 1,000 reloads"


def test_closed_evaluator_refuses_work_and_reload():
    old, new = _policies()
    evaluator = Evaluator(old)
    batch = evaluator.evaluate_many(RECORDS)
    next(batch)
    engine = evaluator._plan.engine
    evaluator.close()
    assert not engine._closed  # the batch in flight finishes its current record first
    with pytest.raises(EngineError, match="closed"):
        next(batch)
    assert engine._closed
    with pytest.raises(EngineError, match="closed"):
        evaluator.evaluate({"partner_id": "p"})
    with pytest.raises(EngineError, match="closed"):
        evaluator.reload(new)
    evaluator.close()  # twice is fine


# --- the watcher ----------------------------------------------------------------------------

def _write_policy(path: Path, version: str, gold: int) -> None:
    doc = base_policy(version=version)
    doc["tiers"][0]["criteria"][0]["condition"]["value"] = gold
    # replace atomically, as editors and deploy tools do
    tmp = path.with_suffix(".tmp")
    write_json(tmp, doc)
    os.replace(tmp, path)


def test_watcher_reloads_on_change_and_keeps_the_old_policy_on_a_bad_edit(tmp_path):
    path = tmp_path / "policy.json"
    _write_policy(path, "1.0.0", 100)
    reloaded, failed = [], []
    with Evaluator(load_policy(path)) as evaluator:
        watcher = PolicyWatcher(path, evaluator, on_reload=reloaded.append, on_error=failed.append)
        assert watcher.check() is False  # unchanged
        _write_policy(path, "2.0.0", 50)
        assert watcher.check() is True
        assert evaluator.evaluate({"partner_id": "p", "sales": 60}).policy["version"] == "2.0.0"
        assert [p.version for p in reloaded] == ["2.0.0"]

        path.write_text('{"id": "broken", ', encoding="utf-8")  # a bad edit
        assert watcher.check() is False
        assert len(failed) == 1 and isinstance(failed[0], PolicyError)
        assert evaluator.evaluate({"partner_id": "p", "sales": 60}).policy["version"] == "2.0.0"
        assert watcher.check() is False and len(failed) == 1  # the same bad file is reported once

        _write_policy(path, "2.0.0", 50)  # same content as in force: nothing to do
        assert watcher.check() is False and len(reloaded) == 1
        _write_policy(path, "3.0.0", 10)
        assert watcher.check() is True and evaluator.policy.version == "3.0.0"

        path.unlink()  # a missing file is an error, the policy stays
        assert watcher.check() is False and evaluator.policy.version == "3.0.0"
        assert "cannot read" in str(failed[-1])


def test_watcher_thread_picks_up_a_change(tmp_path):
    path = tmp_path / "policy.json"
    _write_policy(path, "1.0.0", 100)
    with Evaluator(load_policy(path)) as evaluator:
        with PolicyWatcher(path, evaluator, interval=0.02) as watcher:
            _write_policy(path, "2.0.0", 50)
            deadline = time.monotonic() + 10
            while evaluator.policy.version != "2.0.0" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert evaluator.policy.version == "2.0.0"
            assert watcher.running
        assert not watcher.running
