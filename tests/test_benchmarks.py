"""The benchmark scripts still run: benchmarks/instructions.py's measured work for every path
(without valgrind, which the suite does not need), and its message when valgrind is missing; and
bench.py reads the issue's targets right (at each threshold, one below, without baselines)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = REPO / "benchmarks" / "instructions.py"


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "partners.jsonl"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "population.py"), "60", "-o", str(path)], check=True)
    return path


@pytest.mark.parametrize("mode", ["jsonl lane", "statuses", "tier"])
def test_each_measured_path_runs(partners, mode):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--child", str(partners), mode, "2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_without_valgrind_it_says_so_and_exits_2(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no valgrind on this PATH
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and "valgrind is not installed" in proc.stderr


def _report(statuses, cli_rate, pss, jre=25_000.0):
    """A bench.py --json report with just what target_lines reads."""
    lib = {"cached_statuses": {"median": statuses}, "cached_lines": {"median": 40_000.0},
           "jre": {"median": jre}, "bare_post": {"median": 20_000.0}, "if_chain": {"median": 2_700_000.0}}
    row = {"partners": 5_000_000, "output": "/dev/null", "jobs2": {"partners_per_s": cli_rate, "tree_pss_mb": pss}}
    return {"library": lib, "cli": [row]}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_targets_are_met_exactly_at_each_threshold(bench):
    lines = bench.target_lines(_report(100_000.0, 50_000.0, 150.0), 2)
    assert "this host against the issue's machine" in lines[0] and "json-rules-engine, tier only 25,000/s (x0.50" in lines[0]
    statuses = next(line for line in lines if "every criterion's result" in line)
    assert ">= 100,000/s met" in statuses and "twice json-rules-engine here (50,000/s) met, x4.00" in statuses
    cli = next(line for line in lines if line.startswith("CLI --jobs 2"))
    # 50,000/s scaled by each baseline's rate here over the issue's: 25,000, 25,000 and 50,000
    assert ">= 50,000/s met" in cli and "json-rules-engine, tier only 25,000/s met" in cli
    assert "durable-rules bare, tier only 25,000/s met" in cli and "hand-written if-chain 50,000/s met" in cli
    assert lines[-1].endswith("150 MB; <= 150 MB met")


def test_targets_one_below_each_threshold_are_not_met(bench):
    lines = bench.target_lines(_report(99_999.0, 49_999.0, 151.0, jre=50_000.0), 2)
    statuses = next(line for line in lines if "every criterion's result" in line)
    assert ">= 100,000/s not met" in statuses and "(100,000/s) not met, x2.00" in statuses
    cli = next(line for line in lines if line.startswith("CLI --jobs 2"))
    assert ">= 50,000/s not met" in cli and "json-rules-engine, tier only 50,000/s not met" in cli
    assert lines[-1].endswith("<= 150 MB not met")


def test_targets_without_baselines_give_the_absolute_figures_only(bench):
    report = _report(120_000.0, 60_000.0, 100.0)
    for key in ("jre", "bare_post", "if_chain"):
        report["library"][key] = {"skipped": "node is not installed"}
    lines = bench.target_lines(report, 2)
    assert not any("issue's machine" in line or "scaled" in line or "twice" in line for line in lines)
    assert any(">= 100,000/s met" in line for line in lines) and any(">= 50,000/s met" in line for line in lines)


def test_stolen_cpu_time_is_reported_and_taken_out_of_the_cli_rate(bench):
    report = _report(120_000.0, 30_000.0, 100.0)
    report["library"]["steal"] = 0.25
    report["cli"][0]["jobs2"]["steal"] = 0.4
    lines = bench.target_lines(report, 2)
    assert "library rows: 25% of the CPU time stolen by the host" in "\n".join(lines)
    cli = next(line for line in lines if line.startswith("CLI --jobs 2"))
    assert ">= 50,000/s not met" in cli and "40% of the CPU time stolen by the host, without it ~50,000/s" in cli
    report["cli"][0]["jobs2"]["steal"] = None  # not Linux: nothing said
    assert "stolen" not in next(line for line in bench.target_lines(report, 2) if line.startswith("CLI"))


def test_the_output_option_row_is_read_against_the_targets_too(bench):
    report = _report(120_000.0, 60_000.0, 100.0)
    report["cli"][0].update(output="file", jobs2_o={"partners_per_s": 49_999.0, "tree_pss_mb": 151.0})
    lines = bench.target_lines(report, 2)
    redirect = next(line for line in lines if line.startswith("CLI --jobs 2, 5,000,000 partners into file"))
    option = next(line for line in lines if line.startswith("CLI --jobs 2, 5,000,000 partners into --output FILE"))
    assert "60,000/s; >= 50,000/s met" in redirect and "49,999/s; >= 50,000/s not met" in option
    assert lines[-1].endswith("151 MB; <= 150 MB not met")  # its memory counts


def test_start_up_is_set_against_what_a_small_input_may_take(bench):
    report = _report(120_000.0, 60_000.0, 100.0)
    small = {"partners": 10_000, "output": "file", "jobs2": {"partners_per_s": 15_000.0, "tree_pss_mb": 90.0}}
    report["cli"].insert(0, small)
    report["startup_seconds"] = 0.25
    lines = bench.target_lines(report, 2)
    ten = next(line for line in lines if line.startswith("CLI --jobs 2, 10,000 partners"))
    huge = next(line for line in lines if line.startswith("CLI --jobs 2, 5,000,000 partners"))
    assert "start-up alone (a one-partner run) takes 0.25 s of the 0.20 s 50,000/s allows" in ten
    assert "start-up" not in huge  # 0.25 s of 100 s: not worth a word
    report["startup_seconds"] = 0.019  # under a tenth of 0.2 s: not said either
    assert "start-up" not in next(line for line in bench.target_lines(report, 2) if "10,000 partners" in line)
    report["startup_seconds"] = 0.02  # exactly a tenth
    assert "takes 0.02 s of the 0.20 s" in next(line for line in bench.target_lines(report, 2) if "10,000" in line)


def test_start_up_is_a_one_partner_run(bench, monkeypatch, tmp_path):
    seen = []

    def fake_run(data, jobs, out):
        seen.append((data.read_text(encoding="utf-8").count("\n"), jobs))
        return {"seconds": [0.3, 0.1, 0.2][len(seen) - 1]}

    monkeypatch.setattr(bench, "run_cli", fake_run)
    assert bench.startup(2, 3, tmp_path) == 0.2  # the median
    assert seen == [(1, 2)] * 3


def test_steal_share_reads_proc_stat_deltas(bench):
    assert bench.steal_share((1000, 10), (2000, 260)) == 0.25
    assert bench.steal_share(None, (2000, 260)) is None and bench.steal_share((2000, 0), (2000, 0)) is None
    ticks = bench.cpu_ticks()
    if ticks is not None:  # Linux
        total, steal = ticks
        assert 0 <= steal <= total


def test_targets_from_a_saved_report(bench, tmp_path):
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({**_report(100_000.0, 50_000.0, 150.0), "jobs": 2}), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench.py"), "--targets", str(saved)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"\ntargets ({saved}):") and "CLI --jobs 2, 5,000,000 partners" in proc.stdout


def test_library_rows_are_measured_in_rounds(bench):
    # each row once per round, so a slow minute of the host falls on every row alike
    calls = []
    rows = {"a": (10, lambda: calls.append("a")), "b": (10, lambda: calls.append("b")),
            "node": (10, lambda: calls.append("node") or bench.Rate(123.0, 456.0))}
    out = bench.interleaved(rows, 3)
    assert calls == ["a", "b", "node"] * 3
    assert out["node"] == (123.0, [123.0] * 3, 456.0)  # a row that times itself is taken at its word
    median, rates, cpu = out["a"]
    assert len(rates) == 3 and median == sorted(rates)[1] and median > 0 and cpu > 0


def test_cli_modes_are_measured_in_rounds(bench, monkeypatch, tmp_path):
    calls = []

    def fake_run(data, jobs, out, pure=False, option=False):
        calls.append((jobs, pure, option))
        out.write_bytes(b"the same decisions\n")  # a file every mode writes alike
        return {"seconds": float(len(calls)), "parent_max_rss_mb": 30.0, "tree_pss_mb": 100.0 + len(calls),
                "tree_rss_mb": 140.0, "spool_mb": 28.0, "cpu_seconds": 2.0 * len(calls), "steal": None}

    monkeypatch.setattr(bench, "run_cli", fake_run)
    [row] = bench.cli([10], 2, 3, tmp_path, pure=True)
    modes = [(1, False, False), (2, False, False), (2, True, False), (2, False, True)]
    assert calls == modes * 3  # each mode once a round, not each mode's runs one after another
    # each mode's median is of its own runs: jobs2 ran 2nd, 6th and 10th
    assert row["jobs2"]["seconds"] == 6.0 and row["jobs2"]["partners_per_s"] == 10 / 6.0
    assert row["jobs2_o"]["tree_pss_mb"] == 112.0 and row["jobs1"]["partners_per_cpu_s"] == 10 / 10.0
    assert row["identical_output"] is True and row["output"] == "file"
    assert not list(tmp_path.glob("out-*"))  # every output compared, then removed


def test_json_rules_engine_baseline_says_why_it_is_skipped(bench, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with bench._JsonRulesEngine([{"partner_id": "P1"}]) as jre:
        assert jre.skipped == "node is not on PATH" and jre.run() is None


def test_the_results_table_of_the_performance_page_is_regenerated_between_its_markers(tmp_path):
    spec = importlib.util.spec_from_file_location("results_table", REPO / "benchmarks" / "results_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    report = {"machine": {"cpu": "Test CPU", "cores": 2, "python": "3.11", "compiled": True, "load": [0.5]},
              "jobs": 2, "startup_seconds": 0.31,
              "library": {"plain": {"median": 2000.0}, "cached_lines": {"median": 10000.0},
                          "cached_lines_summary": {"median": 21000.0}, "jre": {"skipped": "node is not on PATH"}},
              "cli": [{"partners": 100000, "jobs1": {"partners_per_s": 20000.0},
                       "jobs2": {"partners_per_s": 38000.0, "tree_pss_mb": 120.0}}]}
    page = tmp_path / "performance.md"
    page.write_text("# Page\n\nkept\n\n<!-- results:begin -->\nold figures\n<!-- results:end -->\n\nkept too\n",
                    encoding="utf-8")
    assert module.main([str(_saved(tmp_path, report)), "--page", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "old figures" not in text and text.startswith("# Page\n\nkept\n") and text.endswith("kept too\n")
    assert "| library, JSONL lines, `--detail summary` | 21,000 | x10.50 | x2.10 |" in text
    assert "| CLI, 100,000 partners, `--jobs 2` (x1.90 of `--jobs 1`; peak 120 MB) | 38,000 | | |" in text
    assert "json-rules-engine" not in text  # a skipped row is left out, not shown as a figure


def _saved(folder, report):
    path = folder / "run.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def test_the_payouts_bench_runs_amounts_on_and_off(tmp_path):
    """benchmarks/payouts.py: every row amounts on and off (the shipped program without its
    amounts has no payable benefit), figures written as JSON."""
    out = tmp_path / "payouts.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "payouts.py"), "--partners", "200",
                           "--plain-partners", "50", "--runs", "1", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(out.read_text())
    assert set(figures) == {"plain path, JSONL", "JSONL lane, full", "JSONL lane, summary"}
    assert all(row["on"] > 0 and row["off"] > 0 for row in figures.values())
    assert "of the decisions carry payouts" in proc.stdout
