"""Static checks of a policy's logic: what the core's checks (validate.py) cannot see.

The core's CHECKS reject what cannot be evaluated (unknown names with "did you mean", type
mismatches, duplicate ids, cycles); the schema rejects an empty `all`/`any`. These checks run
after them, on a policy that is valid, and look for mistakes a program manager makes in a valid
policy: a criterion that can never be met or is always met, a tier no partner can ever get, a
lower tier stricter than a higher one, gaps and overlaps between declared bands, units mixed in
arithmetic, and policies that will outgrow the engine's budgets. Each check is a small function
yielding findings (severity `error` or `warning`, a JSON Pointer that load.py turns into
FILE:LINE:COLUMN); LINT_CHECKS maps check names to them.

The reasoning is over values that are present (forms.py); what is read off tiers is in tiers.py.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Iterator

from ..compile.compiler import MAX_DISJUNCTS_PER_RULE, compile_policy
from ..compile.engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT
from ..errors import Finding, PolicyError
from ..language.conditions import render
from ..language.encodings import ENGINE_TESTS
from ..language.measures import MEASURES
from ..model.policy import Any_, Comparison, Condition, Not, Operand, Policy, comparisons
from .benefits import LINT_CHECKS as BENEFIT_LINTS
from .definitions import check_lookup_defaults, check_unused
from .forms import Reasoner, dnf, domain_of
from .itemlint import check_item_contradictions
from .names import suggest
from .tiers import (Bound, bounds_of, converter_for, numeric_operand, operands_of, required, shadowed_map,
                    targets)

MAX_TIERS_PAIRWISE = 120   # tier-pair checks are quadratic: beyond this many tiers they are skipped
ENGINE_CALLS_WARNING = 8   # rulesets per policy = engine calls per partner; beyond this, warn


# --- checks ------------------------------------------------------------------------------------

def check_contradictions(policy: Policy) -> Iterator[Finding]:
    """A criterion or override that can never be met (`x > 5` and `x < 3`, a value outside the
    fact's minimum, maximum or enum), or an alternative of an `any` that can never be met while
    the others can. Warnings: the policy still evaluates (the criterion is simply never met)."""
    reasoner = Reasoner(policy)
    for what, condition, pointer in targets(policy):
        form = dnf(condition)
        if reasoner.satisfiable(form) is False:
            yield Finding(f"{what} can never be met: {reasoner.why_not(form)}", pointer,  # type: ignore[arg-type]
                          expected="a condition some partner can meet", found=render(condition),
                          severity="warning", check="contradictions")
            continue
        yield from _dead_alternatives(reasoner, condition, what)


def _dead_alternatives(reasoner: Reasoner, condition: Condition, what: str) -> Iterator[Finding]:
    if isinstance(condition, Not):
        yield from _dead_alternatives(reasoner, condition.part, what)
        return
    if isinstance(condition, Comparison):
        return
    # a comparison with a per-segment value: its last alternative ("every threshold holds") is
    # the language's own, not the author's, and may well be impossible (== with two values)
    internal = isinstance(condition, Any_) and condition.name in ("lookup", "cases") and \
        condition.parts[-1].pointer.endswith("/every")
    for part in condition.parts[:-1] if internal else condition.parts:
        if isinstance(condition, Any_):
            form = dnf(part)
            if reasoner.satisfiable(form) is False:
                yield Finding(f"an alternative of {what} can never be met: {reasoner.why_not(form)}",  # type: ignore[arg-type]
                              part.pointer, expected="an alternative some partner can meet", found=render(part),
                              severity="warning", check="contradictions")
                continue
        yield from _dead_alternatives(reasoner, part, what)


def check_always_true(policy: Policy) -> Iterator[Finding]:
    """A criterion (or override) met by every partner that has the facts it reads: it decides
    nothing except that the facts are given. A warning."""
    reasoner = Reasoner(policy)
    for what, condition, pointer in targets(policy):
        if reasoner.satisfiable(dnf(condition, negate=True)) is False:
            facts = sorted({c.operand.name for c in comparisons(condition)})
            notes = sorted({n for c in comparisons(condition) for n in reasoner.domain(c.operand).notes})
            why = f" ({'; '.join(notes)})" if notes else ""
            yield Finding(f"{what} is met by every partner whose {', '.join(facts)} is given: "
                          f"{render(condition)} always holds{why}", pointer,
                          expected="a condition some partner fails", found=render(condition),
                          severity="warning", check="always_true")


def check_shadowed_tiers(policy: Policy) -> Iterator[Finding]:
    """A tier that can never be the result: every partner meeting it also meets a higher tier (and
    no override names it). A tier with no required criteria above others shadows them all."""
    if len(policy.tiers) > MAX_TIERS_PAIRWISE:
        yield _too_many_tiers(policy, "shadowed_tiers")
        return
    shadowed = shadowed_map(policy, Reasoner(policy))
    for tier in policy.tiers:
        above = shadowed.get(tier.id)
        if above is None:
            continue
        names = " or ".join(f"'{h.name}'" for h in above)
        if len(above) == 1 and not required(above[0]):
            why = f"'{above[0].name}' has no required criteria, so every partner gets it or a higher tier"
        else:
            why = f"every partner that meets it also meets {names}, ranked higher"
        yield Finding(f"tier '{tier.name}' can never be the result: {why}", tier.pointer,
                      expected="a tier some partner gets", found=f"a tier shadowed by {names}",
                      severity="warning", check="shadowed_tiers")


def check_inverted_tiers(policy: Policy) -> Iterator[Finding]:
    """A lower tier that asks more of a fact or measure than a higher tier does: a higher lower
    bound (`>=`), or, where neither tier sets a lower bound, a lower upper bound (`<=`). A warning."""
    if len(policy.tiers) > MAX_TIERS_PAIRWISE:
        yield _too_many_tiers(policy, "inverted_tiers")
        return
    shadowed = shadowed_map(policy, Reasoner(policy))
    bounds = {(t.id, op): bounds_of(t, op, converter_for(policy, op))
              for t in policy.tiers for op in operands_of(required(t)) if numeric_operand(policy, op)}
    for low_index, low in enumerate(policy.tiers):
        for high in policy.tiers[:low_index]:
            if high in shadowed.get(low.id, ()):
                continue  # reported as a shadowed tier, the larger problem
            for operand in sorted(operands_of(required(low)) & operands_of(required(high)), key=str):
                if (low.id, operand) not in bounds:
                    continue
                llo, lhi = bounds[(low.id, operand)]
                hlo, hhi = bounds[(high.id, operand)]
                finding = None
                if llo and hlo and (llo.value > hlo.value or (llo.value == hlo.value and llo.open and not hlo.open)):
                    finding = (llo.text, hlo.text, "more")
                elif not llo and not hlo and lhi and hhi and (
                        lhi.value < hhi.value or (lhi.value == hhi.value and lhi.open and not hhi.open)):
                    finding = (lhi.text, hhi.text, "less")
                if finding:
                    low_text, high_text, word = finding
                    source = llo or lhi
                    assert source is not None
                    yield Finding(f"tier '{low.name}' asks for {low_text}, {word} than the higher tier "
                                  f"'{high.name}' ({high_text}): a lower tier is stricter than a higher one "
                                  f"on {operand.name}", source.pointer, expected=f"at most what '{high.name}' asks",
                                  found=low_text, severity="warning", check="inverted_tiers")


def _too_many_tiers(policy: Policy, check: str) -> Finding:
    return Finding(f"{len(policy.tiers)} tiers: tier-by-tier comparison is skipped above "
                   f"{MAX_TIERS_PAIRWISE} tiers", "/tiers", expected=f"at most {MAX_TIERS_PAIRWISE} tiers for "
                   "this check", found=f"{len(policy.tiers)} tiers", severity="warning", check=check)


def _gap_between(low_hi: Bound, high_lo: Bound, integer: bool) -> bool:
    """Whether some value lies above the lower band's top and below the higher band's bottom."""
    a, b = low_hi.value, high_lo.value
    if integer:
        top = math.ceil(a) - 1 if low_hi.open or not float(a).is_integer() else int(a)
        bottom = math.floor(b) + 1 if high_lo.open or not float(b).is_integer() else int(b)
        return bottom - top > 1
    return a < b or (a == b and low_hi.open and high_lo.open)


def _overlap(low_hi: Bound, high_lo: Bound) -> bool:
    a, b = low_hi.value, high_lo.value
    return a > b or (a == b and not low_hi.open and not high_lo.open)


def check_bands(policy: Policy) -> Iterator[Finding]:
    """For each fact or measure the policy lists in `contiguous_bands`: consecutive tiers that bound
    it must leave no gap (a value in neither band) and no overlap (a value in both). A tier with
    only a lower bound reaches up to the tier above it, so thresholds-only programs always pass."""
    declared = policy.document.get("contiguous_bands", [])
    names = list(policy.facts) + list(policy.measures)
    for index, name in enumerate(declared):
        pointer = f"/contiguous_bands/{index}"
        if name not in names:
            yield Finding(f"contiguous_bands names unknown fact or measure '{name}'" + suggest(name, names), pointer,
                          expected="a fact or measure name", found=name, check="bands")
            continue
        operand = Operand("fact" if name in policy.facts else "measure", name)
        if not numeric_operand(policy, operand):
            yield Finding(f"contiguous_bands names '{name}', a {policy.facts[name].type} fact: bands need numbers "
                          "or dates", pointer, expected="a number, integer or date fact, or a measure",
                          found=policy.facts[name].type, check="bands")
            continue
        convert = converter_for(policy, operand)
        integer = domain_of(policy, operand).integer
        banded = [(t, *bounds_of(t, operand, convert)) for t in policy.tiers]
        banded = [(t, lo, hi) for t, lo, hi in banded if lo or hi]
        top_band = banded[0][2] if banded else None
        if top_band is not None:
            yield Finding(f"no tier's band covers {name} above the top band of '{banded[0][0].name}' "
                          f"({top_band.text}): those partners fall out of the {name} bands",
                          top_band.pointer, expected=f"no upper bound on the highest {name} band",
                          found=top_band.text, severity="warning", check="bands")
        for (high, hlo, _hhi), (low, _llo, lhi) in zip(banded, banded[1:]):
            if hlo is None or lhi is None:
                continue  # open-ended: the ranking closes the band
            if _overlap(lhi, hlo):
                yield Finding(f"the {name} bands of '{low.name}' ({lhi.text}) and '{high.name}' "
                              f"({hlo.text}) overlap", lhi.pointer,
                              expected=f"'{low.name}' to end where '{high.name}' begins",
                              found="an overlap", severity="warning", check="bands")
            elif _gap_between(lhi, hlo, integer):
                yield Finding(f"the {name} bands of '{low.name}' ({lhi.text}) and '{high.name}' "
                              f"({hlo.text}) leave a gap: a value between them is in neither",
                              lhi.pointer, expected=f"'{low.name}' to end where '{high.name}' begins",
                              found="a gap", severity="warning", check="bands")


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _same_unit(op: str) -> bool:
    """Whether an operation's arguments must share a unit (its `same_unit` facet)."""
    return op in MEASURES and MEASURES[op].same_unit


def _unit_of(policy: Policy, expr: Any) -> str | None:
    if isinstance(expr, str):
        if expr in policy.facts:
            return policy.facts[expr].unit
        if expr in policy.measures:
            return policy.measures[expr].unit
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if _same_unit(op):
            units = {_unit_of(policy, sub) for sub in arg if not isinstance(sub, (int, float))}
            return units.pop() if len(units) == 1 else None
    return None


def check_units(policy: Policy) -> Iterator[Finding]:
    """Units that differ: a sum, difference, min or max of values in different units; a measure
    whose declared unit is not the unit its formula gives; an amount in a currency other than the
    program's. Warnings."""
    for name, spec in policy.facts.items():
        if spec.unit and _CURRENCY.match(spec.unit) and spec.unit != policy.currency:
            yield Finding(f"fact '{name}' is in {spec.unit} but the program's currency is {policy.currency}",
                          spec.pointer + "/unit", expected=policy.currency, found=spec.unit, severity="warning",
                          check="units")
    for name, measure in policy.measures.items():
        yield from _mixed_units(policy, measure.compute, measure.pointer + "/compute", name)
        computed = _unit_of(policy, measure.compute)
        if measure.unit and computed and measure.unit != computed:
            yield Finding(f"measure '{name}' says its unit is {measure.unit}, but its formula gives {computed}",
                          measure.pointer + "/unit", expected=computed, found=measure.unit, severity="warning",
                          check="units")


def _mixed_units(policy: Policy, expr: Any, pointer: str, measure: str) -> Iterator[Finding]:
    if not isinstance(expr, dict) or len(expr) != 1:
        return
    ((op, arg),) = expr.items()
    if not isinstance(arg, list):
        return
    for i, sub in enumerate(arg):
        yield from _mixed_units(policy, sub, f"{pointer}/{op}/{i}", measure)
    if _same_unit(op):
        units: dict[str, Any] = {}
        for sub in arg:
            unit = None if isinstance(sub, (int, float)) else _unit_of(policy, sub)
            if unit:
                units.setdefault(unit, sub if isinstance(sub, str) else "a term")
        if len(units) > 1:
            parts = ", ".join(f"{n} ({u})" for u, n in units.items())
            yield Finding(f"measure '{measure}' takes the {op} of values in different units: {parts}",
                          f"{pointer}/{op}", expected="terms in one unit (convert with a product first)",
                          found=", ".join(units), severity="warning", check="units")


def check_engine_limits(policy: Policy) -> Iterator[Finding]:
    """Compile the policy as `evaluate` would and report what the engine's budgets will cost:
    a policy that cannot be compiled is an error; one that needs more than ENGINE_CALLS_WARNING
    rulesets (each an engine call for a partner the result cache has not seen), or a single
    comparison that needs more than one ruleset by itself, is a warning, with the figures."""
    try:
        compiled = compile_policy(policy)
    except PolicyError as exc:
        for f in exc.findings:
            yield Finding(f.message, f.pointer, expected=f.expected, found=f.found, check="engine_limits")
        return
    criteria = sum(len(t.criteria) for t in policy.tiers)
    count = len(compiled.rulesets)
    if count > ENGINE_CALLS_WARNING:
        alternatives = sum(compiled.disjuncts.values())
        yield Finding(f"{criteria} criteria and {len(policy.overrides)} overrides compile to {alternatives} engine "
                      f"alternatives in {count} rulesets (at most {MAX_DISJUNCTS_PER_RULESET} alternatives and "
                      f"{MAX_FIELDS_PER_FACT} fields each): a partner can need {count} engine calls, one per ruleset, "
                      "where a smaller policy needs one", "/tiers",
                      expected=f"at most {ENGINE_CALLS_WARNING} rulesets",
                      found=f"{count} rulesets", severity="warning", check="engine_limits")
    for leaf in compiled.leaves:
        size = len(ENGINE_TESTS[leaf.test.name](compiled.keys[leaf.slot], compiled.codecs[leaf.slot],
                                               leaf.test.constants))
        if size > MAX_DISJUNCTS_PER_RULESET:
            pointer = next(p for p, (i, _) in compiled.lowered.items() if i == leaf.index)
            yield Finding(f"one comparison on '{leaf.operand.name}' needs {size} engine alternatives "
                          f"({MAX_DISJUNCTS_PER_RULE} per rule, {MAX_DISJUNCTS_PER_RULESET} per ruleset): a long list "
                          "of separate values; a range (between) or fewer values costs less", pointer,
                          expected=f"at most {MAX_DISJUNCTS_PER_RULESET} alternatives",
                          found=f"{size} alternatives", severity="warning", check="engine_limits")


LINT_CHECKS: dict[str, Callable[[Policy], Iterator[Finding]]] = {
    "contradictions": check_contradictions,
    "always_true": check_always_true,
    "shadowed_tiers": check_shadowed_tiers,
    "inverted_tiers": check_inverted_tiers,
    "bands": check_bands,
    "units": check_units,
    "engine_limits": check_engine_limits,
    "unused": check_unused,
    "lookup_default": check_lookup_defaults,
    "item_contradictions": check_item_contradictions,
    **BENEFIT_LINTS,  # benefit_descriptions, frequency, choice_enum
}


def lint_findings(policy: Policy) -> list[Finding]:
    """Every finding of every static check, for a policy the core's checks accept."""
    findings: list[Finding] = []
    for check in LINT_CHECKS.values():
        findings.extend(check(policy))
    return findings
