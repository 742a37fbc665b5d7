"""Bad policies: each is a located error and exit 2, never a hang, a crash or a traceback; and
policies at and far beyond the engine's limits (huge `in` lists, many criteria, many tiers, many
facts, wide and deep conditions) still evaluate, to the same answers as the reference evaluator.
Every run that could hang runs as a subprocess with a timeout, so a hang fails the test."""
from __future__ import annotations

import copy
import datetime as dt
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator import load_policy
from evaluator.errors import PolicyError
from evaluator.language.patterns import MAX_PROGRAM_SIZE, compile_pattern, problem

import reference
from conftest import SHIPPED, base_policy, policy_with_condition, write_json

RECORD = '{"partner_id": "A", "annual_sales_usd": 5}\n'
AS_OF = "2026-06-15"


def shipped_doc() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def refused(cli, path, *, evaluate: bool = False, timeout: float = 60) -> str:
    """`validate` refuses the policy (exit 2, no traceback) and so does load_policy; with
    `evaluate`, `evaluate --policy` too, writing nothing."""
    proc = cli("validate", str(path), timeout=timeout)
    assert proc.returncode == 2, proc.stderr_text
    assert "Traceback" not in proc.stderr_text and "internal error" not in proc.stderr_text
    with pytest.raises(PolicyError):
        load_policy(path)
    if evaluate:
        run = cli("evaluate", "--policy", str(path), "-", input=RECORD, timeout=timeout)
        assert run.returncode == 2 and run.stdout_text == "" and "Traceback" not in run.stderr_text, run.stderr_text
    return proc.stderr_text


# --- malformed documents -------------------------------------------------------------------

