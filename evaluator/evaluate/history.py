"""Tier history: a partner's previous decision and the policy's transition rules decide the tier
it holds now, from the tier its facts earn (the evaluated tier).

The rules are policy data, `transitions` (schemas/policy.schema.json):
  grace_days       a partner that falls below its tier keeps it for N days from the first review
                   below it (days 0..N inclusive); the grace start is carried forward in each
                   decision (`standing.grace`), so it is counted from that first review
  max_steps_down   at most K tiers down per review (a step is one rank; from the lowest tier to
                   no tier is a step); null or absent: no limit
Upgrades take effect at once; a partner with no previous decision is `new` and gets the
evaluated tier. Without `transitions` a partner always holds the evaluated tier, and the decision
still records the previous tier and the transition.

The previous tier is matched to this policy's tiers by id, else (a previous decision of an
older version of the program, on the same rank_scale) by level; a previous decision of another
program, or of a tier neither way can match, is a located error for that partner's record.
Everything here is a pure function of the policy, the evaluated tier, the previous decision and
the evaluation date: same inputs, same decision.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import Finding
from ..model.decision import tier_ref
from ..model.policy import Policy, Tier

NEW, UP, DOWN, GRACE, UNCHANGED = "new", "up", "down", "kept_in_grace", "unchanged"
TRANSITIONS = (NEW, UP, DOWN, GRACE, UNCHANGED)


@dataclass(frozen=True)
class Rules:
    """A policy's transition rules (its `transitions` member)."""

    grace_days: int = 0
    max_steps_down: int | None = None
    description: str = ""
    declared: bool = False

    @classmethod
    def of(cls, policy: Policy) -> "Rules":
        data = policy.document.get("transitions")
        if not isinstance(data, dict):
            return cls()
        return cls(int(data.get("grace_days", 0)), data.get("max_steps_down"), data.get("description", ""), True)

    def words(self) -> list[str]:
        """The rules in words (the program sheet, `explain`)."""
        if not self.declared:
            return ["A partner holds the tier its facts earn at each review (no grace period, no limit on "
                    "moving down)."]
        lines = ["Upgrades take effect at the review that earns them."]
        if self.grace_days:
            lines.append(f"A partner that falls below its tier keeps it for {self.grace_days} days from the first "
                         f"review below it (that review and every review up to {self.grace_days} days later).")
        else:
            lines.append("There is no grace period: a partner below its tier moves down at that review.")
        if self.max_steps_down is not None:
            lines.append(f"A partner moves down at most {self.max_steps_down} "
                         f"{'tier' if self.max_steps_down == 1 else 'tiers'} per review.")
        lines.append("A partner with no previous decision gets the tier its facts earn.")
        return lines


@dataclass(frozen=True)
class Previous:
    """What a partner's previous decision says: its tier (id, rank, level when known), the policy
    that made it, the grace period it was in, and where it was read (for located errors)."""

    partner_id: str
    tier: str | None
    policy: Mapping[str, Any]
    grace_from: _dt.date | None = None
    file: str | None = None
    line: int | None = None

    def finding(self, message: str, pointer: str, expected: str, found: str) -> Finding:
        return Finding(message, pointer, self.file, self.line, None, expected, found, check="previous")


def previous_of(decision: Mapping[str, Any], file: str | None = None, line: int | None = None) -> Previous | None:
    """A previous decision (as written to JSON) as a Previous; None for an error record or one
    without a partner id. The tier it held before an exception is the one history continues from."""
    pid = decision.get("partner_id")
    if not isinstance(pid, str) or "error" in decision:
        return None
    tier = decision.get("tier")
    exception = decision.get("exception")
    if isinstance(exception, dict) and "instead_of" in exception:
        tier = exception["instead_of"]
    tier_id = tier.get("id") if isinstance(tier, dict) else None
    standing: Mapping[str, Any] = decision["standing"] if isinstance(decision.get("standing"), dict) else {}
    grace: Mapping[str, Any] = standing["grace"] if isinstance(standing.get("grace"), dict) else {}
    start = None
    if isinstance(grace.get("from"), str):
        try:
            start = _dt.date.fromisoformat(grace["from"])
        except ValueError:
            start = None
    policy: Mapping[str, Any] = decision["policy"] if isinstance(decision.get("policy"), dict) else {}
    return Previous(pid, tier_id if isinstance(tier_id, str) else None, policy, start, file, line)


