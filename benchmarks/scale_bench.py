"""Past one machine, measured: the same partners through `evaluator evaluate --jobs 2` and through
Dask on a distributed LocalCluster (one worker process, then two), in the same run.

Each contestant reads the same JSONL file and writes every decision's JSONL line: the CLI to one
file, Dask (`decide_bag(..., as_json=True)` over `dask.bag.read_text`) to one file per partition.
The cluster is started and warmed up (each worker has built its engine) before the clock starts,
as a long-lived cluster would be. Prints decisions/s, the median of --repeat runs, and the ratios:
Dask with two workers against the CLI (target: at least 0.70) and two workers against one.

    python benchmarks/scale_bench.py --partners 1000000 --repeat 3
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_cli(path: Path, out: Path) -> float:
    evaluator = Path(sys.executable).parent / "evaluator"
    start = time.perf_counter()
    proc = subprocess.run([str(evaluator), "evaluate", str(path), "--jobs", "2", "--as-of", "2026-06-30",
                           "-o", str(out)], capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode())
    return elapsed


def run_dask(client, path: Path, out: Path, evaluator, blocksize: str) -> float:
    import dask.bag as db
    import orjson
    from evaluator.frames.dask import decide_bag
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    bag = db.read_text(str(path), blocksize=blocksize).map(orjson.loads)
    decide_bag(bag, evaluator, as_json=True).to_textfiles(str(out / "*.jsonl"))
    elapsed = time.perf_counter() - start
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--blocksize", default="16MiB", help="bytes of JSONL per Dask partition")
    args = parser.parse_args()
    import datetime as dt
    from dask.distributed import Client, LocalCluster
    from evaluator import Evaluator, default_policy
    folder = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        data = folder / "partners.jsonl"
        subprocess.run([sys.executable, str(HERE / "population.py"), str(args.partners), "--seed", "1", "-o", str(data)],
                       check=True)
        evaluator = Evaluator(default_policy(), as_of=dt.date(2026, 6, 30))
        cli = [run_cli(data, folder / "cli.jsonl") for _ in range(args.repeat)]
        cli_lines = sum(1 for _ in open(folder / "cli.jsonl", "rb"))
        results = {"cli --jobs 2": statistics.median(cli)}
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=40) as cluster, Client(cluster) as client:
                client.wait_for_workers(workers)
                warm = folder / "warm.jsonl"
                warm.write_bytes(b"".join(open(data, "rb").readlines()[:2000]))
                run_dask(client, warm, folder / "warm-out", evaluator, "64KiB")  # each worker builds its engine
                times = [run_dask(client, data, folder / f"dask{workers}", evaluator, args.blocksize)
                         for _ in range(args.repeat)]
                results[f"dask, {workers} worker{'s' if workers > 1 else ''}"] = statistics.median(times)
        dask_lines = sum(sum(1 for _ in open(p, "rb")) for p in (folder / "dask2").glob("*.jsonl"))
        assert cli_lines == dask_lines == args.partners, (cli_lines, dask_lines)
        print(f"{args.partners} partners, median of {args.repeat} runs, {os.cpu_count()} CPUs")
        print(f"{'path':<20} {'seconds':>8} {'decisions/s':>12}")
        for name, seconds in results.items():
            print(f"{name:<20} {seconds:8.2f} {args.partners / seconds:12,.0f}")
        cli_rate = args.partners / results["cli --jobs 2"]
        two = args.partners / results["dask, 2 workers"]
        one = args.partners / results["dask, 1 worker"]
        print(f"dask 2 workers / cli --jobs 2: {two / cli_rate:.2f} (target >= 0.70)")
        print(f"dask 2 workers / 1 worker: {two / one:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
