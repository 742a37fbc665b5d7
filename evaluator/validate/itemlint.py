"""Static checks of the conditions on items (`where`, language/aggregates.py): one that no item
can meet (`sales_usd > 5` and `sales_usd < 3`, a value outside a field's bounds or enum), so the
aggregate never counts an item; or one that every item meets, so it chooses nothing out. The
same reasoning as a criterion's (forms.py), over the item catalogue: each field is an operand
whose domain is its own type's. Warnings: the policy still evaluates."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterator

from ..errors import Finding
from ..language.aggregates import condition_text
from ..language.measures import MEASURES
from ..model.policy import FactSpec, Policy, build_condition
from .forms import Reasoner, dnf
from .items import item_arguments

_ITEM = "item"  # the operand of a condition on the items of a number_list or date_list


def _as_facts(condition: Any) -> Any:
    """A `where` written as a criterion's condition over the fields (as facts)."""
    if isinstance(condition, dict):
        if "op" in condition:
            return {"fact": condition.get("field", _ITEM), "op": condition["op"], "value": condition.get("value")}
        return {k: ([_as_facts(p) for p in v] if isinstance(v, list) else _as_facts(v)) for k, v in condition.items()}
    return condition


def _catalogue(spec: FactSpec) -> dict[str, FactSpec]:
    if spec.type == "record_list":
        return {f.name: f for f in spec.fields or ()}
    kind = "number" if spec.type == "number_list" else "date"
    return {_ITEM: dataclasses.replace(spec, name=_ITEM, type=kind, max_items=None)}


def check_item_contradictions(policy: Policy) -> Iterator[Finding]:
    """A condition on items that no item can meet, or that every item meets (warnings)."""
    for measure in policy.measures.values():
        for op, arg, pointer in item_arguments(measure.compute, measure.pointer + "/compute"):
            spec = policy.facts.get(arg.get("list", ""))
            where = arg.get("where")
            if spec is None or not isinstance(where, dict) or op not in MEASURES:
                continue
            items = dataclasses.replace(policy, facts=_catalogue(spec), measures={})
            reasoner = Reasoner(items)
            condition = build_condition(_as_facts(where), f"{pointer}/where")
            form = dnf(condition)
            if reasoner.satisfiable(form) is False:
                yield Finding(f"no item of '{spec.name}' can meet the condition: {reasoner.why_not(form)}",  # type: ignore[arg-type]
                              f"{pointer}/where", expected="a condition some item can meet",
                              found=condition_text(where), severity="warning", check="item_contradictions")
                continue
            negation = dnf(condition, negate=True)
            if reasoner.satisfiable(negation) is False:
                yield Finding(f"every item of '{spec.name}' meets the condition: it chooses nothing out",
                              f"{pointer}/where", expected="a condition some item can fail",
                              found=condition_text(where), severity="warning", check="item_contradictions")
