"""Replay that proves (docs/bad-input.md, "Replay"): every field is compared by default, a partner
decided twice is reported, the trailer `evaluate --with-input` writes last makes a deleted,
added or edited line (or a file cut short) visible, `--jobs N` writes the same bytes, and every
decision `evaluate` can write is read back, however long its line."""
from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, base_policy, write_json


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from conftest import run_cli
    path = tmp_path_factory.mktemp("proof") / "decisions.jsonl"
    proc = run_cli("evaluate", "--with-input", "--output", str(path), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0, proc.stderr_text
    return path


def _edited(tmp_path, recorded, edit):
    lines = recorded.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = edit(lines)
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _results(cli, path, *args):
    proc = cli("replay", "--format", "jsonl", str(path), *args)
    return proc.returncode, [json.loads(line) for line in proc.stdout_text.splitlines()]


def test_the_trailer_counts_and_hashes_the_lines(recorded):
    import hashlib
    data = recorded.read_bytes()
    body, last = data[: data.rstrip(b"\n").rfind(b"\n") + 1], data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    assert json.loads(last) == {"trailer": {"format": "evaluator-decisions", "records": 25,
                                            "sha256": hashlib.sha256(body).hexdigest()}}


def _edit_line(index, change):
    def edit(lines):
        decision = json.loads(lines[index])
        change(decision)
        lines[index] = json.dumps(decision, ensure_ascii=False, separators=(",", ":")) + "\n"
        return lines
    return edit


@pytest.mark.parametrize("what, change, at", [
    ("another partner", lambda d: d.update(partner_id="AP-9999"), "/partner_id"),
    ("an edited next tier", lambda d: d["next_tier"].update(id="associate_partner"), "/next_tier/id"),
    ("an edited policy sha256", lambda d: d["policy"].update(sha256="0" * 64), "/policy/sha256"),
    ("an edited policy version", lambda d: d["policy"].update(version="9.9.9"), "/policy/version"),
])
def test_an_edited_field_differs_by_default(cli, tmp_path, recorded, what, change, at):
    code, results = _results(cli, _edited(tmp_path, recorded, _edit_line(5, change)))
    assert code == 1
    assert results[5]["status"] == "differs", what
    assert at in [d["at"] for d in results[5]["differences"]]
    assert [r["status"] for r in results[:5] + results[6:25]] == ["same"] * 24


@pytest.mark.parametrize("what, edit, statuses, message", [
    ("a duplicated line", lambda lines: lines[:4] + lines[3:], {"duplicate": 1, "same": 25, "incomplete": 1},
     "lines were deleted or added"),
    ("a deleted line", lambda lines: lines[:3] + lines[4:], {"same": 24, "incomplete": 1},
     "the trailer counts 25 line(s) before it, the file holds 24"),
    ("two lines swapped", lambda lines: lines[:3] + [lines[4], lines[3]] + lines[5:], {"same": 25, "incomplete": 1},
     "a line was changed or lines reordered"),
    ("the file cut short", lambda lines: lines[:20], {"same": 20, "incomplete": 1}, "no trailer"),
    ("the last decision and the trailer deleted", lambda lines: lines[:24], {"same": 24, "incomplete": 1},
     "no trailer"),
    ("a line added after the trailer", lambda lines: lines + [lines[0].replace("AP-0001", "AP-0001b")],
     {"same": 25, "tampered": 1, "incomplete": 1}, "come after the last trailer"),
])
def test_a_deleted_duplicated_or_moved_line_is_found(cli, tmp_path, recorded, what, edit, statuses, message):
    code, results = _results(cli, _edited(tmp_path, recorded, edit))
    assert code == 1, what
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    assert counts == statuses, what
    assert message in results[-1]["message"]


def test_a_duplicate_names_where_the_partner_was_first_decided(cli, tmp_path, recorded):
    proc = cli("replay", str(_edited(tmp_path, recorded, lambda lines: lines[:4] + lines[3:])))
    assert "edited.jsonl:5: AP-0004: duplicate: partner AP-0004 is decided more than once (first at line 4)" \
        in proc.stdout_text


def test_a_file_without_a_trailer_needs_no_trailer(cli, tmp_path):
    plain = tmp_path / "plain.jsonl"
    proc = cli("evaluate", "--with-input", "--no-trailer", "-o", str(plain), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0 and "trailer" not in plain.read_text().splitlines()[-1]
    assert cli("replay", str(plain)).returncode == 1
    assert cli("replay", "--no-trailer", str(plain)).stdout_text == "25 decision(s) replayed: 25 same\n"
    array = tmp_path / "decisions.json"
    assert cli("evaluate", "--with-input", "--format", "json", "-o", str(array),
               str(EXAMPLES / "partners.csv")).returncode == 0
    refused = cli("replay", str(array))
    assert refused.returncode == 1 and "JSON decisions carry no trailer" in refused.stdout_text
    assert cli("replay", "--no-trailer", str(array)).returncode == 0


def test_files_joined_are_checked_trailer_by_trailer(cli, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    lines = (EXAMPLES / "partners.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "a_in.jsonl").write_text("".join(lines[:10]))
    (tmp_path / "b_in.jsonl").write_text("".join(lines[10:]))
    cli("evaluate", "--with-input", "-o", str(first), str(tmp_path / "a_in.jsonl"))
    cli("evaluate", "--with-input", "-o", str(second), str(tmp_path / "b_in.jsonl"))
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    proc = cli("replay", str(joined))
    assert (proc.returncode, proc.stdout_text) == (0, "25 decision(s) replayed: 25 same\n")


def test_jobs_write_the_same_bytes_and_trailer_as_one_process(cli, tmp_path):
    lines = (EXAMPLES / "partners.jsonl").read_text().splitlines()
    many = tmp_path / "many.jsonl"
    # 2,500 records: several chunks of a --jobs run, each partner once
    many.write_text("".join(json.dumps(dict(json.loads(lines[i % len(lines)]), partner_id=f"P{i}")) + "\n"
                            for i in range(2500)))
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.jsonl"
        assert cli("evaluate", "--with-input", "--jobs", jobs, "-o", str(out), str(many)).returncode == 0
        outputs.append(out.read_bytes())
    piped = cli("evaluate", "--with-input", "--jobs", "2", str(many))
    assert outputs[0] == outputs[1] == piped.stdout
    assert json.loads(outputs[0].splitlines()[-1])["trailer"]["records"] == 2500
    assert cli("replay", str(tmp_path / "jobs2.jsonl")).stdout_text == "2500 decision(s) replayed: 2500 same\n"


def test_a_decision_over_one_mebibyte_is_read(cli, tmp_path):
    tiers = [{"id": f"t{i}", "name": f"Tier {i}", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": (1600 - i) * 10}}]}
        for i in range(1600)]
    policy = str(write_json(tmp_path / "tall.json", base_policy(tiers=tiers)))
    out = tmp_path / "tall.jsonl"
    proc = cli("evaluate", "--policy", policy, "--with-input", "-o", str(out),
               input='{"partner_id": "p", "sales": 5}\n', timeout=300)
    assert proc.returncode == 0, proc.stderr_text
    assert len(out.read_bytes().splitlines()[0]) > 1024 * 1024
    replay = cli("replay", "--policy", policy, str(out), timeout=300)
    assert (replay.returncode, replay.stdout_text) == (0, "1 decision(s) replayed: 1 same\n")
