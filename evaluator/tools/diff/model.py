"""Impact analysis: who a program change moves (`evaluator diff OLD NEW FACTS`).

Every partner record is read once and decided under both policies. The result holds the
transition matrix (old tier x new tier, "no tier" included), every partner that moves with the
criteria that moved it, benefit changes per transition, totals, and every record that is invalid
under either policy. Partners that keep their tier are only counted, so memory grows with the
number of moves and invalid records, never with the population.

Direction of a move:
- "no tier" is below every tier, in any program;
- policies that name the same `rank_scale` compare tiers by their `level`;
- otherwise two versions of the same program (same policy `id`) compare by rank: in the new
  policy when it has both tiers, else in the old one;
- otherwise, and between different tiers of equal level, the move is lateral.

The causes of a move are the required criteria of the old and the new tier whose status differs
between the two decisions (met before and not now, or the reverse, or a criterion only one policy
has), each with its actual values and its requirement under each policy; plus an override that
applies under one policy and not the other.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ...version import __version__
from ...language.facttypes import jsonable
from ...language.money import minor_text
from ...model.decision import MET, Decision, InvalidRecord
from ...evaluate.evaluator import Evaluator
from ...model.policy import Policy, Tier
from .payouts import PayoutChanges

UP, DOWN, LATERAL, UNCHANGED = "up", "down", "lateral", "unchanged"
DIRECTIONS = (UP, DOWN, LATERAL, UNCHANGED)
FAIL_ON = {"up": {UP}, "down": {DOWN}, "any": {UP, DOWN, LATERAL}}
# Benefit fields that are data, not wording: a change in any of them changes what a partner gets.
BENEFIT_TERMS = ("value", "unit", "basis", "frequency", "amount", "currency", "period", "when", "from_contract",
                 "contracts", "opt_in")


# --- how the two programs' tiers compare -----------------------------------------------------------

def _by_level(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    return (b.level or 0) - (a.level or 0)


def _by_rank(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    for policy in (new, old):
        ids = {t.id: t.rank for t in policy.tiers}
        if a.id in ids and b.id in ids:
            return ids[a.id] - ids[b.id]  # rank 1 is the highest
    return None


def _not_comparable(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    return 0 if a.id == b.id else None


# basis name -> (ordering: > 0 when b stands higher than a, None when they do not compare; wording)
ORDERINGS: dict[str, tuple[Callable[[Policy, Policy, Tier, Tier], int | None], str]] = {
    "rank_scale": (_by_level, "tiers compare by level on the shared rank scale {scale}"),
    "same_program": (_by_rank, "versions of one program: tiers compare by rank"),
    "none": (_not_comparable, "different programs without a shared rank scale: moves between tiers are lateral"),
}


def comparison_basis(old: Policy, new: Policy) -> str:
    if old.rank_scale is not None and old.rank_scale == new.rank_scale:
        return "rank_scale"
    if old.id == new.id:
        return "same_program"
    return "none"


def direction(basis: str, old: Policy, new: Policy, a: Tier | None, b: Tier | None) -> str:
    """up, down, lateral or unchanged, for a partner whose tier goes from `a` (old) to `b` (new)."""
    if a is None or b is None:
        return UNCHANGED if a is b else UP if a is None else DOWN
    order = ORDERINGS[basis][0](old, new, a, b)
    if a.id == b.id and not order:
        return UNCHANGED
    if not order:
        return LATERAL
    return UP if order > 0 else DOWN


# --- what changed for one partner --------------------------------------------------------------------

def _side(decision: Decision, tier_id: str, criterion_id: str) -> dict[str, Any] | None:
    try:
        result = decision.criterion(tier_id, criterion_id)
    except KeyError:
        return None
    return {"status": result.status, "actual": {k: jsonable(v) for k, v in result.actual.items()},
            "required": result.required}


def causes(old: Decision, new: Decision, passed: tuple[list[Tier], list[Tier]] = ([], [])) -> list[dict[str, Any]]:
    """Why a partner moved: the required criteria of its old and new tiers whose status differs
    between the two decisions; the unmet required criteria of the tiers it passed on the way (for
    a move down, the new policy's tiers above its new tier that do not stand above its old one;
    for a move up, the old policy's tiers above its old tier that do not stand above its new one),
    where their status differs; and an override that applies under one policy only."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(tier: Tier, unmet_in: Decision | None) -> None:
        ids: list[tuple[str, str, str]] = []  # (criterion id, description, tier name)
        for decision in (old, new):
            try:
                result = decision.tier_result(tier.id)
            except KeyError:
                continue
            ids += [(c.id, c.description, result.tier.name) for c in result.criteria if not c.advisory]
        for criterion_id, description, tier_name in ids:
            if (tier.id, criterion_id) in seen:
                continue
            seen.add((tier.id, criterion_id))
            before, after = _side(old, tier.id, criterion_id), _side(new, tier.id, criterion_id)
            if before is not None and after is not None and before["status"] == after["status"]:
                continue
            if unmet_in is not None and (_side(unmet_in, tier.id, criterion_id) or {}).get("status") == MET:
                continue
            found.append({"tier": tier.id, "tier_name": tier_name, "criterion": criterion_id,
                          "description": description, "before": before, "after": after})

    passed_new, passed_old = passed
    if old.tier is not None:
        add(old.tier, None)
    for tier in passed_new:
        add(tier, new)
    for tier in passed_old:
        add(tier, old)
    if new.tier is not None:
        add(new.tier, None)
    old_override = old.override.id if old.override is not None else None
    new_override = new.override.id if new.override is not None else None
    if old_override != new_override:
        found.append({"override": {"before": old_override, "after": new_override}})
    return found


def passed_tiers(basis: str, old: Policy, new: Policy, a: Tier | None, b: Tier | None,
                 way: str) -> tuple[list[Tier], list[Tier]]:
    """The tiers a partner passed moving from `a` to `b`: (new policy's, old policy's); see causes()."""
    order = ORDERINGS[basis][0]

    def above(x: Tier | None, y: Tier) -> bool:  # y stands above x
        if x is None:
            return True
        rel = order(old, new, x, y)
        return rel is not None and rel > 0

    def not_above(x: Tier | None, y: Tier) -> bool:  # y does not stand above x
        if x is None:
            return False
        rel = order(old, new, x, y)
        return rel is not None and rel <= 0

    skip = {tier_key(a), tier_key(b)}
    if way == DOWN:
        return [t for t in new.tiers if t.id not in skip and above(b, t) and not_above(a, t)], []
    if way == UP:
        return [], [t for t in old.tiers if t.id not in skip and above(a, t) and not_above(b, t)]
    return [], []


def benefit_changes(a: Tier | None, b: Tier | None) -> list[dict[str, Any]]:
    """Benefits gained, lost or changed (in value, unit, basis, frequency, start or opt-in) when a
    partner goes from tier `a` to tier `b`. Wording-only changes are not changes."""
    before = {x["id"]: x for x in (a.benefits if a is not None else ())}
    after = {x["id"]: x for x in (b.benefits if b is not None else ())}
    changes = []
    for benefit_id in list(before) + [i for i in after if i not in before]:
        x, y = before.get(benefit_id), after.get(benefit_id)
        terms = lambda d: {k: d[k] for k in BENEFIT_TERMS if k in d}  # noqa: E731
        if x is not None and y is not None and terms(x) == terms(y):
            continue
        change = "added" if x is None else "removed" if y is None else "changed"
        changes.append({"benefit": benefit_id, "change": change,
                        "before": terms(x) if x is not None else None, "after": terms(y) if y is not None else None,
                        "description": (y or x)["description"]})  # type: ignore[index]  # one is there
    return changes


# --- the diff ----------------------------------------------------------------------------------------

def tier_summary(tier: Tier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    ref: dict[str, Any] = {"id": tier.id, "name": tier.name, "rank": tier.rank}
    if tier.level is not None:
        ref["level"] = tier.level
    return ref


def tier_key(tier: Tier | None) -> str | None:
    return None if tier is None else tier.id


@dataclass
class Diff:
    """The impact of replacing `old` by `new` on a population. Fill it with `add`."""

    old: Policy
    new: Policy
    input_name: str | None = None
    as_of: Any = None
    records: int = 0
    matrix: dict[tuple[str | None, str | None], int] = field(default_factory=dict)
    moved: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    _directions: dict[tuple[str | None, str | None], str] = field(default_factory=dict, repr=False)
    _benefits: dict[tuple[str | None, str | None], list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _passed: dict[tuple[str | None, str | None], tuple[list[Tier], list[Tier]]] = field(default_factory=dict,
                                                                                          repr=False)

    payouts: PayoutChanges | None = None  # when either policy pays (payouts.py)

    def __post_init__(self) -> None:
        self.basis = comparison_basis(self.old, self.new)
        changes = PayoutChanges(self.old, self.new)
        self.payouts = changes if changes.active else None

    def direction_of(self, a: Tier | None, b: Tier | None) -> str:
        key = (tier_key(a), tier_key(b))
        if key not in self._directions:
            way = self._directions[key] = direction(self.basis, self.old, self.new, a, b)
            self._benefits[key] = benefit_changes(a, b)
            self._passed[key] = passed_tiers(self.basis, self.old, self.new, a, b, way)
        return self._directions[key]

    def add(self, old: Decision | InvalidRecord, new: Decision | InvalidRecord) -> None:
        """Count one partner, decided under the old and the new policy."""
        self.records += 1
        if not isinstance(old, Decision) or not isinstance(new, Decision):
            under = "both" if not old.ok and not new.ok else "old" if not old.ok else "new"
            self.invalid.append({
                "partner_id": old.partner_id or new.partner_id, "source": old.source or new.source, "under": under,
                "errors": {"old": old.message if isinstance(old, InvalidRecord) else None,
                           "new": new.message if isinstance(new, InvalidRecord) else None},
                "tiers": {"old": tier_summary(old.tier) if old.ok else None,
                          "new": tier_summary(new.tier) if new.ok else None}})
            return
        key = (tier_key(old.tier), tier_key(new.tier))
        self.matrix[key] = self.matrix.get(key, 0) + 1
        way = self.direction_of(old.tier, new.tier)
        paid = self.payouts.add(key, old.payouts, new.payouts) if self.payouts is not None else None
        if way == UNCHANGED:
            return
        move = {"partner_id": old.partner_id or new.partner_id, "source": old.source,
                "from": tier_summary(old.tier), "to": tier_summary(new.tier), "direction": way,
                "causes": causes(old, new, self._passed[key]), "benefits": self._benefits[key]}
        if paid is not None:
            move["payouts"] = _annual_texts(paid)
        self.moved.append(move)

    # -- totals and views --
    def totals(self) -> dict[str, int]:
        counts = {d: 0 for d in DIRECTIONS}
        for key, count in self.matrix.items():
            counts[self._directions[key]] += count
        return {"records": self.records, "compared": sum(self.matrix.values()), "invalid": len(self.invalid),
                "moved": counts[UP] + counts[DOWN] + counts[LATERAL], **counts}

    def has(self, fail_on: str) -> bool:
        """Whether a move of the kind `--fail-on` names (up, down, any) exists."""
        wanted = FAIL_ON[fail_on]
        return any(self._directions[key] in wanted for key in self.matrix)

    def rows(self) -> list[Tier | None]:
        return [*self.old.tiers, None]

    def columns(self) -> list[Tier | None]:
        return [*self.new.tiers, None]

    def transitions(self) -> list[dict[str, Any]]:
        out = []
        for a in self.rows():
            for b in self.columns():
                count = self.matrix.get((tier_key(a), tier_key(b)), 0)
                if count:
                    out.append({"from": tier_key(a), "to": tier_key(b), "count": count,
                                "direction": self._directions[(tier_key(a), tier_key(b))]})
        return out

    def benefit_transitions(self) -> list[dict[str, Any]]:
        """Benefit changes per transition that has partners and changes (unchanged tiers included:
        a new version of a tier may change what its partners get)."""
        return [{"from": t["from"], "to": t["to"], "partners": t["count"],
                 "changes": self._benefits[(t["from"], t["to"])]}
                for t in self.transitions() if self._benefits[(t["from"], t["to"])]]

    def direction_at(self, key: tuple[str | None, str | None]) -> str:
        """The direction of a transition (old tier id, new tier id) that has partners."""
        return self._directions[key]

    def basis_text(self) -> str:
        return ORDERINGS[self.basis][1].format(scale=self.old.rank_scale)

    def to_dict(self) -> dict[str, Any]:
        def ref(policy: Policy) -> dict[str, Any]:
            return dict(policy.ref, title=policy.title, rank_scale=policy.rank_scale,
                        tiers=[tier_summary(t) for t in policy.tiers])
        out: dict[str, Any] = {
            "old": ref(self.old), "new": ref(self.new), "input": self.input_name,
            "comparison": {"basis": self.basis, "description": self.basis_text()},
            "totals": self.totals(), "transitions": self.transitions(),
            "benefit_changes": self.benefit_transitions(), "moved": self.moved, "invalid": self.invalid,
            "evaluator": {"version": __version__}}
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        if self.payouts is not None:
            out["payouts"] = self.payouts.to_dict(out["transitions"])
        return out


def _annual_texts(paid: dict[str, Any]) -> dict[str, Any]:
    """A moved partner's payout a year under each policy, per currency, as decimal text (or unknown)."""
    if paid.get("unknown"):
        return {"unknown": True}
    return {side: {cur: minor_text(v, cur) for cur, v in sorted(paid[side].items())} for side in ("old", "new")}


def paired(old: Evaluator, new: Evaluator, records: Iterable[Any]
           ) -> Iterator[tuple[Decision | InvalidRecord, Decision | InvalidRecord]]:
    """Each record decided under both evaluators. The input is read once: the two streams advance
    in lockstep, so the tee holds at most one record. Identical policies are evaluated once."""
    if old.policy.sha256 == new.policy.sha256 and old.as_of == new.as_of:
        for result in old.evaluate_many(records):
            yield result, result
        return
    first, second = itertools.tee(records)
    yield from zip(old.evaluate_many(first), new.evaluate_many(second))


def diff_policies(old: Evaluator, new: Evaluator, records: Iterable[Any], *,
                  input_name: str | None = None) -> Diff:
    """The impact of replacing old.policy by new.policy on `records` (dicts or InputRecords)."""
    as_of = old.as_of if (old.reads_as_of or new.reads_as_of) else None
    diff = Diff(old.policy, new.policy, input_name, as_of)
    for before, after in paired(old, new, records):
        diff.add(before, after)
    return diff
