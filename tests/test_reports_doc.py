"""The examples of docs/reports.md run as shown (tests/docblocks.py), and the HTML report one of
them writes has the channel-mix section and its chart; its JSON target is the shipped one."""
from __future__ import annotations

import json
import re

from conftest import REPO
from docblocks import run_page

DOC = REPO / "docs" / "reports.md"


def test_the_examples_run_as_shown_and_the_html_report_has_the_channel_mix(tmp_path):
    problems = run_page(DOC, tmp_path)
    assert not problems, "\n\n".join(problems)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Channel share of sales</h2>" in page and "stroke-dasharray" in page


def test_the_documented_target_is_the_shipped_one():
    shipped = json.loads((REPO / "policies" / "messagelabs-apac.json").read_text())["targets"][0]
    shown = json.loads("{" + re.search(r'```json\n(.*?)```', DOC.read_text(), re.S).group(1) + "}")["targets"][0]
    assert {k: v for k, v in shown.items() if k != "per"} == {k: v for k, v in shipped.items()
                                                             if k not in ("per", "description")}
    assert shown["per"]["fact"] == shipped["per"]["fact"]
    assert shown["per"]["targets"].items() <= shipped["per"]["targets"].items()
