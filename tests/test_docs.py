"""Every command and Python block of README.md and docs/*.md runs as shown (tests/docblocks.py):
in a fresh folder holding the repository's examples, policies and schemas, with the installed
`evaluator` and this Python first on PATH, each file's blocks in order."""
from __future__ import annotations

import pytest

from conftest import REPO
from docblocks import RUN, blocks, matches, run_page

# Pages whose examples need more than a folder and a shell (a running server, a cluster, a
# check of what the page made) are run by a test of their own, named here; every other page here.
OWN_RUNNER = {"service.md": "test_service_doc.py", "reports.md": "test_reports_doc.py", "scale.md": "test_scale_doc.py"}
DOCS = [REPO / "README.md", *sorted(p for p in (REPO / "docs").glob("*.md") if p.name not in OWN_RUNNER)]
MAX_SKIPPED = 6  # marked not to run, over every page: installs and benchmark runs only


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_block_of_the_page_runs_as_shown(tmp_path, path):
    problems = run_page(path, tmp_path)
    assert not problems, "\n\n".join(problems)


def test_every_block_names_its_language_and_few_are_left_out():
    every = [b for path in DOCS for b in blocks(path)]
    unnamed = [b.name for b in every if not b.language]
    assert not unnamed, f"blocks without a language (console, sh, python, json, text, ...): {unnamed}"
    skipped = [b for b in every if b.skipped is not None]
    assert len(skipped) <= MAX_SKIPPED, [b.name for b in skipped]
    assert all(b.skipped != "marked" for b in skipped), "say why a block is not run: <!-- doc-test: skip (why) -->"
    assert sum(b.language in RUN and b.skipped is None for b in every) >= 30  # the pages do run


def test_the_pages_with_their_own_runner_are_run_by_it():
    for page, runner in OWN_RUNNER.items():
        if (REPO / "docs" / page).exists():
            test = REPO / "tests" / runner
            assert test.exists() and page in test.read_text(encoding="utf-8"), (page, runner)


# --- the harness itself -------------------------------------------------------------------------

def test_the_harness_finds_what_is_stale(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```console\n$ echo one; echo two\none\n...\n```\n\n"
        "<!-- doc-test: skip (not for here) -->\n```sh\nexit 9\n```\n\n"
        "```sh\necho made > made.txt\n```\n\n```python\nassert open('made.txt').read() == 'made\\n'\n```\n\n"
        "```console\n$ echo three\nfour\n```\n\n```python\nraise SystemExit(4)\n```\n\n"
        "```sh\nfalse\necho not reached\n```\n\n```json\n{\"not\": \"run\"}\n```\n", encoding="utf-8")
    found = blocks(page)
    assert [b.language for b in found] == ["console", "sh", "sh", "python", "console", "python", "sh", "json"]
    assert found[1].skipped == "not for here" and found[0].skipped is None
    folder = tmp_path / "run"
    folder.mkdir()
    problems = run_page(page, folder)
    assert len(problems) == 3, problems  # `four`, the exit 4 and `false`; the skipped exit 9 did not run
    assert "page.md:22" in problems[0] and "three" in problems[0]
    assert "exited 4" in problems[1] and "exited 1" in problems[2]


def test_ellipsis_and_continued_commands():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "..."], ["a"])
    assert not matches(["a", "...", "d"], ["a", "b"]) and not matches(["a"], ["a", "b"])
    assert matches(["sha256 7d...bf; evaluator ..."], ["sha256 7d0123bf; evaluator 0.1.0"])
    assert not matches(["sha256 7d...bf"], ["sha256 7d0123bx"]) and not matches(["a.c"], ["abc"])
    page_text = "```console\n$ printf 'x\\n' \\\n  && echo y\nx\ny\n```\n"
    from docblocks import console_steps
    steps = console_steps(page_text.splitlines()[1:-1])
    assert steps == [("printf 'x\\n' \\\n  && echo y", ["x", "y"])]
