"""Each guard against a durable-rules pitfall (shared/notes/durable-rules.md), proven.

Tests that could hang or crash the interpreter if a guard failed run in a subprocess with a
timeout, so a regression fails the test instead of killing the suite.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pytest

from evaluator import Evaluator, load_policy
from evaluator.compile.compiler import compile_policy
from evaluator.compile.engine import MAX_DISJUNCTS_PER_RULESET, TAG_FIELD, Engine
from evaluator.errors import EngineError

from conftest import base_policy, policy_with_condition


def _subprocess(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def _rules(*conditions):
    return {"r0": {f"l{i}": {"$and": [{TAG_FIELD: 1}, c]} for i, c in enumerate(conditions)}}


def test_assert_fact_fires_every_matching_rule_not_just_the_first():
    engine = Engine(_rules({"$gte": {"x": 1}}, {"$gte": {"x": 2}}, {"$gte": {"x": 3}}), {"r0": 3})
    try:
        assert engine.fire({"r0": {"x": 5}}) == {"l0", "l1", "l2"}
        assert engine.fire({"r0": {"x": 2}}) == {"l0", "l1"}
    finally:
        engine.close()


def test_nothing_matched_is_an_empty_result_not_an_error():
    engine = Engine(_rules({"$gte": {"x": 10}}), {"r0": 1})
    try:
        assert engine.fire({"r0": {"x": 1}}) == frozenset()
        assert engine.fire({"r0": {}}) == frozenset()
    finally:
        engine.close()


def test_an_action_that_raises_becomes_an_engine_error():
    class Failing(Engine):
        def _action(self, rule):
            if rule == "l0":
                def run(_c):
                    raise RuntimeError("boom")
                return run
            return super()._action(rule)

    engine = Failing(_rules({"$gte": {"x": 1}}), {"r0": 1})
    try:
        with pytest.raises(EngineError, match="boom"):
            engine.fire({"r0": {"x": 5}})
    finally:
        engine.close()


def test_sessions_are_deleted_so_more_than_1024_evaluations_work():
    # Without delete_state the 1,025th session raises MemoryError and the process then segfaults;
    # both matching and non-matching facts leave state behind.
    result = _subprocess("""
        from evaluator.compile.engine import Engine
        e = Engine({"r0": {"l0": {"$and": [{"__e": 1}, {"$lt": {"x": 5}}]}, "l1": {"$and": [{"__e": 1}, {"$lt": {"y": 1}}]}}}, {"r0": 2})
        hits = sum(bool(e.fire({"r0": {"x": i % 10}})) for i in range(3000))
        print(hits)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1500"


