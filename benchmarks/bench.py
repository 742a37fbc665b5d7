"""Speed and memory of the evaluator on the shipped program, with baselines measured in the same run.

    python benchmarks/bench.py                       # library + reload + CLI on 10,000 and 200,000 partners
    python benchmarks/bench.py --huge 5000000        # also the CLI on 5,000,000 partners, once (slow)
    python benchmarks/bench.py --huge 1000000 --huge-to-file   # its output into a file (5 GB), not /dev/null
    python benchmarks/bench.py --quick               # a smoke run
    python benchmarks/bench.py --targets run.json    # the issue's targets against a saved --json report

Every figure is the median of --runs runs (a fresh Evaluator or a fresh process each run, so
the cache starts cold), and is printed next to a baseline measured in this same process, so the
ratios hold on a noisy machine even when absolute figures move. The library rows (baselines
included), and the CLI's modes on each input, are measured in rounds, each once per round, so a
slow minute of the host falls on all of them alike. The population is reproducible
(benchmarks/population.py, fixed seed): boundaries, missing facts and ~2% invalid records.

Library (one core, in process):
  cached, tier           Evaluator.evaluate_many, reading each decision's tier (the default path)
  cached, statuses       the same, reading every tier's and every criterion's status from
                         Decision.statuses() (what the engine decided for each criterion,
                         without the explanation: actual values, checks, shortfalls)
  cached, JSONL line     every decision whole (every tier, criterion, check and shortfall) as the
                         JSONL line the CLI writes, in process (template.py over evaluate_many)
  cached, every result   every criterion's result as Decision.tiers objects (built from the
                         cached outcome and the partner's values on first use: actual values,
                         checks, shortfalls), on the same 100,000 partners
  plain (baseline)       Evaluator(cache_size=0): durable-rules decides every record and every
                         result is built at once (the path before the cache)
  durable-rules bare     one rule per tier, assert_fact + delete_state per record, tier only, no
                         validation: the engine alone through evaluator/engine.py
  durable-rules post     durable used the simplest documented way (durable.lang ruleset, one rule
                         per tier, `post` of one event per record, first rule by definition order
                         wins), tier only, no validation (the issue's "durable-rules bare")
  json-rules-engine 7    node benchmarks/jre/tier.js on the same records as the plain path: one
                         rule per tier, `await engine.run(record)` per record, tier only, after
                         one untimed warm-up pass; skipped (with the reason) without node, or if
                         `npm ci` or the script fails
  if-chain               a hand-written Python tier function, tier only, no validation
The package is imported from where it is installed (compiled when installed from a wheel, see
hatch_build.py; the source tree when nothing is installed). When it is compiled, the cached
library rows and the CLI with --jobs N are also run from the source tree as plain Python, in a
child process, as the same-run baseline of what compiling buys (--no-pure skips them).
CLI (`evaluator evaluate FILE --format jsonl`, stdout to a file): partners/s end to end
including start-up, and peak memory of the whole process tree (RSS of the parent, and the
sum of PSS over parent and workers: shared pages counted once; both include the --jobs spool
files, output in flight held in memory outside any process), --jobs 1 (baseline) and --jobs N;
and partners per CPU-second of the process tree, with the share of the machine's CPU time the
hypervisor gave to other guests during the run (steal, from /proc/stat): on a shared host one
reason a run is slow; and the start-up, a one-partner run's wall time, which a small input's
figure includes (at 50,000/s, 10,000 partners may take 0.2 s in all). The targets at the end
are read against this run's baselines too.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import hashlib
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if importlib.util.find_spec("evaluator") is None:  # the installed package (compiled, from a wheel) if there is one
    sys.path.insert(0, str(REPO))

import population  # noqa: E402
import evaluator  # noqa: E402
from evaluator import Evaluator, compiled, load_policy  # noqa: E402

SHIPPED = REPO / "policies" / "messagelabs-apac.json"
AS_OF = _dt.date(2026, 1, 1)
EVALUATOR_BIN = Path(sys.executable).parent / "evaluator"


# --- machine -----------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    import durable  # noqa: F401
    from importlib.metadata import version
    return {"cpu": cpu, "cores": usable, "python": platform.python_version(),
            "durable-rules": version("durable-rules"), "platform": platform.platform(terse=True),
            "load": os.getloadavg(), "compiled": compiled(), "package": str(Path(evaluator.__file__).parent)}


def cpu_ticks() -> tuple[int, int] | None:
    """(all CPU time of this machine, the part of it stolen by the hypervisor) in ticks, from
    /proc/stat; None where there is none. Stolen time is when this VM's CPUs were ready to run
    and the host ran another guest: on a shared host, one reason a run's figures are slow."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]  # user .. steal (guest is in user)
    except (OSError, ValueError):
        return None
    return sum(fields), fields[7] if len(fields) > 7 else 0


def steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of the machine's CPU time stolen between two cpu_ticks() readings."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


# --- library -----------------------------------------------------------------------------

def median_rate(n: int, run: Callable[[], None], runs: int) -> tuple[float, list[float], float]:
    """(median records/s by the wall clock, each run's, median records per CPU-second). On a
    machine shared with other work the CPU figure is the steadier one; both are one core."""
    return interleaved({"row": (n, run)}, runs)["row"]


class Rate(NamedTuple):
    """What a row that times itself returns: records/s by the clock, records per CPU-second."""
    wall: float
    cpu: float


def interleaved(rows: dict[str, tuple[int, Callable[[], Any]]], runs: int) -> dict[str, tuple[float, list[float], float]]:
    """median_rate for several rows, measured in rounds: each row once per round, `runs` rounds.
    The host's speed moves from one minute to the next with no steal to show for it, so rows
    run one after another each got a different machine (run G5 of the README: two CLI rows of
    the same code minutes apart, 20,298 and 26,224 partners per CPU-second); in rounds a slow
    minute falls on every row alike, and the ratios between rows, the figures the targets are
    read by, hold. A row whose run returns a Rate measured itself (json-rules-engine, in node)."""
    rates: dict[str, list[float]] = {key: [] for key in rows}
    cpu_rates: dict[str, list[float]] = {key: [] for key in rows}
    for _ in range(runs):
        for key, (n, run) in rows.items():
            gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            measured = run()
            wall, used = time.perf_counter() - start, time.process_time() - cpu
            if isinstance(measured, Rate):
                rate, cpu_rate = measured
            else:
                rate, cpu_rate = n / wall, n / max(used, 1e-9)
            rates[key].append(rate)
            cpu_rates[key].append(cpu_rate)
    return {key: (statistics.median(rates[key]), rates[key], statistics.median(cpu_rates[key])) for key in rows}


def library(records: list[dict[str, Any]], plain_records: list[dict[str, Any]], runs: int,
            cached_only: bool = False) -> dict[str, Any]:
    policy = load_policy(SHIPPED)
    info: dict[str, Any] = {}

    def cached_tier() -> None:
        with Evaluator(policy, as_of=AS_OF) as evaluator:
            for result in evaluator.evaluate_many(records):
                result.tier  # noqa: B018
            info["cache"] = evaluator.cache_info()

    def plain() -> None:
        with Evaluator(policy, as_of=AS_OF, cache_size=0) as evaluator:
            for result in evaluator.evaluate_many(plain_records):
                result.tier  # noqa: B018

    rows: dict[str, tuple[int, Callable[[], Any]]] = {
        "cached_tier": (len(records), cached_tier),
        "cached_statuses": (len(records), lambda: _statuses(policy, records)),
        "cached_lines": (len(records), lambda: _lines(policy, records)),
        "cached_lines_summary": (len(records), lambda: _lines(policy, records, "summary")),
        "cached_lines_tier": (len(records), lambda: _lines(policy, records, "tier")),
    }
    if cached_only:  # the pure-Python baseline's child
        return interleaved(rows, runs)  # type: ignore[return-value]
    with _JsonRulesEngine(plain_records) as jre:
        rows.update({
            "plain": (len(plain_records), plain),
            "cached_full": (len(records), lambda: _full(policy, records)),
            "bare": (len(plain_records), lambda: _bare_durable(plain_records)),
            "if_chain": (len(records), lambda: _if_chain(records)),
            "bare_post": (len(plain_records), lambda: _bare_durable_post(plain_records)),
        })
        if jre.skipped is None:
            rows["jre"] = (len(plain_records), jre.run)
        out: dict[str, Any] = interleaved(rows, runs)  # type: ignore[assignment]
        if jre.skipped is not None:
            out["jre"] = jre.skipped
    out["cache"] = info["cache"]
    # where the cached path's time goes: two per-record steps outside the engine path
    from evaluator.model.decision import input_sha256
    from evaluator.fast.facts import compile_fast_coercer
    fast = compile_fast_coercer(policy)
    out["coerce_record"] = median_rate(len(records), lambda: [fast(r) for r in records], runs)
    out["input_sha256"] = median_rate(len(records), lambda: [input_sha256(r) for r in records], runs)
    return out


