"""Static checks of a policy's logic: what the core's checks (validate.py) cannot see.

The core's CHECKS reject what cannot be evaluated (unknown names with "did you mean", type
mismatches, duplicate ids, cycles); the schema rejects an empty `all`/`any`. These checks run
after them, on a policy that is valid, and look for mistakes a program manager makes in a valid
policy: a criterion that can never be met or is always met, a tier no partner can ever get, a
lower tier stricter than a higher one, gaps and overlaps between declared bands, units mixed in
arithmetic, and policies that will outgrow the engine's budgets. Each check is a small function
yielding findings (severity `error` or `warning`, a JSON Pointer that load.py turns into
FILE:LINE:COLUMN); LINT_CHECKS maps check names to them.

The reasoning is over values that are present: a condition is turned into disjunctive normal
form over *atoms* (one comparison of one fact or measure, possibly negated), and a conjunction
of atoms is satisfiable when, for every operand, some value in the operand's domain (its type,
`minimum`/`maximum`, `enum`, `pattern`, integer-ness; for measures, bounds derived from their
formula) passes every atom on it. Kleene logic is monotone, so a condition that no complete set
of facts meets is never met, missing data or not. Where the normal form would be too large the
check says nothing rather than guess.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from itertools import product as _cartesian
from typing import Any, Callable, Iterable, Iterator

from ..compile.compiler import MAX_DISJUNCTS_PER_RULE, compile_policy
from ..compile.engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT
from ..errors import Finding, PolicyError
from ..language.conditions import render, render_value
from ..language.domains import LOWER, ONE_OF, UPPER, Constraint, Domain
from ..language.encodings import ENGINE_TESTS
from ..language.facttypes import FACT_TYPES
from ..language.measures import FORMS, MEASURES, Bounds
from ..language.operators import OPERATORS
from ..language.values import VALUE_TYPES
from ..model.policy import All, Any_, Comparison, Condition, Criterion, Not, Operand, Policy, Tier, comparisons
from .names import suggest

MAX_CONJUNCTS = 256        # a normal form larger than this is not analysed (no finding, no guess)
MAX_TIERS_PAIRWISE = 120   # tier-pair checks are quadratic: beyond this many tiers they are skipped
ENGINE_CALLS_WARNING = 8   # rulesets per policy = engine calls per partner; beyond this, warn

# --- domains: the values an operand can take when it is present -------------------------------

def _ordinal(value: Any) -> int:
    return _dt.date.fromisoformat(str(value)).toordinal()


def _expression_bounds(policy: Policy, expr: Any, seen: frozenset[str]) -> Bounds:
    """(lowest, highest, whole) of an expression's values, through each operation's `bounds` facet."""
    if isinstance(expr, bool):
        return None, None, False
    if isinstance(expr, (int, float)):
        return expr, expr, isinstance(expr, int) or float(expr).is_integer()
    if isinstance(expr, str):
        if expr in policy.facts:
            spec = policy.facts[expr]
            kind = FACT_TYPES[spec.type]
            if kind.value_type != "number":
                return None, None, False
            return spec.minimum, spec.maximum, kind.integral
        if expr in policy.measures and expr not in seen:
            return _expression_bounds(policy, policy.measures[expr].compute, seen | {expr})
        return None, None, False
    ((op, arg),) = expr.items()
    spec = MEASURES[op]
    parts = [_expression_bounds(policy, sub, seen) for sub in FORMS[spec.args].subexpressions(arg)]
    return spec.bounds(arg, parts, policy.facts.get)


def domain_of(policy: Policy, operand: Operand) -> Domain:
    """What values `operand` can take when present, from the fact catalogue or the measure's formula."""
    if operand.kind == "measure":
        measure = policy.measures[operand.name]
        lo, hi, integer = _expression_bounds(policy, measure.compute, frozenset([operand.name]))
        notes = []
        if lo is not None:
            notes.append(f"{operand.name} is never below {_number_text(lo)}")
        if hi is not None:
            notes.append(f"{operand.name} is never above {_number_text(hi)}")
        if integer:
            notes.append(f"{operand.name} is a whole number")
        return Domain("number", lo, hi, integer, notes=tuple(notes))
    spec = policy.facts[operand.name]
    return FACT_TYPES[spec.type].domain(spec)


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# --- atoms and normal forms --------------------------------------------------------------------

