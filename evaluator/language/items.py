"""The list fact types' facets: number_list, date_list and record_list (a list of records whose
items have their own typed fields, the item catalogue `fields`).

Each item is checked by the coercer of its type (coercion.py) and every problem is located below
the fact (`Invalid.at`: `/country_stats/2/sales_usd`). An item field takes the catalogue keys a
fact takes (required, default, minimum, maximum, enum, pattern); an absent optional field without
a default is absent from the item (missing for a condition that reads it, aggregates.py). Fields
an item has that the catalogue does not name are ignored, as a record's are.

CSV cells are text: a list is written in its cell as a JSON array (`[120000, 90000]`,
`[{"country": "SG", "sales_usd": 50000}]`), parsed strictly (no NaN, no duplicate keys, numbers
exactly as written) and then checked like a JSON value.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

from ..model.numbers import NotExact, exact_float
from ..model.policy import NO_DEFAULT, FactSpec
from . import coercion, fastchecks
from .coercion import Invalid, describe

# the item field types and the value type each is compared as (what facttypes.py declares for them)
ITEM_FIELD_TYPES: dict[str, str] = {"number": "number", "integer": "number", "string": "string",
                                    "boolean": "boolean", "date": "date"}
_COERCE: dict[str, Callable[[FactSpec, Any, bool], Any]] = {
    "number": coercion.coerce_number, "integer": coercion.coerce_integer, "string": coercion.coerce_string,
    "boolean": coercion.coerce_boolean, "date": coercion.coerce_date}


class _Duplicate(ValueError):
    pass


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def json_cell(spec: FactSpec, text: Any) -> Any:
    """A list written in a CSV cell as a JSON array (`text`: any str, a subclass included)."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=exact_float, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise Invalid(f"'{spec.name}' repeats the key {str(exc)!r} in an item", "each key once",
                      describe(text)) from None
    except NotExact as exc:
        raise Invalid(f"'{spec.name}' {exc}", "a number a double holds exactly", describe(text)) from None
    except ValueError:
        raise Invalid(f"'{spec.name}' must be a JSON array in its CSV cell", "a JSON array, e.g. [1, 2]",
                      describe(text)) from None


def _listed(spec: FactSpec, value: Any, from_text: bool, what: str) -> list[Any]:
    if from_text and isinstance(value, str):
        value = json_cell(spec, value)
    if not isinstance(value, list):
        raise Invalid(f"'{spec.name}' must be {what}", what, describe(value))
    if spec.max_items is not None and len(value) > spec.max_items:
        raise Invalid(f"'{spec.name}' has too many items", f"at most {spec.max_items}", f"{len(value)} items")
    return value


def _item_spec(spec: FactSpec, kind: str) -> FactSpec:
    return dataclasses.replace(spec, type=kind, max_items=None)


def _each(spec: FactSpec, value: Any, from_text: bool, what: str, kind: str) -> list[Any]:
    items = _listed(spec, value, from_text, what)
    item = _item_spec(spec, kind)
    coerce = _COERCE[kind]
    out = []
    for i, v in enumerate(items):
        try:
            out.append(coerce(item, v, False))
        except Invalid:  # again under the item's own name, for the message (the rare path)
            try:
                coerce(dataclasses.replace(item, name=f"{spec.name}[{i}]"), v, False)
            except Invalid as exc:
                raise Invalid(str(exc), exc.expected, exc.found, f"/{i}") from None
            raise  # pragma: no cover - the same coercer fails the same way
    return out


def coerce_number_list(spec: FactSpec, value: Any, from_text: bool) -> list[Any]:
    return _each(spec, value, from_text, "a list of numbers", "number")


