"""Instructions per partner, counted by valgrind's callgrind: a figure the host's noise does not move.

    python benchmarks/instructions.py                  # 5,000 partners of the benchmark population
    python benchmarks/instructions.py --partners 2000  # quicker (valgrind runs ~50x slower)

Wall-clock figures on a shared VM move by half between runs (benchmarks/bench.py prints them next
to same-run baselines for that reason); the number of instructions a path executes does not, so
it is the figure to compare two versions of the code by. Each path runs under callgrind in two
child processes, one making one pass over the population and one making three, both warm after
their first pass (the templates and the outcome cache filled): the difference, over two passes,
is what one more partner costs, start-up and first decisions excluded. A third child makes no
pass: one pass minus none is the first pass, where each distinct encoding is decided by the
engine (and, in the JSONL lane, cut into its template) once. Paths:

  jsonl lane   what a --jobs worker (and `evaluate --format jsonl` in one process) does per
               partner: read its JSONL line, check its facts, decide (cached), write its line
  statuses     Evaluator.evaluate_many over dicts, reading every tier's and criterion's status
  tier         the same, reading the tier

The count is a proxy for time: a memory copy done by `rep movsb` counts once per byte, so
writing a 5 KB line counts more than it costs, and a cache miss counts as nothing. Needs
valgrind; without it the script says so and exits 2. Imports the package as bench.py does (the
installed one, compiled from a wheel, when there is one).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if importlib.util.find_spec("evaluator") is None:
    sys.path.insert(0, str(REPO))

AS_OF = _dt.date(2026, 1, 1)
PATHS = ("jsonl lane", "statuses", "tier")


def _child(path: str, mode: str, passes: int) -> None:
    """The measured work (run under callgrind)."""
    import json

    from evaluator import Evaluator, default_policy
    from evaluator.load.records import numbered_lines, jsonl_records
    from evaluator.fast.lane import lane as _lane

    evaluator = Evaluator(default_policy(), as_of=AS_OF)
    if mode == "jsonl lane":
        for _ in range(passes):
            with open(path, "rb") as stream:
                block = []
                for line, _ok in _lane(evaluator, jsonl_records(numbered_lines(stream), path)):
                    block.append(line)
                    if len(block) >= 1000:  # as a worker joins its chunk
                        b"\n".join(block)
                        block = []
        return
    with open(path, encoding="utf-8") as stream:
        records = [json.loads(line) for line in stream]
    for _ in range(passes):
        for result in evaluator.evaluate_many(records):
            if result.ok:
                if mode == "tier":
                    result.tier  # noqa: B018
                else:
                    for _tier, _status, criteria in result.statuses():
                        for _id, _status_of_criterion in criteria:
                            pass


def _count(path: str, mode: str, passes: int, workdir: str) -> int:
    out = os.path.join(workdir, f"{mode.replace(' ', '_')}.{passes}.out")
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                           __file__, "--child", path, mode, str(passes)],
                          capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"callgrind failed on {mode!r} ({passes} passes): {proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description="Instructions per partner (callgrind), by path.")
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--child", nargs=3, metavar=("FILE", "PATH", "PASSES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, mode, passes = args.child
        _child(path, mode, int(passes))
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts (apt install valgrind)", file=sys.stderr)
        sys.exit(2)
    import evaluator
    import population

    print(f"evaluator {'compiled' if evaluator.compiled() else 'pure Python'}, from {Path(evaluator.__file__).parent}")
    with tempfile.TemporaryDirectory() as workdir:
        data = os.path.join(workdir, "partners.jsonl")
        population.write_jsonl(data, args.partners, seed=1)
        print(f"instructions per partner ({args.partners:,} partners): warm (3 passes minus 1, over 2), and the"
              " first pass (1 pass minus 0: with each encoding's first decision)")
        with ThreadPoolExecutor(2) as pool:  # the children of a path side by side
            for mode in PATHS:
                zero, one, three = pool.map(lambda passes: _count(data, mode, passes, workdir), (0, 1, 3))
                print(f"  {mode:12s} {(three - one) / (2 * args.partners):10,.0f} warm"
                      f" {(one - zero) / args.partners:10,.0f} first pass")


if __name__ == "__main__":
    main()
