"""Checks of benefits that pay (model/benefits.py): amounts, the conditions they apply under, and
the choices a partner makes between them. Each finding is located at the key it is about (a JSON
Pointer into the document as written), with what was expected and what was found.

- An amount: its basis (`of`) reads facts of the catalogue (number facts) or measures (with a
  did-you-mean); its rate is not below the form's least (language/amounts.py `rate_minimum`);
  its floor and cap are not negative and the floor is not above the cap; it has a period; its
  currency (and the policy's, when the policy pays anything) is one ISO 4217 knows.
- `from_contract` counts contracts by `contracts`, an integer fact of the catalogue.
- A choice is between benefits of its tier with an amount, each in one choice only; it has a
  default among them; its fact is a string fact whose `enum` lists only those benefits.
- `opt_in` marks a non-default alternative of a choice; `when`, `from_contract`, `contracts` and
  `opt_in` apply only to a benefit with an amount (`from_contract` and `opt_in` without one are
  warnings: programs written before benefits paid carry them as descriptions).

`when` comparisons are checked with every other condition (checks.check_conditions); the
comparison `from_contract` stands for is checked here (contract_comparison tells them apart).
The warnings (descriptive `value`/`unit`/`basis` that disagree with the amount, a percentage of a
basis in another currency, the older `frequency`, a choice fact's enum lacking an alternative)
are static checks run by lint.py; the conditions amounts apply under are also checked for never
or always holding with the criteria (lint.check_contradictions, check_always_true).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from ..errors import Finding
from ..language.amounts import BOUNDS, form_of
from ..language.expressions import names_in
from ..language.facttypes import FACT_TYPES
from ..language.money import PERIODS, known_currency
from ..model.benefits import Choice, Payable
from ..model.policy import Policy, Tier
from .names import suggest

ONLY_WITH_AMOUNT = ("when", "from_contract", "contracts", "opt_in")
# written as descriptions before benefits paid (the 1.0 programs): on a benefit without an amount,
# a warning, so such a program still loads; `when` and `contracts` never meant anything else
DESCRIPTIVE_BEFORE = ("from_contract", "opt_in")
BOUND_WORDS = {"at_least": "floor (at_least)", "at_most": "cap (at_most)"}


def contract_comparison(pointer: str) -> bool:
    """Whether a comparison is the one a benefit's `from_contract` stands for (checked here)."""
    return pointer.endswith("/from_contract")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _types_of(role: str) -> tuple[str, ...]:
    return tuple(name for name, kind in FACT_TYPES.items() if kind.value_type == role)


def _written(tier: Tier) -> Iterator[tuple[dict[str, Any], str]]:
    """(benefit as written, parameters resolved; its pointer) of each benefit of a tier."""
    for i, benefit in enumerate(tier.benefits):
        if isinstance(benefit, dict):
            yield benefit, f"{tier.pointer}/benefits/{i}"


def _payables(policy: Policy) -> Iterator[tuple[Tier, Payable, dict[str, Any]]]:
    for tier in policy.tiers:
        written = dict((p, b) for b, p in _written(tier))
        for payable in tier.payables:
            yield tier, payable, written.get(payable.pointer, {})


# --- amounts ---------------------------------------------------------------------------------

