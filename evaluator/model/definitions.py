"""Reuse in a policy: parameters, named conditions and per-segment values, resolved when the
model is built.

- **Parameters** (`"parameters": {"name": {"description": ..., "value": ...}}`) are named
  constants; `{"param": "name"}` stands for the value wherever a constant is written: a
  comparison's value (or one item of its list), a number in a measure's formula, a value of a
  lookup, a benefit's value. The model holds the value itself, so the compiler, the engine and
  the fast path see plain constants (the document keeps the reference, and so does the sha256).
- **Named conditions** (`"conditions": {"name": {"description": ..., "condition": ...}}`) are
  written once and used as `{"ref": "name"}` wherever a condition is, in criteria, overrides
  and other named conditions. A use is an `all` of the one named condition, carrying its name
  (`All.name`); the condition's comparisons keep the pointers of its definition, so each is one
  test of the engine however many criteria use it.
- **Lookups** (`{"lookup": {"fact": "home_country", "values": {"VN": 20000, ...}, "default": 30000}}`)
  give a comparison's constant per segment: the value listed for the string fact's value, else
  the default. A comparison with a lookup is decided as "the comparison with the threshold of
  the partner's segment" in the language's three-valued logic: met or not met when the segment
  is known (a segment without a value and no default: not met), and when it is absent, met if
  every segment's threshold is met, not met if none is, missing otherwise. It is built as an
  `any` of one `all(segment in [...], comparison)` per distinct value, one for the default, and
  one that holds when every threshold does; its `name` is `lookup`.
- **Cases** (`{"cases": [{"when": condition, "value": 20000}, ...], "default": 30000}`) give a
  comparison's constant by conditions: the value of the first case whose condition is met. It is
  the `any` of, per case, `all(not earlier conditions, its condition, comparison with its value)`,
  `all(not every condition, comparison with the default)`, and the comparison with every value
  (so a partner that meets every threshold meets it whatever the conditions); its `name` is `cases`.

Everything unknown here (a parameter or condition name, a cycle) is left in place for the checks
of validate/definitions.py, which report it located; the model only has to be buildable.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

PARAM, REF, LOOKUP, CASES = "param", "ref", "lookup", "cases"
SECTIONS = ("measures", "tiers", "overrides", "conditions")   # where a parameter may be used


def is_param(data: Any) -> bool:
    return isinstance(data, dict) and len(data) == 1 and isinstance(data.get(PARAM), str)


def is_ref(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get(REF), str) and set(data) <= {REF, "@"}


def is_lookup(data: Any) -> bool:
    return isinstance(data, dict) and len(data) == 1 and isinstance(data.get(LOOKUP), dict)


def is_cases(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get(CASES), list) and set(data) <= {CASES, "default"}


def parameter_values(document: dict[str, Any]) -> dict[str, Any]:
    """name -> value of every well-formed parameter."""
    params = document.get("parameters")
    if not isinstance(params, dict):
        return {}
    return {name: p["value"] for name, p in params.items() if isinstance(p, dict) and "value" in p}


def _substituted(data: Any, values: dict[str, Any], in_formula: bool) -> Any:
    if is_param(data):
        name = data[PARAM]
        if name in values:
            value = values[name]
            # in a formula a parameter is a number; any other value stays a reference (reported)
            if not in_formula or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                return copy.deepcopy(value)
        return data
    if isinstance(data, dict):
        return {k: _substituted(v, values, in_formula) for k, v in data.items()}
    if isinstance(data, list):
        return [_substituted(v, values, in_formula) for v in data]
    return data


def resolved(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every known parameter replaced by its value (a copy where it differs)."""
    values = parameter_values(document)
    if not values:
        return document
    out = dict(document)
    for section in SECTIONS:
        if section in out:
            out[section] = _substituted(out[section], values, section == "measures")
    return out


