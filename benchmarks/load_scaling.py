"""Reading and loading in time and memory linear in the input (issue 26): each shape of input is
doubled four times and each size read in a fresh process; printed are the time and the peak
memory (the child's maximum resident set, less that of the same process before reading) and
their ratio per doubling. Near-linear is at most about 2.3x per doubling.

    python benchmarks/load_scaling.py            # every shape, figures as a table
    python benchmarks/load_scaling.py --quick    # smaller sizes (a smoke run)
    python benchmarks/load_scaling.py --shape csv_columns --json
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
DOUBLINGS = 4
TARGET = 2.3


def _policy_with(change: Callable[[dict], None]) -> dict:
    doc = json.loads(SHIPPED.read_text())
    change(doc)
    return doc


def _criteria(doc: dict, items: list[dict]) -> None:
    doc["tiers"][0]["criteria"] += [{"id": f"c{i}", "description": "d", "condition": c} for i, c in enumerate(items)]


def _shape_input(shape: str, n: int) -> tuple[str, Any]:
    """(kind, data) of one input of `shape` and size `n`: kind 'records' (bytes, a format) or 'policy'."""
    if shape == "json_array":
        return "records", (json.dumps([{"partner_id": f"P{i}", "annual_sales_usd": i} for i in range(n)],
                                      indent=1).encode(), "json")
    if shape == "long_string":
        return "records", (json.dumps([{"partner_id": "P1", "notes": "a" * (n * 100)}]).encode(), "json")
    if shape == "csv_columns":
        header = ",".join(["partner_id"] + [f"c{i}" for i in range(n)])
        return "records", ((header + "\n" + ",".join(["P1"] + ["1"] * n) + "\n").encode(), "csv")
    if shape == "tiers":
        def tiers(doc: dict) -> None:
            base = doc["tiers"][0]
            doc["tiers"] = [dict(base, id=f"t{i}", name=f"T{i}", level=i + 10, criteria=[
                {"id": "s", "description": "d", "condition": {"fact": "annual_sales_usd", "op": ">=", "value": 1000 + i}}])
                for i in range(n)] + doc["tiers"]
        return "policy", _policy_with(tiers)
    if shape == "criteria":
        return "policy", _policy_with(lambda d: _criteria(d, [{"fact": "annual_sales_usd", "op": ">=", "value": i}
                                                              for i in range(n)]))
    if shape == "lists_on_one_fact":
        def lists(doc: dict) -> None:
            doc["facts"]["code"] = {"type": "string", "description": "x"}
            _criteria(doc, [{"fact": "code", "op": "in" if i % 2 else "not_in", "value": [f"v{i}", f"w{i}"]}
                            for i in range(n)])
        return "policy", _policy_with(lists)
    if shape == "long_lists":
        def long_list(doc: dict) -> None:
            doc["facts"]["code"] = {"type": "string", "description": "x"}
            _criteria(doc, [{"fact": "code", "op": "in", "value": [f"v{i}" for i in range(n)]}])
        return "policy", _policy_with(long_list)
    if shape == "measure_chain":  # chains of at most MAX_MEASURE_DEPTH, as many as n/16 of them
        def chains(doc: dict) -> None:
            for c in range(max(1, n // 16)):
                doc["measures"][f"k{c}_0"] = {"description": "d", "compute": {"sum": ["annual_sales_usd", 1]}}
                for i in range(1, 16):
                    doc["measures"][f"k{c}_{i}"] = {"description": "d", "compute": {"sum": [f"k{c}_{i - 1}", 1]}}
                _criteria(doc, []) if c else None
            doc["tiers"][0]["criteria"].append({"id": "chain", "description": "d",
                                                "condition": {"measure": f"k{max(1, n // 16) - 1}_15", "op": ">=",
                                                              "value": 5}})
        return "policy", _policy_with(chains)
    raise SystemExit(f"unknown shape {shape}")


SHAPES = {"json_array": 2500, "long_string": 20000, "csv_columns": 5000, "tiers": 100, "criteria": 250,
          "lists_on_one_fact": 250, "long_lists": 1000, "measure_chain": 64}


def child(shape: str, n: int) -> None:
    from evaluator import load_policy
    from evaluator.load.records import read_records
    kind, data = _shape_input(shape, n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if kind == "records":
        raw, fmt = data
        for _ in read_records(io.BytesIO(raw), f"input.{fmt}", fmt):
            pass
    else:
        load_policy(data)
    seconds = time.perf_counter() - started
    grown = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, 1) * 1024
    print(json.dumps({"seconds": seconds, "peak_bytes": grown}))


def measure(shape: str, n: int, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child", shape, str(n)], capture_output=True, text=True,
                             check=True, timeout=3600).stdout
        results.append(json.loads(out))
    return {"seconds": statistics.median(r["seconds"] for r in results),
            "peak_bytes": statistics.median(r["peak_bytes"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append")
    parser.add_argument("--quick", action="store_true", help="a quarter of the sizes, one run each")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (the median is shown)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    report: dict[str, Any] = {}
    for shape in args.shape or SHAPES:
        base = max(1, SHAPES[shape] // 4) if args.quick else SHAPES[shape]
        rows = [dict(n=base * 2 ** k, **measure(shape, base * 2 ** k, 1 if args.quick else args.runs))
                for k in range(DOUBLINGS + 1)]
        for previous, row in zip(rows, rows[1:]):
            row["time_ratio"] = row["seconds"] / max(previous["seconds"], 1e-9)
            row["memory_ratio"] = row["peak_bytes"] / max(previous["peak_bytes"], 1)
        report[shape] = rows
        if not args.json:
            worst = max(r["time_ratio"] for r in rows[1:])
            print(f"{shape}: worst time ratio per doubling {worst:.2f} (target <= {TARGET})")
            for row in rows:
                ratios = (f"  x{row['time_ratio']:.2f} time  x{row['memory_ratio']:.2f} memory"
                          if "time_ratio" in row else "")
                print(f"  n={row['n']:>8}  {row['seconds']:8.3f} s  {row['peak_bytes'] / 2**20:8.1f} MiB{ratios}")
    if args.json:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