def check_amounts(policy: Policy) -> Iterator[Finding]:
    """An amount's rate, floor and cap, basis, period and currency."""
    for _tier, payable, written in _payables(policy):
        form = form_of(payable.amount)
        if form is None:
            continue  # the schema reports a malformed amount
        where = payable.pointer + "/amount"
        rate: Any = payable.amount.get(form.key)
        if _number(rate) and rate < form.rate_minimum:
            yield Finding(f"a negative rate: {form.key} {rate}", f"{where}/{form.key}",
                          expected=f"a {form.key} of at least {form.rate_minimum}", found=repr(rate), check="amounts")
        bounds: dict[str, Any] = {key: payable.amount.get(key) for key in BOUNDS if _number(payable.amount.get(key))}
        for key, value in bounds.items():
            if value < 0:
                yield Finding(f"a negative {BOUND_WORDS[key]}: {value}", f"{where}/{key}",
                              expected="an amount of at least 0", found=repr(value), check="amounts")
        if len(bounds) == 2 and bounds["at_least"] > bounds["at_most"]:
            yield Finding(f"the floor is above the cap: at_least {bounds['at_least']} > at_most {bounds['at_most']}",
                          f"{where}/at_least", expected=f"at_least <= at_most ({bounds['at_most']})",
                          found=repr(bounds["at_least"]), check="amounts")
        if form.reads_basis and "of" in payable.amount:
            yield from _basis(policy, payable.amount["of"], f"{where}/of")
        if "period" not in written and "frequency" not in written:
            yield Finding(f"benefit '{payable.id}' has an amount but no period", payable.pointer,
                          expected="period: " + ", ".join(PERIODS), found="no period", check="amounts")
        if "currency" in written and not known_currency(written["currency"]):
            yield Finding(f"unknown currency '{written['currency']}'", payable.pointer + "/currency",
                          expected="an ISO 4217 currency code (USD, EUR, JPY, ...)", found=str(written["currency"]),
                          check="amounts")
    if any(tier.payables for tier in policy.tiers) and not known_currency(policy.currency):
        yield Finding(f"unknown currency '{policy.currency}' (the currency of the policy's amounts)", "/currency",
                      expected="an ISO 4217 currency code (USD, EUR, JPY, ...)", found=str(policy.currency),
                      check="amounts")


def _basis(policy: Policy, expr: Any, pointer: str) -> Iterator[Finding]:
    """The basis reads facts of the catalogue of the right type, or measures (as a measure's formula)."""
    names = list(policy.facts) + list(policy.measures)
    for ref, role, at in names_in(expr, pointer):
        if ref in policy.facts:
            fact_type = policy.facts[ref].type
            if fact_type not in _types_of(role):
                yield Finding(f"the basis reads '{ref}', a {fact_type} fact; it needs a {role} value", at,
                              expected=" or ".join(_types_of(role)) + " fact", found=f"{fact_type} fact",
                              check="amounts")
        elif ref in policy.measures:
            if role != "number":
                yield Finding(f"'{ref}' is a measure (a number); this argument needs a {role} fact", at,
                              expected=" or ".join(_types_of(role)) + " fact", found="measure", check="amounts")
        else:
            yield Finding(f"the basis reads unknown fact or measure '{ref}'" + suggest(ref, names), at,
                          expected="a fact or measure name", found=ref, check="amounts")


# --- conditions ------------------------------------------------------------------------------

def check_benefit_conditions(policy: Policy) -> Iterator[Finding]:
    """`from_contract` with `contracts`, an integer fact; the keys that apply only to an amount."""
    for tier in policy.tiers:
        for benefit, pointer in _written(tier):
            if "amount" not in benefit:  # (a malformed amount is the schema's to report)
                for key in ONLY_WITH_AMOUNT:
                    if key in benefit:
                        old = key in DESCRIPTIVE_BEFORE
                        yield Finding(f"'{key}' applies only to a benefit with an amount"
                                      + (": without one it changes nothing" if old else ""), f"{pointer}/{key}",
                                      expected="an `amount` beside it", found="a benefit without an amount",
                                      severity="warning" if old else "error", check="benefit_conditions")
                continue
            if "from_contract" in benefit and "contracts" not in benefit:
                yield Finding("from_contract without `contracts`: nothing counts the partner's contracts",
                              f"{pointer}/from_contract", expected="`contracts`: the integer fact that counts them",
                              found="no contracts", check="benefit_conditions")
            fact = benefit.get("contracts")
            if not isinstance(fact, str):
                continue
            spec = policy.facts.get(fact)
            if spec is None:
                yield Finding(f"contracts are counted by unknown fact '{fact}'" + suggest(fact, list(policy.facts)),
                              f"{pointer}/contracts", expected="an integer fact of the catalogue", found=fact,
                              check="benefit_conditions")
            elif spec.type != "integer":
                yield Finding(f"contracts are counted by '{fact}', a {spec.type} fact", f"{pointer}/contracts",
                              expected="an integer fact", found=f"{spec.type} fact", check="benefit_conditions")


# --- choices ---------------------------------------------------------------------------------

