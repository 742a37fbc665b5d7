"""The service's metrics in Prometheus text (prometheus-client), GET /metrics.

With more than one worker each process writes its samples to prometheus-client's multiprocess
folder (PROMETHEUS_MULTIPROC_DIR, set by `evaluator serve` before the workers start) and a
scrape adds up every worker's, whichever worker answers it.
"""
from __future__ import annotations

import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no `_created` series beside each counter: half the text, nothing a dashboard reads

DECISIONS = Counter("evaluator_decisions", "Partner records decided, by the tier given (none: no tier).", ["tier"])
INVALID = Counter("evaluator_invalid_records", "Partner records refused as invalid (each an error record).")
REQUESTS = Counter("evaluator_requests", "HTTP requests answered, by endpoint and status.", ["endpoint", "status"])
LATENCY = Histogram("evaluator_request_duration_seconds", "Time from a request's arrival to its whole response.",
                    ["endpoint"], buckets=(.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
CACHE_HITS = Counter("evaluator_outcome_cache_hits", "Decisions whose engine outcome came from the outcome cache.")
CACHE_MISSES = Counter("evaluator_outcome_cache_misses", "Decisions the engine was asked for (outcome cache misses).")
RELOADS = Counter("evaluator_policy_reloads", "Policy reloads that swapped in a new policy.")
RELOAD_FAILURES = Counter("evaluator_policy_reload_failures", "Policy reloads refused (the policy in force stayed).")
POLICY = Gauge("evaluator_policy_info", "The policy in force (1), by id, version and sha256.",
               ["id", "version", "sha256"], multiprocess_mode="livemax")


class CacheCounter:
    """Turns the Evaluator's outcome-cache totals (per policy: a reload starts them at 0) into
    counter increments, taken after each request."""

    def __init__(self) -> None:
        self.hits = self.misses = 0

    def update(self, info: dict[str, int]) -> None:
        hits, misses = info["hits"], info["misses"]
        if hits < self.hits or misses < self.misses:  # a new policy's cache
            self.hits = self.misses = 0
        if hits > self.hits:
            CACHE_HITS.inc(hits - self.hits)
        if misses > self.misses:
            CACHE_MISSES.inc(misses - self.misses)
        self.hits, self.misses = hits, misses


def policy_in_force(old: dict[str, str] | None, new: dict[str, str]) -> None:
    if old is not None and old != new:
        POLICY.labels(old["id"], old["version"], old["sha256"]).set(0)
    POLICY.labels(new["id"], new["version"], new["sha256"]).set(1)


def reloaded(result: dict[str, Any]) -> None:
    if result["result"] == "reloaded":
        RELOADS.inc()
    elif result["result"] == "failed":
        RELOAD_FAILURES.inc()


def scrape() -> bytes:
    """Every metric in Prometheus text: this process's, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
