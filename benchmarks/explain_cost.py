"""What explanations and provenance cost: shortfalls, next_tier, input_sha256 and --with-input.

Over one reproducible population (population.py), in one process, each case is timed `--repeats`
times and the median is printed with its ratio to the baseline measured in the same run:

- `decide`: evaluate_many, reading only the tier (what a caller needing the tier pays);
- `explained`, `explained - sf`: reading every tier's results, with and without shortfalls
  (the post-step's own cost, no output);
- `baseline`: decisions written as JSONL (what `evaluate` does), with shortfalls switched off;
- `full`: the same with shortfalls and next_tier (the default);
- `full + input`: the same with `with_input=True` (what `replay` needs);
- `near 10%`: the near-miss view instead of decisions;
- `input_sha256`: the digest alone, per record.

    python benchmarks/explain_cost.py                   # 5,000 partners, 5 repeats
    python benchmarks/explain_cost.py --size 20000 --repeats 3
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from population import partners  # noqa: E402

from evaluator import Evaluator, default_policy  # noqa: E402
from evaluator.explain import results as explain_module  # noqa: E402
from evaluator.evaluate import plan as evaluate_module  # noqa: E402
from evaluator.model.decision import input_sha256  # noqa: E402
from evaluator.explain.near import near_writer  # noqa: E402
from evaluator.output.writers import write_jsonl  # noqa: E402


def timed(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    records = list(partners(args.size, args.seed))
    policy = default_policy()

    def decide() -> None:
        with Evaluator(policy) as evaluator:
            for result in evaluator.evaluate_many(records):
                result.tier  # noqa: B018

    def explained() -> None:
        with Evaluator(policy) as evaluator:
            for result in evaluator.evaluate_many(records):
                getattr(result, "tiers", None)

    def jsonl(with_input: bool = False) -> Callable[[], None]:
        def run() -> None:
            with Evaluator(policy, with_input=with_input) as evaluator:
                write_jsonl(evaluator.evaluate_many(records), io.StringIO(), policy)
        return run

    def near() -> None:
        with Evaluator(policy) as evaluator:
            near_writer("jsonl", 10)(evaluator.evaluate_many(records), io.StringIO(), policy)

    def without_shortfalls(run: Callable[[], None]) -> Callable[[], None]:
        def patched() -> None:
            saved = evaluate_module.add_shortfalls
            evaluate_module.add_shortfalls = lambda *a, **k: None  # type: ignore[assignment]
            try:
                run()
            finally:
                evaluate_module.add_shortfalls = saved
        return patched

    assert explain_module.add_shortfalls is evaluate_module.add_shortfalls  # the post-step patched above
    cases = [
        ("decide", decide),
        ("explained - sf", without_shortfalls(explained)),
        ("explained", explained),
        ("baseline", without_shortfalls(jsonl())),
        ("full", jsonl()),
        ("full + input", jsonl(with_input=True)),
        ("near 10%", near),
        ("input_sha256", lambda: [input_sha256(r) for r in records]),
    ]
    results = {name: timed(run, args.repeats) for name, run in cases}
    base = results["baseline"]
    print(f"{args.size} partners, median of {args.repeats} runs")
    print(f"{'case':<14} {'seconds':>9} {'us/record':>10} {'vs baseline':>12}")
    for name, seconds in results.items():
        print(f"{name:<14} {seconds:>9.3f} {seconds / args.size * 1e6:>10.1f} {seconds / base:>11.2f}x")


if __name__ == "__main__":
    main()
