"""Measure operations, each declared once with every facet a stage needs.

A `MeasureOp` holds: its argument form (`args`, one of FORMS: how the argument is written,
its JSON Schema, how it is read for a record, what it names), `compute` (the value from the
gathered arguments), its `words` on the program sheet, its `bounds` for the static checks (the
range its value can take from its arguments' ranges), whether its value is whole (`integral`),
its `inverse` (the value of the one fact it depends on at which it reaches a target, for
shortfalls restated on that fact; None when there is none), whether its arguments must share a
unit (`same_unit`), whether it applies to a fact directly (`terminal`), whether it reads the
evaluation date, for counts among a set the set (`pool`), and whether its value is the length of
the list it reads (`length_only`: the fast path then reads the length itself).

The facets are written against small interfaces (Words, Inversion, FactLookup) that the stages
provide, so this module depends on no stage. expressions.py evaluates expressions with it.
Adding an operation is adding one declaration to MEASURES (tests/test_registry.py fails while a
facet is missing; schemas/ are regenerated from the registry).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator, Protocol

from . import aggregates
from .missing import Missing
from .moves import show

Bounds = tuple[Any, Any, bool]   # (lowest, highest, whole), None where unbounded
Names = Iterator[tuple[str, str, str]]


class Words(Protocol):
    """How the program sheet writes a formula (tools/sheet.py implements it)."""

    def seq(self, *parts: Any) -> Any: ...              # text pieces and nested results, in order
    def listed(self, args: list[Any], sep: str) -> Any: ...  # sub-expressions joined by sep
    def code(self, name: str) -> Any: ...               # a fact or measure name
    def number(self, value: Any) -> str: ...


class Inversion(Protocol):
    """What an inverse facet may ask about the expression it inverts (language/inversion.py)."""

    as_of: Any

    def depends(self, expr: Any) -> bool: ...            # does expr read the fact solved for
    def constant(self, expr: Any) -> Decimal: ...        # the value of an expr that does not
    def invert(self, expr: Any, target: Decimal) -> tuple[Decimal, int]: ...
    def unreachable(self, why: str) -> Exception: ...


FactLookup = Callable[[str], Any]   # a fact's FactSpec, or None


@dataclass(frozen=True)
class ArgumentForm:
    name: str
    schema: dict[str, Any]                                             # of the argument
    gather: Callable[[Any, Any, Callable[[Any, Any], Any]], Any]        # (arg, context, evaluate) -> values
    names: Callable[[Any, str, Callable[[Any, str], Names]], Names]     # (arg, pointer, names_in) -> (name, role, ptr)
    subexpressions: Callable[[Any], list[Any]] = lambda arg: []


def _each(arg: Any, pointer: str, names_in: Callable[[Any, str], Names]) -> Names:
    for i, sub in enumerate(arg):
        yield from names_in(sub, f"{pointer}/{i}")


def _named(role: str, key: str | None = None) -> Callable[[Any, str, Any], Names]:
    def names(arg: Any, pointer: str, _names_in: Any) -> Names:
        yield (arg[key], role, f"{pointer}/{key}") if key else (arg, role, pointer)
    return names


def _dates(arg: Any, pointer: str, _names_in: Any) -> Names:
    for i, name in enumerate(arg):
        yield name, "date", f"{pointer}/{i}"


_IDENTIFIER = {"$ref": "#/$defs/identifier"}
_EXPRESSION = {"$ref": "#/$defs/expression"}
_NUMBER = {"oneOf": [{"type": "number"}, {"$ref": "#/$defs/paramRef"}]}


def _gather_if(arg: Any, ctx: Any, evaluate: Callable[[Any, Any], Any]) -> Any:
    """The yes/no fact, then only the branch it chooses (the other may well be missing)."""
    holds = ctx.value(arg["fact"])
    if isinstance(holds, Missing):
        return holds
    return [holds, evaluate(arg["then"] if holds else arg["else"], ctx)]


def _names_if(arg: Any, pointer: str, names_in: Callable[[Any, str], Names]) -> Names:
    yield arg["fact"], "boolean", f"{pointer}/fact"
    yield from names_in(arg["then"], f"{pointer}/then")
    yield from names_in(arg["else"], f"{pointer}/else")

FORMS: dict[str, ArgumentForm] = {f.name: f for f in (
    ArgumentForm("numbers", {"$ref": "#/$defs/expressionList"},
                 lambda arg, ctx, evaluate: [evaluate(e, ctx) for e in arg], _each, lambda arg: list(arg)),
    ArgumentForm("pair", {"$ref": "#/$defs/expressionPair"},
                 lambda arg, ctx, evaluate: [evaluate(e, ctx) for e in arg], _each, lambda arg: list(arg)),
    ArgumentForm("list", _IDENTIFIER, lambda arg, ctx, evaluate: ctx.value(arg), _named("list")),
    ArgumentForm("count_in", {"type": "object", "required": ["list", "values"], "additionalProperties": False,
                              "properties": {"list": _IDENTIFIER,
                                             "values": {"type": "array", "minItems": 1, "uniqueItems": True,
                                                        "items": {"type": "string"}}}},
                 lambda arg, ctx, evaluate: ctx.value(arg["list"]), _named("list", "list")),
    ArgumentForm("constant", {"type": "number"}, lambda arg, ctx, evaluate: arg, lambda arg, pointer, n: iter(())),
    ArgumentForm("date", _IDENTIFIER, lambda arg, ctx, evaluate: ctx.value(arg), _named("date")),
    ArgumentForm("dates", {"type": "array", "minItems": 2, "maxItems": 2, "items": _IDENTIFIER},
                 lambda arg, ctx, evaluate: [ctx.value(name) for name in arg], _dates),
    ArgumentForm("items", {"$ref": "#/$defs/items"}, lambda arg, ctx, evaluate: ctx.value(arg["list"]),
                 _named("items", "list")),
    ArgumentForm("lookup", {"type": "object", "required": ["fact", "values"], "additionalProperties": False,
                            "properties": {"fact": _IDENTIFIER,
                                           "values": {"type": "object", "minProperties": 1,
                                                      "additionalProperties": _NUMBER},
                                           "default": _NUMBER}},
                 lambda arg, ctx, evaluate: ctx.value(arg["fact"]), _named("string", "fact")),
    ArgumentForm("if", {"type": "object", "required": ["fact", "then", "else"], "additionalProperties": False,
                        "properties": {"fact": _IDENTIFIER, "then": _EXPRESSION, "else": _EXPRESSION}},
                 _gather_if, _names_if, lambda arg: [arg["then"], arg["else"]]),
)}


@dataclass(frozen=True, kw_only=True)
class MeasureOp:
    """Every facet must be given (None where it does not apply): an operation cannot be half-added."""

    name: str
    args: str                                                      # its argument form, in FORMS
    description: str
    compute: Callable[[Any, Any, Any], Any]                        # (values, arg as written, context)
    words: Callable[[Any, Words], Any]
    bounds: Callable[[Any, list[Bounds], FactLookup], Bounds]       # (arg, its parts' bounds, facts)
    integral: Callable[[Any, Callable[[Any], bool]], bool]          # (arg, integral of a sub-expression)
    inverse: Callable[[Any, Decimal, Inversion], tuple[Decimal, int]] | None
    same_unit: bool            # its arguments must share one unit (and it has theirs)
    terminal: bool             # it applies to a fact directly: a change restated on the fact stops here
    reads_as_of: bool          # it reads the evaluation date
    pool: Callable[[Any], "tuple[Any, ...] | None"]   # counts among a set: the set (items: the operation, its argument)
    length_only: bool          # its value is the number of items of the list it reads (count)
    example: tuple[Any, Any]   # (an expression over EXAMPLE_FACTS, its value for EXAMPLE_RECORD)


# What the operations' examples read (the docs' tables and tests/test_registry.py evaluate them)
EXAMPLE_FACTS = {"a": "number", "b": "number", "l": "string_list", "d": "date", "e": "date", "q": "number_list",
                 "s": "string", "f": "boolean"}
EXAMPLE_RECORD = {"a": 6, "b": 3, "l": ["x", "y"], "d": "2026-01-01", "e": "2026-01-31", "q": [3, 1, 3], "s": "VN",
                  "f": True}
EXAMPLE_AS_OF = "2026-01-31"


def length_of(expr: Any) -> str | None:
    """The list fact name whose length an expression is (a `length_only` operation over a name)."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        spec = MEASURES.get(op)
        if spec is not None and spec.length_only and isinstance(arg, str):
            return arg
    return None


