"""Bad policies: every error located (file, line, column, JSON Pointer, expected, found), all
of them reported at once, and the shipped policies valid."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator import PolicyError, load_policy
from evaluator.model.policy import canonical_json, sha256_of

from conftest import REPO, SHIPPED, base_policy, policy_with_condition, write_json


def findings_of(doc_or_text, tmp_path: Path):
    path = tmp_path / "policy.json"
    if isinstance(doc_or_text, str):
        path.write_text(doc_or_text, encoding="utf-8")
    else:
        write_json(path, doc_or_text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value.findings


def test_every_shipped_policy_is_valid():
    for path in sorted((REPO / "policies").glob("*.json")):
        load_policy(path)


def test_schema_error_is_located_by_line_column_and_pointer(tmp_path):
    doc = base_policy()
    doc["tiers"][1]["criteria"][0]["condition"]["op"] = "=>"
    (finding,) = findings_of(doc, tmp_path)
    assert finding.pointer == "/tiers/1/criteria/0/condition/op"
    text = (tmp_path / "policy.json").read_text().splitlines()
    assert '"=>"' in text[finding.line - 1][finding.column - 1:]
    assert finding.found == "'=>'"
    assert "enum" in finding.expected
    assert finding.file.endswith("policy.json")


def test_every_error_is_reported_in_one_run(tmp_path):
    doc = base_policy()
    doc["currency"] = "usd"
    doc["tiers"][0]["criteria"][0]["condition"] = {"fact": "sale", "op": ">=", "value": 1}
    doc["tiers"][1]["criteria"][0]["condition"] = {"fact": "sales", "op": ">="}
    findings = findings_of(doc, tmp_path)
    by_pointer = {f.pointer: f.message for f in findings}
    assert set(by_pointer) == {"/currency", "/tiers/0/criteria/0/condition/fact",
                               "/tiers/1/criteria/0/condition"}
    assert "did you mean 'sales'" in by_pointer["/tiers/0/criteria/0/condition/fact"]
    assert "'value' is a required property" in by_pointer["/tiers/1/criteria/0/condition"]


@pytest.mark.parametrize("change, pointer, message", [
    (lambda d: d["tiers"][0]["criteria"][0]["condition"].update(fact="referals"),
     "/tiers/0/criteria/0/condition/fact", "did you mean 'referrals'"),
    (lambda d: d["tiers"][0]["criteria"][0]["condition"].update(fact="region_count"),
     "/tiers/0/criteria/0/condition/fact", 'is a measure: write "measure": "region_count"'),
    (lambda d: d["tiers"].append(dict(d["tiers"][0])), "/tiers/2/id", "duplicate tier id 'gold'"),
    (lambda d: d["tiers"][0]["criteria"].append(dict(d["tiers"][0]["criteria"][0])),
     "/tiers/0/criteria/1/id", "duplicate criterion id"),
    (lambda d: d.update(overrides=[{"id": "o", "description": "o", "when": {"fact": "active", "op": "==", "value": True},
                                    "tier": "platinum"}]), "/overrides/0/tier", "unknown tier 'platinum'"),
    (lambda d: d.update(id_fact="partner"), "/id_fact", "did you mean 'partner_id'"),
    (lambda d: d["facts"]["country"].update(minimum=3), "/facts/country/minimum", "does not apply to a string"),
    (lambda d: d["facts"]["sales"].update(minimum=10, maximum=5), "/facts/sales", "minimum is above maximum"),
    (lambda d: d["facts"]["country"].update(pattern="(a+)+$"), "/facts/country/pattern", "exponential"),
    (lambda d: d["facts"]["country"].update(pattern="(a)\\1"), "/facts/country/pattern", "exponential"),
    (lambda d: d["facts"]["country"].update(pattern="[a-"), "/facts/country/pattern", "not a valid regular"),
    (lambda d: d["facts"]["sales"].update(default="x"), "/facts/sales/default", "default is not a valid value"),
    (lambda d: d.update(version=""), "/version", "should be non-empty"),
    (lambda d: d.update(extra=1), "", "Additional properties"),
    (lambda d: d["facts"]["sales"].update(type="money"), "/facts/sales/type", "is not one of"),
    (lambda d: d["tiers"][0]["criteria"][0].update(condition={"all": []}),
     "/tiers/0/criteria/0/condition/all", "should be non-empty"),
])
def test_semantic_and_schema_errors(tmp_path, change, pointer, message):
    doc = base_policy()
    change(doc)
    findings = findings_of(doc, tmp_path)
    assert any(f.pointer == pointer and message in f.message for f in findings), [f.show() for f in findings]
    assert all(f.line is not None for f in findings)


@pytest.mark.parametrize("text, line, message", [
    ('{"id": "x",\n "version": "1"', 2, "invalid JSON"),                    # truncated
    ('{"id": "x",\n "id": "y"}', 2, "duplicate key 'id'"),
    ('{"id": "x",\n "n": NaN}', 2, "NaN is not a JSON number"),
    ('{"id": "x",\n "n": -Infinity}', 2, "Infinity is not a JSON number"),
    ("[" * 100 + "]" * 100, 1, "nesting deeper than 64"),
    ("", 1, "invalid JSON"),
])
def test_unreadable_json_is_located(tmp_path, text, line, message):
    (finding,) = findings_of(text, tmp_path)
    assert message in finding.message
    assert finding.line == line


def test_utf16_policy_is_a_clear_error(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(json.dumps(base_policy()).encode("utf-16"))
    with pytest.raises(PolicyError, match="UTF-16"):
        load_policy(path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(base_policy()).encode())
    assert load_policy(path).id == "test-program"


def test_oversized_policy_is_refused(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(base_policy(description="x" * (6 * 1024 * 1024))))
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "nope.json")


def test_sha256_is_of_the_canonical_json(tmp_path):
    doc = json.loads(SHIPPED.read_text())
    policy = load_policy(SHIPPED)
    assert policy.sha256 == sha256_of(doc)
    # formatting and key order do not change it; content does
    reformatted = tmp_path / "p.json"
    reformatted.write_text(json.dumps(doc, indent=7, sort_keys=True))
    assert load_policy(reformatted).sha256 == policy.sha256
    doc["version"] = "9"
    assert sha256_of(doc) != policy.sha256
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'


def test_policy_schema_is_valid_json_schema_with_examples():
    import jsonschema
    schema = json.loads((REPO / "schemas" / "policy.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "examples" in schema["$defs"]["comparison"]


def test_the_language_pages_example_policy_is_valid():
    text = (REPO / "docs" / "language.md").read_text()
    start = text.index("```json\n{\n  \"$schema\"") + len("```json\n")
    doc = json.loads(text[start:text.index("```", start)])
    doc.pop("$schema")
    policy = load_policy(doc)
    assert [t.id for t in policy.tiers] == ["gold", "member"]


def test_nothing_in_a_policy_is_executed(tmp_path):
    # Strings that look like code are just strings: names must be identifiers, values are data.
    doc = policy_with_condition({"fact": "country", "op": "==", "value": "__import__('os').system('false')"})
    doc["description"] = "{{ 7*7 }} ${7*7} `id`"
    policy = load_policy(doc)
    from evaluator import Evaluator
    with Evaluator(policy) as evaluator:
        assert evaluator.evaluate({"partner_id": "p", "country": "x"}).criterion("t", "c").status == "not_met"
    bad = base_policy()
    bad["measures"] = {"m": {"description": "m", "compute": "__import__('os')"}}
    with pytest.raises(PolicyError, match="identifier|does not match|not valid"):
        load_policy(bad)
