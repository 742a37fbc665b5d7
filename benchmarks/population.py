"""A reproducible population of partners for the shipped program (benchmarks and tests).

`partners(n, seed)` yields the same `n` records for the same seed on every machine (it uses only
`random.Random`, whose sequence Python guarantees for a seed). The mix is deliberately varied:
values exactly at every threshold of the shipped program and one below, fractional sales, partners
with no sales or referrals, missing facts (absent keys and explicit nulls), empty lists, and a
small share of invalid records (wrong types, negative sales) so a batch exercises every path.

    python benchmarks/population.py 1000000 --seed 1 > partners.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any, Iterator

REGIONS = ["ANZ", "ASEAN", "GREATER_CHINA", "JAPAN", "KOREA", "SOUTH_ASIA", "EMEA", "AMERICAS"]
COUNTRIES = ["AU", "NZ", "SG", "MY", "HK", "JP", "KR", "IN", "CN", "TH", "ID", "PH", "VN", "TW"]
# The shipped program's sales thresholds, each with its neighbours: the boundaries under test.
SALES_EDGES = [0, 0.01, 24999, 24999.99, 25000, 25000.01, 99999.99, 100000, 100001,
               999999, 999999.99, 1000000, 1000000.5]
REFERRAL_EDGES = [0, 1, 2, 4, 5, 6]


def _sales(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(SALES_EDGES)
    if roll < 0.45:
        return rng.randrange(0, 2_000_000)                   # whole dollars
    if roll < 0.75:
        return round(rng.uniform(0, 3_000_000), 2)           # cents
    if roll < 0.9:
        return round(rng.lognormvariate(10, 2), 2)           # long tail
    return 0


def partner(rng: random.Random, index: int) -> dict[str, Any]:
    """One partner record; about 2% are invalid and about 10% lack some fact."""
    record: dict[str, Any] = {"partner_id": f"P-{index:08d}", "partner_name": f"Partner {index}"}
    record["annual_sales_usd"] = _sales(rng)
    record["regions"] = rng.sample(REGIONS, rng.choice([0, 1, 1, 1, 2, 2, 3, 4]))
    record["countries"] = rng.sample(COUNTRIES, rng.choice([0, 1, 1, 1, 1, 2, 3, 5]))
    record["referrals_this_year"] = (rng.choice(REFERRAL_EDGES) if rng.random() < 0.5
                                     else int(rng.expovariate(0.3)))
    roll = rng.random()
    if roll < 0.04:
        del record[rng.choice(["annual_sales_usd", "regions", "countries", "referrals_this_year"])]
    elif roll < 0.07:
        record[rng.choice(["annual_sales_usd", "regions", "referrals_this_year"])] = None
    elif roll < 0.08:
        for key in ("annual_sales_usd", "regions", "countries", "referrals_this_year"):
            record.pop(key)
    elif roll < 0.09:
        record["annual_sales_usd"] = -1                      # below the fact's minimum: invalid
    elif roll < 0.095:
        record["referrals_this_year"] = "7"                  # a string in JSON: invalid
    elif roll < 0.10:
        record["regions"] = ["ANZ", "MARS"]                  # not an allowed region: invalid
    return record


def partners(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """`n` partner records, the same for the same seed."""
    rng = random.Random(seed)
    for index in range(1, n + 1):
        yield partner(rng, index)


def write_jsonl(path: str, n: int, seed: int = 1) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for record in partners(n, seed):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of partners")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", "-o", default="-", help="JSONL file (default: stdout)")
    args = parser.parse_args()
    if args.output == "-":
        for record in partners(args.n, args.seed):
            sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    else:
        write_jsonl(args.output, args.n, args.seed)


if __name__ == "__main__":
    main()