def _lines(policy, records, detail: str = "full") -> None:
    """Every decision as the JSONL line the CLI writes at `--detail` (full: every tier, criterion,
    check and shortfall; summary: the tier, benefits and the next tier's needs as text; tier: the
    tier alone), in process: the JSONL lane (evaluator/fast/lane.py) into /dev/null."""
    from evaluator.fast.lane import write_jsonl
    with Evaluator(policy, as_of=AS_OF) as evaluator, open(os.devnull, "w", encoding="utf-8") as out:
        write_jsonl(evaluator, records, out, detail)


def _statuses(policy, records) -> None:
    """Every decision's tier and every criterion's status, without explanations."""
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for result in evaluator.evaluate_many(records):
            if result.ok:
                for _tier, _status, criteria in result.statuses():
                    for _id, _criterion_status in criteria:
                        pass


def _full(policy, records) -> None:
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for result in evaluator.evaluate_many(records):
            if result.ok:
                for tier in result.tiers:
                    for criterion in tier.criteria:
                        criterion.status  # noqa: B018


def _bare_durable(records: list[dict[str, Any]]) -> None:
    """durable-rules alone: one rule per tier on the raw values, tier only."""
    from evaluator.compile.engine import TAG_FIELD, Engine
    rules = {"r0": {
        "t1": {"$and": [{TAG_FIELD: 1}, {"$gte": {"annual_sales_usd": 1000000}}]},
        "t2": {"$and": [{TAG_FIELD: 1}, {"$gte": {"annual_sales_usd": 100000}}]},
        "t3": {"$and": [{TAG_FIELD: 1}, {"$gte": {"annual_sales_usd": 25000}}]},
        "t4": {"$and": [{TAG_FIELD: 1}, {"$gte": {"referrals_this_year": 5}}]},
        "t5": {"$and": [{TAG_FIELD: 1}, {"$gte": {"referrals_this_year": 1}}]},
    }}
    engine = Engine(rules, {"r0": 5})
    try:
        for record in records:
            fact = {k: record[k] for k in ("annual_sales_usd", "referrals_this_year")
                    if isinstance(record.get(k), (int, float)) and not isinstance(record.get(k), bool)}
            fired = engine.fire({"r0": fact})
            next((t for t in ("t1", "t2", "t3", "t4", "t5") if t in fired), None)
    finally:
        engine.close()


_TIER_RULES = (("alliance_partner", "annual_sales_usd", 1000000), ("premier_certified", "annual_sales_usd", 100000),
               ("certified_partner", "annual_sales_usd", 25000), ("premium_associate", "referrals_this_year", 5),
               ("associate_partner", "referrals_this_year", 1))
_post_rulesets = iter(range(1, 1 << 30))


def _bare_durable_post(records: list[dict[str, Any]]) -> None:
    """durable-rules the documented way: a durable.lang ruleset with one rule per tier in rank
    order, one `post` per record, tier only. An event fires only the first matching rule (the
    highest tier) and is consumed, so the session keeps no state to delete."""
    from durable.engine import MessageNotHandledException
    from durable.lang import m, post, ruleset, when_all
    fired: list[str] = []

    def action(tier: str) -> Callable[[Any], None]:
        def run(_c: Any) -> None:  # one argument: a second one would make the action asynchronous
            fired.append(tier)
        return run

    name = f"bench_post_{next(_post_rulesets)}"  # a name registers once per process
    with ruleset(name):
        for tier, fact, threshold in _TIER_RULES:
            when_all(getattr(m, fact) >= threshold)(action(tier))
    for record in records:
        # as _bare_durable: only numbers reach the engine (it compares numeric strings as text)
        event = {k: record[k] for k in ("annual_sales_usd", "referrals_this_year")
                 if isinstance(record.get(k), (int, float)) and not isinstance(record.get(k), bool)}
        fired.clear()
        try:
            post(name, event)
        except MessageNotHandledException:  # no tier
            pass
        fired[0] if fired else None  # noqa: B018 - the tier: the first rule fired, the highest


JRE = HERE / "jre"


