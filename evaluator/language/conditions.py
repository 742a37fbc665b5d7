"""Conditions as the language defines them: three-valued logic over comparisons, and one line of
text for a condition in the policy's own terms."""
from __future__ import annotations

import json
from typing import Any, Callable

from ..model.policy import All, Any_, Comparison, Condition, Not
from ..model.status import MET, MISSING, NOT_MET

_FLIP = {MET: NOT_MET, NOT_MET: MET}


def render_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return json.dumps(value)


def render(condition: Condition) -> str:
    """A condition as one line of text: `annual_sales_usd >= 1000000`, `all(a >= 2, b contains "AU")`."""
    if isinstance(condition, Comparison):
        return f"{condition.operand.name} {condition.op} {render_value(condition.value)}"
    if isinstance(condition, Not):
        return f"not({render(condition.part)})"
    if isinstance(condition, All) and condition.name is not None:
        return f"{condition.name} (" + ", ".join(render(p) for p in condition.parts) + ")"
    if isinstance(condition, Any_) and condition.name == "lookup":
        return render_lookup(condition)
    if isinstance(condition, Any_) and condition.name == "cases":
        return render_cases(condition)
    word = "all" if isinstance(condition, All) else "any"
    return f"{word}(" + ", ".join(render(p) for p in condition.parts) + ")"


def lookup_parts(condition: Any_) -> tuple[Comparison, list[tuple[Comparison, Comparison]]]:
    """A comparison with a per-segment value (model/definitions.py expand_lookup): its first
    test, and (segment test, test) for each value then the default."""
    branches = [(p.parts[0], p.parts[1]) for p in condition.parts[:-1] if isinstance(p, All)]
    return branches[0][1], branches  # type: ignore[return-value]


def render_lookup(condition: Any_) -> str:
    """`points >= 400 if home_country in ["VN"], else 600`."""
    first, branches = lookup_parts(condition)
    shown = [render_value(test.value) + ("" if segment.op == "not_in" else
                                         f" if {segment.operand.name} in {render_value(segment.value)}")
             for segment, test in branches]
    if branches[-1][0].op == "not_in":
        shown[-1] = "else " + shown[-1]
    return f"{first.operand.name} {first.op} " + ", ".join(shown)


def case_parts(condition: Any_) -> list[tuple[Condition | None, Comparison]]:
    """A comparison with a value per segment or by cases (model/definitions.py): (the condition
    under which a value applies, None for the default, and the comparison with it) for each value."""
    out: list[tuple[Condition | None, Comparison]] = []
    for part in condition.parts:
        if not isinstance(part, All) or part.pointer.endswith("/every"):
            continue
        own = None if part.pointer.endswith("/default") else part.parts[-2]
        out.append((own, part.parts[-1]))  # type: ignore[arg-type]
    return out


def _short(condition: Condition) -> str:
    return condition.name if isinstance(condition, All) and condition.name is not None else render(condition)


def render_cases(condition: Any_) -> str:
    """`points >= 20000 if emerging_market, else 30000`."""
    cases = case_parts(condition)
    shown = [render_value(test.value) + (f" if {_short(when)}" if when is not None else "")
             for when, test in cases]
    if cases[-1][0] is None:
        shown[-1] = "else " + shown[-1]
    first = cases[0][1]
    return f"{first.operand.name} {first.op} " + ", ".join(shown)


def combine(condition: Condition, leaf_status: Callable[[Comparison], str]) -> str:
    """Three-valued (Kleene) logic: `all` is not_met if any part is not_met, else missing if any
    part is missing; `any` is met if any part is met, else missing if any part is missing; `not`
    swaps met and not_met and keeps missing. A criterion is `missing` only when the absent data
    could change its outcome."""
    if isinstance(condition, Comparison):
        return leaf_status(condition)
    if isinstance(condition, Not):
        inner = combine(condition.part, leaf_status)
        return _FLIP.get(inner, MISSING)
    statuses = [combine(p, leaf_status) for p in condition.parts]
    decisive, other = (NOT_MET, MET) if isinstance(condition, All) else (MET, NOT_MET)
    if decisive in statuses:
        return decisive
    if MISSING in statuses:
        return MISSING
    return other


def status_of_condition(condition: Condition, leaf_status: Callable[[Comparison], str], negated: bool) -> str:
    """combine(), of the condition or (negated) of its negation."""
    status = combine(condition, leaf_status)
    return _FLIP.get(status, MISSING) if negated else status
