"""Fact types, each declared once with every facet a stage needs.

A `FactType` holds: its `value_type` (values.py: what operators see), `coerce` (check and type
one value, coercion.py), `fast_check` (the same for the fast path, fastchecks.py), the catalogue
keys that apply to it (`spec_keys`) and how its bounds are written (`bound`), its fragment of
the partner-record JSON Schema, what an empty CSV cell means, its `domain` for the static
checks, its words on the program sheet, whether its values are whole (`integral`) and few
(`few_values`: the evaluator remembers measures computed from such facts), how a measure's
change is restated on it (`restate`), the values `evaluator test --suggest` may give it
(`samples`, `from_number`), its role in `evaluator report`, and the JSON form of the Python
values it produces when they are not JSON already (`json_form`).

Adding a fact type is adding one declaration to FACT_TYPES (tests/test_registry.py fails while a
facet is missing; schemas/ are regenerated from the registry).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..model.policy import NO_DEFAULT, FactSpec
from . import coercion, fastchecks, items as listed
from .domains import Domain
from .itemchanges import restate_items
from .moves import ADD, DAY_ONE, DECREASE, INCREASE, LAST_DAY, REMOVE, FactChange, dec, plain, show
from .patterns import compile_pattern

Restate = Callable[[FactSpec, Any, Decimal, bool, "tuple[str, ...] | None", str], FactChange]


@dataclass(frozen=True, kw_only=True)
class FactType:
    """Every facet must be given (None where it does not apply): a fact type cannot be half-added."""

    name: str
    description: str                             # shown in parentheses after the name, if any
    value_type: str
    coerce: Callable[[FactSpec, Any, bool], Any]
    fast_check: Callable[[FactSpec], fastchecks.Check]
    json_schema: Callable[[FactSpec], dict[str, Any]]
    domain: Callable[[FactSpec], Domain]
    words: str                                   # the sheet's name for the type
    samples: Callable[[FactSpec, _dt.date, "str | None"], list[Any]]
    spec_keys: frozenset[str]                    # of minimum, maximum, enum, pattern, max_items
    bound: Callable[[Any], Any] | None           # a minimum/maximum as written -> comparable (raises ValueError)
    bound_text: str                              # what such a bound must be, for messages
    integral: bool
    few_values: bool
    empty_cell: Callable[[], Any]                # an empty CSV cell: None (missing), or what it lists
    enum_words: str                              # the sheet: "one of" the enum, or "items from" it
    restate: Restate | None                      # types a measure can read (numbers, lists, dates)
    from_number: Callable[[FactSpec, Decimal, "tuple[str, ...] | None"], Any] | None
    within: Callable[[FactSpec, Any], tuple[bool, str]]   # can a value be reached (bounds)
    unit: Callable[[FactSpec], str | None]      # the unit a change is stated in
    report_role: str | None                      # "dimension" (--by) or "amount" (--sum)
    json_form: tuple[type, Callable[[Any], Any]] | None
    example: tuple[Any, str, Any]                # (a valid JSON value, the same as CSV text, an invalid one)


# --- partner-record schema fragments -------------------------------------------------------------

def _text_schema(spec: FactSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string"}
    if spec.enum is not None:
        out["enum"] = list(spec.enum)
    if spec.pattern is not None:
        out["pattern"] = f"^(?:{spec.pattern})$"
    return out


def _number_schema(json_type: str) -> Callable[[FactSpec], dict[str, Any]]:
    def schema(spec: FactSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"type": json_type}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
        return out
    return schema


def _list_schema(spec: FactSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": _text_schema(spec)}
    if spec.max_items is not None:
        out["maxItems"] = spec.max_items
    return out


# --- domains for the static checks -----------------------------------------------------------------

def _ordinal(value: Any) -> int:
    return _dt.date.fromisoformat(str(value)).toordinal()


def _ordered_domain(kind: str, convert: Callable[[Any], Any], integer: bool, note: str = ""
                    ) -> Callable[[FactSpec], Domain]:
    def domain(spec: FactSpec) -> Domain:
        notes = [f"{spec.name} has {key} {getattr(spec, key)}" for key in ("minimum", "maximum")
                 if getattr(spec, key) is not None]
        if note:
            notes.append(f"{spec.name} {note}")
        return Domain(kind, None if spec.minimum is None else convert(spec.minimum),
                      None if spec.maximum is None else convert(spec.maximum), integer, notes=tuple(notes))
    return domain


def _text_domain(kind: str) -> Callable[[FactSpec], Domain]:
    def domain(spec: FactSpec) -> Domain:
        notes = []
        if spec.enum is not None:
            notes.append(f"{spec.name} allows only " + ", ".join(spec.enum[:8]) + (", ..." if len(spec.enum) > 8 else ""))
        if spec.pattern is not None:
            notes.append(f"{spec.name} must match {spec.pattern}")
        if spec.max_items is not None:
            notes.append(f"{spec.name} has at most {spec.max_items} items")
        return Domain(kind, values=None if spec.enum is None else frozenset(spec.enum), pattern=spec.pattern,
                      max_items=spec.max_items, notes=tuple(notes))
    return domain


# --- a measure's change restated on the fact it is computed from ------------------------------------

def _within(spec: FactSpec, to: Any) -> tuple[bool, str]:
    if spec.minimum is not None and to < spec.minimum:
        return False, f" (not possible: {spec.name} is at least {show(spec.minimum)})"
    if spec.maximum is not None and to > spec.maximum:
        return False, f" (not possible: {spec.name} is at most {show(spec.maximum)})"
    return True, ""


def _restate_number(spec: FactSpec, current: Any, x: Decimal, at_least: bool, pool: Any, change: str) -> FactChange:
    by = abs(x - dec(current))
    up = x > dec(current)
    to = plain(x)
    reachable, why = _within(spec, to)
    unit = f" {spec.unit}" if spec.unit else ""
    return FactChange(spec.name, INCREASE if up else DECREASE,
                      f"{spec.name} must {'rise' if up else 'fall'} by {show(by)}, from {show(current)} to "
                      f"{show(to)}{unit}" + why, plain(by), to, spec.unit, reachable)


def _restate_date(spec: FactSpec, current: Any, x: Decimal, at_least: bool, pool: Any, change: str) -> FactChange:
    fact = spec.name
    if not DAY_ONE <= x <= LAST_DAY:
        return FactChange(fact, change, f"no date of {fact} reaches it", reachable=False)
    by = abs(int(x) - current.toordinal())
    to = _dt.date.fromordinal(int(x))
    later = x > current.toordinal()
    return FactChange(fact, INCREASE if later else DECREASE,
                      f"{fact} must be {by} days {'later' if later else 'earlier'}, from {show(current)} to "
                      f"{show(to)} or {'later' if at_least else 'earlier'}", by, to)


def _restate_list(spec: FactSpec, items: Any, count: Decimal, at_least: bool, values: Any, change: str) -> FactChange:
    """Add or remove items of a list fact to reach a count (of all items, or of items in `values`)."""
    name = spec.name
    target = int(count)
    pool = list(values) if values is not None else None
    held = len(set(items) & set(pool)) if pool is not None else len(items)
    more = target > held
    n = abs(target - held)
    limit = len(pool) if pool is not None else (len(spec.enum) if spec.enum else spec.max_items)
    reachable = target >= 0 and (limit is None or target <= limit)
    what = "item" if n == 1 else "items"
    if pool is not None:
        choices = [v for v in pool if (v not in items) == more]
        text = (f"{name} must {'include' if more else 'drop'} {n} more of {show(choices)}" if more
                else f"{name} must drop {n} of {show(choices)}")
    else:
        text = f"{name} must have {n} {'more' if more else 'fewer'} {what}, {target} in all"
    if not reachable:
        text += f" (not possible: {name} can hold at most {limit})" if target >= 0 else " (not possible)"
    return FactChange(name, ADD if more else REMOVE, text, n, target, "items", reachable)


# --- values `evaluator test --suggest` may give a fact ----------------------------------------------

ITEM_FAMILIES: tuple[Callable[[int], str], ...] = (
    lambda i: "".join(chr(65 + (i // 26 ** k) % 26) for k in (1, 0)),  # AA, AB, ...
    lambda i: f"ITEM{i + 1}",
    lambda i: f"item-{i + 1}",
    lambda i: str(i + 1),
)


def items(spec: FactSpec, n: int, pool: tuple[str, ...] | None = None) -> list[str] | None:
    """n distinct items a list fact accepts (from `pool` if given), or None."""
    if pool is not None:
        candidates: list[str] = [v for v in pool if spec.enum is None or v in spec.enum]
        return candidates[:n] if len(candidates) >= n else None
    if spec.enum is not None:
        return list(spec.enum[:n]) if len(spec.enum) >= n else None
    for family in ITEM_FAMILIES:
        made = [family(i) for i in range(min(n, 26 * 26))]
        if len(made) == n and all(spec.pattern is None or compile_pattern(spec.pattern).test(v) for v in made):
            return made
    return None


def _whole(x: Decimal) -> int | None:
    return int(x) if x == x.to_integral_value() else None


def _list_from(spec: FactSpec, x: Decimal, pool: tuple[str, ...] | None) -> Any:
    return items(spec, int(x), pool) if x == x.to_integral_value() and x >= 0 else None


def _date_from(spec: FactSpec, x: Decimal, pool: Any) -> Any:
    return _dt.date.fromordinal(int(x)).isoformat() if x == x.to_integral_value() else None


def _number_samples(spec: FactSpec, as_of: _dt.date, id_value: str | None) -> list[Any]:
    return [spec.minimum if spec.minimum is not None else 0, spec.maximum]


def _string_samples(spec: FactSpec, as_of: _dt.date, id_value: str | None) -> list[Any]:
    return ([id_value] if id_value else []) + list(spec.enum or ()) + [f(0) for f in ITEM_FAMILIES]


def _number_bound(value: Any) -> Any:
    if not isinstance(value, (int, float)):
        raise ValueError(value)
    return value


_ORDERED_KEYS = frozenset({"minimum", "maximum"})
_TEXT_KEYS = frozenset({"enum", "pattern"})


def _always(spec: FactSpec, to: Any) -> tuple[bool, str]:
    return True, ""


def _missing() -> Any:
    return None


def _stated_unit(spec: FactSpec) -> str | None:
    return spec.unit


# --- lists of numbers, dates and records (items.py; read only through measures over their items) ---

def _items_domain(spec: FactSpec) -> Domain:
    notes = (f"{spec.name} has at most {spec.max_items} items",) if spec.max_items is not None else ()
    return Domain("items", max_items=spec.max_items, notes=notes)


def _record_item_schema(spec: FactSpec) -> dict[str, Any]:
    fields = spec.fields or ()
    properties = {}
    for f in fields:
        prop = {"description": f.description + (f" ({f.unit})" if f.unit else ""), **FACT_TYPES[f.type].json_schema(f)}
        if not f.required:
            prop = {"anyOf": [prop, {"type": "null"}], "description": prop.pop("description")}
        if f.default is not NO_DEFAULT:
            prop["default"] = f.default
        properties[f.name] = prop
    return {"type": "object", "required": [f.name for f in fields if f.required], "properties": properties,
            "additionalProperties": True}


def _numbers_from(spec: FactSpec, x: Decimal, pool: Any) -> Any:
    """A number list whose aggregate is x (test --suggest), for an aggregate over all its items."""
    op, arg = pool if isinstance(pool, tuple) and len(pool) == 2 else ("", {})
    if set(arg) - {"list", "first", "last"}:  # a where or a window of days: not built here
        return None
    if op in ("sum_of", "min_of", "max_of", "mean_of"):
        return [plain(x)]
    if op == "count_items" and x == x.to_integral_value() and 0 <= x <= min(arg.get("first", 1000), arg.get("last", 1000)):
        return [spec.minimum if spec.minimum is not None else 0] * int(x)
    return None


def _list_type(name: str, description: str, words: str, coerce: Any, item_schema: Any, keys: frozenset[str],
               bound: Any, bound_text: str, from_number: Any, example: tuple[Any, str, Any]) -> FactType:
    return FactType(name=name, description=description, value_type="items", coerce=coerce,
                    fast_check=listed.fast_check(coerce), json_schema=listed.list_schema(item_schema),
                    domain=_items_domain, words=words, samples=lambda spec, as_of, i: [[]],
                    spec_keys=keys | {"max_items"}, bound=bound, bound_text=bound_text, integral=False,
                    few_values=False, empty_cell=_missing, enum_words="one of", restate=restate_items,
                    from_number=from_number, within=_always, unit=_stated_unit, report_role=None, json_form=None,
                    example=example)


FACT_TYPES: dict[str, FactType] = {t.name: t for t in (
    FactType(name="number", description="any real", value_type="number", coerce=coercion.coerce_number,
             fast_check=fastchecks.number_check, json_schema=_number_schema("number"),
             domain=_ordered_domain("number", lambda v: v, False), words="number", samples=_number_samples,
             spec_keys=_ORDERED_KEYS, bound=_number_bound, bound_text="a number", integral=False, few_values=False,
             empty_cell=_missing, enum_words="one of", restate=_restate_number,
             from_number=lambda spec, x, pool: plain(x), within=_within, unit=_stated_unit, report_role="amount",
             json_form=None, example=(2.5, "2.5", "2.5")),
    FactType(name="integer", description="", value_type="number", coerce=coercion.coerce_integer,
             fast_check=fastchecks.integer_check, json_schema=_number_schema("integer"),
             domain=_ordered_domain("number", lambda v: v, True, "is an integer"), words="whole number",
             samples=_number_samples, spec_keys=_ORDERED_KEYS, bound=_number_bound, bound_text="a number",
             integral=True, few_values=False, empty_cell=_missing, enum_words="one of", restate=_restate_number,
             from_number=lambda spec, x, pool: _whole(x), within=_within, unit=_stated_unit, report_role="amount",
             json_form=None, example=(5, "5", 5.5)),
    FactType(name="string", description="", value_type="string", coerce=coercion.coerce_string,
             fast_check=fastchecks.string_check, json_schema=_text_schema, domain=_text_domain("string"),
             words="text", samples=_string_samples, spec_keys=_TEXT_KEYS, bound=None, bound_text="",
             integral=False, few_values=True, empty_cell=_missing, enum_words="one of", restate=None,
             from_number=None, within=_always, unit=_stated_unit, report_role="dimension", json_form=None, example=("AU", "AU", 5)),
    FactType(name="boolean", description="", value_type="boolean", coerce=coercion.coerce_boolean,
             fast_check=fastchecks.boolean_check, json_schema=lambda spec: {"type": "boolean"},
             domain=_text_domain("boolean"), words="yes/no", samples=lambda spec, as_of, i: [False],
             spec_keys=frozenset(), bound=None, bound_text="", integral=False, few_values=True, empty_cell=_missing,
             enum_words="one of", restate=None, from_number=None, within=_always, unit=_stated_unit,
             report_role=None, json_form=None, example=(True, "yes", "yes")),
    FactType(name="string_list", description="a list of strings; `;`-separated in CSV", value_type="list",
             coerce=coercion.coerce_string_list, fast_check=fastchecks.string_list_check, json_schema=_list_schema,
             domain=_text_domain("list"), words="list of text", samples=lambda spec, as_of, i: [[]],
             spec_keys=_TEXT_KEYS | {"max_items"}, bound=None, bound_text="", integral=True, few_values=True,
             empty_cell=list, enum_words="items from", restate=_restate_list, from_number=_list_from,
             within=_always, unit=_stated_unit, report_role="dimension", json_form=None, example=(["AU", "NZ"], "AU;NZ", "AU")),
    FactType(name="date", description="YYYY-MM-DD", value_type="date", coerce=coercion.coerce_date,
             fast_check=fastchecks.date_check,
             json_schema=lambda spec: {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
             domain=_ordered_domain("date", _ordinal, True), words="date",
             samples=lambda spec, as_of, i: [spec.minimum or as_of.isoformat()], spec_keys=_ORDERED_KEYS,
             bound=lambda v: _dt.date.fromisoformat(str(v)), bound_text="YYYY-MM-DD", integral=True,
             few_values=False, empty_cell=_missing, enum_words="one of", restate=_restate_date,
             from_number=_date_from, within=_always, unit=lambda spec: "days", report_role=None,
             json_form=(_dt.date, _dt.date.isoformat), example=("2026-01-31", "2026-01-31", "2026-02-30")),
    _list_type("number_list", "a list of numbers; a JSON array in CSV", "list of numbers", listed.coerce_number_list,
               _number_schema("number"), _ORDERED_KEYS, _number_bound, "a number", _numbers_from,
               ([3, 1.5], "[3, 1.5]", "3")),
    _list_type("date_list", "a list of dates; a JSON array in CSV", "list of dates", listed.coerce_date_list,
               lambda spec: {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, _ORDERED_KEYS,
               lambda v: _dt.date.fromisoformat(str(v)), "YYYY-MM-DD", None,
               (["2026-01-31"], '["2026-01-31"]', "2026-01-31")),
    _list_type("record_list", "a list of records with the typed fields of its `fields` catalogue; a JSON array "
               "in CSV", "list of records", listed.coerce_record_list, _record_item_schema, frozenset(), None, "",
               None, ([{"country": "SG", "sales_usd": 5}], '[{"country": "SG", "sales_usd": 5}]', {"country": "SG"})),
)}


def fact_type(name: str) -> FactType:
    return FACT_TYPES[name]


# Python classes fact values come in that JSON does not hold as they are -> their JSON form
JSON_FORMS: dict[type, Callable[[Any], Any]] = dict(t.json_form for t in FACT_TYPES.values() if t.json_form)


def jsonable(value: Any) -> Any:
    """A fact or measure value as it appears in a decision."""
    cls = type(value)
    if cls is str or cls is int or cls is float or cls is bool or value is None:  # the common case, first
        return value
    form = JSON_FORMS.get(cls)
    if form is not None:
        return form(value)
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value
