"""The reference evaluator's payouts (benefits that pay), for differential tests only.

Written from the design of benefits that pay (docs, the policy schema's `amount`, `choices`) in
plain Python: it imports nothing from the `evaluator` package. Its own arithmetic is exact
rational arithmetic (fractions.Fraction: a number is the decimal it was written as, "0.1" is
1/10), its own rounding (half away from zero, once, to the currency's minor unit, from its own
small table of minor digits), its own three-valued conditions (reference.py's evaluator, with
`from_contract` as `contracts >= N` and-ed with `when`) and its own choice resolution:

- a benefit with an amount is *open* when its condition is met; not met: `not_open`; missing:
  `missing` (the facts its condition reads that the record lacks);
- its amount: the form (`percent`: rate x basis / 100, `each`: rate x basis, `fixed`: the rate)
  from the basis `of` (a fact, a measure or a formula; missing when a fact it reads is absent or
  a ratio's denominator is zero), raised to `at_least`, then lowered to `at_most`, then rounded;
  a missing basis makes the payout `missing` (no amount, never 0);
- a choice: the recorded alternative (the choice fact's value) if it is open; else the default
  if open, with a note when a recorded choice was not followed; when the recorded alternative's
  openness is unknown, it is `missing` and nothing is paid. The paid one is `paid`, other open
  alternatives `alternative`; an `opt_in` benefit no choice pays is `not_open`;
- annual = amount x payments a year (monthly 12, quarterly 4, annual 1, one_time 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import reference

MINOR_DIGITS = {"USD": 2, "JPY": 0, "BHD": 3}
PER_YEAR = {"monthly": 12, "quarterly": 4, "annual": 1, "one_time": 1}
PAID, ALTERNATIVE, NOT_OPEN, MISSING = "paid", "alternative", "not_open", "missing"


@dataclass
class RefPayout:
    benefit: str
    status: str
    minor: int | None = None
    annual: int | None = None
    basis: Fraction | None = None
    bound: str | None = None
    chosen_by: str | None = None
    choice: str | None = None
    noted: bool = False
    missing_facts: tuple[str, ...] = ()


class _Undefined(Exception):
    """The basis has no value: the facts named are absent (none: a zero denominator)."""

    def __init__(self, facts: set[str]):
        super().__init__(sorted(facts))
        self.facts = facts


def written(value: Any) -> Fraction:
    """A number as the exact decimal it was written as (a double by its shortest text)."""
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def round_minor(amount: Fraction, currency: str) -> int:
    """Half away from zero, to the currency's minor unit."""
    scaled = amount * 10 ** MINOR_DIGITS[currency]
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return whole if scaled >= 0 else -whole


def minor_text(minor: int, currency: str) -> str:
    digits = MINOR_DIGITS[currency]
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 10 ** digits}.{abs(minor) % 10 ** digits:0{digits}d}"


def _reads(expr: Any, doc: dict[str, Any]) -> set[str]:
    """Every fact an expression reads, through measures."""
    if isinstance(expr, str):
        if expr in doc["facts"]:
            return {expr}
        return _reads(doc["measures"][expr]["compute"], doc)
    if isinstance(expr, dict) and "param" not in expr:
        ((_op, arg),) = expr.items()
        if isinstance(arg, list):
            return set().union(*(_reads(a, doc) for a in arg))
        return _reads(arg, doc) if isinstance(arg, (str, dict)) else set()
    return set()


def basis_value(expr: Any, doc: dict[str, Any], facts: dict[str, Any]) -> Fraction:
    """The exact value of an expression over number facts: arithmetic operations only (the fuzzer
    draws no other in a basis)."""
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return written(expr)
    if isinstance(expr, dict) and "param" in expr:
        return written(reference.param(expr, doc))
    if isinstance(expr, str):
        if expr in doc["facts"]:
            if expr not in facts:
                raise _Undefined({expr})
            return written(facts[expr])
        return basis_value(doc["measures"][expr]["compute"], doc, facts)
    ((op, arg),) = expr.items()
    if op == "constant":
        return written(reference.param(arg, doc))
    absent = {name for name in _reads(expr, doc) if name not in facts}
    if absent:
        raise _Undefined(absent)
    values = [basis_value(a, doc, facts) for a in arg]
    if op == "sum":
        return sum(values, Fraction(0))
    if op == "product":
        out = Fraction(1)
        for v in values:
            out *= v
        return out
    if op == "difference":
        return values[0] - values[1]
    if op == "ratio":
        if values[1] == 0:
            raise _Undefined(set())
        return values[0] / values[1]
    if op == "min":
        return min(values)
    if op == "max":
        return max(values)
    raise AssertionError(f"the reference computes no {op} in a basis")


def _condition(benefit: dict[str, Any]) -> dict[str, Any] | None:
    parts = []
    if "from_contract" in benefit:
        parts.append({"fact": benefit["contracts"], "op": ">=", "value": benefit["from_contract"]})
    if "when" in benefit:
        parts.append(benefit["when"])
    return None if not parts else parts[0] if len(parts) == 1 else {"all": parts}


