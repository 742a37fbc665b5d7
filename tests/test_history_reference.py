"""The transition rules against a reference written from docs/time.md alone, over fuzzed review
histories (hypothesis): random rules (grace days, steps down), random earned tiers, random gaps
between reviews; each review's decision is fed, as JSON, to the next one (the grace start carried
forward through the decisions file, as `evaluate --previous` does), and every held tier, transition
and grace period must equal the reference's. Also: the cached path and the plain path (cache_size=0)
give the same decision bytes with history and exceptions.

FUZZ_EXAMPLES sets the number of histories (default 150), FUZZ_SEED a reproducible seed."""
from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, seed, settings, strategies as st

from conftest import base_policy
from evaluator import Evaluator, load_exceptions, load_policy
from evaluator.evaluate.standing import History

TIERS = ("gold", "silver", "bronze")
SALES = {1: 500, 2: 50, 3: 5, 4: 0}  # the sales that earn rank r (4: no tier)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


def policy_for(grace: int | None, steps: int | None) -> Any:
    doc = base_policy()
    doc["tiers"].append({"id": "bronze", "name": "Bronze", "criteria": [
        {"id": "sales", "description": "s", "condition": {"fact": "sales", "op": ">=", "value": 1}}]})
    if grace is not None or steps is not None:
        doc["transitions"] = {k: v for k, v in (("grace_days", grace), ("max_steps_down", steps)) if v is not None}
    return load_policy(doc)


def reference(grace: int, steps: int | None, reviews: list[tuple[_dt.date, int]]) -> list[tuple[int, str, Any]]:
    """(held rank, transition, grace period or None) per review, from the rules as documented."""
    out: list[tuple[int, str, Any]] = []
    held: int | None = None
    first_below: _dt.date | None = None   # the first review below the held tier, while still above what is earned
    for date, earned in reviews:
        if held is None:
            held, move, period = earned, "new", None
        elif earned < held:
            held, move, period, first_below = earned, "up", None, None
        elif earned == held:
            move, period, first_below = "unchanged", None, None
        else:
            first_below = first_below or date
            end = first_below + _dt.timedelta(days=grace)
            if grace and date <= end:
                move, period = "kept_in_grace", (first_below, end)
            else:
                held = earned if steps is None else min(earned, held + steps)
                move = "down"
                period = (first_below, end) if held != earned and grace else None
                if held == earned:
                    first_below = None
        out.append((held, move, period))
    return out


@st.composite
def histories(draw: Any) -> tuple[int | None, int | None, list[tuple[_dt.date, int]]]:
    grace = draw(st.sampled_from([None, 0, 1, 7, 30]))
    steps = draw(st.sampled_from([None, 1, 2]))
    date = _dt.date(2026, 1, 1)
    reviews = []
    for _ in range(draw(st.integers(1, 8))):
        # gaps of exactly the grace days (and one more) put reviews on day N and N+1 of a grace period
        date += _dt.timedelta(days=draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 2, 7, 8, 30, 31]))))
        reviews.append((date, draw(st.integers(1, 4))))
    return grace, steps, reviews


@seed(int(os.environ.get("FUZZ_SEED", "22")))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_the_rules_match_the_reference(history):
    grace, steps, reviews = history
    policy = policy_for(grace, steps)
    expected = reference(grace or 0, steps, reviews)
    previous: list[dict[str, Any]] = []
    for (date, earned), (held, move, period) in zip(reviews, expected):
        with Evaluator(policy, as_of=date, history=History.of(previous), cache_size=None) as evaluator:
            (decision,) = evaluator.evaluate_many([{"partner_id": "P", "sales": SALES[earned]}])
        data = json.loads(json.dumps(decision.to_dict()))  # through JSON, as a decisions file carries it
        assert (data["tier"]["rank"] if data["tier"] else 4) == held, (date, earned, data["standing"])
        assert data["standing"]["transition"] == move
        grace_period = data["standing"].get("grace")
        assert (None if grace_period is None else (_dt.date.fromisoformat(grace_period["from"]),
                                                    _dt.date.fromisoformat(grace_period["until"]))) == period
        assert (data["standing"]["evaluated"]["rank"] if data["standing"]["evaluated"] else 4) == earned
        previous = [data]


def test_the_cached_and_the_plain_path_give_the_same_bytes():
    policy = policy_for(30, 1)
    previous = [{"partner_id": f"P{i}", "tier": {"id": TIERS[i % 3]}, "policy": policy.ref} for i in range(60)]
    exceptions = load_exceptions({"program": "test-program", "exceptions": [
        {"id": "EX-1", "partner_id": "P7", "tier": "gold", "reason": "r", "approver": "a", "ticket": "t",
         "granted": "2026-01-01", "expires": "2026-12-31"}]})
    records = [{"partner_id": f"P{i}", "sales": SALES[1 + i % 4]} for i in range(80)]
    outputs = []
    for cache_size in (None, 0):
        with Evaluator(policy, as_of=_dt.date(2026, 5, 1), history=History.of(previous), exceptions=exceptions,
                       cache_size=cache_size) as evaluator:
            outputs.append([json.dumps(d.to_dict(), sort_keys=True) for d in evaluator.evaluate_many(records)])
    assert outputs[0] == outputs[1]
    moves = {json.loads(line)["standing"]["transition"] for line in outputs[0]}
    assert moves == {"new", "up", "unchanged", "kept_in_grace"}