def check_choices(policy: Policy) -> Iterator[Finding]:
    """A choice is between payable benefits of its tier, each in one choice, with a default among
    them, recorded in a string fact whose enum lists only them; `opt_in` marks an alternative."""
    for tier in policy.tiers:
        ids = [b.get("id") for b, _p in _written(tier) if isinstance(b.get("id"), str)]
        payable = {b.get("id") for b, _p in _written(tier) if "amount" in b}
        first: dict[str, str] = {}
        for choice in tier.choices:
            if not _well_formed(policy, choice):
                continue  # its alternatives are not a list of ids: the schema says so, the rest would be noise
            for j, benefit in enumerate(choice.between):
                at = f"{choice.pointer}/between/{j}"
                if benefit not in ids:
                    yield Finding(f"choice '{choice.id}' is between unknown benefit '{benefit}'"
                                  + suggest(benefit, [i for i in ids if i]), at,
                                  expected=f"a benefit id of tier '{tier.id}'", found=benefit, check="choices")
                elif benefit not in payable:
                    yield Finding(f"choice '{choice.id}' is between '{benefit}', a benefit without an amount", at,
                                  expected="a benefit with an `amount`", found="a benefit without an amount",
                                  check="choices")
                elif benefit in first:
                    yield Finding(f"benefit '{benefit}' is in two choices (first at {first[benefit]})", at,
                                  expected="a benefit in one choice at most", found=benefit, check="choices")
                else:
                    first[benefit] = at
            yield from _default(choice)
            yield from _choice_fact(policy, choice)
        if all(_well_formed(policy, c) for c in tier.choices):
            yield from _opt_ins(tier)


def _well_formed(policy: Policy, choice: Choice) -> bool:
    """Whether a choice's `between` is written as a list of ids (checked on the document itself:
    the model makes a tuple of whatever it finds)."""
    _, _tiers, tier, _choices, index = choice.pointer.split("/")
    try:
        written = policy.document["tiers"][int(tier)]["choices"][int(index)]["between"]
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return isinstance(written, list) and all(isinstance(b, str) for b in written)


def _default(choice: Choice) -> Iterator[Finding]:
    if choice.default is None:
        yield Finding(f"alternatives without a default: choice '{choice.id}'", choice.pointer,
                      expected="default: one of " + ", ".join(choice.between), found="no default", check="choices")
    elif choice.default not in choice.between:
        yield Finding(f"the default '{choice.default}' of choice '{choice.id}' is not one of its alternatives"
                      + suggest(choice.default, list(choice.between)), choice.pointer + "/default",
                      expected="one of " + ", ".join(choice.between), found=choice.default, check="choices")


def _choice_fact(policy: Policy, choice: Choice) -> Iterator[Finding]:
    spec = policy.facts.get(choice.fact)
    if spec is None:
        yield Finding(f"choice '{choice.id}' is recorded in unknown fact '{choice.fact}'"
                      + suggest(choice.fact, list(policy.facts)), choice.pointer + "/fact",
                      expected="a string fact of the catalogue", found=choice.fact, check="choices")
        return
    if spec.type != "string":
        yield Finding(f"choice '{choice.id}' is recorded in '{choice.fact}', a {spec.type} fact",
                      choice.pointer + "/fact", expected="a string fact (a benefit id)", found=f"{spec.type} fact",
                      check="choices")
        return
    for k, value in enumerate(spec.enum or ()):
        if value not in choice.between:
            yield Finding(f"fact '{choice.fact}' allows '{value}', which is not an alternative of choice "
                          f"'{choice.id}'" + suggest(str(value), list(choice.between)), f"{spec.pointer}/enum/{k}",
                          expected="one of " + ", ".join(choice.between), found=str(value), check="choices")


def _opt_ins(tier: Tier) -> Iterator[Finding]:
    alternatives = {b for c in tier.choices for b in c.between if b != c.default}
    for payable in tier.payables:
        if payable.opt_in and payable.id not in alternatives:
            chosen = any(payable.id == c.default for c in tier.choices)
            yield Finding(f"benefit '{payable.id}' is opt_in but is "
                          + ("the default of its choice" if chosen else "in none of the tier's choices"),
                          payable.pointer + "/opt_in", expected="an alternative (not the default) of a choice",
                          found="the default" if chosen else "in no choice", check="choices")


