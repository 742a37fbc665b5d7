"""Lists: every criterion's status of the specialist program (policies/specialist-program.json,
records of 1 to 20 items per list) through the library, beside json-rules-engine's tier-only rate
on the flat shipped program, measured in the same run and in rounds (bench.py's `interleaved`).

    python benchmarks/lists.py                 # 20,000 partners per row, 5 rounds
    python benchmarks/lists.py --quick         # a smoke run

Rows: `lists N` is Evaluator.evaluate_many over partners whose four lists hold N items each
(quarterly figures at most 12), reading every tier's and criterion's status (Decision.statuses);
`lists N, JSONL` writes each decision whole as the CLI's JSONL line (explanations per item
included); `flat, statuses` is the same reading on the shipped program's benchmark population;
`json-rules-engine 7` is node on that population, tier only (bench.py's baseline). The issue's
target: each `lists N` row at least x1.0 of json-rules-engine's rate.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import population  # noqa: E402
from evaluator import Evaluator, load_policy  # noqa: E402

LISTS = bench.REPO / "policies" / "specialist-program.json"
AS_OF = _dt.date(2026, 6, 30)
COUNTRIES = population.COUNTRIES
TRACKS = ["security", "networking", "collaboration", "data_center"]


def partner(rng: random.Random, index: int, n: int) -> dict[str, Any]:
    """One partner whose lists hold n items, values around the program's boundaries."""
    return {"partner_id": f"L-{index:07d}",
            "country_stats": [{"country": rng.choice(COUNTRIES),
                               "sales_usd": rng.choice([99999, 100000, rng.randrange(0, 300000)]),
                               "certified_engineers": rng.choice([2, 3, rng.randrange(0, 8)])} for _ in range(n)],
            "certifications": [{"person": f"p{rng.randrange(0, 2 * n + 1)}", "track": rng.choice(TRACKS)}
                               for _ in range(n)],
            "quarterly_sales_usd": [rng.choice([29999, 30000, rng.randrange(0, 80000)]) for _ in range(min(n, 12))],
            "deals": [{"deal_id": f"D{i}", "registered": (AS_OF - _dt.timedelta(days=rng.randrange(0, 200))).isoformat()}
                      for i in range(n)]}


def _statuses(policy: Any, records: list[dict[str, Any]], as_of: _dt.date) -> None:
    with Evaluator(policy, as_of=as_of) as evaluator:
        for result in evaluator.evaluate_many(records):
            if result.ok:
                for _tier, _status, criteria in result.statuses():
                    for _id, _criterion_status in criteria:
                        pass


def _lines(policy: Any, records: list[dict[str, Any]], as_of: _dt.date) -> None:
    from evaluator.fast.lane import write_jsonl
    with Evaluator(policy, as_of=as_of) as evaluator, open(os.devnull, "w", encoding="utf-8") as out:
        write_jsonl(evaluator, records, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.partners, args.runs = 1000, 2
    lists, flat = load_policy(LISTS), load_policy(bench.SHIPPED)
    rng = random.Random(19)
    sizes = (1, 5, 10, 20)
    populations = {n: [partner(rng, i, n) for i in range(args.partners)] for n in sizes}
    plain_records = list(population.partners(args.partners, seed=1))
    rows: dict[str, Any] = {}
    for n in sizes:
        rows[f"lists {n}"] = (args.partners, lambda n=n: _statuses(lists, populations[n], AS_OF))
        rows[f"lists {n}, JSONL"] = (args.partners, lambda n=n: _lines(lists, populations[n], AS_OF))
    rows["flat, statuses"] = (len(plain_records), lambda: _statuses(flat, plain_records, bench.AS_OF))
    with bench._JsonRulesEngine(plain_records) as jre:
        if jre.skipped is None:
            rows["jre"] = (len(plain_records), jre.run)
        out = bench.interleaved(rows, args.runs)
        skipped = jre.skipped
    base = out.get("jre", (None,))[0] if skipped is None else None
    print(f"{args.partners} partners per row, median of {args.runs} rounds (partners/s)")
    for key, (rate, _rates, _cpu) in out.items():
        label = "json-rules-engine 7 (node), flat program, tier only" if key == "jre" else key
        ratio = f"  x{rate / base:.2f} of json-rules-engine" if base and key != "jre" else ""
        print(f"  {label:<55} {rate:>10,.0f}{ratio}")
    if skipped is not None:
        print(f"  json-rules-engine 7: skipped ({skipped})")
    if args.json:
        Path(args.json).write_text(json.dumps({k: v[0] for k, v in out.items()}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