def coerce_date_list(spec: FactSpec, value: Any, from_text: bool) -> list[Any]:
    return _each(spec, value, from_text, "a list of dates", "date")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def coerce_item(spec: FactSpec, i: int, item: Any) -> dict[str, Any]:
    """One record of a record_list, checked field by field against the item catalogue."""
    at = f"/{i}"
    if not isinstance(item, dict):
        raise Invalid(f"'{spec.name}' item {i} must be an object of fields", "an object", describe(item), at)
    out: dict[str, Any] = {}
    for field in spec.fields or ():
        value = item.get(field.name)
        if value is None:
            if field.default is not NO_DEFAULT:
                value = field.default
            elif field.required:
                raise Invalid(f"required field '{field.name}' of '{spec.name}' item {i} is missing",
                              f"a {field.type}", "nothing" if field.name not in item else "null",
                              f"{at}/{_escape(field.name)}")
            else:
                continue
        try:
            out[field.name] = _COERCE[field.type](field, value, False)
        except Invalid:  # again under the item's own name, for the message (the rare path)
            named = dataclasses.replace(field, name=f"{spec.name}[{i}].{field.name}")
            try:
                _COERCE[field.type](named, value, False)
            except Invalid as exc:
                raise Invalid(str(exc), exc.expected, exc.found, f"{at}/{_escape(field.name)}") from None
            raise  # pragma: no cover - the same coercer fails the same way
    return out


def coerce_record_list(spec: FactSpec, value: Any, from_text: bool) -> list[dict[str, Any]]:
    items = _listed(spec, value, from_text, "a list of records")
    return [coerce_item(spec, i, item) for i, item in enumerate(items)]


_FAST: dict[str, Callable[[FactSpec], fastchecks.Check]] = {
    "number": fastchecks.number_check, "integer": fastchecks.integer_check, "string": fastchecks.string_check,
    "boolean": fastchecks.boolean_check, "date": fastchecks.date_check}


def fast_check(coerce: Callable[[FactSpec, Any, bool], Any]) -> Callable[[FactSpec], fastchecks.Check]:
    """The fast check of a list type: each item (each field of a record) through the fast check
    of its own type (fastchecks.py), BAD where one is not sure or max_items is passed, so the slow
    path decides and locates the problem. Defaults are coerced once, by the slow coercer."""
    def make(spec: FactSpec) -> fastchecks.Check:
        most = spec.max_items
        if most is not None and type(most) is not int:
            return fastchecks.never
        bad = fastchecks.BAD
        if spec.type != "record_list":
            one = _FAST["number" if spec.type == "number_list" else "date"](_item_spec(spec, "number"
                                                                                  if spec.type == "number_list" else "date"))

            def check_items(value: Any) -> Any:
                if type(value) is not list or (most is not None and len(value) > most):
                    return bad
                out = [one(v) for v in value]
                return bad if any(v is bad for v in out) else out
            return check_items
        try:
            plan = tuple((f.name, _FAST[f.type](f), f.required,
                          bad if f.default is NO_DEFAULT else _COERCE[f.type](f, f.default, False))
                         for f in spec.fields or ())
        except Exception:  # an invalid catalogue (the core's checks report it): the slow path
            return fastchecks.never

        def check_records(value: Any) -> Any:
            if type(value) is not list or (most is not None and len(value) > most):
                return bad
            out = []
            for item in value:
                if type(item) is not dict:
                    return bad
                typed = {}
                get = item.get
                for name, one, required, default in plan:
                    v = get(name)
                    if v is None:
                        if default is not bad:
                            typed[name] = default
                        elif required:
                            return bad
                        continue
                    v = one(v)
                    if v is bad:
                        return bad
                    typed[name] = v
                out.append(typed)
            return out
        return check_records
    return make


def list_schema(items: Callable[[FactSpec], dict[str, Any]]) -> Callable[[FactSpec], dict[str, Any]]:
    def schema(spec: FactSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": items(spec)}
        if spec.max_items is not None:
            out["maxItems"] = spec.max_items
        return out
    return schema


def label_of(spec: FactSpec, item: Any, i: int) -> str:
    """How an explanation names an item: its first text field's value (a country, a person), else
    its position."""
    if isinstance(item, dict):
        for field in spec.fields or ():
            if field.type == "string" and isinstance(item.get(field.name), str):
                return f"{item[field.name]} (item {i})"
    return f"item {i}"