# --- static checks (warnings, run by lint.py) --------------------------------------------------

def lint_descriptions(policy: Policy) -> Iterator[Finding]:
    """A benefit's descriptive `value`, `unit` or `basis` that says otherwise than its amount: a
    reader of the benefit would expect what the description says, the partner gets the amount."""
    for _tier, payable, written in _payables(policy):
        form = form_of(payable.amount)
        if form is None:
            continue
        rate, unit, value = payable.amount.get(form.key), written.get("unit"), written.get("value")
        percent = unit in ("percent", "%")
        says_rate = percent or (form.key == "fixed" and unit == payable.currency)
        if _number(value) and _number(rate) and says_rate and value != rate:
            yield _disagrees(payable, "value", repr(value), f"{rate}, the amount's {form.key}")
        if isinstance(unit, str) and (percent != (form.key == "percent")
                                      or (known_currency(unit) and unit != payable.currency)):
            yield _disagrees(payable, "unit", unit, "percent" if form.key == "percent" else payable.currency)
        basis, of = written.get("basis"), payable.amount.get("of")
        if isinstance(basis, str) and isinstance(of, str) and basis != of:
            label = policy.facts[of].label if of in policy.facts else None
            if basis != label:
                yield _disagrees(payable, "basis", basis, f"{of}, the amount's basis (`of`)")


def _disagrees(payable: Payable, key: str, found: str, expected: str) -> Finding:
    return Finding(f"benefit '{payable.id}': the descriptive `{key}` disagrees with its amount",
                   f"{payable.pointer}/{key}", expected=expected, found=found, severity="warning",
                   check="benefit_descriptions")


def lint_basis_currency(policy: Policy) -> Iterator[Finding]:
    """A percentage of a basis in one currency paid in another: no conversion is made, so 10% of
    EUR 1,000 is paid as USD 100."""
    for _tier, payable, _written_ in _payables(policy):
        form, of = form_of(payable.amount), payable.amount.get("of")
        if form is None or form.key != "percent" or not isinstance(of, str):
            continue
        unit = policy.facts[of].unit if of in policy.facts else \
            policy.measures[of].unit if of in policy.measures else None
        if isinstance(unit, str) and known_currency(unit) and unit != payable.currency:
            yield Finding(f"benefit '{payable.id}' pays in {payable.currency} a percentage of '{of}', in {unit}: "
                          "no conversion is made", payable.pointer + "/amount/of",
                          expected=f"a basis in {payable.currency} (or the benefit's `currency`: {unit})",
                          found=f"'{of}' in {unit}", severity="warning", check="basis_currency")


def lint_frequency(policy: Policy) -> Iterator[Finding]:
    """`frequency` on a benefit with an amount: the older name of `period` (still read)."""
    for _tier, payable, written in _payables(policy):
        if "frequency" in written:
            yield Finding("`frequency` is the older name of `period`", payable.pointer + "/frequency",
                          expected=f"\"period\": \"{written['frequency']}\"", found="frequency", severity="warning",
                          check="frequency")


def lint_choice_enums(policy: Policy) -> Iterator[Finding]:
    """A choice fact whose enum lacks an alternative: no partner can record choosing it."""
    for tier in policy.tiers:
        for choice in tier.choices:
            spec = policy.facts.get(choice.fact)
            if spec is None or spec.type != "string" or spec.enum is None:
                continue
            lacking = [b for b in choice.between if b not in spec.enum]
            if lacking:
                yield Finding(f"fact '{choice.fact}' cannot record choosing " + ", ".join(lacking)
                              + f" (an alternative of choice '{choice.id}')", spec.pointer + "/enum",
                              expected="an enum listing " + ", ".join(choice.between),
                              found=", ".join(map(str, spec.enum)), severity="warning", check="choice_enum")


CHECKS: dict[str, Callable[[Policy], Iterator[Finding]]] = {
    "amounts": check_amounts, "benefit_conditions": check_benefit_conditions, "choices": check_choices}
LINT_CHECKS: dict[str, Callable[[Policy], Iterator[Finding]]] = {
    "benefit_descriptions": lint_descriptions, "basis_currency": lint_basis_currency, "frequency": lint_frequency,
    "choice_enum": lint_choice_enums}