def test_first_evaluation_matching_nothing_does_not_crash():
    # durable-rules 2.0.28 corrupts memory when the state of a non-matching session is deleted
    # before any action ran in the ruleset; the engine warms each ruleset up. Many fresh engines,
    # each first fed a fact that matches nothing.
    result = _subprocess("""
        from evaluator.compile.engine import Engine
        for n in range(40):
            e = Engine({"r0": {"l0": {"$and": [{"__e": 1}, {"$lt": {"o0": 5}}]}, "l2": {"$and": [{"__e": 1}, {"$lt": {"o1": 1}}]}}}, {"r0": 2})
            assert e.fire({"r0": {"o0": 5}}) == frozenset()
            e.close()
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_one_compiled_definition_registers_twice():
    # Ruleset.__init__ deletes the "run" key of the dict it is given: the engine registers copies.
    policy = load_policy(base_policy())
    compiled = compile_policy(policy)
    first, second = Engine(compiled.rulesets, compiled.disjuncts), Engine(compiled.rulesets, compiled.disjuncts)
    try:
        fact = compiled.encode({next(iter(compiled.codecs)).operand: 5})  # sales 5: "sales < 10" and "< 100" hold
        assert first.fire(fact) == second.fire(fact) != frozenset()
    finally:
        first.close()
        second.close()


def test_rules_never_match_the_engines_context_message():
    # After each action the engine re-asserts {sid, id, $s: 1}; a rule it satisfies loops forever.
    # Every compiled rule requires the positive tag, and no rule uses $ex/$nex.
    doc = policy_with_condition({"all": [
        {"not": {"fact": "country", "op": "in", "value": ["AU", "NZ"]}},
        {"fact": "sales", "op": "!=", "value": 3},
        {"not": {"fact": "regions", "op": "contains", "value": "X"}},
    ]})
    compiled = compile_policy(load_policy(doc))
    text = json.dumps(compiled.rulesets)
    assert "$nex" not in text and "$ex" not in text
    for rules in compiled.rulesets.values():
        for condition in rules.values():
            assert condition["$and"][0] == {TAG_FIELD: 1}
    # and evaluation with everything absent terminates with every comparison missing
    with Evaluator(load_policy(doc)) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p"})
        assert decision.criterion("t", "c").status == "missing"


def test_more_than_64_matching_comparisons_are_split_across_rulesets():
    # 150 criteria that all hold for one record: in one ruleset the engine fails with error 303
    # and fires nothing; split, every one is met.
    tiers = [{"id": "t", "name": "T", "criteria": [
        {"id": f"c{i}", "description": "c", "condition": {"fact": "sales", "op": ">=", "value": i}}
        for i in range(150)]}]
    policy = load_policy(base_policy(tiers=tiers))
    compiled = compile_policy(policy)
    assert len(compiled.rulesets) >= 3
    assert all(n <= MAX_DISJUNCTS_PER_RULESET for n in compiled.disjuncts.values())
    with Evaluator(policy) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "sales": 1000})
        assert [c.status for c in decision.tier_result("t").criteria] == ["met"] * 150
        decision = evaluator.evaluate({"partner_id": "p", "sales": 99})
        assert [c.status for c in decision.tier_result("t").criteria] == ["met"] * 100 + ["not_met"] * 50
        assert decision.tier is None


def test_huge_in_list_does_not_hang_the_engine():
    # 600 alternatives in one rule hang durable-rules forever; the compiler splits them. The
    # encoding keeps a string `in` set contiguous, and numbers are split into chunked rules.
    code = """
        import json
        from evaluator import Evaluator, load_policy
        import conftest
        numbers = list(range(0, 1200, 2))
        names = [f"N{i:04d}" for i in range(700)]
        doc = conftest.policy_with_condition({"all": [
            {"fact": "referrals", "op": "in", "value": numbers},
            {"fact": "country", "op": "in", "value": names}]})
        with Evaluator(load_policy(doc)) as ev:
            out = []
            for refs, country in [(600, "N0699"), (601, "N0001"), (1198, "N0000"), (1200, "N0000"), (0, "Z")]:
                out.append(ev.evaluate({"partner_id": "p", "referrals": refs, "country": country}).criterion("t", "c").status)
        print(json.dumps(out))
    """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=120, cwd=str(__import__("pathlib").Path(__file__).parent))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["met", "not_met", "met", "not_met", "not_met"]


def test_many_facts_stay_under_the_property_limit():
    # 253 properties in one record: error 302. 300 facts, each compared: each ruleset's fact
    # carries only the fields its rules read.
    facts = {"partner_id": {"type": "string", "description": "id", "required": True}}
    facts.update({f"f{i}": {"type": "integer", "description": "f"} for i in range(300)})
    tiers = [{"id": "t", "name": "T", "criteria": [
        {"id": f"c{i}", "description": "c", "condition": {"fact": f"f{i}", "op": "==", "value": i}}
        for i in range(300)]}]
    policy = load_policy(base_policy(facts=facts, measures={}, tiers=tiers))
    record = {"partner_id": "p", **{f"f{i}": i for i in range(300)}}
    with Evaluator(policy) as evaluator:
        assert evaluator.evaluate(record).tier.id == "t"
        record["f299"] = 0
        decision = evaluator.evaluate(record)
        assert decision.tier is None
        assert decision.criterion("t", "c299").status == "not_met"
        assert decision.criterion("t", "c298").status == "met"


def test_empty_list_is_never_silently_unmatched():
    # $iany/$iall do not match an empty list; lists carry a sentinel so "not contains" holds.
    doc = policy_with_condition({"not": {"fact": "regions", "op": "contains", "value": "APAC"}})
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"partner_id": "p", "regions": []}).criterion("t", "c").status == "met"
        assert evaluator.evaluate({"partner_id": "p", "regions": ["APAC"]}).criterion("t", "c").status == "not_met"
        assert evaluator.evaluate({"partner_id": "p", "regions": ["EMEA"]}).criterion("t", "c").status == "met"


@pytest.mark.parametrize("threshold, value, expected", [
    (0.00001, 0.00001, "met"),          # json.dumps writes 1e-05: the engine would reject it (error 204)
    (0.00001, 0.000009, "not_met"),
    (1e15, 1e15, "met"),                 # written 1e+15
    (1e15, 999999999999999, "not_met"),
    (2 ** 53, 2 ** 53, "met"),           # beyond int32, compared exactly
    (2 ** 53, 2 ** 53 - 1, "not_met"),
])
def test_values_the_engine_would_mangle_compare_exactly(threshold, value, expected):
    doc = policy_with_condition({"fact": "sales", "op": ">=", "value": threshold})
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"partner_id": "p", "sales": value}).criterion("t", "c").status == expected


def test_numeric_strings_and_booleans_never_reach_the_engine_as_numbers(shipped):
    # "9" > 10 is true in the engine (text comparison) and True == 1 matches: both are rejected
    # as wrong types in JSON input, before the engine.
    from evaluator import RecordError
    with pytest.raises(RecordError, match="must be a number"):
        shipped.evaluate({"partner_id": "p", "annual_sales_usd": "2000000"})
    with pytest.raises(RecordError, match="must be an integer"):
        shipped.evaluate({"partner_id": "p", "referrals_this_year": True})


def test_integers_beyond_exact_range_are_rejected_not_clamped(shipped):
    from evaluator import RecordError
    with pytest.raises(RecordError, match="too large"):
        shipped.evaluate({"partner_id": "p", "annual_sales_usd": 2 ** 64})


def test_missing_fact_is_missing_even_for_not_equal():
    # The engine treats a missing field as "no match" for every operator, $neq included.
    doc = policy_with_condition({"fact": "country", "op": "!=", "value": "AU"})
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"partner_id": "p"}).criterion("t", "c").status == "missing"
        assert evaluator.evaluate({"partner_id": "p", "country": "NZ"}).criterion("t", "c").status == "met"
        assert evaluator.evaluate({"partner_id": "p", "country": "AU"}).criterion("t", "c").status == "not_met"


def test_concurrent_use_loses_no_results(shipped):
    # Unserialised asserts from several threads lose results silently; the engine lock prevents it.
    records = [{"partner_id": f"p{i}", "annual_sales_usd": (i * 7919) % 1_200_000, "referrals_this_year": i % 7}
               for i in range(400)]
    expected = [shipped.evaluate(r).to_dict() for r in records]
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = [shipped.evaluate(r).to_dict() for r in records]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "deadlock"
    assert all(results[n] == expected for n in range(6))


def test_close_frees_rulesets_and_refuses_further_use():
    engine = Engine(_rules({"$gte": {"x": 1}}), {"r0": 1})
    assert len(engine._host._ruleset_directory) == 1
    engine.close()
    assert engine._host._ruleset_directory == {}
    engine.close()  # idempotent
    with pytest.raises(EngineError, match="closed"):
        engine.fire({"r0": {"x": 1}})


def test_engine_refuses_a_ruleset_over_budget():
    with pytest.raises(EngineError, match="budget"):
        Engine(_rules({"$gte": {"x": 1}}), {"r0": MAX_DISJUNCTS_PER_RULESET + 1})


def test_host_starts_no_timer_threads():
    before = threading.active_count()
    engines = [Engine(_rules({"$gte": {"x": 1}}), {"r0": 1}) for _ in range(20)]
    try:
        assert threading.active_count() == before
    finally:
        for e in engines:
            e.close()
