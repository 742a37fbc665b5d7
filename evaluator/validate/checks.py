"""Validate a policy: the JSON Schema first, then semantic checks on the model.

Each check is a small function that yields located findings; CHECKS maps check names to them.
Adding a check is adding one function and one table entry. Findings carry a JSON Pointer;
load.py turns it into FILE:LINE:COLUMN.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Iterator

import jsonschema

from ..compile.compiler import value_type
from ..errors import Finding
from ..language.coercion import Invalid
from ..language.expressions import names_in
from ..language.facts import coerce_value
from ..language.facttypes import FACT_TYPES
from ..language.lowering import Mismatch
from ..language.operators import OPERATORS
from ..language.patterns import problem as pattern_problem
from ..model.policy import NO_DEFAULT, Comparison, Policy, comparisons
from ..render.text import visible
from ..resources import schema
from ..model.definitions import derived
from .benefits import CHECKS as BENEFIT_CHECKS, contract_comparison
from .definitions import check_aliases, check_definitions
from .items import check_items
from .lint import lint_findings
from .measuregraph import check_measure_graph
from .names import suggest
from .targets import check_targets


def _types_of(role: str) -> tuple[str, ...]:
    """The fact types whose values a measure argument of this role (a value type) takes."""
    return tuple(name for name, kind in FACT_TYPES.items() if kind.value_type == role)


def _types_with(key: str) -> str:
    """The fact types a catalogue key (minimum, enum, ...) applies to, as a message names them."""
    names = [name for name, kind in FACT_TYPES.items() if key in kind.spec_keys]
    return (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]) + " fact"


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a oneOf/anyOf failure, an error of the alternative the author most likely meant: the
    one that got deepest into the instance, then the one with fewest errors, then not a bare
    type mismatch."""
    while error.context and error.validator in ("oneOf", "anyOf"):
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)

        def rank(errors: list[jsonschema.ValidationError]) -> tuple[int, int, bool]:
            return (max(len(e.absolute_path) for e in errors), -len(errors),
                    any(e.validator != "type" for e in errors))

        chosen = max(branches.values(), key=rank)
        error = max(chosen, key=lambda e: len(e.absolute_path))
    return error


def schema_findings(document: Any, schema_name: str = "policy") -> list[Finding]:
    """Every schema violation, each with the most specific message jsonschema can give."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    findings = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        error = _most_specific(error)
        findings.append(Finding(
            message=error.message if len(error.message) < 200 else error.message[:197] + "...",
            pointer=_pointer(error.absolute_path),
            expected=f"{error.validator}: {_short(error.validator_value)}",
            found=_short(error.instance),
            check="schema",
        ))
    return findings


# --- checks --------------------------------------------------------------------------------

def check_unique_ids(policy: Policy) -> Iterator[Finding]:
    """Tier ids, criterion ids within a tier, benefit ids within a tier, override ids: each once."""
    def dupes(items: list[tuple[str, str]], what: str) -> Iterator[Finding]:
        seen: dict[str, str] = {}
        for ident, pointer in items:
            if ident in seen:
                yield Finding(f"duplicate {what} id '{ident}' (first at {seen[ident]})", pointer + "/id",
                              expected=f"a unique {what} id", found=ident, check="unique_ids")
            else:
                seen[ident] = pointer
    yield from dupes([(t.id, t.pointer) for t in policy.tiers], "tier")
    yield from dupes([(o.id, o.pointer) for o in policy.overrides], "override")
    for tier in policy.tiers:
        yield from dupes([(c.id, c.pointer) for c in tier.criteria], "criterion")
        yield from dupes([(b["id"], f"{tier.pointer}/benefits/{i}") for i, b in enumerate(tier.benefits)], "benefit")


def check_names(policy: Policy) -> Iterator[Finding]:
    """Facts and measures share one namespace; the id fact is a string fact in the catalogue."""
    for name, measure in policy.measures.items():
        if name in policy.facts:
            yield Finding(f"measure '{name}' has the name of a fact", measure.pointer,
                          expected="a name no fact has", found=name, check="names")
    spec = policy.facts.get(policy.id_fact)
    if spec is None:
        yield Finding(f"id_fact '{policy.id_fact}' is not in the fact catalogue" + suggest(policy.id_fact, list(policy.facts)),
                      "/id_fact" if "id_fact" in policy.document else "/facts", expected="a fact name",
                      found=policy.id_fact, check="names")
    elif spec.type != "string":
        yield Finding(f"id_fact '{policy.id_fact}' must be a string fact", spec.pointer + "/type",
                      expected="string", found=spec.type, check="names")


def _valid_fact_value(spec: Any, value: Any) -> bool:
    try:
        coerce_value(spec, value, "", from_text=False)
    except (Invalid, ValueError):
        return False
    return True


def check_fact_specs(policy: Policy) -> Iterator[Finding]:
    """Constraints fit the fact's type; bounds are ordered; patterns are safe; defaults are valid."""
    for name, spec in policy.facts.items():
        kind = FACT_TYPES.get(spec.type)
        if kind is None:
            continue  # the schema reports an unknown type
        for key in ("minimum", "maximum"):
            value = getattr(spec, key)
            if value is None:
                continue
            if key not in kind.spec_keys or kind.bound is None:
                yield _not_applicable(spec, key)
                continue
            try:
                kind.bound(value)
            except (TypeError, ValueError):
                yield Finding(f"'{key}' of a {kind.value_type} fact must be a {kind.value_type}",
                              f"{spec.pointer}/{key}", expected=kind.bound_text, found=_short(value),
                              check="fact_specs")
        if kind.bound is not None and spec.minimum is not None and spec.maximum is not None:
            try:
                if spec.minimum > spec.maximum:
                    yield Finding("minimum is above maximum", spec.pointer, expected="minimum <= maximum",
                                  found=f"{spec.minimum} > {spec.maximum}", check="fact_specs")
            except TypeError:
                pass
        for key in ("enum", "max_items", "pattern"):
            if getattr(spec, key) is not None and key not in kind.spec_keys:
                yield _not_applicable(spec, key)
        if spec.pattern is not None and "pattern" in kind.spec_keys \
                and (found := pattern_problem(spec.pattern)) is not None:  # patterns.py: parse-tree checks, RE2
            yield Finding(found[0], f"{spec.pointer}/pattern", expected=found[1], found=spec.pattern,
                          check="fact_specs")
        if spec.default is not NO_DEFAULT and not _valid_fact_value(spec, spec.default):
            yield Finding("default is not a valid value of the fact", f"{spec.pointer}/default",
                          expected=f"a valid {spec.type}", found=_short(spec.default), check="fact_specs")


