"""Regenerate the table of current results in docs/performance.md from a bench.py run.

    python benchmarks/bench.py --json run.json          # measure (minutes; see its options)
    python benchmarks/results_table.py run.json         # rewrite the table in docs/performance.md
    python benchmarks/results_table.py run.json --print # or only print it

The table sits between the markers `<!-- results:begin -->` and `<!-- results:end -->`; nothing
else of the page is touched. It is the one table of results the documentation keeps: a new run
replaces it (the figures of earlier runs are in the repository's history, not in the docs).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

LIBRARY_ROWS = (
    ("cached_tier", "library, reading each decision's tier"),
    ("cached_statuses", "library, every tier's and criterion's status"),
    ("cached_lines", "library, JSONL lines, `--detail full`"),
    ("cached_lines_summary", "library, JSONL lines, `--detail summary`"),
    ("cached_lines_tier", "library, JSONL lines, `--detail tier`"),
    ("cached_full", "library, every criterion's result as objects"),
    ("plain", "library, plain path (`cache_size=0`): the baseline"),
    ("bare_post", "durable-rules alone, one rule per tier, tier only"),
    ("jre", "json-rules-engine 7 (node), tier only"),
)


def _rate(row: Any) -> float | None:
    return row.get("median") if isinstance(row, dict) else None


def table(report: dict[str, Any]) -> str:
    """The Markdown of the results of one bench.py --json report."""
    m = report.get("machine", {})
    lib = report.get("library") or {}
    plain = _rate(lib.get("plain"))
    full = _rate(lib.get("cached_lines"))
    out = [f"Measured on {m.get('cpu', '?')}, {m.get('cores', '?')} usable core(s), Python {m.get('python', '?')}, "
           f"{'compiled' if m.get('compiled') else 'pure Python'}; load average {m.get('load', [0])[0]:.1f} at the start"
           + (f", {m['load_after'][0]:.1f} at the end" if m.get("load_after") else "")
           + " (other work on the machine slows every row alike). Medians; ratios against rows of the same run.", "",
           "| what | per second | x plain path | x `--detail full` |", "| --- | ---: | ---: | ---: |"]
    for key, label in LIBRARY_ROWS:
        rate = _rate(lib.get(key))
        if rate is None:
            continue
        ratio = f"x{rate / plain:.2f}" if plain else ""
        against = f"x{rate / full:.2f}" if full and key.startswith("cached_lines") else ""
        out.append(f"| {label} | {rate:,.0f} | {ratio} | {against} |")
    jobs = report.get("jobs")
    for row in report.get("cli") or []:
        single = row.get("jobs1", {}).get("partners_per_s")
        many = row.get(f"jobs{jobs}", {}).get("partners_per_s")
        n = row["partners"]
        if single:
            out.append(f"| CLI, {n:,} partners, `--jobs 1` | {single:,.0f} | | |")
        if many:
            speedup = f"x{many / single:.2f} of `--jobs 1`" if single else ""
            pss = row[f"jobs{jobs}"].get("tree_pss_mb")
            out.append(f"| CLI, {n:,} partners, `--jobs {jobs}` ({speedup}; peak {pss:.0f} MB) | {many:,.0f} | | |")
    if report.get("startup_seconds") is not None:
        out.append(f"| CLI start-up (a one-partner run) | {report['startup_seconds']:.2f} s | | |")
    return "\n".join(out) + "\n"


def rewrite(page: str, report: dict[str, Any]) -> str:
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return page[:start] + "\n" + table(report) + page[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="a bench.py --json file")
    parser.add_argument("--page", default=str(PAGE))
    parser.add_argument("--print", action="store_true", help="print the table instead of rewriting the page")
    args = parser.parse_args(argv)
    report = json.loads(Path(args.report).read_text(encoding="utf-8"))
    if args.print:
        sys.stdout.write(table(report))
        return 0
    page = Path(args.page)
    page.write_text(rewrite(page.read_text(encoding="utf-8"), report), encoding="utf-8")
    print(f"rewrote the results table of {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
