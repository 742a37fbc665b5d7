"""What the static checks (lint.py) read off tiers: the comparisons a tier's required criteria
surely need, the bounds they put on an operand, the higher tiers that take every partner of a
lower one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ..language.facttypes import FACT_TYPES
from ..language.values import VALUE_TYPES
from ..language.domains import LOWER, ONE_OF, UPPER
from ..model.policy import All, Any_, Comparison, Condition, Criterion, Not, Operand, Policy, Tier, comparisons
from .forms import Conjunct, Reasoner, comparison_dnf, conjoin, converter, dnf


# --- helpers over tiers ------------------------------------------------------------------------

def required(tier: Tier) -> list[Criterion]:
    return [c for c in tier.criteria if not c.advisory]


def conjunctive_comparisons(condition: Condition) -> Iterator[tuple[Comparison, bool]]:
    """Comparisons that must hold (negated: must fail) whenever the condition is met, each with
    its negation flag: the comparisons reached through `all` and `not` without passing an `any`."""
    def walk(cond: Condition, negate: bool) -> Iterator[tuple[Comparison, bool]]:
        if isinstance(cond, Comparison):
            yield cond, negate
        elif isinstance(cond, Not):
            yield from walk(cond.part, not negate)
        elif isinstance(cond, All) and not negate:
            for part in cond.parts:
                yield from walk(part, negate)
        elif isinstance(cond, Any_) and negate:
            for part in cond.parts:
                yield from walk(part, negate)
    yield from walk(condition, False)


def present_when_met(tier: Tier) -> set[Operand]:
    """Operands that are surely present when the tier's required criteria are all met."""
    return {c.operand for crit in required(tier) for c, _ in conjunctive_comparisons(crit.condition)}


def operands_of(criteria: Iterable[Criterion]) -> set[Operand]:
    return {c.operand for crit in criteria for c in comparisons(crit.condition)}


def tier_form(criteria: list[Criterion], negate: bool = False) -> list[Conjunct] | None:
    if not criteria:
        return [()] if not negate else []
    condition = All(tuple(c.condition for c in criteria), "")
    return dnf(condition, negate)


def covered(policy: Policy, reasoner: Reasoner, tier: Tier, higher: list[Tier]) -> bool | None:
    """Whether every partner meeting `tier` meets one of `higher` (None: cannot tell)."""
    form = conjoin(tier_form(required(tier)), *[tier_form(required(h), negate=True) for h in higher])
    ok = reasoner.satisfiable(form)
    return None if ok is None else not ok


def shadowing(policy: Policy, reasoner: Reasoner, tier: Tier) -> list[Tier] | None:
    """Higher tiers that together take every partner who meets `tier`; None if it is reachable."""
    present = present_when_met(tier)
    usable = [h for h in policy.tiers[: tier.rank - 1] if operands_of(required(h)) <= present]
    together = covered(policy, reasoner, tier, usable) if usable else False
    if together is False:
        return None  # not even all of them together take every such partner
    for h in reversed(usable):  # the nearest single tier above first: the clearest message
        if covered(policy, reasoner, tier, [h]):
            return [h]
    return usable if together else None


def shadowed_map(policy: Policy, reasoner: Reasoner) -> dict[str, list[Tier]]:
    """Tier id -> the higher tiers that shadow it, for every shadowed tier. Two checks need it:
    the last result is kept (one tuple, replaced whole, so threads never see half of one)."""
    global _last_shadowed
    last = _last_shadowed
    if last is not None and last[0] is policy:
        return last[1]
    named = {o.tier for o in policy.overrides}
    found = {}
    for tier in policy.tiers[1:]:
        if tier.id in named or reasoner.satisfiable(tier_form(required(tier))) is False:
            continue  # reachable through an override / already an error of its own
        above = shadowing(policy, reasoner, tier)
        if above is not None:
            found[tier.id] = above
    _last_shadowed = (policy, found)
    return found


_last_shadowed: tuple[Policy, dict[str, list[Tier]]] | None = None


@dataclass(frozen=True)
class Bound:
    value: Any
    open: bool
    text: str       # the bound as the policy states it, e.g. "annual_sales_usd >= 25000"
    pointer: str    # the comparison it comes from


def bounds_of(tier: Tier, operand: Operand, convert: Callable[[Any], Any]) -> tuple[Bound | None, Bound | None]:
    """The tightest lower and upper bound the tier's required criteria put on a numeric operand."""
    lo: Bound | None = None
    hi: Bound | None = None
    for crit in required(tier):
        for comparison, negate in conjunctive_comparisons(crit.condition):
            if comparison.operand != operand:
                continue
            form = comparison_dnf(comparison, negate)
            if len(form) != 1:
                continue  # not(between) is two alternatives: no single bound
            for atom in form[0]:
                c = atom.constraint(convert)
                exact = c.kind == ONE_OF and len(c.values) == 1 and not isinstance(atom.value, tuple)
                if not (c.kind in (LOWER, UPPER) or exact):
                    continue  # a set, or an item of a list: no bound
                v = c.values[0]
                if c.kind == LOWER or exact:
                    cand = Bound(v, c.open, atom.text(), comparison.pointer)
                    if lo is None or v > lo.value or (v == lo.value and cand.open):
                        lo = cand
                if c.kind == UPPER or exact:
                    cand = Bound(v, c.open, atom.text(), comparison.pointer)
                    if hi is None or v < hi.value or (v == hi.value and cand.open):
                        hi = cand
    return lo, hi


def numeric_operand(policy: Policy, operand: Operand) -> bool:
    return operand.kind == "measure" or VALUE_TYPES[FACT_TYPES[policy.facts[operand.name].type].value_type].ordered


def converter_for(policy: Policy, operand: Operand) -> Callable[[Any], Any]:
    if operand.kind == "measure":
        return converter("number")
    return converter(FACT_TYPES[policy.facts[operand.name].type].value_type)


def targets(policy: Policy) -> Iterator[tuple[str, Condition, str]]:
    """(what, condition, pointer) of every criterion, override and condition a benefit's amount
    applies under (`when`, `from_contract`), named as a manager reads them."""
    for tier in policy.tiers:
        for c in tier.criteria:
            kind = "advisory criterion" if c.advisory else "criterion"
            yield f"{kind} '{c.id}' of tier '{tier.name}'", c.condition, c.pointer
    for o in policy.overrides:
        yield f"override '{o.id}'", o.when, o.pointer + "/when"
    for tier in policy.tiers:
        for payable in tier.payables:
            if payable.when is not None:
                yield (f"the condition of benefit '{payable.id}' of tier '{tier.name}'", payable.when,
                       payable.when.pointer)
