"""Benefits that pay: what amounts cost. The shipped program over a generated population that
carries the payout facts (referred business, contracts signed, monthly recurring revenue, the
recorded choice), "amounts on", beside the same program with every amount removed (its benefits
labels only, no choices), "amounts off", on the same records, in the same run, in rounds
(bench.py's `interleaved`: a slow minute of the host falls on every row alike).

    python benchmarks/payouts.py               # 20,000 partners (5,000 on the plain path), 5 rounds
    python benchmarks/payouts.py --quick       # a smoke run
    python benchmarks/payouts.py --cli         # also `evaluator evaluate --format jsonl` end to end

Rows (partners/s, median of the rounds), each amounts on and off:
  plain path, JSONL      Evaluator(cache_size=0) (the engine for every record, every result
                         built at once), each decision written as its JSON line (json_line)
  JSONL lane             the fast lane `evaluate --format jsonl` writes through
                         (fast/lane.py write_jsonl), at full and at summary detail, into /dev/null
  CLI, jsonl             with --cli: the installed console script, `--jobs 1`, output to /dev/null
The ratio printed is amounts on / amounts off (1.00: amounts cost nothing).
"""
from __future__ import annotations

import argparse
import copy
import datetime as _dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import population  # noqa: E402
from evaluator import Evaluator, load_policy  # noqa: E402
from evaluator.model.policy import build_policy  # noqa: E402

AS_OF = bench.AS_OF
AMOUNT_KEYS = ("amount", "currency", "period", "frequency", "when", "from_contract", "contracts", "opt_in")
CHOICES = ["referral_commission", "recurring_revenue_share"]


def with_payout_facts(records: list[dict[str, Any]], seed: int = 21) -> list[dict[str, Any]]:
    """The population's records with the payout facts: contract counts around the sixth,
    referred business in cents (halves of a cent at the commission's rate too), recurring
    revenue, a recorded choice for a third of them, and about 5% lacking one of them."""
    rng = random.Random(seed)
    out = []
    for record in records:
        record = dict(record)
        record["contracts_signed"] = rng.choice([0, 1, 4, 5, 6, 7, 8, rng.randrange(0, 40)])
        record["referred_business_usd"] = rng.choice([150000, 0.05, 12345.675, round(rng.uniform(0, 900000), 2)])
        record["monthly_recurring_revenue_usd"] = rng.choice([4000, round(rng.uniform(0, 20000), 2)])
        if rng.random() < 0.33:
            record["referral_payment_choice"] = rng.choice(CHOICES)
        if rng.random() < 0.05:
            record.pop(rng.choice(["contracts_signed", "referred_business_usd", "monthly_recurring_revenue_usd"]), None)
        out.append(record)
    return out


def amounts_off(doc: dict[str, Any]) -> dict[str, Any]:
    """The program with every benefit a label only: no amount, no condition, no choice."""
    doc = copy.deepcopy(doc)
    for tier in doc["tiers"]:
        tier.pop("choices", None)
        tier["benefits"] = [{k: v for k, v in b.items() if k not in AMOUNT_KEYS} for b in tier.get("benefits", ())]
    return doc


def _plain_lines(policy: Any, records: list[dict[str, Any]]) -> None:
    from evaluator.fast.jsonbytes import json_line
    with Evaluator(policy, as_of=AS_OF, cache_size=0) as evaluator, open(os.devnull, "w", encoding="utf-8") as out:
        for result in evaluator.evaluate_many(records):
            out.write(json_line(result.to_dict()) + "\n")


def _lane(policy: Any, records: list[dict[str, Any]], detail: str) -> None:
    from evaluator.fast.lane import write_jsonl
    with Evaluator(policy, as_of=AS_OF) as evaluator, open(os.devnull, "w", encoding="utf-8") as out:
        write_jsonl(evaluator, records, out, detail)


def _cli(policy_path: Path, facts: Path, n: int) -> Callable[[], bench.Rate]:
    exe = shutil.which("evaluator") or str(Path(sys.executable).with_name("evaluator"))

    def run() -> bench.Rate:
        before = os.times()
        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            subprocess.run([exe, "evaluate", "--policy", str(policy_path), "--as-of", AS_OF.isoformat(),
                            "--format", "jsonl", "--jobs", "1", str(facts)], stdout=sink, stderr=subprocess.DEVNULL,
                           check=False)
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        return bench.Rate(n / wall, n / max(cpu, 1e-9))
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--plain-partners", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="also the console script end to end")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.partners, args.plain_partners, args.runs = 1000, 300, 2
    on_doc = json.loads(bench.SHIPPED.read_text(encoding="utf-8"))
    policies = {"on": load_policy(bench.SHIPPED), "off": build_policy(amounts_off(on_doc))}
    assert any(t.payables for t in policies["on"].tiers) and not any(t.payables for t in policies["off"].tiers)
    records = with_payout_facts(list(population.partners(args.partners, seed=1)))
    plain_records = records[:args.plain_partners]
    rows: dict[str, tuple[int, Callable[[], Any]]] = {}
    for side, policy in policies.items():
        rows[f"plain path, JSONL|{side}"] = (len(plain_records), lambda p=policy: _plain_lines(p, plain_records))
        rows[f"JSONL lane, full|{side}"] = (len(records), lambda p=policy: _lane(p, records, "full"))
        rows[f"JSONL lane, summary|{side}"] = (len(records), lambda p=policy: _lane(p, records, "summary"))
    with tempfile.TemporaryDirectory() as tmp:
        if args.cli:
            facts = Path(tmp) / "partners.jsonl"
            facts.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records), encoding="utf-8")
            off_path = Path(tmp) / "amounts-off.json"
            off_path.write_text(json.dumps(amounts_off(on_doc)), encoding="utf-8")
            rows["CLI evaluate --format jsonl|on"] = (len(records), _cli(bench.SHIPPED, facts, len(records)))
            rows["CLI evaluate --format jsonl|off"] = (len(records), _cli(off_path, facts, len(records)))
        out = bench.interleaved(rows, args.runs)
    paid = _paying_share(policies["on"], records)
    print(f"{len(records):,} partners ({len(plain_records):,} on the plain path), median of {args.runs} rounds, "
          f"partners/s; {paid:.0%} of the decisions carry payouts")
    print(f"  {'row':<34} {'amounts on':>12} {'amounts off':>12}  on/off")
    figures: dict[str, Any] = {}
    for key in dict.fromkeys(k.split("|")[0] for k in rows):
        on, off = out[f"{key}|on"][0], out[f"{key}|off"][0]
        figures[key] = {"on": on, "off": off, "ratio": on / off}
        print(f"  {key:<34} {on:>12,.0f} {off:>12,.0f}  x{on / off:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _paying_share(policy: Any, records: list[dict[str, Any]]) -> float:
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        results = list(evaluator.evaluate_many(records))
    return sum(1 for r in results if r.ok and r.payouts) / len(results)


if __name__ == "__main__":
    sys.exit(main())
