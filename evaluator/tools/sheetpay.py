"""The program sheet's section on benefits that pay (model/benefits.py): for each tier, each benefit
with an amount, the amount in words (explain/payouts.formula_words: "10% of referred business,
at most $50,000.00"), how often and in what currency it is paid, when it applies (its `when`, from
the Nth contract, only when chosen), and the choices between alternatives with their default.

Made of the sheet's blocks (sheetblocks.py), so every renderer escapes it as it escapes the rest.
The conditions are said by the sheet's own `condition_words`, given by the caller (sheet.py).
"""
from __future__ import annotations

from typing import Any, Callable

from ..explain.payouts import formula_words
from ..language.money import PERIODS, RULE
from ..model.benefits import Choice, Payable
from ..model.policy import Condition, Policy, Tier, comparisons

from .sheetblocks import Block, Break, Code, Heading, Para, Span, Table, Text

Words = Callable[[Policy, Condition], Text]


def _ordinal(n: Any) -> str:
    if not isinstance(n, int) or isinstance(n, bool):
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _written(tier: Tier, payable: Payable) -> dict[str, Any]:
    """The benefit as written (parameters resolved), for what the model folds into `when`."""
    index = int(payable.pointer.rsplit("/", 1)[-1])
    benefit = tier.benefits[index] if index < len(tier.benefits) else {}
    return benefit if isinstance(benefit, dict) else {}


def _applies(policy: Policy, tier: Tier, payable: Payable, words: Words) -> Text:
    written = _written(tier, payable)
    parts: list[Text] = []
    if "from_contract" in written and isinstance(written.get("contracts"), str):
        parts.append((f"from the {_ordinal(written['from_contract'])} contract (counted by ",
                      Code(written["contracts"]), ")"))
    if payable.when is not None:
        own = [c for c in comparisons(payable.when) if not c.pointer.endswith("/from_contract")]
        if own:
            when = payable.when.parts[-1] if parts and hasattr(payable.when, "parts") else payable.when
            parts.append(("when ", *words(policy, when)))
    if payable.opt_in:
        parts.append(("only when the partner chooses it",))
    parts = parts or [("always, to a partner of the tier",)]
    for choice in tier.choices:
        if payable.id in choice.between:
            role = "the default" if payable.id == choice.default else "an alternative"
            parts.append((f"{role} of the choice ", Code(choice.id)))
    out: list[Span] = []
    for i, part in enumerate(parts):
        if i:
            out.append("; ")
        out.extend(part)
    return tuple(out)


def _paid(payable: Payable) -> Text:
    period = PERIODS.get(payable.period)
    return (payable.period.replace("_", " ") + (f" ({period.words})" if period else "") + ", in ",
            Code(payable.currency))


def _choice_row(tier: Tier, choice: Choice) -> tuple[Text, ...]:
    """Tier, choice, its alternatives (by name), the fact recording it, its default."""
    names = {p.id: p.name for p in tier.payables}
    between: list[Span] = []
    for i, benefit in enumerate(choice.between):
        if i:
            between.append(Break())
        between.append(names.get(benefit, benefit))
    default = names.get(choice.default, choice.default) if choice.default is not None else "none"
    return ((tier.name,), ((choice.description or choice.id),), tuple(between), (Code(choice.fact),), (default,))


def amount_words(policy: Policy, tier: Tier) -> dict[int, str]:
    """{index of a benefit in the tier: its amount in words}, for the tier table."""
    return {int(p.pointer.rsplit("/", 1)[-1]): formula_words(policy, p) for p in tier.payables}


def payouts_blocks(policy: Policy, words: Words) -> list[Block]:
    """The section's blocks (none for a policy that pays nothing)."""
    payables = [(tier, p) for tier in policy.tiers for p in tier.payables]
    if not payables:
        return []
    blocks: list[Block] = [Heading(2, "Benefits that pay"), Para((
        "What each benefit with an amount pays a partner of its tier, worked out from the partner's facts in "
        f"exact decimal and rounded {RULE}. A figure the amount needs that is missing makes the amount "
        "missing, never 0.",))]
    rows = tuple(((tier.name,), (payable.name + ": " + payable.description if payable.description else payable.name,),
                  (formula_words(policy, payable),), _paid(payable), _applies(policy, tier, payable, words))
                 for tier, payable in payables)
    blocks.append(Table(("Tier", "Benefit", "Amount", "Paid", "Applies"), rows, css="payouts"))
    choices = [(tier, c) for tier in policy.tiers for c in tier.choices]
    if choices:
        blocks.append(Heading(3, "Choices between benefits"))
        blocks.append(Para(("The partner is paid the alternative it chose (recorded in the fact named), if it is "
                            "open to it; otherwise the default. The other open alternatives are shown beside it "
                            "with their amounts, not paid.",)))
        blocks.append(Table(("Tier", "Choice", "Between", "Recorded in", "Without a choice"),
                            tuple(_choice_row(tier, c) for tier, c in choices), css="choices"))
    return blocks