def escape(token: str) -> str:
    """One JSON Pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def lookup_branches(lookup: dict[str, Any]) -> tuple[list[tuple[list[str], Any]], bool]:
    """([(segments, value)] grouped by equal value in order of first appearance, has a default)."""
    groups: list[tuple[list[str], Any]] = []
    for key, value in (lookup.get("values") or {}).items():
        for keys, existing in groups:
            if existing == value and type(existing) is type(value):
                keys.append(key)
                break
        else:
            groups.append(([key], value))
    return groups, "default" in lookup


def expand_lookup(comparison: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The condition a comparison whose value is a lookup stands for (see the module's text),
    as a document fragment with, per part, the pointer it is located at (`"@"` keys)."""
    lookup = comparison["value"][LOOKUP]
    fact = lookup.get("fact")
    base = f"{pointer}/value/{LOOKUP}"
    operand: dict[str, Any] = {k: comparison[k] for k in ("fact", "measure") if k in comparison}

    def test(value: Any, at: str) -> dict[str, Any]:
        return {**operand, "op": comparison.get("op"), "value": value, "@": at}

    groups, has_default = lookup_branches(lookup)
    listed = [key for keys, _value in groups for key in keys]
    parts: list[dict[str, Any]] = []
    for keys, value in groups:
        at = f"{base}/values/{escape(keys[0])}"
        parts.append({"all": [{"fact": fact, "op": "in", "value": keys, "@": at + "/segment"},
                              test(value, at + "/then")], "@": at})
    every = [test(value, f"{base}/values/{escape(keys[0])}/every") for keys, value in groups]
    if has_default:
        at = f"{base}/default"
        parts.append({"all": [{"fact": fact, "op": "not_in", "value": listed, "@": at + "/segment"},
                              test(lookup["default"], at + "/then")], "@": at})
        every.append(test(lookup["default"], at + "/every"))
    else:  # without a default an unlisted segment has no threshold: every threshold is not enough
        every.append({"fact": fact, "op": "in", "value": listed, "@": base + "/fact"})
    parts.append({"all": every, "@": base + "/every"})
    return {"any": parts, "@": base, "#": LOOKUP}


def derived(pointer: str) -> bool:
    """Whether a comparison is one an expanded lookup adds (its segment tests, and the copies of
    its tests in the "every threshold" alternative): the checks report only the author's own."""
    last = pointer.rsplit("/", 1)[-1]
    return last in ("segment", "every") or pointer.endswith(f"/{LOOKUP}/fact")


def expand_cases(comparison: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The condition a comparison whose value is `cases` stands for (see the module's text)."""
    written = comparison["value"]
    base = f"{pointer}/value"
    operand: dict[str, Any] = {k: comparison[k] for k in ("fact", "measure") if k in comparison}

    def test(value: Any, at: str) -> dict[str, Any]:
        return {**operand, "op": comparison.get("op"), "value": value, "@": at}

    whens = [({**case["when"], "@": f"{base}/{CASES}/{i}/when"} if isinstance(case.get("when"), dict)
              else case.get("when")) for i, case in enumerate(written[CASES])]
    parts: list[dict[str, Any]] = []
    every = []
    for i, case in enumerate(written[CASES]):
        at = f"{base}/{CASES}/{i}"
        earlier = [{"not": w, "@": f"{at}/when"} for w in whens[:i]]
        parts.append({"all": [*earlier, whens[i], test(case.get("value"), at + "/value")], "@": at})
        every.append(test(case.get("value"), at + "/every"))
    if "default" in written:
        at = f"{base}/default"
        parts.append({"all": [*({"not": w, "@": at + "/when"} for w in whens), test(written["default"], at + "/then")],
                      "@": at})
        every.append(test(written["default"], at + "/every"))
        parts.append({"all": every, "@": base + "/every"})
    return {"any": parts, "@": base, "#": CASES}


Builder = Callable[[dict[str, Any], str], Any]


class Definitions:
    """The named conditions of one document, each built once (on first use) by `build`."""

    def __init__(self, document: dict[str, Any]):
        named = document.get("conditions")
        self.data: dict[str, Any] = named if isinstance(named, dict) else {}
        self.built: dict[str, Any] = {}
        self.building: list[str] = []

    def body(self, name: str, build: Builder) -> Any:
        """The named condition's model, or None for an unknown name or a cycle (both reported
        by the checks)."""
        if name in self.built:
            return self.built[name]
        entry = self.data.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("condition"), dict) or name in self.building:
            return None
        self.building.append(name)
        try:
            self.built[name] = build(entry["condition"], f"/conditions/{escape(name)}/condition")
        finally:
            self.building.pop()
        return self.built[name]
