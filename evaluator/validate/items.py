"""Checks of lists and the measures over their items (language/items.py, language/aggregates.py).

- a record_list has an item catalogue (`fields`), no other type has one; each field's keys fit its
  type, its bounds are ordered and its default is valid;
- an aggregate's `field` and `date_field` name fields of the list's catalogue ("did you mean"),
  of the right type (a number for sum/min/max/mean, a date for a window of days); a number_list
  or date_list has no fields;
- every comparison of a `where` names a field of the catalogue and fits its operator (the same
  lowering a criterion's comparison goes through).
"""
from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..language.aggregates import comparisons
from ..language.coercion import Invalid
from ..language.items import ITEM_FIELD_TYPES, coerce_item
from ..language.lowering import Mismatch
from ..language.measures import MEASURES
from ..language.operators import OPERATORS
from ..model.policy import NO_DEFAULT, FactSpec, Policy
from .names import suggest

_NUMBERS = ("sum_of", "min_of", "max_of", "mean_of")
_KEYS = {"minimum": ("number", "integer", "date"), "maximum": ("number", "integer", "date"),
         "enum": ("string",), "pattern": ("string",)}


def _fields(policy: Policy) -> Iterator[Finding]:
    for name, spec in policy.facts.items():
        if spec.type == "record_list" and not spec.fields:
            yield Finding(f"record_list fact '{name}' has no item catalogue", spec.pointer,
                          expected="fields: the typed fields of its items", found="no fields", check="items")
        if spec.type != "record_list" and spec.fields is not None:
            yield Finding(f"'fields' does not apply to a {spec.type} fact", f"{spec.pointer}/fields",
                          expected="a record_list fact", found=spec.type, check="items")
        for field in (spec.fields or ()) if spec.type == "record_list" else ():
            yield from _field_spec(spec, field)


def _field_spec(spec: FactSpec, field: FactSpec) -> Iterator[Finding]:
    for key, types in _KEYS.items():
        if getattr(field, key) is not None and field.type not in types:
            yield Finding(f"'{key}' does not apply to a {field.type} field", f"{field.pointer}/{key}",
                          expected=" or ".join(types) + " field", found=field.type, check="items")
    if field.minimum is not None and field.maximum is not None and field.type in ("number", "integer"):
        if isinstance(field.minimum, (int, float)) and isinstance(field.maximum, (int, float)) \
                and field.minimum > field.maximum:
            yield Finding("minimum is above maximum", field.pointer, expected="minimum <= maximum",
                          found=f"{field.minimum} > {field.maximum}", check="items")
    if field.default is not NO_DEFAULT:
        try:
            coerce_item(FactSpec(spec.name, "record_list", "", spec.pointer, fields=(field,)), 0,
                        {field.name: field.default})
        except (Invalid, ValueError, TypeError):
            yield Finding("default is not a valid value of the field", f"{field.pointer}/default",
                          expected=f"a valid {field.type}", found=repr(field.default)[:80], check="items")


def _operations(expr: Any, pointer: str) -> Iterator[tuple[str, Any, str]]:
    """(operation, argument, pointer of the argument) of every operation in an expression."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        yield op, arg, f"{pointer}/{op}"
        if isinstance(arg, list):
            for i, sub in enumerate(arg):
                yield from _operations(sub, f"{pointer}/{op}/{i}")


def item_arguments(expr: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(operation, argument, pointer) of every aggregate over items in an expression."""
    for op, arg, at in _operations(expr, pointer):
        if op in MEASURES and MEASURES[op].args == "items" and isinstance(arg, dict):
            yield op, arg, at


def _field_named(policy: Policy, spec: FactSpec, name: Any, pointer: str, role: str) -> Iterator[Finding]:
    if spec.type != "record_list":
        yield Finding(f"'{spec.name}' is a {spec.type}: its items have no fields ({role})", pointer,
                      expected="no field (the item itself)", found=str(name), check="items")
        return
    names = [f.name for f in spec.fields or ()]
    if name not in names:
        yield Finding(f"'{spec.name}' items have no field '{name}'" + suggest(str(name), names), pointer,
                      expected="one of " + ", ".join(names), found=str(name), check="items")


def _kind(spec: FactSpec, field: Any) -> str | None:
    """The type of what an argument reads of each item: a field's, or the item's own."""
    if field is None:
        return {"number_list": "number", "date_list": "date"}.get(spec.type)
    return next((f.type for f in spec.fields or () if f.name == field), None)


def _argument(policy: Policy, op: str, arg: dict[str, Any], pointer: str) -> Iterator[Finding]:
    spec = policy.facts.get(arg.get("list", ""))
    if spec is None or spec.type not in ("number_list", "date_list", "record_list"):
        return  # check_measures reports the list itself
    for key in ("field", "date_field"):
        if key in arg:
            found = list(_field_named(policy, spec, arg[key], f"{pointer}/{key}", key))
            yield from found
            if found:
                return
    kind = _kind(spec, arg.get("field"))
    if op in _NUMBERS and kind not in ("number", "integer"):
        what = "a field" if spec.type == "record_list" and "field" not in arg else f"a {kind} value"
        yield Finding(f"{op} adds numbers: '{spec.name}' gives it {what}", f"{pointer}/field" if "field" in arg
                      else pointer, expected="a number or integer field (or a number_list)",
                      found=str(kind or "no field"), check="items")
    if "within_days" in arg and _kind(spec, arg.get("date_field")) != "date":
        yield Finding(f"within_days needs the date of each item of '{spec.name}'", f"{pointer}/date_field",
                      expected="date_field: a date field (or a date_list)",
                      found=str(arg.get("date_field", "no date_field")), check="items")
    where = arg.get("where")
    if isinstance(where, dict):
        yield from _where(spec, where, f"{pointer}/where")


def _where(spec: FactSpec, where: dict[str, Any], pointer: str) -> Iterator[Finding]:
    for comparison, at in comparisons(where, pointer):
        if "field" in comparison:
            found = list(_field_named_in(spec, comparison["field"], f"{at}/field"))
            if found:
                yield from found
                continue
        elif spec.type == "record_list":
            yield Finding(f"a comparison on '{spec.name}' items must name a field", at, expected="field",
                          found="no field", check="items")
            continue
        kind = _kind(spec, comparison.get("field"))
        operator = OPERATORS.get(comparison.get("op", ""))
        if kind is None or operator is None or operator.lower is None:
            continue
        value = comparison.get("value")
        try:
            operator.lower(ITEM_FIELD_TYPES[kind], tuple(value) if isinstance(value, list) else value)
        except Mismatch as exc:
            yield Finding(f"'{comparison.get('field', 'item')}' {comparison['op']}: {exc}", f"{at}/value",
                          expected=exc.expected, found=exc.found, check="items")


def _field_named_in(spec: FactSpec, name: Any, pointer: str) -> Iterator[Finding]:
    names = [f.name for f in spec.fields or ()]
    if spec.type != "record_list":
        yield Finding(f"'{spec.name}' is a {spec.type}: a comparison on its items names no field", pointer,
                      expected="no field (the item itself)", found=str(name), check="items")
    elif name not in names:
        yield Finding(f"'{spec.name}' items have no field '{name}'" + suggest(str(name), names), pointer,
                      expected="one of " + ", ".join(names), found=str(name), check="items")


def check_items(policy: Policy) -> Iterator[Finding]:
    """Item catalogues, and every aggregate's argument against the catalogue of its list."""
    yield from _fields(policy)
    for measure in policy.measures.values():
        for op, arg, pointer in item_arguments(measure.compute, measure.pointer + "/compute"):
            yield from _argument(policy, op, arg, pointer)
