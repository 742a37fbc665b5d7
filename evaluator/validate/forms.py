"""Normal forms and satisfiability for the static checks (lint.py).

A condition is turned into disjunctive normal form over *atoms* (one elementary comparison of
one fact or measure, through each operator's `meaning` and `negation`), and a conjunction of
atoms is satisfiable when, for every operand, some value in the operand's domain (its fact
type's `domain`, or a measure's bounds from its formula through each operation's `bounds`)
meets every atom's `constraint`, by its value type's `feasible` facet. Kleene logic is monotone,
so a condition that no complete set of facts meets is never met, missing data or not. Where the
normal form would be too large, the answer is None: the checks say nothing rather than guess.
"""
from __future__ import annotations

import datetime as _dt
import math
import sys
from dataclasses import dataclass
from itertools import product as _cartesian
from typing import Any, Callable

from ..language.conditions import render_value
from ..language.domains import Constraint, Domain
from ..language.facttypes import FACT_TYPES
from ..language.measures import FORMS, MEASURES, Bounds
from ..language.operators import OPERATORS
from ..language.values import VALUE_TYPES
from ..model.policy import All, Comparison, Condition, Not, Operand, Policy

MAX_CONJUNCTS = 256        # a normal form larger than this is not analysed (no finding, no guess)


# --- domains: the values an operand can take when it is present -------------------------------

def _ordinal(value: Any) -> int:
    return _dt.date.fromisoformat(str(value)).toordinal()


_LARGEST = sys.float_info.max  # a bound beyond any double is no bound (and its digits are not written)


def _clamped(bounds: Bounds) -> Bounds:
    lo, hi, whole = bounds
    if lo is not None and not -_LARGEST <= lo <= _LARGEST:
        lo = None
    if hi is not None and not -_LARGEST <= hi <= _LARGEST:
        hi = None
    return lo, hi, whole


def _expression_bounds(policy: Policy, expr: Any, seen: frozenset[str],
                       memo: dict[str, Bounds] | None = None) -> Bounds:
    """(lowest, highest, whole) of an expression's values, through each operation's `bounds` facet
    (each measure's bounds found once)."""
    if memo is None:
        memo = {}
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
            if expr not in memo:
                memo[expr] = _expression_bounds(policy, policy.measures[expr].compute, seen | {expr}, memo)
            return memo[expr]
        return None, None, False
    ((op, arg),) = expr.items()
    operation = MEASURES[op]
    parts = [_expression_bounds(policy, sub, seen, memo) for sub in FORMS[operation.args].subexpressions(arg)]
    return _clamped(operation.bounds(arg, parts, policy.facts.get))


def domain_of(policy: Policy, operand: Operand) -> Domain:
    """What values `operand` can take when present, from the fact catalogue or the measure's formula."""
    if operand.kind == "measure":
        measure = policy.measures[operand.name]
        lo, hi, integer = _expression_bounds(policy, measure.compute, frozenset([operand.name]))
        notes = []
        if lo is not None:
            notes.append(f"{operand.name} is never below {number_text(lo)}")
        if hi is not None:
            notes.append(f"{operand.name} is never above {number_text(hi)}")
        if integer:
            notes.append(f"{operand.name} is a whole number")
        return Domain("number", lo, hi, integer, notes=tuple(notes))
    spec = policy.facts[operand.name]
    return FACT_TYPES[spec.type].domain(spec)


def number_text(value: Any) -> str:
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


def comparison_dnf(comparison: Comparison, negate: bool) -> list[Conjunct]:
    operator = OPERATORS[comparison.op]
    symbol = operator.negation if negate else comparison.op
    return [tuple(Atom(comparison.operand, op, value, comparison) for op, value in conjunct)
            for conjunct in OPERATORS[symbol].meaning(comparison.value)]


def dnf(condition: Condition, negate: bool = False) -> list[Conjunct] | None:
    """The condition (or its negation) as a list of alternative conjunctions of atoms; None when
    that list would exceed MAX_CONJUNCTS."""
    if isinstance(condition, Comparison):
        return comparison_dnf(condition, negate)
    if isinstance(condition, Not):
        return dnf(condition.part, not negate)
    parts = [dnf(part, negate) for part in condition.parts]
    if any(p is None for p in parts):
        return None
    conjunctive = isinstance(condition, All) != negate  # all, or the negation of any (De Morgan)
    if not conjunctive:
        union = [c for p in parts for c in p]  # type: ignore[union-attr]
        return union if len(union) <= MAX_CONJUNCTS else None
    size = math.prod(len(p) for p in parts if p is not None)
    if size > MAX_CONJUNCTS:
        return None
    return [tuple(a for c in combo for a in c) for combo in _cartesian(*parts)]  # type: ignore[arg-type]


def conjoin(*forms: list[Conjunct] | None) -> list[Conjunct] | None:
    """The conjunction of several normal forms (None if any is unknown or the result too large)."""
    if any(f is None for f in forms):
        return None
    if math.prod(len(f) for f in forms if f is not None) > MAX_CONJUNCTS:
        return None
    return [tuple(a for c in combo for a in c) for combo in _cartesian(*forms)]  # type: ignore[arg-type]


# --- satisfiability: each value type's `feasible` facet -------------------------------------

def converter(kind: str) -> Callable[[Any], Any]:
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
        convert = converter(domain.kind)
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
