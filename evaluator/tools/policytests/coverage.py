"""Coverage: which tiers were the result of some case, which criteria were seen both met and
not met, and how often each benefit with an amount was paid, an alternative, not open or missing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...model.decision import MET, MISSING, NOT_MET
from ...model.payouts import STATUSES as PAYOUT_STATUSES
from ...model.policy import Policy

from .run import SuiteResult
from .suite import STATUSES


# --- coverage ------------------------------------------------------------------------------------

@dataclass
class Coverage:
    """How often each tier was the result and each criterion met / not met / missing."""

    policy: Policy
    tiers: dict[str | None, int]
    criteria: dict[tuple[str, str], dict[str, int]]
    overrides: dict[str, int]
    payouts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (tier, benefit): {status: n}

    def uncovered(self) -> list[tuple[str, str, str]]:
        """(tier id, criterion id, what was never seen) for every criterion not both met and not met."""
        out = []
        for (tier_id, criterion), counts in self.criteria.items():
            if counts[MET] and counts[NOT_MET]:
                continue
            if not counts[MET] and not counts[NOT_MET]:
                why = "never exercised"
            else:
                why = "never met" if not counts[MET] else "never not met"
            out.append((tier_id, criterion, why))
        return out

    def tiers_never(self) -> list[str]:
        return [t.id for t in self.policy.tiers if not self.tiers.get(t.id)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tiers": [{"tier": t.id, "cases": self.tiers.get(t.id, 0)} for t in self.policy.tiers]
                     + [{"tier": None, "cases": self.tiers.get(None, 0)}],
            "criteria": [{"tier": t, "criterion": c, **counts, "covered": bool(counts[MET] and counts[NOT_MET])}
                         for (t, c), counts in self.criteria.items()],
            "overrides": [{"override": o, "cases": n} for o, n in self.overrides.items()],
            "uncovered": [{"tier": t, "criterion": c, "reason": why} for t, c, why in self.uncovered()],
            "tiers_never_the_result": self.tiers_never(),
            "payouts": [{"tier": t, "benefit": b, **counts} for (t, b), counts in self.payouts.items()],
        }


def coverage(result: SuiteResult) -> Coverage:
    policy = result.policy
    tiers: dict[str | None, int] = {}
    criteria = {(t.id, c.id): {s: 0 for s in STATUSES} for t in policy.tiers for c in t.criteria}
    overrides = {o.id: 0 for o in policy.overrides}
    payouts = {(t.id, p.id): {s: 0 for s in PAYOUT_STATUSES} for t in policy.tiers for p in t.payables}
    for r in result.results:
        d = r.decision
        if d is None:
            continue
        key = None if d.tier is None else d.tier.id
        tiers[key] = tiers.get(key, 0) + 1
        if d.override is not None:
            overrides[d.override.id] += 1
        for tier_result in d.tiers:
            for c in tier_result.criteria:
                criteria[(tier_result.tier.id, c.id)][c.status] += 1
        if d.tier is not None:
            for payout in d.payouts:
                payouts[(d.tier.id, payout.benefit)][payout.status] += 1
    return Coverage(policy, tiers, criteria, overrides, payouts)


def coverage_text(cov: Coverage) -> list[str]:
    policy = cov.policy
    lines = ["coverage:", "  tiers as the result:"]
    width = max([len(t.name) for t in policy.tiers] + [7])
    for t in policy.tiers:
        n = cov.tiers.get(t.id, 0)
        lines.append(f"    {t.name:<{width}}  {n:>3} case(s)" + ("   never the result" if not n else ""))
    lines.append(f"    {'no tier':<{width}}  {cov.tiers.get(None, 0):>3} case(s)")
    labels = {(t.id, c.id): f"{t.name} / {c.id}" + (" (advisory)" if c.advisory else "")
              for t in policy.tiers for c in t.criteria}
    cwidth = max([len(v) for v in labels.values()] + [9])
    lines.append(f"  {'criteria':<{cwidth + 2}}  met  not_met  missing")
    uncovered = {(t, c): why for t, c, why in cov.uncovered()}
    for key, counts in cov.criteria.items():
        mark = uncovered.get(key, "covered")
        lines.append(f"    {labels[key]:<{cwidth}}  {counts[MET]:>3}  {counts[NOT_MET]:>7}  {counts[MISSING]:>7}  {mark}")
    for override, n in cov.overrides.items():
        lines.append(f"    override {override}: applied in {n} case(s)")
    if cov.payouts:
        names = {(t.id, p.id): f"{t.name} / {p.id}" for t in policy.tiers for p in t.payables}
        pwidth = max(len(v) for v in names.values())
        lines.append(f"  {'payouts':<{pwidth + 2}}  " + "  ".join(PAYOUT_STATUSES))
        for key, counts in cov.payouts.items():
            lines.append(f"    {names[key]:<{pwidth}}  " + "  ".join(f"{counts[s]:>{len(s)}}" for s in PAYOUT_STATUSES)
                         + ("" if counts["paid"] else "  never paid"))
    if uncovered:
        lines.append(f"  not covered: {len(uncovered)} of {len(cov.criteria)} criteria: "
                     + ", ".join(f"{labels[k]} ({why})" for k, why in uncovered.items()))
    else:
        lines.append(f"  every criterion ({len(cov.criteria)}) was both met and not met")
    return lines