@dataclass(frozen=True)
class Atom:
    """One elementary comparison of one operand (negated comparisons are turned into their
    complement, through the operator's `negation`; `between` into its bounds)."""

    operand: Operand
    op: str
    value: Any
    source: Comparison

    def text(self) -> str:
        return f"{self.operand.name} {OPERATORS[self.op].phrase} {render_value(self.value)}"

    def constraint(self, convert: Callable[[Any], Any]) -> Constraint:
        """What the atom demands of a value, in the domain's terms (`convert`: dates to ordinals)."""
        make = OPERATORS[self.op].constraint
        assert make is not None  # an operator's meaning is made of elementary operators (tested)
        values = tuple(convert(v) for v in self.value) if isinstance(self.value, tuple) else convert(self.value)
        return make(values)


Conjunct = tuple[Atom, ...]


def _comparison_dnf(comparison: Comparison, negate: bool) -> list[Conjunct]:
    operator = OPERATORS[comparison.op]
    symbol = operator.negation if negate else comparison.op
    return [tuple(Atom(comparison.operand, op, value, comparison) for op, value in conjunct)
            for conjunct in OPERATORS[symbol].meaning(comparison.value)]


def dnf(condition: Condition, negate: bool = False) -> list[Conjunct] | None:
    """The condition (or its negation) as a list of alternative conjunctions of atoms; None when
    that list would exceed MAX_CONJUNCTS."""
    if isinstance(condition, Comparison):
        return _comparison_dnf(condition, negate)
    if isinstance(condition, Not):
        return dnf(condition.part, not negate)
    parts = [dnf(part, negate) for part in condition.parts]
    if any(p is None for p in parts):
        return None
    conjunctive = isinstance(condition, All) != negate  # all, or the negation of any (De Morgan)
    if not conjunctive:
        union = [c for p in parts for c in p]  # type: ignore[union-attr]
        return union if len(union) <= MAX_CONJUNCTS else None
    size = math.prod(len(p) for p in parts)  # type: ignore[arg-type]
    if size > MAX_CONJUNCTS:
        return None
    return [tuple(a for c in combo for a in c) for combo in _cartesian(*parts)]  # type: ignore[arg-type]


def conjoin(*forms: list[Conjunct] | None) -> list[Conjunct] | None:
    """The conjunction of several normal forms (None if any is unknown or the result too large)."""
    if any(f is None for f in forms):
        return None
    if math.prod(len(f) for f in forms) > MAX_CONJUNCTS:  # type: ignore[arg-type]
        return None
    return [tuple(a for c in combo for a in c) for combo in _cartesian(*forms)]  # type: ignore[arg-type]


# --- satisfiability: each value type's `feasible` facet -------------------------------------

def _converter(kind: str) -> Callable[[Any], Any]:
    return _ordinal if kind == "date" else (lambda v: v)  # the policy writes dates as text


class Reasoner:
    """Satisfiability of conjunctions of atoms under one policy's domains (memoised per operand)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self._domains: dict[Operand, Domain] = {}

    def domain(self, operand: Operand) -> Domain:
        if operand not in self._domains:
            self._domains[operand] = domain_of(self.policy, operand)
        return self._domains[operand]

    def conflict(self, conjunct: Conjunct) -> tuple[Operand, list[Atom]] | None:
        """The operand whose atoms no allowed value passes, with those atoms; None if satisfiable."""
        by_operand: dict[Operand, list[Atom]] = {}
        for atom in conjunct:
            by_operand.setdefault(atom.operand, []).append(atom)
        for operand, atoms in by_operand.items():
            domain = self.domain(operand)
            if not self._feasible(domain, atoms):
                return operand, atoms
        return None

    @staticmethod
    def _feasible(domain: Domain, atoms: list[Atom]) -> bool:
        convert = _converter(domain.kind)
        return VALUE_TYPES[domain.kind].feasible(domain, [a.constraint(convert) for a in atoms])

    def satisfiable(self, form: list[Conjunct] | None) -> bool | None:
        if form is None:
            return None
        return any(self.conflict(c) is None for c in form)

    def why_not(self, form: list[Conjunct]) -> str:
        """Why no conjunct of `form` can hold, in the policy's terms."""
        reasons = []
        for conjunct in form[:3]:
            operand, atoms = self.conflict(conjunct)  # type: ignore[misc]
            texts = list(dict.fromkeys(a.text() for a in atoms))
            domain = self.domain(operand)
            # name the fact's constraints only when they are part of the reason
            notes = domain.notes if self._feasible(Domain(domain.kind), atoms) else ()
            reason = " and ".join(texts) + (" cannot both hold" if len(texts) == 2 else
                                            " cannot all hold" if len(texts) > 2 else " cannot hold")
            if notes:
                reason += " (" + "; ".join(notes) + ")"
            reasons.append(reason)
        more = f"; and {len(form) - 3} more alternative(s)" if len(form) > 3 else ""
        return "; ".join(reasons) + more


