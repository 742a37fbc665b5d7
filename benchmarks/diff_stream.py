"""Does `evaluator diff` stream? Peak memory and speed of a diff as the population grows.

For each population size the diff runs in a fresh process (so peak RSS is its own) over a JSONL
file from population.py, in two cases:

- `no moves`: the shipped program against a copy with another version number (every record is
  decided under both policies, nobody moves): memory must stay flat as the population grows;
- `migration`: the legacy Gold/Silver/Bronze program against the shipped one (most partners
  move): memory grows only by what the report holds, the moved partners (reported per move).

The baseline, measured in the same run on the same files, is the shipped policy's
`Evaluator.evaluate_many` alone over the same stream (one policy, decisions discarded): a diff
decides every record twice, so about x2 its time is the expected cost. Printed: median seconds and peak RSS over the repeats, records
per second, and ratios (largest / smallest population; diff / baseline).

    python benchmarks/diff_stream.py            # 2,000 and 8,000 partners, 3 repeats
    python benchmarks/diff_stream.py --sizes 5000 20000 --repeats 5
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
LEGACY = REPO / "policies" / "legacy-gold-silver-bronze.json"


def measure(kind: str, facts: str, old: str, new: str) -> None:
    """Child process: run one job, print {"seconds", "rss_mb", "moved"} as JSON."""
    import resource
    sys.path.insert(0, str(REPO))
    from evaluator import Evaluator, load_policy
    from evaluator.tools.diff import diff_policies
    from evaluator.load.records import records_from_path

    start = time.perf_counter()
    moved = 0
    if kind == "evaluate":
        with Evaluator(load_policy(new)) as evaluator:
            for _ in evaluator.evaluate_many(records_from_path(facts)):
                pass
    else:
        with Evaluator(load_policy(old)) as a, Evaluator(load_policy(new)) as b:
            result = diff_policies(a, b, records_from_path(facts))
            moved = len(result.moved)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "moved": moved}))


def run(kind: str, facts: Path, old: Path, new: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(facts), str(old), str(new)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("KIND", "FACTS", "OLD", "NEW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(*args.child)
        return
    sys.path.insert(0, str(HERE))
    from population import write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        bumped = Path(tmp) / "bumped.json"
        doc = json.loads(SHIPPED.read_text())
        doc["version"] = doc["version"] + "-bench"
        bumped.write_text(json.dumps(doc))
        cases = {"evaluate (baseline)": ("evaluate", SHIPPED, SHIPPED),
                 "diff, no moves": ("diff", SHIPPED, bumped),
                 "diff, migration": ("diff", LEGACY, SHIPPED)}
        rows: dict[tuple[str, int], dict[str, float]] = {}
        for size in args.sizes:
            facts = Path(tmp) / f"partners-{size}.jsonl"
            write_jsonl(str(facts), size, seed=1)
            for name, (kind, old, new) in cases.items():
                runs = [run(kind, facts, old, new) for _ in range(args.repeats)]
                rows[(name, size)] = {"seconds": statistics.median(r["seconds"] for r in runs),
                                      "rss_mb": statistics.median(r["rss_mb"] for r in runs),
                                      "moved": runs[0]["moved"]}
        print(f"{'case':<22} {'partners':>9} {'median s':>9} {'rec/s':>8} {'peak RSS MB':>12} {'moved':>7}")
        for (name, size), r in rows.items():
            print(f"{name:<22} {size:>9,} {r['seconds']:>9.2f} {size / r['seconds']:>8,.0f} {r['rss_mb']:>12.1f} "
                  f"{int(r['moved']):>7,}")
        small, large = min(args.sizes), max(args.sizes)
        print(f"\nratios, {large:,} vs {small:,} partners ({large / small:g}x the population):")
        for name in cases:
            a, b = rows[(name, small)], rows[(name, large)]
            line = f"  {name:<22} time x{b['seconds'] / a['seconds']:.2f}, peak RSS x{b['rss_mb'] / a['rss_mb']:.3f}"
            if b["moved"] > a["moved"]:
                per = (b["rss_mb"] - a["rss_mb"]) * 1024 * 1024 / (b["moved"] - a["moved"])
                line += f" ({per:,.0f} bytes per extra moved partner)"
            print(line)
        print("\ndiff / evaluate baseline:")
        for size in args.sizes:
            base = rows[("evaluate (baseline)", size)]
            for name in list(cases)[1:]:
                r = rows[(name, size)]
                print(f"  {name:<22} {size:>9,}: time x{r['seconds'] / base['seconds']:.2f}, "
                      f"peak RSS x{r['rss_mb'] / base['rss_mb']:.3f}")


if __name__ == "__main__":
    main()