class _JsonRulesEngine:
    """json-rules-engine 7 in node on these records, one round at a time (`run`: node reads the
    records, makes one untimed pass, then one timed pass, and reports its rate by the clock and
    per CPU-second of its own process, start-up and reading excluded). `skipped` is the reason it
    cannot run, or None. Never raises: a missing baseline must not cost the rest of the benchmark
    (a round that fails skips it from then on)."""

    def __init__(self, records: list[dict[str, Any]]):
        import shutil
        self.records = len(records)
        self.skipped: str | None = None
        self._tmp = tempfile.TemporaryDirectory()
        self.data = Path(self._tmp.name) / "partners.jsonl"
        self.node = shutil.which("node")
        npm = shutil.which("npm")
        if self.node is None:
            self.skipped = "node is not on PATH"
            return
        try:
            if not (JRE / "node_modules" / "json-rules-engine").is_dir():
                if npm is None:
                    self.skipped = "benchmarks/jre/node_modules is missing and npm is not on PATH"
                    return
                done = subprocess.run([npm, "ci", "--prefix", str(JRE), "--silent"], capture_output=True, text=True,
                                      timeout=300)
                if done.returncode != 0:
                    why = (done.stderr or done.stdout).strip()[-300:] or f"run `npm ci --prefix {JRE}` to see why"
                    self.skipped = f"npm ci failed ({done.returncode}): {why}"
                    return
            with open(self.data, "w", encoding="utf-8") as fh:
                for record in records:
                    fh.write(json.dumps(record, separators=(",", ":")) + "\n")
        except (OSError, subprocess.SubprocessError) as exc:
            self.skipped = f"{type(exc).__name__}: {exc}"

    def run(self) -> Rate | None:
        if self.skipped is not None:
            return None
        try:
            done = subprocess.run([self.node, str(JRE / "tier.js"), str(self.data), "1"],  # type: ignore[list-item]
                                  capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                self.skipped = f"tier.js failed ({done.returncode}): {done.stderr.strip()[-300:] or 'no message'}"
                return None
            result = json.loads(done.stdout)
            if result["records"] != self.records:
                self.skipped = f"tier.js read {result['records']} records of {self.records}"
                return None
            return Rate(result["rate_median"], result["cpu_rate_median"])
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            self.skipped = f"{type(exc).__name__}: {exc}"
            return None

    def __enter__(self) -> "_JsonRulesEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tmp.cleanup()


def _if_chain(records: list[dict[str, Any]]) -> None:
    for record in records:
        sales = record.get("annual_sales_usd") or 0
        refs = record.get("referrals_this_year") or 0
        if not isinstance(sales, (int, float)) or not isinstance(refs, int):
            continue
        if sales >= 1000000:
            tier = "alliance_partner"
        elif sales >= 100000:
            tier = "premier_certified"
        elif sales >= 25000:
            tier = "certified_partner"
        elif refs >= 5:
            tier = "premium_associate"
        elif refs >= 1:
            tier = "associate_partner"
        else:
            tier = None
        del tier


def reloads(count: int) -> dict[str, float]:
    policy = load_policy(SHIPPED)
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for n in range(50):
            evaluator.reload(policy)
            evaluator.evaluate({"partner_id": "p", "annual_sales_usd": n})
        gc.collect()
        before = rss_mb()
        start = time.perf_counter()
        for n in range(count):
            evaluator.reload(policy)
            evaluator.evaluate({"partner_id": "p", "annual_sales_usd": n * 1000})
        elapsed = time.perf_counter() - start
        gc.collect()
        return {"reloads": count, "ms_each": elapsed / count * 1e3, "rss_before": before, "rss_after": rss_mb()}


# --- CLI ---------------------------------------------------------------------------------

def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _kb(path: str, field: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _spool_kb(pid: int) -> int:
    """Memory held in the --jobs spool files (in-memory files, in no process's RSS or PSS)."""
    total = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            link = f"/proc/{pid}/fd/{fd}"
            try:
                if os.readlink(link).startswith("/memfd:evaluator-chunk"):
                    total += os.stat(link).st_blocks // 2  # 512-byte blocks: what is allocated
            except OSError:
                continue
    except OSError:
        pass
    return total


def run_cli(path: Path, jobs: int, out_path: Path, pure: bool = False, option: bool = False) -> dict[str, Any]:
    """One `evaluator evaluate` run: wall time, and peak memory sampled every 20 ms. `pure`:
    the same command run from the source tree, as plain Python. `option`: written with
    `--output FILE` (atomic, on disk before the run ends) rather than to standard output."""
    env = dict(os.environ, PYTHONPATH=str(REPO)) if pure else None
    command = [sys.executable, "-P", "-c", "import sys; from evaluator.cli.main import main; sys.argv[0] = 'evaluator'; main()"] \
        if pure else [str(EVALUATOR_BIN)]
    args = command + ["evaluate", str(path), "--format", "jsonl", "--as-of", AS_OF.isoformat(),
            "--jobs", str(jobs)] + (["--output", str(out_path)] if option else [])
    peak = {"pss_tree": 0, "rss_tree": 0, "parent_hwm": 0, "spool": 0}
    done = threading.Event()
    with open(os.devnull if option else out_path, "wb") as out:
        ticks = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env=env)

        def sample() -> None:
            while not done.is_set():
                pids = _tree(proc.pid)
                spool = _spool_kb(proc.pid)  # counted with the processes: it is their output in flight
                peak["spool"] = max(peak["spool"], spool)
                peak["pss_tree"] = max(peak["pss_tree"],
                                       spool + sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
                peak["rss_tree"] = max(peak["rss_tree"], spool + sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids))
                # the parent's own peak (VmHWM is reset by exec; wait4's ru_maxrss is not: it would
                # report this benchmark's size)
                peak["parent_hwm"] = max(peak["parent_hwm"], _kb(f"/proc/{proc.pid}/status", "VmHWM:"))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # the parent's usage with its workers' (reaped)
        elapsed = time.perf_counter() - start
        steal = steal_share(ticks, cpu_ticks())
        done.set()
        sampler.join()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"evaluator failed ({proc.returncode}): {stderr}")
    return {"seconds": elapsed, "parent_max_rss_mb": peak["parent_hwm"] / 1e3, "tree_pss_mb": peak["pss_tree"] / 1e3,
            "tree_rss_mb": peak["rss_tree"] / 1e3, "spool_mb": peak["spool"] / 1e3,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "steal": steal}


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cli(sizes: list[int], jobs: int, runs: int, workdir: Path, *, baseline: bool = True,
        pure: bool = False, to_file: bool = False) -> list[dict[str, Any]]:
    """For each size: --jobs 1 (the baseline) and --jobs N into standard output, and --jobs N
    with --output FILE where the output is a file. Outputs of a million records and more (about
    5 KB per decision) go to /dev/null instead of being compared."""
    results = []
    for n in sizes:
        data = workdir / f"partners-{n}.jsonl"
        if not data.exists():
            population.write_jsonl(str(data), n, seed=1)
        row: dict[str, Any] = {"partners": n}
        digests = set()
        to_a_file = n < 1_000_000 or to_file
        modes = [("jobs1", 1, False, False), (f"jobs{jobs}", jobs, False, False)] if baseline \
            else [(f"jobs{jobs}", jobs, False, False)]
        if pure:  # the pure-Python baseline of the compiled package, same run
            modes.append((f"jobs{jobs}_pure", jobs, True, False))
        if to_a_file:  # how the CLI writes a file itself: atomically, made durable before the rename
            modes.append((f"jobs{jobs}_o", jobs, False, True))
        # in rounds, each mode once a round (as the library rows), so a slow minute of the host
        # falls on every mode alike rather than on the one measured then
        measured: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in modes}
        for _ in range(runs):
            for label, j, as_pure, option in modes:
                out = workdir / f"out-{n}-{j}-{as_pure}-{option}.jsonl" if to_a_file else Path(os.devnull)
                measured[label].append(run_cli(data, j, out, pure=as_pure, option=option))
                if out != Path(os.devnull):
                    digests.add(_digest(out))
                    out.unlink()
        row["output"] = "file" if to_a_file else "/dev/null"
        for label, measures in measured.items():
            times = [m["seconds"] for m in measures]
            row[label] = {"partners_per_s": n / statistics.median(times), "seconds": statistics.median(times),
                          "parent_max_rss_mb": max(m["parent_max_rss_mb"] for m in measures),
                          "tree_pss_mb": max(m["tree_pss_mb"] for m in measures),
                          "tree_rss_mb": max(m["tree_rss_mb"] for m in measures),
                          "spool_mb": max(m["spool_mb"] for m in measures),
                          "partners_per_cpu_s": n / statistics.median(m["cpu_seconds"] for m in measures),
                          "steal": _median_or_none([m["steal"] for m in measures])}
        row["identical_output"] = len(digests) == 1 if digests else None
        results.append(row)
        data.unlink() if n >= 1_000_000 else None
    return results