def _not_applicable(spec: Any, key: str) -> Finding:
    return Finding(f"'{key}' does not apply to a {spec.type} fact", f"{spec.pointer}/{key}",
                   expected=_types_with(key), found=spec.type, check="fact_specs")


def check_measures(policy: Policy) -> Iterator[Finding]:
    """Measures read existing facts of the right type, or other measures, without cycles."""
    names = list(policy.facts) + list(policy.measures)
    for name, measure in policy.measures.items():
        for ref, role, pointer in names_in(measure.compute, measure.pointer + "/compute"):
            if ref in policy.facts:
                fact_type = policy.facts[ref].type
                if fact_type not in _types_of(role):
                    yield Finding(f"'{ref}' is a {fact_type} fact; this argument needs a {role} value", pointer,
                                  expected=" or ".join(_types_of(role)) + " fact", found=f"{fact_type} fact",
                                  check="measures")
            elif ref in policy.measures:
                if role != "number":
                    yield Finding(f"'{ref}' is a measure (a number); this argument needs a {role} fact", pointer,
                                  expected=" or ".join(_types_of(role)) + " fact", found="measure", check="measures")
            else:
                yield Finding(f"unknown fact or measure '{ref}'" + suggest(ref, names), pointer,
                              expected="a fact or measure name", found=ref, check="measures")
    yield from check_measure_graph(policy)  # cycles, depth and size: measuregraph.py


def _check_comparison(policy: Policy, comparison: Comparison) -> Iterator[Finding]:
    operand = comparison.operand
    own = policy.facts if operand.kind == "fact" else policy.measures
    other = policy.measures if operand.kind == "fact" else policy.facts
    pointer = comparison.pointer + "/" + operand.kind
    if operand.name not in own:
        if operand.name in other:
            other_kind = "measure" if operand.kind == "fact" else "fact"
            yield Finding(f"'{operand.name}' is a {other_kind}: write \"{other_kind}\": \"{operand.name}\"", pointer,
                          expected=f"a {operand.kind} name", found=f"the {other_kind} '{operand.name}'",
                          check="references")
        else:
            yield Finding(f"unknown {operand.kind} '{operand.name}'" + suggest(operand.name, list(own)), pointer,
                          expected=f"one of the policy's {operand.kind}s", found=operand.name, check="references")
        return
    operator = OPERATORS.get(comparison.op)
    if operator is None or operator.lower is None:
        return  # the schema reports an operator a policy may not write
    value = comparison.value
    if isinstance(value, dict) or (isinstance(value, tuple) and any(isinstance(v, dict) for v in value)):
        return  # an unknown parameter, reported by check_definitions
    vtype = value_type(policy, operand)
    try:
        operator.lower(vtype, comparison.value)
    except Mismatch as exc:
        yield Finding(f"'{operand.name}' {comparison.op}: {exc}", comparison.pointer + "/value",
                      expected=exc.expected, found=exc.found, check="operators")