def _condition_reads(cond: Any, doc: dict[str, Any]) -> set[str]:
    if "ref" in cond:
        return _condition_reads(doc["conditions"][cond["ref"]]["condition"], doc)
    if "all" in cond or "any" in cond:
        return set().union(*(_condition_reads(p, doc) for p in cond.get("all", cond.get("any"))))
    if "not" in cond:
        return _condition_reads(cond["not"], doc)
    return {cond["fact"]} if "fact" in cond else _reads(cond["measure"], doc)


def _amount(benefit: dict[str, Any], doc: dict[str, Any], facts: dict[str, Any], currency: str
            ) -> tuple[int, Fraction | None, str | None]:
    amount = benefit["amount"]
    (form,) = [k for k in ("percent", "each", "fixed") if k in amount]
    rate = written(reference.param(amount[form], doc))
    basis = None if form == "fixed" else basis_value(amount["of"], doc, facts)
    value = {"percent": lambda: rate * basis / 100, "each": lambda: rate * basis, "fixed": lambda: rate}[form]()
    bound = None
    if "at_least" in amount and value < written(reference.param(amount["at_least"], doc)):
        value, bound = written(reference.param(amount["at_least"], doc)), "at_least"
    if "at_most" in amount and value > written(reference.param(amount["at_most"], doc)):
        value, bound = written(reference.param(amount["at_most"], doc)), "at_most"
    return round_minor(value, currency), basis, bound


def payouts(doc: dict[str, Any], tier_id: str | None, record: Any, as_of: Any, *, from_text: bool = False
            ) -> list[RefPayout]:
    """The reference payouts of the tier `tier_id` held by `record` (a valid record)."""
    if tier_id is None:
        return []
    tier = next(t for t in doc["tiers"] if t["id"] == tier_id)
    benefits = [b for b in tier.get("benefits", ()) if isinstance(b, dict) and "amount" in b]
    facts, invalid = reference.record_facts(doc, record, from_text)
    assert not invalid, invalid
    values = {name: facts.get(name, reference.ABSENT) for name in doc["facts"]}
    memo: dict[str, Any] = {}
    for name in doc.get("measures", {}):
        values[name] = reference.measure_value(name, doc, facts, as_of, memo)
    opened: dict[str, str] = {}
    out: dict[str, RefPayout] = {}
    for b in benefits:
        cond = _condition(b)
        opened[b["id"]] = reference.MET if cond is None else reference.condition_status(cond, doc, values)
        currency = b.get("currency", doc["currency"])
        period = b.get("period", b.get("frequency", "annual"))
        p = RefPayout(b["id"], NOT_OPEN)
        if opened[b["id"]] == reference.MISSING:
            p.status = MISSING
            p.missing_facts = tuple(sorted(n for n in _condition_reads(cond, doc) if n not in facts))
        elif opened[b["id"]] == reference.MET:
            try:
                p.minor, p.basis, p.bound = _amount(b, doc, facts, currency)
                p.annual = p.minor * PER_YEAR[period]
                p.status = NOT_OPEN if b.get("opt_in") else PAID
            except _Undefined as undefined:
                p.status, p.missing_facts = MISSING, tuple(sorted(undefined.facts))
        out[b["id"]] = p
    for choice in tier.get("choices", ()):
        _choose(choice, opened, facts, out)
    for p in out.values():
        if p.status not in (PAID, ALTERNATIVE):
            p.minor = p.annual = None
    return [out[b["id"]] for b in benefits]


def _choose(choice: dict[str, Any], opened: dict[str, str], facts: dict[str, Any], out: dict[str, RefPayout]) -> None:
    between = choice["between"]
    recorded = facts.get(choice["fact"])
    recorded = recorded if isinstance(recorded, str) else None
    for alternative in between:
        out[alternative].choice = choice["id"]
    if recorded in between and opened[recorded] == reference.MISSING:
        for alternative in between:  # what is paid depends on what is not known
            p = out[alternative]
            if alternative != recorded and p.status != MISSING and opened[alternative] == reference.MET:
                p.status = ALTERNATIVE
        return
    if recorded in between and opened[recorded] == reference.MET:
        paid, by, noted = recorded, "partner", False
    else:
        paid, by, noted = choice.get("default"), "default", recorded is not None
        if paid is None or opened.get(paid) != reference.MET:
            paid = None
    for alternative in between:
        p = out[alternative]
        p.noted = noted and (alternative == paid or paid is None)
        if p.status == MISSING:   # open, but its basis is unknown (or its condition is)
            continue
        if opened[alternative] != reference.MET:
            p.status = NOT_OPEN
        elif alternative == paid:
            p.status, p.chosen_by = PAID, by
        else:
            p.status = ALTERNATIVE