def startup(jobs: int, runs: int, workdir: Path) -> float:
    """Median wall time of a one-partner run into a file: what every run pays before its first
    decision (the interpreter, the imports, the policy loaded, validated and compiled)."""
    data = workdir / "partners-1.jsonl"
    population.write_jsonl(str(data), 1, seed=1)
    return statistics.median(run_cli(data, jobs, workdir / "out-1.jsonl")["seconds"] for _ in range(runs))


# --- report ------------------------------------------------------------------------------

def pure_library(args: argparse.Namespace) -> dict[str, Any]:
    """The cached rows once more in a child process that imports the package from the source
    tree, as plain Python: the baseline for what compiling buys, in the same run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pure.json"
        subprocess.run([sys.executable, "-P", str(Path(__file__).resolve()), "--skip-cli", "--pure-child",
                        "--records", str(args.records), "--runs", str(args.runs), "--json", str(out)],
                       env=dict(os.environ, PYTHONPATH=str(REPO)), check=True,
                       stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))["library"]


def library_report(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    records = list(population.partners(args.records, seed=1))
    plain_records = records[:args.plain_records]
    if args.pure_child:
        lib = library(records, plain_records, args.runs, cached_only=True)
        return {k: {"median": v[0], "runs": v[1], "median_per_cpu_second": v[2]} for k, v in lib.items()}, {}
    ticks = cpu_ticks()
    lib = library(records, plain_records, args.runs)
    lib["steal"] = steal_share(ticks, cpu_ticks())
    base, base_cpu = lib["plain"][0], lib["plain"][2]
    print(f"\nlibrary, one core, median of {args.runs} runs (decisions/s by the clock and per CPU-second; "
          "ratio to the plain baseline, same run):")
    rows = [("cached, tier", "cached_tier"), ("cached, every criterion's status", "cached_statuses"),
            ("cached, every criterion result", "cached_full"),
            ("cached, every decision as a JSONL line", "cached_lines"),
            ("cached, JSONL line, --detail summary", "cached_lines_summary"),
            ("cached, JSONL line, --detail tier", "cached_lines_tier"),
            ("plain: engine every record (baseline)", "plain"), ("durable-rules bare, tier only", "bare"),
            ("durable-rules bare, post per record", "bare_post"), ("json-rules-engine 7 (node), tier only", "jre"),
            ("hand-written if-chain, tier only", "if_chain")]
    for label, key in rows:
        if isinstance(lib[key], str):
            print(f"  {label:<40} skipped: {lib[key]}")
            continue
        rate, _, cpu = lib[key]
        print(f"  {label:<40} {rate:>11,.0f}/s  x{rate / base:7.2f}   {cpu:>11,.0f}/cpu-s  x{cpu / base_cpu:7.2f}")
    per = {k: 1e6 / lib[k][2] for k in ("cached_tier", "coerce_record", "input_sha256")}
    print(f"  cached, tier: {per['cached_tier']:.1f} us of CPU per record, of which checking the record's facts "
          f"(fastfacts) {per['coerce_record']:.1f} us and its provenance digest (input_sha256) "
          f"{per['input_sha256']:.1f} us")
    if compiled() and not args.no_pure:
        pure = pure_library(args)
        lib["pure"] = pure
        print("  the same cached rows as plain Python (the source tree, in a child process, same run):")
        for label, key in rows:
            if key in pure:
                rate = pure[key]["median"]
                print(f"    {label:<38} {rate:>11,.0f}/s   compiled x{lib[key][0] / rate:.2f}")
    cache = lib["cache"]
    print(f"  distinct encodings decided by durable-rules: {cache['misses']:,} of {cache['hits'] + cache['misses']:,} "
          f"valid records (cache {cache['size']:,}/{cache['maxsize']:,})")
    print(f"  peak RSS of this process so far: {peak_rss_mb():.0f} MB; CPU time stolen by the host during these "
          f"rows: {'unknown' if lib['steal'] is None else format(lib['steal'], '.0%')}")
    out: dict[str, Any] = {k: {"skipped": v} if isinstance(v, str) else
                           {"median": v[0], "runs": v[1], "median_per_cpu_second": v[2]}
                           for k, v in lib.items() if k not in ("cache", "pure", "steal")}
    out["steal"] = lib["steal"]
    if "pure" in lib:
        out["pure"] = lib["pure"]
    out["cache"] = cache
    out["peak_rss_mb"] = peak_rss_mb()
    rel = reloads(args.reloads)
    print(f"\nreload: {rel['reloads']:,} reloads, {rel['ms_each']:.2f} ms each; RSS {rel['rss_before']:.1f} -> "
          f"{rel['rss_after']:.1f} MB ({rel['rss_after'] - rel['rss_before']:+.1f} MB)")
    return out, rel


# The issue's baselines, as it measured them on its machine: what its absolute targets were set
# against. This run's rates of the same baselines say how fast this host is relative to that one.
ISSUE_BASELINES = (("jre", "json-rules-engine, tier only", 50_000),
                   ("bare_post", "durable-rules bare, tier only", 40_000),
                   ("if_chain", "hand-written if-chain", 2_700_000))
LIBRARY_TARGET, CLI_TARGET, MEMORY_TARGET_MB = 100_000, 50_000, 150


def _median(lib: dict[str, Any], key: str) -> float | None:
    row = lib.get(key)
    return row.get("median") if isinstance(row, dict) else None


def target_lines(report: dict[str, Any], jobs: int) -> list[str]:
    """The issue's targets against a run's figures (bench.py --json's report), one line each:
    absolute, and as the issue states them relative to its baselines: the library at twice
    json-rules-engine's tier-only rate, the CLI at json-rules-engine's rate on the issue's machine
    (50,000/s), so 50,000/s scaled by each baseline's rate here over its rate there."""
    lines: list[str] = []
    lib = report.get("library") or {}
    scales = [(name, here / there, here) for key, name, there in ISSUE_BASELINES
              if (here := _median(lib, key)) is not None]
    if scales:
        lines.append("this host against the issue's machine (same baselines, this run): " + "; ".join(
            f"{name} {here:,.0f}/s (x{scale:.2f} of the issue's)" for name, scale, here in scales))
    jre = _median(lib, "jre")
    if lib.get("steal"):
        lines.append(f"library rows: {lib['steal']:.0%} of the CPU time stolen by the host while they ran")
    for key, label in (("cached_statuses", "every criterion's result (met/not_met/missing)"),
                       ("cached_lines", "every criterion explained, as JSONL lines"),
                       ("cached_full", "every criterion explained, as Decision.tiers objects")):
        rate = _median(lib, key)
        if rate is None:
            continue
        line = f"library, {label}: {rate:,.0f}/s; >= {LIBRARY_TARGET:,}/s {'met' if rate >= LIBRARY_TARGET else 'not met'}"
        if jre is not None:
            line += f"; >= twice json-rules-engine here ({2 * jre:,.0f}/s) {'met' if rate >= 2 * jre else 'not met'}, x{rate / jre:.2f}"
        lines.append(line)
    full, summary = _median(lib, "cached_lines"), _median(lib, "cached_lines_summary")
    if full and summary:
        lines.append(f"library, JSONL --detail summary {summary:,.0f}/s against full {full:,.0f}/s: x{summary / full:.2f}; "
                     f">= x2 {'met' if summary >= 2 * full else 'not met'}")
    rows = report.get("cli") or []
    runs = [(row, label, into) for row in rows for label, into in
            ((f"jobs{jobs}", row["output"]), (f"jobs{jobs}_o", "--output FILE")) if label in row]
    for row, label, into in runs:
        rate = row[label]["partners_per_s"]
        line = (f"CLI --jobs {jobs}, {row['partners']:,} partners into {into}: {rate:,.0f}/s; "
                f">= {CLI_TARGET:,}/s {'met' if rate >= CLI_TARGET else 'not met'}")
        scaled = [f"{name} {CLI_TARGET * scale:,.0f}/s {'met' if rate >= CLI_TARGET * scale else 'not met'}"
                  for name, scale, _ in scales]
        if scaled:
            line += "; scaled by " + ", ".join(scaled)
        allowed = row["partners"] / CLI_TARGET
        start = report.get("startup_seconds")
        if start is not None and start >= allowed / 10:  # a small input: start-up is much of what it may take
            line += f"; start-up alone (a one-partner run) takes {start:.2f} s of the {allowed:.2f} s {CLI_TARGET:,}/s allows"
        steal = row[label].get("steal")
        if steal:  # what the two cores would have done had the host not run other guests on them
            line += f"; {steal:.0%} of the CPU time stolen by the host, without it ~{rate / (1 - steal):,.0f}/s"
        lines.append(line)
    if rows:
        pss = max(row[label]["tree_pss_mb"] for row in rows for label in row
                  if label.startswith("jobs") and not label.endswith("_pure"))
        lines.append(f"CLI peak memory (PSS of the process tree, every size): {pss:.0f} MB; <= {MEMORY_TARGET_MB} MB "
                     f"{'met' if pss <= MEMORY_TARGET_MB else 'not met'}")
    return lines


def print_targets(report: dict[str, Any], jobs: int, source: str = "this run") -> None:
    print(f"\ntargets ({source}):")
    for line in target_lines(report, jobs):
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Speed and memory of the evaluator (see the module docstring).")
    parser.add_argument("--records", type=int, default=100_000, help="library population (cached paths)")
    parser.add_argument("--plain-records", type=int, default=10_000, help="population for the slower paths")
    parser.add_argument("--runs", type=int, default=5, help="runs per library figure (median)")
    parser.add_argument("--cli-sizes", default="10000,200000", help="CLI input sizes, comma-separated")
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="--jobs for the CLI (0: one per usable core)")
    parser.add_argument("--huge", type=int, default=0, help="also run the CLI once on this many partners")
    parser.add_argument("--huge-to-file", action="store_true",
                        help="write --huge's output to a file (about 5 KB a partner) rather than /dev/null")
    parser.add_argument("--reloads", type=int, default=1000)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-library", action="store_true", help="only the CLI (and --huge)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--no-pure", action="store_true",
                        help="skip the pure-Python baseline rows (run when the installed package is compiled)")
    parser.add_argument("--targets", metavar="FILE", help="print the targets against a saved --json report, and exit")
    parser.add_argument("--pure-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help="where the CLI inputs are generated (default: a temporary directory)")
    args = parser.parse_args()
    if args.quick:
        args.records, args.plain_records, args.runs, args.cli_sizes, args.cli_runs, args.reloads = (
            20_000, 2_000, 1, "10000", 1, 200)
    from evaluator.fast.parallel import jobs_count
    if args.targets:
        saved = json.loads(Path(args.targets).read_text(encoding="utf-8"))
        print_targets(saved, saved.get("jobs") or jobs_count(args.jobs), args.targets)
        return
    jobs = jobs_count(args.jobs)

    report: dict[str, Any] = {"machine": machine(), "jobs": jobs}
    m = report["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} usable core(s), Python {m['python']}, durable-rules {m['durable-rules']}, "
          f"load average {m['load'][0]:.2f}")
    print(f"evaluator: {'compiled (Cython)' if m['compiled'] else 'pure Python'}, from {m['package']}")

    if args.pure_child:
        report["library"], _ = library_report(args)
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
        return
    if not args.skip_library:
        report["library"], report["reload"] = library_report(args)

    if not args.skip_cli:
        sizes = [int(s) for s in args.cli_sizes.split(",") if s]
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            work = Path(tmp)
            rows_cli = cli(sizes, jobs, args.cli_runs, work, pure=compiled() and not args.no_pure)
            if args.huge:
                rows_cli += cli([args.huge], jobs, 1, work, baseline=False, to_file=args.huge_to_file)
            startup_runs = 2 * args.cli_runs + 1  # short runs: more of them, for a steadier median
            report["startup_seconds"] = startup(jobs, startup_runs, work)
        print(f"\nCLI, JSONL -> JSONL, median of {args.cli_runs} (partners/s end to end; peak memory in MB):")
        for row in rows_cli:
            for label in ("jobs1", f"jobs{jobs}", f"jobs{jobs}_pure", f"jobs{jobs}_o"):
                if label not in row:
                    continue
                r = row[label]
                name = f"--jobs {jobs}, pure" if label.endswith("_pure") else f"--jobs {jobs}, -o FILE" \
                    if label.endswith("_o") else f"--jobs {label[4:]:<2}"
                print(f"  {row['partners']:>10,} partners, {name:<17} {r['partners_per_s']:>10,.0f}/s "
                      f"({r['seconds']:.1f} s)   parent RSS {r['parent_max_rss_mb']:.0f}, "
                      f"tree PSS {r['tree_pss_mb']:.0f}, tree RSS {r['tree_rss_mb']:.0f} (spool files "
                      f"{r['spool_mb']:.0f}); into {'file, by --output' if label.endswith('_o') else row['output']}")
                steal = r.get("steal")
                print(f"  {'':>10}  {r['partners_per_cpu_s']:>10,.0f} partners per CPU-second of the process tree; "
                      f"CPU time stolen by the host during the run: "
                      f"{'unknown' if steal is None else f'{steal:.0%}'}")
            if "jobs1" in row:
                speedup = row[f"jobs{jobs}"]["partners_per_s"] / row["jobs1"]["partners_per_s"]
                print(f"  {'':>10}  --jobs {jobs} / --jobs 1: x{speedup:.2f}; output identical: {row['identical_output']}")
            if f"jobs{jobs}_pure" in row:
                gain = row[f"jobs{jobs}"]["partners_per_s"] / row[f"jobs{jobs}_pure"]["partners_per_s"]
                print(f"  {'':>10}  compiled / pure Python (--jobs {jobs}): x{gain:.2f}")
        print(f"  start-up: a one-partner run takes {report['startup_seconds']:.2f} s (median of {startup_runs})")
        report["cli"] = rows_cli
    print_targets(report, jobs)
    report["machine"]["load_after"] = os.getloadavg()
    print(f"\nload average after: {report['machine']['load_after'][0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
