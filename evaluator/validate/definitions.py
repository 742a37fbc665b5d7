"""Checks of the reusable parts of a policy (model/definitions.py): every parameter and named
condition used exists (with a did-you-mean), named conditions do not refer to themselves through
a cycle, a parameter in a measure's formula is a number, and a lookup reads a string fact of the
catalogue. Each finding is located at the use (a JSON Pointer into the document as written).
"""
from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..model.definitions import LOOKUP, PARAM, REF, SECTIONS, escape, is_lookup, is_param, is_ref
from ..model.policy import Policy
from .names import suggest


def uses(data: Any, pointer: str, in_formula: bool = False) -> Iterator[tuple[str, Any, str, bool]]:
    """(kind, the use, its pointer, whether it is in a measure's formula) of every parameter
    (`param`), named condition (`ref`) and lookup (`lookup`) in a part of a document."""
    if is_param(data):
        yield PARAM, data, pointer, in_formula
        return
    if is_ref(data):
        yield REF, data, pointer, in_formula
        return
    if is_lookup(data):
        yield LOOKUP, data, pointer, in_formula
    if isinstance(data, dict):
        for key, value in data.items():
            yield from uses(value, f"{pointer}/{escape(str(key))}", in_formula)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from uses(value, f"{pointer}/{i}", in_formula)


def document_uses(document: dict[str, Any]) -> Iterator[tuple[str, Any, str, bool]]:
    for section in SECTIONS:
        if section in document:
            yield from uses(document[section], "/" + section, section == "measures")


def check_definitions(policy: Policy) -> Iterator[Finding]:
    """Parameters and named conditions used exist; a parameter in a formula is a number; a
    lookup reads a string fact; named conditions have no cycle."""
    params = list(policy.parameters)
    named = list(policy.named)
    for kind, use, pointer, in_formula in document_uses(policy.document):
        if kind == PARAM:
            name = use[PARAM]
            if name not in policy.parameters:
                yield Finding(f"unknown parameter '{name}'" + suggest(name, params), pointer + "/param",
                              expected="one of the policy's parameters", found=name, check="definitions")
            elif in_formula and not _number(policy.parameters[name].value):
                yield Finding(f"parameter '{name}' is used in a formula but is not a number", pointer + "/param",
                              expected="a number parameter", found=repr(policy.parameters[name].value),
                              check="definitions")
        elif kind == REF:
            name = use[REF]
            if name not in policy.named:
                yield Finding(f"unknown named condition '{name}'" + suggest(name, named), pointer + "/ref",
                              expected="one of the policy's conditions", found=name, check="definitions")
        elif not in_formula:  # a lookup in a formula is a measure operation: check_measures checks it
            fact = use[LOOKUP].get("fact")
            spec = policy.facts.get(fact)
            if spec is None:
                yield Finding(f"lookup of unknown fact '{fact}'" + suggest(str(fact), list(policy.facts)),
                              pointer + "/lookup/fact", expected="a string fact", found=str(fact),
                              check="definitions")
            elif spec.type != "string":
                yield Finding(f"a lookup reads a string fact; '{fact}' is a {spec.type} fact",
                              pointer + "/lookup/fact", expected="a string fact", found=f"{spec.type} fact",
                              check="definitions")
    yield from _cycles(policy)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cycles(policy: Policy) -> Iterator[Finding]:
    """Depth-first over named condition -> named conditions it uses."""
    entries = policy.document.get("conditions") or {}
    graph = {name: [use[REF] for kind, use, _p, _f in uses(entry, "") if kind == REF and use[REF] in entries]
             for name, entry in entries.items()}
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> Iterator[Finding]:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    yield Finding("named conditions refer to each other in a cycle: " + " -> ".join(cycle),
                                  f"/conditions/{escape(node)}/condition", expected="no cycle",
                                  found=" -> ".join(cycle), check="definitions")
            elif nxt not in state:
                yield from visit(nxt, path + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            yield from visit(name, [name])


def check_unused(policy: Policy) -> Iterator[Finding]:
    """A parameter or named condition nothing uses (a warning: it changes nothing, so a change
    to it would be silently without effect)."""
    used = {(kind, use[kind]) for kind, use, _p, _f in document_uses(policy.document) if kind in (PARAM, REF)}
    for name, parameter in policy.parameters.items():
        if (PARAM, name) not in used:
            yield Finding(f"parameter '{name}' is never used", parameter.pointer, expected="a use as {\"param\": ...}",
                          found="no use", severity="warning", check="unused")
    for name, named in policy.named.items():
        if (REF, name) not in used:
            yield Finding(f"named condition '{name}' is never used", named.pointer,
                          expected="a use as {\"ref\": ...}", found="no use", severity="warning", check="unused")


def check_lookup_defaults(policy: Policy) -> Iterator[Finding]:
    """A lookup without a default: a partner whose segment is not listed can never meet the
    comparison, or has no value of the measure (a warning, unless the fact's enum lists no
    other value)."""
    for kind, use, pointer, in_formula in document_uses(policy.document):
        if kind != LOOKUP or "default" in use[LOOKUP]:
            continue
        table = use[LOOKUP]
        spec = policy.facts.get(table.get("fact"))
        if spec is not None and spec.enum is not None and set(spec.enum) <= set(table.get("values") or {}):
            continue
        what = "the measure is missing for" if in_formula else "never met by"
        yield Finding(f"a lookup without a default: {what} a partner of an unlisted segment",
                      pointer + "/lookup", expected="a \"default\" value", found="no default", severity="warning",
                      check="lookup_default")


def check_aliases(policy: Policy) -> Iterator[Finding]:
    """Each alias of a fact names that fact only: not another fact's id, nor another's alias."""
    owner: dict[str, str] = {}
    for name, spec in policy.facts.items():
        for i, alias in enumerate(spec.aliases):
            other = owner.get(alias) or (alias if alias in policy.facts and alias != name else None)
            if other is not None or alias == name:
                yield Finding(f"alias '{alias}' of fact '{name}' already names "
                              + (f"fact '{other}'" if other else "the fact itself"),
                              f"{spec.pointer}/aliases/{i}", expected="a name no other fact has", found=alias,
                              check="aliases")
            owner.setdefault(alias, name)