# --- bounds of a value from its parts' bounds --------------------------------------------------------

def _b_sum(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    lo = None if any(p[0] is None for p in parts) else sum(p[0] for p in parts)
    hi = None if any(p[1] is None for p in parts) else sum(p[1] for p in parts)
    return lo, hi, all(p[2] for p in parts)


def _b_difference(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    (alo, ahi, aint), (blo, bhi, bint) = parts
    lo = None if alo is None or bhi is None else alo - bhi
    hi = None if ahi is None or blo is None else ahi - blo
    return lo, hi, aint and bint


def _prod(values: Any) -> Any:
    out: Any = 1
    for v in values:
        out *= v
    return out


def _b_product(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    integer = all(p[2] for p in parts)
    if all(p[0] is not None and p[0] >= 0 for p in parts):  # non-negative factors: monotone
        hi = None if any(p[1] is None for p in parts) else _prod(p[1] for p in parts)
        return _prod(p[0] for p in parts), hi, integer
    return None, None, integer


def _b_ratio(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    (alo, _ahi, _aint), (blo, _bhi, _bint) = parts
    return (0 if alo is not None and alo >= 0 and blo is not None and blo >= 0 else None), None, False


def _b_min(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    lo = None if any(p[0] is None for p in parts) else min(p[0] for p in parts)
    highs = [p[1] for p in parts if p[1] is not None]
    return lo, (min(highs) if highs else None), all(p[2] for p in parts)


def _b_max(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    lows = [p[0] for p in parts if p[0] is not None]
    hi = None if any(p[1] is None for p in parts) else max(p[1] for p in parts)
    return (max(lows) if lows else None), hi, all(p[2] for p in parts)


def _b_count(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    spec = facts(arg)
    return 0, (spec.max_items if spec else None), True


# --- inverses: the fact's value at which the operation reaches a target --------------------------------

def _one_dependent(parts: list[Any], inv: Inversion) -> tuple[Any, list[Any]]:
    dependent = [p for p in parts if inv.depends(p)]
    if len(dependent) != 1:
        raise LookupError("not a simple function of one fact")
    return dependent[0], [p for p in parts if p is not dependent[0]]


def _inv_sum(arg: Any, target: Decimal, inv: Inversion) -> tuple[Decimal, int]:
    part, others = _one_dependent(arg, inv)
    return inv.invert(part, target - sum((inv.constant(o) for o in others), Decimal(0)))


def _inv_difference(arg: Any, target: Decimal, inv: Inversion) -> tuple[Decimal, int]:
    left, right = arg
    if inv.depends(left) and not inv.depends(right):
        return inv.invert(left, target + inv.constant(right))
    if inv.depends(right) and not inv.depends(left):
        x, sign = inv.invert(right, inv.constant(left) - target)
        return x, -sign
    raise LookupError("not a simple function of one fact")


def _inv_product(arg: Any, target: Decimal, inv: Inversion) -> tuple[Decimal, int]:
    part, others = _one_dependent(arg, inv)
    factor = Decimal(1)
    for other in others:
        factor *= inv.constant(other)
    if factor == 0:
        raise inv.unreachable("it is multiplied by 0")
    x, sign = inv.invert(part, target / factor)
    return x, sign if factor > 0 else -sign


def _inv_ratio(arg: Any, target: Decimal, inv: Inversion) -> tuple[Decimal, int]:
    numerator, denominator = arg
    if inv.depends(denominator):
        raise LookupError("the fact is in the denominator")
    divisor = inv.constant(denominator)
    if divisor == 0:
        raise inv.unreachable("it is divided by 0")
    x, sign = inv.invert(numerator, target * divisor)
    return x, sign if divisor > 0 else -sign


def _inv_cap(pick: Callable[..., Any], beyond: Callable[[Decimal, Decimal], bool], why: str
             ) -> Callable[[Any, Decimal, Inversion], tuple[Decimal, int]]:
    def inverse(arg: Any, target: Decimal, inv: Inversion) -> tuple[Decimal, int]:
        part, others = _one_dependent(arg, inv)
        limit = pick(inv.constant(o) for o in others) if others else None
        if limit is not None and beyond(target, limit):
            raise inv.unreachable(f"{why} {show(limit)}")
        return inv.invert(part, target)
    return inverse


def _all_integral(arg: Any, integral: Callable[[Any], bool]) -> bool:
    return all(integral(a) for a in arg)


def _whole(arg: Any, integral: Callable[[Any], bool]) -> bool:
    return True


def _ratio(values: list[Any], arg: Any, ctx: Any) -> Any:
    numerator, denominator = values
    if denominator == 0:
        return Missing(frozenset(), "ratio with a zero denominator")
    return numerator / denominator


def _unknown(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    return None, None, True  # a number of days: whole, unbounded


_no_pool: Callable[[Any], None] = lambda arg: None


def _over_items(name: str, description: str, example: tuple[Any, Any]) -> MeasureOp:
    """An aggregate over the items of a list fact (aggregates.py); its change is restated on the
    list item by item (the list's `restate` gets the operation and its argument as the pool)."""
    return MeasureOp(name=name, args="items", description=description, compute=aggregates.aggregate(name),
                     words=aggregates.words(name), bounds=aggregates.bounds(name),
                     integral=lambda a, integral: name in ("count_items", "count_distinct"),
                     inverse=lambda a, target, inv: (target, 1), same_unit=False, terminal=True,
                     reads_as_of=True, pool=lambda a: (name, a), length_only=False, example=example)


def _lookup(value: Any, arg: Any, ctx: Any) -> Any:
    found = arg["values"].get(value, arg.get("default"))
    if found is None:
        return Missing(frozenset(), f"no value for {arg['fact']} {value!r} and no default")
    return found


def _lookup_numbers(arg: Any) -> list[Any]:
    return [*arg["values"].values(), *([arg["default"]] if "default" in arg else [])]


def _b_lookup(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    numbers = _lookup_numbers(arg)
    return min(numbers), max(numbers), all(float(n).is_integer() for n in numbers)


def _b_either(arg: Any, parts: list[Bounds], facts: FactLookup) -> Bounds:
    lo = None if any(p[0] is None for p in parts) else min(p[0] for p in parts)
    hi = None if any(p[1] is None for p in parts) else max(p[1] for p in parts)
    return lo, hi, all(p[2] for p in parts)


def _w_lookup(arg: Any, w: Words) -> Any:
    listed = ", ".join(f"{w.number(v)} for {k}" for k, v in arg["values"].items())
    rest = f", else {w.number(arg['default'])}" if "default" in arg else " (no value otherwise)"
    return w.seq("by ", w.code(arg["fact"]), ": " + listed + rest)


def _arithmetic(name: str, args: str, description: str, compute: Callable[[Any, Any, Any], Any],
                words: Callable[[Any, Words], Any], bounds: Callable[[Any, list[Bounds], FactLookup], Bounds],
                integral: Callable[[Any, Callable[[Any], bool]], bool],
                inverse: Callable[[Any, Decimal, Inversion], tuple[Decimal, int]] | None, same_unit: bool,
                example: tuple[Any, Any]) -> MeasureOp:
    """An operation on numbers (other expressions)."""
    return MeasureOp(name=name, args=args, description=description, compute=compute, words=words, bounds=bounds,
                     integral=integral, inverse=inverse, same_unit=same_unit, terminal=False, reads_as_of=False,
                     pool=_no_pool, length_only=False, example=example)


MEASURES: dict[str, MeasureOp] = {m.name: m for m in (
    _arithmetic("sum", "numbers", "Sum of two or more values.", lambda xs, a, c: sum(xs),
                lambda a, w: w.seq("(", w.listed(a, " + "), ")"), _b_sum, _all_integral, _inv_sum, True, ({"sum": ["a", "b"]}, 9)),
    _arithmetic("product", "numbers", "Product of two or more values.", lambda xs, a, c: _prod(xs),
                lambda a, w: w.seq("(", w.listed(a, " × "), ")"), _b_product, _all_integral, _inv_product, False, ({"product": ["a", "b"]}, 18)),
    _arithmetic("min", "numbers", "Smallest of two or more values (caps a value: min of it and a constant).",
                lambda xs, a, c: min(xs), lambda a, w: w.seq("the smaller of ", w.listed(a, ", ")), _b_min,
                _all_integral, _inv_cap(min, lambda t, cap: t > cap, "it is capped at"), True, ({"min": ["a", "b"]}, 3)),
    _arithmetic("max", "numbers", "Largest of two or more values (a floor).", lambda xs, a, c: max(xs),
                lambda a, w: w.seq("the larger of ", w.listed(a, ", ")), _b_max, _all_integral,
                _inv_cap(max, lambda t, floor: t < floor, "it is never below"), True, ({"max": ["a", "b"]}, 6)),
    _arithmetic("difference", "pair", "First minus second.", lambda xs, a, c: xs[0] - xs[1],
                lambda a, w: w.seq("(", w.listed(a, " − "), ")"), _b_difference, _all_integral, _inv_difference,
                True, ({"difference": ["a", "b"]}, 3)),
    _arithmetic("ratio", "pair", "First divided by second. Undefined (the measure is missing) when the second is "
                "zero.", _ratio, lambda a, w: w.seq("(", w.listed(a, " ÷ "), ")"), _b_ratio,
                lambda a, integral: False, _inv_ratio, False, ({"ratio": ["a", "b"]}, 2.0)),
    MeasureOp(name="count", args="list", description="Number of items in a string_list fact.",
              compute=lambda items, a, c: len(items), words=lambda a, w: w.seq("the number of items in ", w.code(a)),
              bounds=_b_count, integral=_whole, inverse=lambda a, target, inv: (target, 1), same_unit=False,
              terminal=True, reads_as_of=False, pool=_no_pool, length_only=True, example=({"count": "l"}, 2)),
    MeasureOp(name="count_in", args="count_in",
              description="Number of distinct items of a string_list fact that are in the given set.",
              compute=lambda items, a, c: len(set(items) & set(a["values"])),
              words=lambda a, w: w.seq("the number of items in ", w.code(a["list"]),
                                       " among " + ", ".join(a["values"])),
              bounds=lambda a, parts, facts: (0, len(a["values"]), True), integral=_whole,
              inverse=lambda a, target, inv: (target, 1), same_unit=False, terminal=True, reads_as_of=False,
              pool=lambda a: tuple(a["values"]), length_only=False, example=({"count_in": {"list": "l", "values": ["x", "z"]}}, 1)),
    MeasureOp(name="constant", args="constant", description="A fixed number.", compute=lambda value, a, c: value,
              words=lambda a, w: w.seq(w.number(a)), bounds=lambda a, parts, facts: (a, a, float(a).is_integer()),
              integral=lambda a, integral: integral(a), inverse=None, same_unit=False, terminal=False,
              reads_as_of=False, pool=_no_pool, length_only=False, example=({"constant": 7}, 7)),
    MeasureOp(name="days_since", args="date",
              description="Whole days from a date fact to the evaluation date (negative if the date is later).",
              compute=lambda d, a, c: (c.as_of - d).days,
              words=lambda a, w: w.seq("days from ", w.code(a), " to the evaluation date"), bounds=_unknown,
              integral=_whole, inverse=lambda a, target, inv: (Decimal(inv.as_of.toordinal()) - target, -1),
              same_unit=False, terminal=True, reads_as_of=True, pool=_no_pool, length_only=False, example=({"days_since": "d"}, 30)),
    MeasureOp(name="days_between", args="dates", description="Whole days from the first date fact to the second.",
              compute=lambda ds, a, c: (ds[1] - ds[0]).days,
              words=lambda a, w: w.seq("days from ", w.code(a[0]), " to ", w.code(a[1])), bounds=_unknown,
              integral=_whole, inverse=None, same_unit=False, terminal=False, reads_as_of=False, pool=_no_pool,
              length_only=False, example=({"days_between": ["d", "e"]}, 30)),
    *(_over_items(name, description, example) for name, description, example in (
        ("count_items", "Number of items of a list fact (optionally of its first/last N, within D days, "
         "where a condition on the same item holds): some/none/every are counts compared with 0.",
         ({"count_items": {"list": "q", "where": {"op": ">=", "value": 2}}}, 2)),
        ("count_distinct", "Number of distinct values of a field of the chosen items (or of the items).",
         ({"count_distinct": {"list": "q"}}, 2)),
        ("sum_of", "Total of a number field of the chosen items (or of a number_list's items); 0 for none.",
         ({"sum_of": {"list": "q"}}, 7)),
        ("min_of", "Smallest value of a number field of the chosen items; missing for none.",
         ({"min_of": {"list": "q", "first": 2}}, 1)),
        ("max_of", "Largest value of a number field of the chosen items; missing for none.",
         ({"max_of": {"list": "q", "last": 2}}, 3)),
        ("mean_of", "Mean of a number field of the chosen items; missing for none.",
         ({"mean_of": {"list": "q", "last": 2}}, 2.0)),
    )),
    MeasureOp(name="lookup", args="lookup",
              description="A number per segment: the value listed for the partner's value of a string fact, else "
                          "the default (without one, the measure is missing for an unlisted value).",
              compute=_lookup, words=_w_lookup, bounds=_b_lookup,
              integral=lambda a, integral: all(integral(n) for n in _lookup_numbers(a)), inverse=None,
              same_unit=False, terminal=True, reads_as_of=False, pool=_no_pool, length_only=False,
              example=({"lookup": {"fact": "s", "values": {"VN": 2, "PH": 2}, "default": 1}}, 2)),
    MeasureOp(name="if", args="if",
              description="One value when a yes/no fact holds, another when it does not (points granted for a "
                          "badge: then 10, else 0).",
              compute=lambda values, a, c: values[1],
              words=lambda a, w: w.seq(w.listed([a["then"]], ""), " if ", w.code(a["fact"]), ", else ",
                                        w.listed([a["else"]], "")),
              bounds=_b_either, integral=lambda a, integral: integral(a["then"]) and integral(a["else"]),
              inverse=None, same_unit=True, terminal=True, reads_as_of=False, pool=_no_pool, length_only=False,
              example=({"if": {"fact": "f", "then": "a", "else": 0}}, 6)),
)}
