"""A fast path for checking and coercing one JSON-typed partner record against a policy's facts.

`compile_fast_coercer(policy)` returns `fast(record)`: the same facts dict `facts.coerce_record`
gives (same keys, key order, values and value types) when the record has no problem, or None when
it has one or when the fast path is not sure. None always means "ask coerce_record", which then
locates the findings; this module never builds a finding and never returns a dict the slow path
would not. JSON input only (from_text=False): CSV text goes through coerce_record.

Each fact's check is its fact type's `fast_check` facet (language/fastchecks.py), made once when
the policy is compiled.
"""
from __future__ import annotations

from typing import Any, Callable

from ..language.facttypes import FACT_TYPES
from ..language.fastchecks import BAD, never
from ..model.policy import NO_DEFAULT, FactSpec, Policy

_SKIP = object()  # a missing fact with no default and not required: left out


def _when_missing(spec: FactSpec) -> Any:
    """What a missing or null fact gives: its default (coerced once: the slow path coerces it
    on every record, to the same value), _BAD when it is required, else _SKIP."""
    if spec.default is not NO_DEFAULT:
        try:
            return FACT_TYPES[spec.type].coerce(spec, spec.default, False)
        except Exception:
            return BAD  # an invalid default raises out of coerce_record: let it
    return BAD if spec.required else _SKIP


def compile_fast_coercer(policy: Policy) -> Callable[[Any], dict[str, Any] | None]:
    """`fast(record)`: coerce_record(policy, record)'s facts when it finds no problem, else None.

    For JSON-typed records only (from_text=False). A string_list value is the caller's list
    object itself, as in the slow path; a string_list default is the policy's default list."""
    plan = tuple((name, FACT_TYPES[spec.type].fast_check(spec) if spec.type in FACT_TYPES else never,
                  _when_missing(spec)) for name, spec in policy.facts.items())
    aliases = {name: (name, *spec.aliases) for name, spec in policy.facts.items() if spec.aliases}
    if aliases:
        inner = _coercer(plan)

        def renamed(record: Any) -> dict[str, Any] | None:
            """The record with each fact under its id (model/fields.py); two names of one fact
            given: not sure (coerce_record says why)."""
            if type(record) is not dict:
                return None
            record = dict(record)
            for name, names in aliases.items():
                present = [n for n in names if n in record]
                if len(present) > 1:
                    return None
                if present and present[0] != name:
                    record[name] = record.pop(present[0])
            return inner(record)
        return renamed
    return _coercer(plan)


def _coercer(plan: tuple[tuple[str, Any, Any], ...]) -> Callable[[Any], dict[str, Any] | None]:
    """`fast` over a record whose facts are under their ids."""
    def fast(record: Any) -> dict[str, Any] | None:
        if type(record) is not dict:
            return None
        get = record.get
        facts = {}
        for name, check, missing in plan:
            value = get(name)
            if value is None:
                if missing is _SKIP:
                    continue
                if missing is BAD:
                    return None
                facts[name] = missing
                continue
            value = check(value)
            if value is BAD:
                return None
            facts[name] = value
        return facts
    return fast