def _level_of(policies: Mapping[str, Policy], previous: Previous) -> int | None:
    """The previous tier's level on its policy's rank scale, when that policy (an older version) is known."""
    older = policies.get(str(previous.policy.get("sha256")))
    if older is None or previous.tier is None:
        return None
    return next((t.level for t in older.tiers if t.id == previous.tier), None)


def matched_tier(policy: Policy, previous: Previous, versions: Mapping[str, Policy]) -> Tier | None | Finding:
    """This policy's tier for the previous decision's tier (None: it held no tier), or a Finding."""
    if previous.policy.get("id") != policy.id:
        return previous.finding(f"the previous decision of partner {previous.partner_id} is of another program",
                                "/policy/id", expected=policy.id, found=str(previous.policy.get("id")))
    if previous.tier is None:
        return None
    for tier in policy.tiers:
        if tier.id == previous.tier:
            return tier
    level = _level_of(versions, previous) if policy.rank_scale else None
    if level is not None:
        for tier in policy.tiers:
            if tier.level == level:
                return tier
    return previous.finding(f"the previous tier {previous.tier!r} of partner {previous.partner_id} is not a tier "
                            f"of {policy.id} {policy.version}", "/tier/id",
                            expected="one of " + ", ".join(t.id for t in policy.tiers)
                            + (" (or a tier of a known older version on its rank scale)" if policy.rank_scale else ""),
                            found=previous.tier)


def _rank(policy: Policy, tier: Tier | None) -> int:
    return tier.rank if tier is not None else len(policy.tiers) + 1


def _tier_at(policy: Policy, rank: int) -> Tier | None:
    return policy.tiers[rank - 1] if rank <= len(policy.tiers) else None


def transition(policy: Policy, rules: Rules, evaluated: Tier | None, held_before: Tier | None | bool,
               previous: Previous | None, as_of: _dt.date) -> tuple[Tier | None, dict[str, Any]]:
    """The tier the partner holds now and the decision's `standing` member. `held_before` is the
    previous tier matched to this policy (matched_tier), False when there is no previous decision."""
    standing: dict[str, Any] = {}
    if previous is None or held_before is False:
        standing.update(previous=None, evaluated=tier_ref(evaluated), transition=NEW)
        return evaluated, standing
    before: Tier | None = held_before  # type: ignore[assignment]
    standing.update(previous=tier_ref(before), evaluated=tier_ref(evaluated))
    was, now = _rank(policy, before), _rank(policy, evaluated)
    if now < was:
        standing["transition"] = UP
        return evaluated, standing
    if now == was:
        standing["transition"] = UNCHANGED
        return evaluated, standing
    start = previous.grace_from or as_of
    if rules.grace_days:
        until = start + _dt.timedelta(days=rules.grace_days)
        if as_of <= until:
            standing.update(transition=GRACE, grace={"from": start.isoformat(), "until": until.isoformat()})
            return before, standing
    held_rank = now if rules.max_steps_down is None else min(now, was + rules.max_steps_down)
    held = _tier_at(policy, held_rank)
    standing["transition"] = DOWN
    if held_rank != now:
        standing["limited_to"] = rules.max_steps_down
        if rules.grace_days:  # still above what it earns: the grace already used is carried forward
            until = start + _dt.timedelta(days=rules.grace_days)
            standing["grace"] = {"from": start.isoformat(), "until": until.isoformat()}
    return held, standing
