"""Benefits that pay: the model of a benefit's amount, the conditions it applies under, and the
choices a partner makes between alternatives.

A tier's benefit is carried into decisions as written (`benefits`). One with an `amount` is also
*payable*: each decision of that tier gets a payout for it (model/payouts.py, computed by
evaluate/payouts.py):

- `amount`: a form of language/amounts.py (a percentage of a basis, an amount per unit, a fixed
  sum), with a floor and a cap; in `currency` (the policy's unless given), paid each `period`.
- `when`: a condition (the criteria's language) it applies under; `from_contract: N` with
  `contracts: fact` is the condition `fact >= N` ("from the sixth contract"), and-ed with `when`.
  Both are conditions the engine decides (Policy.conditions), in three-valued logic: a partner
  whose contract count is absent gets a missing payout, never a guess.
- A tier's `choices` are alternatives the partner chooses between (`between`, benefit ids): the
  choice recorded in the string fact `fact`, else `default`. A benefit marked `opt_in` is paid
  only when chosen. The decision shows the amount paid and each alternative's amount.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..language.amounts import AMOUNT_FORMS, AmountForm, form_of


@dataclass(frozen=True)
class Payable:
    """A benefit with an amount."""

    id: str
    name: str                  # as people read it ("Referral commission"): `name`, else the id in words
    description: str
    amount: dict[str, Any]     # as written, parameters resolved (language/amounts.py)
    currency: str
    period: str                # money.PERIODS
    when: Any                  # a Condition, or None: it always applies
    opt_in: bool
    pointer: str
    # the key of the amount's form (language/amounts.py), found once; "" only in an invalid
    # policy. The key, not the form: a decision pickles its tier, and a form holds functions
    form_key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        form = form_of(self.amount)
        object.__setattr__(self, "form_key", form.key if form is not None else "")

    @property
    def form(self) -> AmountForm | None:
        """The amount's form (None only in an invalid policy)."""
        return AMOUNT_FORMS.get(self.form_key)

    @property
    def basis(self) -> Any:
        """The basis expression (None for a fixed amount)."""
        return self.amount.get("of")

    @property
    def rate(self) -> Any:
        """The amount's rate as written (10 for 10%; the sum of a fixed amount)."""
        return self.amount.get(self.form.key) if self.form is not None else None


@dataclass(frozen=True)
class Choice:
    """Alternatives a partner chooses between: the one recorded in `fact`, else `default`."""

    id: str
    description: str
    between: tuple[str, ...]
    fact: str
    default: str | None        # None only in an invalid policy (reported by validate/benefits.py)
    pointer: str


def words_of(identifier: str) -> str:
    """An id as words, for a benefit without a `name`: "referral_commission" -> "Referral commission"."""
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def build_payables(tier: dict[str, Any], pointer: str, currency: str,
                   condition: Callable[[dict[str, Any], str], Any]) -> tuple[tuple[Payable, ...], tuple[Choice, ...]]:
    """The tier's payable benefits and choices. `condition` builds a condition's model
    (policy.build_condition): `from_contract` becomes a comparison located at its own key."""
    payables = []
    for i, b in enumerate(tier.get("benefits", ())):
        if not isinstance(b, dict) or not isinstance(b.get("amount"), dict):
            continue
        where = f"{pointer}/benefits/{i}"
        parts = []  # each located at its own key ("@": see policy.build_condition)
        if "from_contract" in b and isinstance(b.get("contracts"), str):
            parts.append({"fact": b["contracts"], "op": ">=", "value": b["from_contract"], "@": f"{where}/from_contract"})
        if isinstance(b.get("when"), dict):
            parts.append({**b["when"], "@": f"{where}/when"})
        when = None if not parts else condition(parts[0], parts[0]["@"]) if len(parts) == 1 else \
            condition({"all": parts}, where)
        payables.append(Payable(b.get("id", ""), b.get("name") or words_of(str(b.get("id", ""))),
                                b.get("description", ""), b["amount"], str(b.get("currency") or currency),
                                str(b.get("period") or b.get("frequency") or "annual"), when, bool(b.get("opt_in", False)),
                                where))
    choices = tuple(
        Choice(c.get("id", ""), c.get("description", ""), tuple(c.get("between", ())), c.get("fact", ""),
               c.get("default"), f"{pointer}/choices/{i}")
        for i, c in enumerate(tier.get("choices", ())) if isinstance(c, dict))
    return tuple(payables), choices

