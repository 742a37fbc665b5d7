"""The words of a diff: a cause of a move, and a benefit change, each as one line of text.

Plain text from data (tier names, criterion ids, requirements, values); each writer escapes it
for its medium (render: a terminal, Markdown, HTML or a CSV cell).
"""
from __future__ import annotations

import json
from typing import Any

from ...render.text import NO_TIER, fmt_number
from ...language.amounts import form_of
from .model import BENEFIT_TERMS


def tier_name(tier: dict[str, Any] | None) -> str:
    """A tier summary's name, or "(no tier)"."""
    return NO_TIER if tier is None else tier["name"]


def cause_text(cause: dict[str, Any]) -> str:
    """One cause as a line, e.g. `Gold / sales: sales >= 100 -> sales >= 150: met -> not_met (sales 149.99)`
    or, for a criterion only one policy has, `Alliance Partner / sales_1m (new policy only):
    annual_sales_usd >= 1000000: not_met (annual_sales_usd 999,999.99)`."""
    if "override" in cause:
        o = cause["override"]
        return f"override: {o['before'] or '(none)'} -> {o['after'] or '(none)'}"
    before, after = cause["before"], cause["after"]
    actual = (before or after or {}).get("actual", {})
    later = (after or {}).get("actual", actual)
    values = [f"{k} {_value(v)}" + (f" -> {_value(later[k])}" if k in later and later[k] != v else "")
              for k, v in actual.items()]
    values += [f"{k} {_value(v)}" for k, v in later.items() if k not in actual]
    shown = f" ({', '.join(values)})" if values else ""
    name = f"{cause['tier_name']} / {cause['criterion']}"
    if before is not None and after is not None:
        required = before["required"] if before["required"] == after["required"] else \
            f"{before['required']} -> {after['required']}"
        return f"{name}: {required}: {before['status']} -> {after['status']}{shown}"
    side, which = (before, "old") if after is None else (after, "new")
    return f"{name} ({which} policy only): {side['required']}: {side['status']}{shown}"


def _value(value: Any) -> str:
    if value is None:
        return "(missing)"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_number(value)
    return json.dumps(value, ensure_ascii=False)


def _amount_text(amount: Any) -> str:
    """`10% of referred_business_usd, at most 50000`: an amount as written (language/amounts.py)."""
    if not isinstance(amount, dict):
        return _value(amount)
    form = form_of(amount)
    if form is None:
        return _value(amount)
    rate = _value(amount[form.key])
    basis = amount.get("of")
    basis_text = basis if isinstance(basis, str) else _value(basis)
    text = f"{rate}% of {basis_text}" if form.key == "percent" else \
        f"{rate} for each of {basis_text}" if form.reads_basis else f"{rate} fixed"
    for key, words in (("at_least", "at least"), ("at_most", "at most")):
        if key in amount:
            text += f", {words} {_value(amount[key])}"
    return text


def _term(key: str, value: Any) -> str:
    if key == "opt_in":
        return f"opt_in {str(value).lower()}"
    if key == "amount":
        return _amount_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{key} {fmt_number(value)}"
    return f"{key} {value if isinstance(value, str) else _value(value)}"


def _terms_text(terms: dict[str, Any] | None) -> str:
    """`5 percent, basis referred_business, frequency annual`; `10% of referred_business_usd, period annual`."""
    if not terms:
        return ""
    parts = [f"{fmt_number(terms['value'])} {terms.get('unit', '')}".strip()] if "value" in terms else []
    parts += [_term(k, v) for k, v in terms.items() if k not in ("value", "unit")]
    return ", ".join(parts)


def benefit_text(change: dict[str, Any]) -> str:
    """`+ back_end_support`, `- certification`, `~ referral_commission: 5 percent -> 10 percent`."""
    if change["change"] != "changed":
        sign, terms = ("+", change["after"]) if change["change"] == "added" else ("-", change["before"])
        text = _terms_text(terms)
        return f"{sign} {change['benefit']}" + (f" ({text})" if text else "")
    before, after = change["before"], change["after"]
    keys = [k for k in BENEFIT_TERMS if before.get(k) != after.get(k)]
    if "value" in keys or "unit" in keys:
        keys = ["value"] + [k for k in keys if k not in ("value", "unit")]
    shown = []
    for k in keys:
        pick = (lambda t: {x: t[x] for x in ("value", "unit") if x in t}) if k == "value" else \
            (lambda t, k=k: {k: t[k]} if k in t else {})
        shown.append(f"{_terms_text(pick(before)) or '(none)'} -> {_terms_text(pick(after)) or '(none)'}")
    return f"~ {change['benefit']}: " + "; ".join(shown)
