"""Words for people in the program report: a fact's label (its `label` in the catalogue where the
policy gives one, else its name in words: `annual_sales_usd` in USD is "Annual sales"), the
partner's name fact, and what a near miss or a partner at risk needs, in words. Nothing here escapes: the writers do (render/)."""
from __future__ import annotations

from typing import Any

from ...explain.near import Distance
from ...model.policy import Policy
from ...render.text import fmt_number

NAME_FACTS = ("partner_name", "name")  # the string fact that holds a partner's name, when there is one

OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "==": "exactly",
            "between": "between"}


def _unit_of(policy: Policy, name: str) -> str | None:
    spec = policy.facts.get(name) or policy.measures.get(name)
    return getattr(spec, "unit", None)


def label(policy: Policy, name: str) -> str:
    """A fact's or a measure's label: the catalogue's `label`, else its name in words, without a
    trailing unit (the unit is shown beside it: "Annual sales (USD)")."""
    spec = policy.facts.get(name) or policy.measures.get(name)
    given = getattr(spec, "label", None)
    if isinstance(given, str) and given:
        return given
    words = [w for w in name.split("_") if w]
    unit = _unit_of(policy, name)
    if unit and len(words) > 1 and words[-1].lower() == unit.lower():
        words = words[:-1]
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


def label_with_unit(policy: Policy, name: str) -> str:
    unit = _unit_of(policy, name)
    return f"{label(policy, name)} ({unit})" if unit else label(policy, name)


def value_label(value: Any) -> str:
    """A categorical value (a region, a country) as the data writes it; "(none)" for no value."""
    return "(none)" if value is None else str(value)


def name_fact(policy: Policy) -> str | None:
    """The fact holding a partner's trading name: `partner_name` (or `name`), a string fact."""
    for name in NAME_FACTS:
        spec = policy.facts.get(name)
        if spec is not None and spec.type == "string" and name != policy.id_fact:
            return name
    return None


def _amount(value: Any, unit: str | None) -> str:
    return fmt_number(value) + (f" {unit}" if unit else "")


def need_text(policy: Policy, gap: Distance) -> str:
    """What a near miss needs, e.g. "Annual sales 999,999.99 USD, at least 1,000,000 needed: 0.01 USD more"."""
    more = "more" if gap.op in (">=", ">") or (gap.op == "between" and gap.actual < gap.threshold) else "less"
    return (f"{label(policy, gap.operand)} {_amount(gap.actual, gap.unit)}, {OP_WORDS.get(gap.op, gap.op)} "
            f"{fmt_number(gap.threshold)} needed: {_amount(gap.distance, gap.unit)} {more} "
            f"({_percent(gap.percent)} of the threshold)")


def risk_text(policy: Policy, margin: Distance) -> str:
    """What holds a partner at risk, e.g. "Annual sales 1,000,000 USD, at least 1,000,000 needed: 0 USD to spare"."""
    return (f"{label(policy, margin.operand)} {_amount(margin.actual, margin.unit)}, {OP_WORDS.get(margin.op, margin.op)} "
            f"{fmt_number(margin.threshold)} needed: {_amount(margin.distance, margin.unit)} to spare "
            f"({_percent(margin.percent)} of the threshold)")


def _percent(value: float) -> str:
    if 0 < value < 0.01:
        return "under 0.01%"
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"