# --- helpers over tiers ------------------------------------------------------------------------

def _required(tier: Tier) -> list[Criterion]:
    return [c for c in tier.criteria if not c.advisory]


def _conjunctive_comparisons(condition: Condition) -> Iterator[tuple[Comparison, bool]]:
    """Comparisons that must hold (negated: must fail) whenever the condition is met, each with
    its negation flag: the comparisons reached through `all` and `not` without passing an `any`."""
    def walk(cond: Condition, negate: bool) -> Iterator[tuple[Comparison, bool]]:
        if isinstance(cond, Comparison):
            yield cond, negate
        elif isinstance(cond, Not):
            yield from walk(cond.part, not negate)
        elif isinstance(cond, All) and not negate:
            for part in cond.parts:
                yield from walk(part, negate)
        elif isinstance(cond, Any_) and negate:
            for part in cond.parts:
                yield from walk(part, negate)
    yield from walk(condition, False)


def _present_when_met(tier: Tier) -> set[Operand]:
    """Operands that are surely present when the tier's required criteria are all met."""
    return {c.operand for crit in _required(tier) for c, _ in _conjunctive_comparisons(crit.condition)}


def _operands(criteria: Iterable[Criterion]) -> set[Operand]:
    return {c.operand for crit in criteria for c in comparisons(crit.condition)}


def _tier_form(criteria: list[Criterion], negate: bool = False) -> list[Conjunct] | None:
    if not criteria:
        return [()] if not negate else []
    condition = All(tuple(c.condition for c in criteria), "")
    return dnf(condition, negate)


def _covered(policy: Policy, reasoner: Reasoner, tier: Tier, higher: list[Tier]) -> bool | None:
    """Whether every partner meeting `tier` meets one of `higher` (None: cannot tell)."""
    form = conjoin(_tier_form(_required(tier)), *[_tier_form(_required(h), negate=True) for h in higher])
    ok = reasoner.satisfiable(form)
    return None if ok is None else not ok


def _shadowing(policy: Policy, reasoner: Reasoner, tier: Tier) -> list[Tier] | None:
    """Higher tiers that together take every partner who meets `tier`; None if it is reachable."""
    present = _present_when_met(tier)
    usable = [h for h in policy.tiers[: tier.rank - 1] if _operands(_required(h)) <= present]
    together = _covered(policy, reasoner, tier, usable) if usable else False
    if together is False:
        return None  # not even all of them together take every such partner
    for h in reversed(usable):  # the nearest single tier above first: the clearest message
        if _covered(policy, reasoner, tier, [h]):
            return [h]
    return usable if together else None


def _shadowed_map(policy: Policy, reasoner: Reasoner) -> dict[str, list[Tier]]:
    """Tier id -> the higher tiers that shadow it, for every shadowed tier. Two checks need it:
    the last result is kept (one tuple, replaced whole, so threads never see half of one)."""
    global _last_shadowed
    last = _last_shadowed
    if last is not None and last[0] is policy:
        return last[1]
    named = {o.tier for o in policy.overrides}
    found = {}
    for tier in policy.tiers[1:]:
        if tier.id in named or reasoner.satisfiable(_tier_form(_required(tier))) is False:
            continue  # reachable through an override / already an error of its own
        above = _shadowing(policy, reasoner, tier)
        if above is not None:
            found[tier.id] = above
    _last_shadowed = (policy, found)
    return found


_last_shadowed: tuple[Policy, dict[str, list[Tier]]] | None = None


@dataclass(frozen=True)
class Bound:
    value: Any
    open: bool
    text: str       # the bound as the policy states it, e.g. "annual_sales_usd >= 25000"
    pointer: str    # the comparison it comes from


