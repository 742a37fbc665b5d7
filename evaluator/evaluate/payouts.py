"""Payouts: what the benefits of the tier a partner holds pay it (model/benefits.py, model/payouts.py).

For each benefit with an amount, in the tier's order:
1. Whether it is open: its condition (`when`, `from_contract`) as the engine decided it, in
   three-valued logic (`status_of`, the record's comparison statuses). Not met: `not_open`;
   missing: `missing`, naming the facts (no amount is guessed).
2. Its amount, worked out in exact decimal (expressions.evaluate with money.exact: the basis's
   facts as written, every operation in decimal), the floor and cap applied, then rounded once
   to the currency's minor unit (money.py). A basis that is missing makes the payout missing.
3. For a tier's choices: the benefit the partner chose (the choice fact's value), if open; else
   the default, if open (with a `note` when a recorded choice was not followed). The one paid is
   `paid`; the other open alternatives are `alternative`, their amounts shown beside it.

Both paths call `payouts_of` with the same inputs (the plain path's statuses from the engine, the
cached path's from the record's encoding), so the payouts are the same bytes on both.
"""
from __future__ import annotations

import datetime as _dt
import decimal
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..explain.payouts import payout_text
from ..language.amounts import BOUNDS
from ..language.conditions import combine
from ..language.expressions import Context, evaluate, facts_of
from ..language.missing import Missing
from ..language.money import context, to_minor
from ..model.benefits import Choice, Payable
from ..model.payouts import ALTERNATIVE, MISSING, NOT_OPEN, PAID, Payout
from ..model.policy import Comparison, Policy, Tier, comparisons
from ..model.status import MET, NOT_MET


def _exact(value: Any) -> Any:
    """A number as the exact decimal it was written as; anything else as it is."""
    cls = type(value)
    if cls is float:
        return Decimal(repr(value))
    if cls is int:
        return Decimal(value)
    return value


def _absent(policy: Policy, condition: Any, facts: Mapping[str, Any]) -> tuple[str, ...]:
    """The facts a condition reads that the record lacks (why it is missing)."""
    names: set[str] = set()
    for comparison in comparisons(condition):
        operand = comparison.operand
        read = {operand.name} if operand.kind == "fact" else facts_of(policy, operand.name)
        names |= {name for name in read if facts.get(name) is None}
    return tuple(sorted(names))


class _Worked:
    """A payable's amount for one record: minor units, or the facts it lacks."""

    __slots__ = ("minor", "basis", "bound", "unbounded", "missing", "reason")

    def __init__(self) -> None:
        self.minor: int | None = None
        self.basis: Decimal | None = None
        self.bound: str | None = None
        self.unbounded: int | None = None
        self.missing: tuple[str, ...] = ()
        self.reason: str | None = None


_CONTEXT = context()  # decimal.localcontext copies it: one made, never changed


def _work_out(payable: Payable, ctx: Context) -> _Worked:
    form = payable.form
    assert form is not None  # the schema admits no other amount
    out = _Worked()
    with decimal.localcontext(_CONTEXT):
        basis = None
        if form.reads_basis:
            value = evaluate(payable.basis, ctx)
            if isinstance(value, Missing):
                out.missing, out.reason = tuple(sorted(value.facts)), value.reason
                return out
            basis = out.basis = _exact(value)
        amount = raw = form.compute(_exact(payable.rate), basis)
        amounts = payable.amount
        if "at_least" in amounts or "at_most" in amounts:
            floor, cap = (amounts.get(b) for b in BOUNDS)
            if floor is not None and amount < _exact(floor):
                amount, out.bound = _exact(floor), "at_least"
            if cap is not None and amount > _exact(cap):
                amount, out.bound = _exact(cap), "at_most"
        out.minor = to_minor(amount, payable.currency)
        if out.bound is not None:
            out.unbounded = to_minor(raw, payable.currency)
    return out


def payouts_of(policy: Policy, tier: Tier | None, status_of: Callable[[Comparison], str],
               facts: Mapping[str, Any], computes: Mapping[str, Any], as_of: _dt.date) -> tuple[Payout, ...]:
    """The payouts of the tier held (none for no tier, or a tier without amounts)."""
    if tier is None or not tier.payables:
        return ()
    ctx = Context(facts, computes, as_of, {}, _exact)
    opened = {p.id: MET if p.when is None else combine(p.when, status_of) for p in tier.payables}
    status: dict[str, str] = {}
    chosen: dict[str, tuple[str, str | None, str | None]] = {}   # benefit -> (choice, chosen_by, note)
    for choice in tier.choices:
        _choose(choice, opened, facts, status, chosen, tier)
    out = []
    for payable in tier.payables:
        state = opened[payable.id]
        work = _work_out(payable, ctx) if state == MET else None
        if state == NOT_MET:
            kind = NOT_OPEN
        elif state != MET or (work is not None and work.minor is None):
            kind = MISSING
        else:
            kind = status.get(payable.id, NOT_OPEN if payable.opt_in else PAID)
        alternative_of, chosen_by, note = chosen.get(payable.id, (None, None, None))
        missing = (_absent(policy, payable.when, facts) if state not in (MET, NOT_MET) else
                   work.missing if work is not None else ())
        minor = work.minor if work is not None and kind in (PAID, ALTERNATIVE) else None
        basis = work.basis if work is not None else None
        bound, unbounded = (work.bound, work.unbounded) if work is not None else (None, None)
        text = payout_text(policy, payable, kind, minor, basis, bound, unbounded, missing)
        out.append(Payout(payable.id, payable.name, kind, payable.currency, payable.period, minor,
                          payable.form.key if payable.form is not None else "", payable.rate, payable.basis, basis,
                          bound, unbounded, alternative_of, chosen_by if kind == PAID else None, missing, text, note,
                          payable.pointer))
    return tuple(out)


def _choose(choice: Choice, opened: Mapping[str, str], facts: Mapping[str, Any], status: dict[str, str],
            chosen: dict[str, tuple[str, str | None, str | None]], tier: Tier) -> None:
    """Which alternative of `choice` is paid: the recorded one if open, else the default if open."""
    names = {p.id: p.name for p in tier.payables}
    recorded = facts.get(choice.fact)
    recorded = recorded if isinstance(recorded, str) else None
    note = None
    paid: str | None = None
    by = None
    if recorded in choice.between and opened.get(recorded) == MET:
        paid, by = recorded, "partner"
    else:
        if recorded in choice.between:
            state = opened.get(recorded)
            if state not in (MET, NOT_MET):
                for alternative in choice.between:   # what is paid depends on what is not known
                    status[alternative] = MISSING if alternative == recorded else ALTERNATIVE
                    chosen[alternative] = (choice.id, None, None)
                return
            note = f"{names.get(recorded, recorded)} was chosen but is not open to the partner; the default is paid"
        elif recorded is not None:
            note = f"the recorded choice {recorded!r} is not one of {', '.join(choice.between)}; the default is paid"
        if choice.default is not None and opened.get(choice.default) == MET:
            paid, by = choice.default, "default"
    for alternative in choice.between:
        open_ = opened.get(alternative) == MET
        status[alternative] = PAID if alternative == paid else ALTERNATIVE if open_ else NOT_OPEN
        chosen[alternative] = (choice.id, by, note if alternative == paid or paid is None else None)