def test_truncated_policy_is_located_and_says_it_is_cut_short(cli, tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    for cut in (len(text) // 3, len(text) - 3):
        path = tmp_path / f"cut{cut}.json"
        path.write_text(text[:cut], encoding="utf-8")
        err = refused(cli, path, evaluate=cut < len(text) // 2)
        line = text[:cut].count("\n") + 1
        assert f"{path}:" in err and "invalid JSON" in err and "cut short" in err
        assert f"{path}:{line}:" in err or f"{path}:{line - 1}:" in err or f"{path}:{line + 1}:" in err


def test_deep_nesting_is_refused_fast(cli, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"id": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    started = time.monotonic()
    err = refused(cli, path, evaluate=True, timeout=30)
    assert "nesting deeper than 64 levels" in err and f"{path}:1:" in err
    assert time.monotonic() - started < 20


def test_deep_nesting_inside_a_condition_is_refused_at_its_place(tmp_path):
    condition: dict = {"fact": "sales", "op": ">=", "value": 1}
    for _ in range(70):
        condition = {"not": condition}
    path = write_json(tmp_path / "deep.json", policy_with_condition(condition))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    (finding,) = info.value.findings
    assert "nesting deeper than 64" in finding.message and finding.line is not None


def test_a_huge_policy_is_refused_without_reading_it_all(cli, tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:  # a sparse 2 GiB file: reading it whole would take seconds and memory
        fh.write(b'{"id": "x", "description": "')
        fh.truncate(2 * 1024 ** 3)
    started = time.monotonic()
    err = refused(cli, path, evaluate=True, timeout=30)
    assert "larger than 5242880 bytes" in err
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("literal, shown", [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"),
                                            ("1e400", "1e400"), ("9" * 500, "more than 400 digits")])
def test_non_finite_numbers_in_a_policy_are_located(cli, tmp_path, literal, shown):
    text = SHIPPED.read_text(encoding="utf-8").replace('"value": 1000000', f'"value": {literal}', 1)
    assert literal in text
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if literal in l)
    err = refused(cli, path)
    assert shown in err and f"{path}:{line}:" in err


def test_duplicate_key_in_a_policy_is_located_in_its_own_object(cli, tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    marker = '"id": "certified_partner"'
    assert marker in text
    text = text.replace(marker, marker + ', "id": "certified_too"', 1)
    path = tmp_path / "dup.json"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "certified_too" in l)
    err = refused(cli, path)
    assert f"{path}:{line}:" in err and "duplicate key 'id'" in err


@pytest.mark.parametrize("data, message", [
    ("{}".encode("utf-16"), "UTF-16"),
    (b'{"id": "caf\xe9"}', "not valid UTF-8"),
    (b"", "invalid JSON"),
    (b"[]", "is not of type 'object'"),
    (b'"just a string"', "is not of type 'object'"),
])
def test_unreadable_or_wrong_shaped_policies(cli, tmp_path, data, message):
    path = tmp_path / "p.json"
    path.write_bytes(data)
    assert message in refused(cli, path)


def test_missing_policy_and_a_directory_as_policy(cli, tmp_path):
    for path in (tmp_path / "absent.json", tmp_path):
        proc = cli("evaluate", "--policy", str(path), "-", input=RECORD)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr_text and proc.stdout_text == ""


# --- references to elsewhere are refused, never fetched (test_no_network.py proves the latter) ---

@pytest.mark.parametrize("where", ["", "/facts/annual_sales_usd", "/tiers/0", "/tiers/0/criteria/0/condition"])
def test_a_remote_ref_anywhere_is_refused(cli, tmp_path, where):
    doc = shipped_doc()
    node = doc
    for part in [p for p in where.split("/") if p]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node["$ref"] = "https://attacker.invalid/partner-schema.json"
    path = write_json(tmp_path / "ref.json", doc)
    err = refused(cli, path)
    assert "'$ref' was unexpected" in err and (f"(at {where})" in err if where else True)


# --- regular expressions ---------------------------------------------------------------------

DANGEROUS = ["(a+)+$", "(a*)*b", "(a|a)*", "(a|aa)+", "((a+))+", "(x+x+)+y", "(.*a){12}", "(a?){25}a{25}",
             "(a)\\1", "(?P<x>a)(?P=x)", "(?=a)a+", "(?<!b)a", "(a)?(?(1)a|b)", "(\\w|ab)+", "(.|\\n)*",
             "([a-z]+-)*", "(?:a|b?)+"]
ACCEPTED = ["[A-Z]{2}", "[A-Za-z0-9][A-Za-z0-9._-]*", "(AU|NZ)", "[A-Z]{2}(,[A-Z]{2})*", ".*", "(?i)apac",
            "[0-9]{3}-[0-9]{4}", "(ab|cd)+", ".*.*.*x"]


@pytest.mark.parametrize("pattern", DANGEROUS)
def test_backtracking_patterns_are_refused(pattern):
    found = problem(pattern)
    assert found is not None and "exponential time" in found[0], pattern


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_plain_patterns_are_accepted(pattern):
    assert problem(pattern) is None


@pytest.mark.parametrize("pattern, message", [
    ("[a-", "not a valid regular expression"), ("\\Z", "does not support"), ("a{1001}", "does not support"),
    ("[ab]*a[ab]{999}", "too complex"),
])
def test_invalid_unsupported_and_oversized_patterns_are_refused(pattern, message):
    assert message in problem(pattern)[0]


def test_a_dangerous_pattern_is_refused_with_its_location(cli, tmp_path):
    doc = shipped_doc()
    doc["facts"]["partner_name"]["pattern"] = "([A-Za-z]+ ?)*"
    path = write_json(tmp_path / "p.json", doc)
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if "([A-Za-z]+ ?)*" in l)
    err = refused(cli, path, evaluate=True)
    assert f"{path}:{line}:" in err and "exponential time" in err and "(at /facts/partner_name/pattern)" in err


def test_matching_time_is_linear_even_for_patterns_a_backtracker_chokes_on():
    """`.*.*.*x` passes the checks (it is only polynomial for a backtracker); RE2 matches it, and
    the largest accepted program, in time linear in the value: 4x the value, about 4x the time
    (the fastest of two runs each, a generous factor: a ratio, never seconds, on a loaded machine)."""
    def fastest(run):
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        return best
    for text in (".*.*.*.*x", "[ab]*a[ab]{%d}" % (MAX_PROGRAM_SIZE // 2 - 10)):
        assert problem(text) is None
        pattern = compile_pattern(text)
        small, large = "a" * 100_000 + "c", "a" * 400_000 + "c"
        assert not pattern.fullmatch(large)
        ratio = fastest(lambda: pattern.fullmatch(large)) / max(fastest(lambda: pattern.fullmatch(small)), 1e-4)
        assert ratio < 9, (text, ratio)


def test_a_record_against_a_pattern_cannot_hang_the_cli(cli, tmp_path):
    doc = shipped_doc()
    doc["facts"]["partner_name"]["pattern"] = ".*.*.*.*x"
    path = write_json(tmp_path / "p.json", doc)
    line = json.dumps({"partner_id": "A", "partner_name": "a" * 900_000})
    proc = cli("evaluate", "--policy", str(path), "-", input=line + "\n" + RECORD, timeout=60)
    assert proc.returncode == 1
    bad, good = (json.loads(l) for l in proc.stdout_text.splitlines())
    assert "does not match the pattern" in bad["error"]["message"] and good["partner_id"] == "A"


@pytest.mark.parametrize("text", ["[A-Z]{2}", "(AU|NZ)", "[^;]*", ".{0,3}", "(?i)au", "[a-zé]+", "x*", ".",
                                  "[0-9]{1,3}", "(ab|cd)+"])
def test_re2_and_python_agree_on_the_patterns_policies_use(text):
    import re
    pattern = compile_pattern(text)
    for value in ["", "AU", "au", "NZ", "AUS", "A", "é", "É", "ab", "abcd", "x;y", "123", "1234", "xxx", "日本",
                  "🙂", "a\nb", "\n", "e\u0301", " AU"]:
        assert pattern.fullmatch(value) == (re.fullmatch(text, value) is not None), (text, value)
        assert pattern.fullmatch(value) == (pattern._regexp.fullmatch(value) is not None)



# Patterns simple enough for Python's `re` (patterns._single_pass) must match exactly as RE2.
_CHARS = "aAzZ09._-é日🙂\n "
_ITEMS = st.sampled_from(["a", "Z", "é", "日", "🙂", "\\.", "-", "_", "[A-Z]", "[a-z0-9]", "[A-Za-z0-9._-]",
                          "[é日]", "[🙂a]", "[0-9]", "[-a]", "[ -~]"])
_COUNTS = st.sampled_from(["", "{2}", "{0}", "{1,3}", "*", "+", "?", "{2,}"])


@st.composite
def _simple_patterns(draw):
    items = draw(st.lists(st.tuples(_ITEMS, _COUNTS), max_size=4))
    return "".join(item + count for item, count in items)


@settings(max_examples=300, deadline=None)
@given(_simple_patterns(), st.lists(st.text(alphabet=_CHARS, max_size=8), min_size=1, max_size=6))
def test_patterns_python_matches_give_re2_answers(text, values):
    from evaluator.language.patterns import _single_pass
    if problem(text) is not None:
        return
    pattern = compile_pattern(text)
    for value in values:
        assert pattern.fullmatch(value) == (pattern._regexp.fullmatch(value) is not None), (text, value)
        assert bool(pattern.test(value)) == pattern.fullmatch(value)
    # the shapes _single_pass takes are the ones with at most one variable count
    variable = sum(count not in ("", "{2}", "{0}") for count in _counts_of(text))
    assert _single_pass(text) == (variable <= 1)


def _counts_of(text):
    import re
    return [m.group(2) for m in re.finditer(r"(\[[^\]]*\]|[^\[{*+?])(\{[^}]*\}|[*+?]|)", text)]


@pytest.mark.parametrize("text, python", [
    ("[A-Za-z0-9][A-Za-z0-9._-]*", True), ("[A-Z]{2}", True), ("a|b", True), ("", True), ("é+", True),
    ("a*b*", False), ("(ab)*", False), ("[^a]*", False), ("\\d+", False), (".*", False), ("^a", False),
    ("[A-Z]{2,3}x*", False), ("(?i)a", False), ("\\w", False)])
def test_only_single_pass_patterns_leave_re2(text, python):
    import re
    pattern = compile_pattern(text)
    assert (getattr(pattern.test, "__self__", None).__class__ is re.Pattern) is python


def test_a_single_pass_pattern_is_linear_for_python_re_too():
    """The one variable item backtracks at most once per character: a megabyte that fails at
    its very end is still quick."""
    pattern = compile_pattern("[A-Za-z0-9][A-Za-z0-9._-]*[0-9]{3}")
    value = "a" * 1_000_000 + "!"
    started = time.monotonic()
    assert not pattern.fullmatch(value)
    assert time.monotonic() - started < 3

# --- conditions beyond the engine's limits evaluate, correctly, without hanging --------------

def _big_policy() -> tuple[dict, list[dict]]:
    """Past every engine budget at once: 2,500-value `in` lists of strings and numbers (engine:
    64 alternatives), 120 tiers, 300 criteria in one tier, 260 facts (engine: 252 properties), a
    1,000-part `any`, a 24-deep condition, a contains over 600 items."""
    facts = {"partner_id": {"type": "string", "description": "id", "required": True},
             "code": {"type": "string", "description": "code"},
             "amount": {"type": "number", "description": "amount"},
             "tags": {"type": "string_list", "description": "tags"}}
    for i in range(260):
        facts[f"f{i}"] = {"type": "integer", "description": f"f{i}"}
    codes = [f"C{i:05d}" for i in range(0, 5000, 2)]
    amounts = [i * 0.5 for i in range(2500)]
    deep: dict = {"fact": "amount", "op": ">=", "value": 10}
    for depth in range(24):
        deep = {"not": deep} if depth % 2 else {"all": [deep, {"fact": "f1", "op": "!=", "value": depth}]}
    criteria_wide = [{"id": f"c{i}", "description": "f", "condition": {"fact": f"f{i % 260}", "op": ">=", "value": i}}
                     for i in range(300)]
    tiers = [
        {"id": "codes", "name": "Codes", "criteria": [
            {"id": "in", "description": "in", "condition": {"fact": "code", "op": "in", "value": codes}},
            {"id": "not_in", "description": "not_in", "advisory": True,
             "condition": {"fact": "amount", "op": "not_in", "value": amounts}}]},
        {"id": "wide", "name": "Wide", "criteria": criteria_wide},
        {"id": "any", "name": "Any", "criteria": [{"id": "any", "description": "any", "condition": {
            "any": [{"fact": f"f{i % 260}", "op": "==", "value": 1000 + i} for i in range(1000)]}}]},
        {"id": "deep", "name": "Deep", "criteria": [{"id": "deep", "description": "deep", "condition": deep}]},
        {"id": "tags", "name": "Tags", "criteria": [{"id": f"t{i}", "description": "t",
                                                      "condition": {"fact": "tags", "op": "contains", "value": f"T{i}"}}
                                                     for i in range(0, 600, 3)]},
    ]
    tiers += [{"id": f"rank{i}", "name": f"Rank {i}", "criteria": [
        {"id": "r", "description": "r", "condition": {"fact": "amount", "op": "between", "value": [i, i + 0.5]}}]}
        for i in range(115)]
    doc = {"id": "big", "version": "1", "title": "Big", "currency": "USD", "facts": facts, "tiers": tiers}
    records = [
        {"partner_id": "P1", "code": "C00000", "amount": 0.5},
        {"partner_id": "P2", "code": "C00001", "amount": 0.25},
        {"partner_id": "P3", "code": "C04998", "amount": 1249.5, **{f"f{i}": 300 for i in range(260)}},
        {"partner_id": "P4", "code": "C04999", "amount": 1249.75, **{f"f{i}": i for i in range(260)}},
        {"partner_id": "P5", "f7": 1007, "amount": 10, "f1": 3},
        {"partner_id": "P6", "tags": [f"T{i}" for i in range(600)], "amount": 9.999},
        {"partner_id": "P7", "tags": [f"T{i}" for i in range(0, 600, 3)] + ["X"] * 50, "amount": 114.5},
        {"partner_id": "P8", "amount": 114.50000000000001, **{f"f{i}": 299 for i in range(260)}},
        {"partner_id": "P9"},
    ]
    return doc, records


def test_policies_beyond_every_engine_limit_evaluate_like_the_reference(cli, tmp_path):
    doc, records = _big_policy()
    policy_path = write_json(tmp_path / "big.json", doc)
    input_path = tmp_path / "in.jsonl"
    input_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = cli("evaluate", "--policy", str(policy_path), "--as-of", AS_OF, str(input_path), timeout=120)
    assert proc.returncode == 0, proc.stderr_text[-2000:]
    decisions = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert len(decisions) == len(records)
    day = dt.date.fromisoformat(AS_OF)
    for record, decision in zip(records, decisions):
        expected = reference.decide(doc, record, day)
        assert (decision["tier"] or {}).get("id") == expected.tier, record["partner_id"]
        got = {(t["id"], c["id"]): c["status"] for t in decision["tiers"] for c in t["criteria"]}
        assert got == expected.criteria, record["partner_id"]
        assert {t["id"]: t["status"] for t in decision["tiers"]} == expected.tiers
    tiers = [(d["tier"] or {}).get("id") for d in decisions]
    assert tiers[0] == "codes" and tiers[1] != "codes" and tiers[2] == "codes"
    assert len(set(tiers)) >= 4, f"the records should reach different tiers: {tiers}"


def test_the_compiled_big_policy_stays_within_the_engine_budgets():
    from evaluator.compile.compiler import compile_policy
    from evaluator.compile.engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT
    from evaluator.model.policy import build_policy
    doc, _ = _big_policy()
    compiled = compile_policy(build_policy(doc))  # validated by the test above, through the CLI
    assert len(compiled.rulesets) > 1, "the policy had to be split across rulesets"
    assert max(compiled.disjuncts.values()) <= MAX_DISJUNCTS_PER_RULESET
    assert max(len(ops) for ops in compiled.ruleset_operands.values()) <= MAX_FIELDS_PER_FACT


def test_exponent_floats_huge_and_tiny_constants_never_reach_the_engine_raw(cli, tmp_path):
    """The engine rejects exponent-form floats and clamps big integers silently; constants like
    these must still compare exactly (values reach the engine as small codes)."""
    condition = {"any": [{"fact": "sales", "op": "==", "value": 1e-300},
                         {"fact": "sales", "op": ">", "value": 2 ** 53 - 1},
                         {"fact": "sales", "op": "between", "value": [5e-324, 1e-5]}]}
    doc = policy_with_condition(condition)
    doc["facts"]["sales"].pop("minimum")
    policy_path = write_json(tmp_path / "p.json", doc)
    values = [1e-300, 1e-301, 2 ** 53, 2 ** 53 - 1, 5e-324, 0, 1e-5, 1.0000000000000001e-05, 1.00001e-05]
    text = "".join(json.dumps({"partner_id": f"P{i}", "sales": v}) + "\n" for i, v in enumerate(values))
    proc = cli("evaluate", "--policy", str(policy_path), "-", input=text)
    assert proc.returncode == 0, proc.stderr_text
    statuses = [json.loads(l)["tiers"][0]["status"] for l in proc.stdout_text.splitlines()]
    expected = [reference.decide(doc, {"sales": v, "partner_id": "P"}, dt.date.today()).tiers["t"] for v in values]
    assert statuses == expected == ["met", "met", "met", "not_met", "met", "not_met", "met", "met", "not_met"]


def test_a_policy_error_never_hides_behind_a_crash_when_loaded_as_a_dict():
    doc = base_policy()
    doc["tiers"][0]["criteria"][0]["condition"]["value"] = float("nan")
    with pytest.raises(PolicyError):
        load_policy(copy.deepcopy(doc))


# --- the engine's crash and hang states, driven end to end by input -------------------------

def _negations_policy() -> dict:
    """Negative tests (`!=`, `not_in`, `not`) over facts that may be absent (the engine's `$nex`
    loop), `contains` over lists that may be empty (`$iany` never matches []), overrides."""
    doc = base_policy()
    doc["tiers"] = [
        {"id": "neg", "name": "Neg", "criteria": [
            {"id": "ne", "description": "ne", "condition": {"fact": "country", "op": "!=", "value": "AU"}},
            {"id": "nin", "description": "nin", "condition": {"fact": "referrals", "op": "not_in", "value": [0, 1]}},
            {"id": "not_has", "description": "x", "condition": {"not": {"fact": "regions", "op": "contains",
                                                                         "value": "ANZ"}}}]},
        {"id": "has", "name": "Has", "criteria": [
            {"id": "has", "description": "has", "condition": {"fact": "regions", "op": "contains", "value": "ANZ"}},
            {"id": "flag", "description": "flag", "condition": {"fact": "active", "op": "!=", "value": False}}]},
        {"id": "any", "name": "Any", "criteria": []},
    ]
    doc["overrides"] = [{"id": "ban", "description": "ban", "tier": None,
                         "when": {"all": [{"fact": "country", "op": "==", "value": "XX"},
                                          {"not": {"fact": "sales", "op": ">=", "value": 0}}]}}]
    return doc


def test_thousands_of_sessions_first_record_matching_nothing_negations_and_empty_lists(cli, tmp_path):
    """Run as a subprocess with a timeout: a crash (the 1,025th live session; deleting a session
    in which nothing matched before any action ran) or a hang (a `$nex` rule re-matched by the
    engine's own context message) fails the test instead of taking pytest down."""
    doc = _negations_policy()
    shapes = [
        {},                                                              # first: nothing at all matches
        {"country": "AU", "referrals": 0, "regions": [], "active": False},
        {"country": "NZ", "referrals": 2, "regions": ["ANZ"], "active": True},
        {"regions": []},
        {"country": "XX", "sales": 5, "regions": ["ASEAN", "ANZ", "ANZ"]},
        {"referrals": 1, "active": True},
    ]
    records = [dict(shape, partner_id=f"P{i}") for i in range(3000) for shape in [shapes[i % len(shapes)]]]
    policy_path = write_json(tmp_path / "neg.json", doc)
    facts = tmp_path / "in.jsonl"
    facts.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = cli("evaluate", "--policy", str(policy_path), str(facts), timeout=180)
    assert proc.returncode == 0, proc.stderr_text[-2000:]
    decisions = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert len(decisions) == len(records)
    day = dt.date.today()
    for record, decision in zip(records[: len(shapes)], decisions):
        expected = reference.decide(doc, record, day)
        assert {(t["id"], c["id"]): c["status"] for t in decision["tiers"] for c in t["criteria"]} == expected.criteria
        assert (decision["tier"] or {}).get("id") == expected.tier
    assert [d["partner_id"] for d in decisions] == [r["partner_id"] for r in records]
    for i, decision in enumerate(decisions):  # the same shape always gets the same decision
        twin = decisions[i % len(shapes)]
        assert decision["tiers"] == twin["tiers"] and decision["tier"] == twin["tier"]


def test_fact_names_the_engine_reserves_are_plain_facts():
    """`sid` and `id` name the engine's session and fact identity; a policy may still use them."""
    doc = policy_with_condition({"all": [{"fact": "sid", "op": "==", "value": "S"},
                                         {"fact": "id", "op": ">", "value": 1}]})
    doc["facts"]["sid"] = {"type": "string", "description": "a fact called sid"}
    doc["facts"]["id"] = {"type": "integer", "description": "a fact called id"}
    from evaluator import Evaluator
    with Evaluator(load_policy(doc)) as evaluator:
        statuses = [evaluator.evaluate({"partner_id": "P", **r}).tiers[0].status
                    for r in ({"sid": "S", "id": 2}, {"sid": "S", "id": 1}, {"sid": "T", "id": 2}, {"id": 2})]
    assert statuses == ["met", "not_met", "not_met", "missing"]


def test_one_evaluator_shared_by_threads_loses_nothing():
    """Concurrent asserts into the engine lose results silently; the evaluator serialises them."""
    from concurrent.futures import ThreadPoolExecutor
    from evaluator import Evaluator
    doc = _negations_policy()
    records = [{"partner_id": f"P{i}", "country": ["AU", "NZ", "XX"][i % 3], "referrals": i % 4,
                "regions": [["ANZ"], [], ["ASEAN"]][i % 3], "active": bool(i % 2), "sales": i} for i in range(600)]
    with Evaluator(load_policy(doc)) as evaluator:
        alone = [evaluator.evaluate(r).to_dict() for r in records]
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda r: evaluator.evaluate(r).to_dict(), records))
    assert together == alone