def check_conditions(policy: Policy) -> Iterator[Finding]:
    """Every comparison names an existing fact or measure and fits its operator (a comparison
    of a named condition once, however many conditions use it, and even when none does)."""
    seen: set[str] = set()
    named = [n.condition for n in policy.named.values() if n.condition is not None]
    for condition in [*policy.conditions(), *named]:
        for comparison in comparisons(condition):
            if comparison.pointer not in seen and not derived(comparison.pointer) \
                    and not contract_comparison(comparison.pointer):  # benefits.py checks it
                seen.add(comparison.pointer)
                yield from _check_comparison(policy, comparison)


def check_effective(policy: Policy) -> Iterator[Finding]:
    """The effective window's dates are real dates (the schema checks only their shape, so
    2026-02-30 and 0000-00-00 passed), and it does not end before it starts."""
    window = policy.document.get("effective")
    if not isinstance(window, dict):
        return
    dates: dict[str, _dt.date] = {}
    for key in ("from", "until"):
        value = window.get(key)
        if not isinstance(value, str):
            continue
        try:
            dates[key] = _dt.date.fromisoformat(value)
        except ValueError:
            yield Finding(f"effective {key} is not a real date", f"/effective/{key}",
                          expected="a calendar date YYYY-MM-DD", found=_short(value), check="effective")
    if "from" in dates and "until" in dates and dates["until"] < dates["from"]:
        yield Finding("the program ends before it starts: effective until is before from", "/effective/until",
                      expected=f"a date on or after {window['from']}", found=window["until"], check="effective")


# C0 and C1 controls, DEL, and the bidirectional embeddings and isolates that reorder what is shown
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CONTROL_IN_PROSE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _strings(data: Any, pointer: str) -> Iterator[tuple[str, str, bool]]:
    """(pointer, text, is a key) of every string in a document, keys included."""
    if isinstance(data, str):
        yield pointer, data, False
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield pointer + "/" + key.replace("~", "~0").replace("/", "~1"), key, True
            yield from _strings(value, pointer + "/" + str(key).replace("~", "~0").replace("/", "~1"))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{pointer}/{i}")


def check_text(policy: Policy) -> Iterator[Finding]:
    """No control character in any text of the policy: a tier name, an id, a version or a value is
    printed on terminals and in reports, where ESC, CR or a bidirectional override would act
    rather than show. A description may hold line breaks and tabs, nothing else."""
    for pointer, text, is_key in _strings(policy.document, ""):
        prose = not is_key and pointer.endswith("/description")
        found = (CONTROL_IN_PROSE if prose else CONTROL).search(text)
        if found is None:
            continue
        what = "a name" if is_key else "a description" if prose else "a text"
        shown = visible(text)
        yield Finding(f"control character U+{ord(found.group()):04X} in {what}", pointer,
                      expected="text without control characters" + (" (line breaks and tabs allowed)" if prose else ""),
                      found=shown if len(shown) <= 80 else shown[:77] + "...", check="text")


def check_overrides(policy: Policy) -> Iterator[Finding]:
    """An override names an existing tier (or null)."""
    ids = [t.id for t in policy.tiers]
    for override in policy.overrides:
        if override.tier is not None and override.tier not in ids:
            yield Finding(f"override names unknown tier '{override.tier}'" + suggest(override.tier, ids),
                          override.pointer + "/tier", expected="a tier id or null", found=override.tier,
                          check="overrides")


CHECKS: dict[str, Callable[[Policy], Iterator[Finding]]] = {
    "unique_ids": check_unique_ids,
    "names": check_names,
    "fact_specs": check_fact_specs,
    "measures": check_measures,
    "items": check_items,
    "definitions": check_definitions,
    "aliases": check_aliases,
    "references": check_conditions,
    "overrides": check_overrides,
    "text": check_text,
    "effective": check_effective,
    "targets": check_targets,
    **BENEFIT_CHECKS,  # amounts, benefit_conditions, choices
}


def policy_findings(policy: Policy, *, tolerant: bool = False) -> list[Finding]:
    """Every finding of every check. `tolerant`: the document failed its schema, so a check may
    meet a malformed part; such a check is skipped rather than allowed to fail."""
    findings: list[Finding] = []
    for check in CHECKS.values():
        if not tolerant:
            findings.extend(check(policy))
            continue
        try:
            findings.extend(list(check(policy)))
        except Exception:
            continue
    if not tolerant and not any(f.severity == "error" for f in findings):
        # the static checks of lint.py reason about a policy these checks accept
        findings.extend(lint_findings(policy))
    return findings