def _bounds(tier: Tier, operand: Operand, convert: Callable[[Any], Any]) -> tuple[Bound | None, Bound | None]:
    """The tightest lower and upper bound the tier's required criteria put on a numeric operand."""
    lo: Bound | None = None
    hi: Bound | None = None
    for crit in _required(tier):
        for comparison, negate in _conjunctive_comparisons(crit.condition):
            if comparison.operand != operand:
                continue
            form = _comparison_dnf(comparison, negate)
            if len(form) != 1:
                continue  # not(between) is two alternatives: no single bound
            for atom in form[0]:
                c = atom.constraint(convert)
                exact = c.kind == ONE_OF and len(c.values) == 1 and not isinstance(atom.value, tuple)
                if not (c.kind in (LOWER, UPPER) or exact):
                    continue  # a set, or an item of a list: no bound
                v = c.values[0]
                if c.kind == LOWER or exact:
                    cand = Bound(v, c.open, atom.text(), comparison.pointer)
                    if lo is None or v > lo.value or (v == lo.value and cand.open):
                        lo = cand
                if c.kind == UPPER or exact:
                    cand = Bound(v, c.open, atom.text(), comparison.pointer)
                    if hi is None or v < hi.value or (v == hi.value and cand.open):
                        hi = cand
    return lo, hi


def _numeric_operand(policy: Policy, operand: Operand) -> bool:
    return operand.kind == "measure" or VALUE_TYPES[FACT_TYPES[policy.facts[operand.name].type].value_type].ordered


def _convert(policy: Policy, operand: Operand) -> Callable[[Any], Any]:
    if operand.kind == "measure":
        return _converter("number")
    return _converter(FACT_TYPES[policy.facts[operand.name].type].value_type)


def _targets(policy: Policy) -> Iterator[tuple[str, Condition, str]]:
    """(what, condition, pointer) of every criterion and override, named as a manager reads them."""
    for tier in policy.tiers:
        for c in tier.criteria:
            kind = "advisory criterion" if c.advisory else "criterion"
            yield f"{kind} '{c.id}' of tier '{tier.name}'", c.condition, c.pointer
    for o in policy.overrides:
        yield f"override '{o.id}'", o.when, o.pointer + "/when"


# --- checks ------------------------------------------------------------------------------------

def check_contradictions(policy: Policy) -> Iterator[Finding]:
    """A criterion or override that can never be met (`x > 5` and `x < 3`, a value outside the
    fact's minimum, maximum or enum), or an alternative of an `any` that can never be met while
    the others can. Warnings: the policy still evaluates (the criterion is simply never met)."""
    reasoner = Reasoner(policy)
    for what, condition, pointer in _targets(policy):
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
    for part in condition.parts:
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
    for what, condition, pointer in _targets(policy):
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
    shadowed = _shadowed_map(policy, Reasoner(policy))
    for tier in policy.tiers:
        above = shadowed.get(tier.id)
        if above is None:
            continue
        names = " or ".join(f"'{h.name}'" for h in above)
        if len(above) == 1 and not _required(above[0]):
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
    shadowed = _shadowed_map(policy, Reasoner(policy))
    bounds = {(t.id, op): _bounds(t, op, _convert(policy, op))
              for t in policy.tiers for op in _operands(_required(t)) if _numeric_operand(policy, op)}
    for low_index, low in enumerate(policy.tiers):
        for high in policy.tiers[:low_index]:
            if high in shadowed.get(low.id, ()):
                continue  # reported as a shadowed tier, the larger problem
            for operand in sorted(_operands(_required(low)) & _operands(_required(high)), key=str):
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
                    source = (llo or lhi)  # type: ignore[union-attr]
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
        if not _numeric_operand(policy, operand):
            yield Finding(f"contiguous_bands names '{name}', a {policy.facts[name].type} fact: bands need numbers "
                          "or dates", pointer, expected="a number, integer or date fact, or a measure",
                          found=policy.facts[name].type, check="bands")
            continue
        convert = _convert(policy, operand)
        integer = domain_of(policy, operand).integer
        banded = [(t, *_bounds(t, operand, convert)) for t in policy.tiers]
        banded = [(t, lo, hi) for t, lo, hi in banded if lo or hi]
        if banded and banded[0][2] is not None:
            top = banded[0]
            yield Finding(f"no tier's band covers {name} above the top band of '{top[0].name}' "
                          f"({top[2].text}): those partners fall out of the {name} bands",
                          top[2].pointer, expected=f"no upper bound on the highest {name} band",
                          found=top[2].text, severity="warning", check="bands")
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
        units = {}
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
}


def lint_findings(policy: Policy) -> list[Finding]:
    """Every finding of every static check, for a policy the core's checks accept."""
    findings: list[Finding] = []
    for check in LINT_CHECKS.values():
        findings.extend(check(policy))
    return findings
