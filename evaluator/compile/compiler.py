"""Compile a policy into durable-rules rulesets.

Every comparison of every criterion and override is lowered (operators.py) to a canonical
positive test on one operand; identical tests are shared. Each test becomes one engine rule
(or several, if it has more alternatives than one rule may hold), and rules are packed into as
many rulesets as the engine's budgets require (engine.py).

Values reach the engine *encoded*: each operand has a codec built from the constants the policy
compares it with, mapping a value to a small integer that keeps its order and equality relative to
those constants (for numbers: 2i+1 when equal to the i-th constant, 2i when strictly between the
(i-1)-th and the i-th). A comparison's outcome is unchanged, and every value pitfall of the engine
disappears at once: no exponent-form floats, no int64 clamping, no numeric strings compared as
text, no `True == 1`, no 252-property records from long lists. Equal encodings also mean equal
engine outcomes, which makes results cacheable.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from .engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT
from ..errors import Finding, PolicyError
from ..language.operators import OPERATORS, Lowered, Mismatch, Test
from ..model.policy import Operand, Policy, comparisons

MAX_DISJUNCTS_PER_RULE = 30


def value_type(policy: Policy, operand: Operand) -> str:
    """The type an operand's values have: number, date, string, boolean or list."""
    if operand.kind == "measure":
        return "number"
    fact_type = policy.facts[operand.name].type
    return {"integer": "number", "string_list": "list"}.get(fact_type, fact_type)


# --- codecs ---------------------------------------------------------------------------------

class NumericCodec:
    """Numbers and dates: order-preserving codes relative to the sorted constants."""

    def __init__(self, constants: set[Any]):
        self.constants = sorted(constants)

    def encode(self, value: Any) -> int:
        i = bisect.bisect_left(self.constants, value)
        if i < len(self.constants) and self.constants[i] == value:
            return 2 * i + 1
        return 2 * i

    def code(self, constant: Any) -> int:
        return self.encode(constant)


class StringCodec:
    """Strings (and string_list items): constants get codes 1..n, any other value 0. Constants
    are ordered so that each `in` set covers few contiguous runs of codes."""

    def __init__(self, constants: set[str], sets: list[frozenset[str]]):
        def key(c: str) -> tuple[int, str]:
            signature = 0
            for s in sets:
                signature = (signature << 1) | (c in s)
            # inverse Gray code: consecutive ranks differ in one set's membership
            rank, shift = signature, signature >> 1
            while shift:
                rank ^= shift
                shift >>= 1
            return rank, c

        self.order = sorted(constants, key=key)
        self.codes = {c: i + 1 for i, c in enumerate(self.order)}

    def encode(self, value: Any) -> int:
        return self.codes.get(value, 0)

    def code(self, constant: Any) -> int:
        return self.codes[constant]


class BooleanCodec:
    def encode(self, value: Any) -> int:
        return 1 if value else 0

    def code(self, constant: Any) -> int:
        return 1 if constant else 0


class ListCodec:
    """string_list: the sorted distinct codes of its items that the policy names, after a sentinel
    0, so the list is never empty (`$iany`/`$iall` never match an empty list)."""

    def __init__(self, items: StringCodec):
        self.items = items

    def encode(self, value: Any) -> list[int]:
        return [0] + sorted({self.items.encode(v) for v in value} - {0})

    def code(self, constant: Any) -> int:
        return self.items.code(constant)


# --- engine conditions, one function per canonical test ------------------------------------

def _runs(codes: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for c in sorted(codes):
        if runs and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def _range(key: str, low: int, high: int) -> dict[str, Any]:
    if low == high:
        return {key: low}
    return {"$and": [{"$gte": {key: low}}, {"$lte": {key: high}}]}


def _eq(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{key: codec.code(constants[0])}]


def _lt(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$lt": {key: codec.code(constants[0])}}]


def _le(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$lte": {key: codec.code(constants[0])}}]


def _between(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [_range(key, codec.code(constants[0]), codec.code(constants[1]))]


def _in(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    codes = [codec.code(c) for c in constants]
    if isinstance(codec, StringCodec):  # only strings have no values between consecutive codes
        return [_range(key, low, high) for low, high in _runs(codes)]
    return [{key: c} for c in sorted(set(codes))]


def _contains(key: str, codec: Any, constants: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"$iany": {key: {"$i": codec.code(constants[0])}}}]


ENGINE_TESTS = {"eq": _eq, "lt": _lt, "le": _le, "between": _between, "in": _in, "contains": _contains}


# --- the compiled policy -------------------------------------------------------------------

@dataclass
class Leaf:
    """One canonical test, decided by the engine: true when any of its rules fired."""

    index: int
    operand: Operand
    test: Test
    rules: list[str] = field(default_factory=list)


@dataclass
class CompiledPolicy:
    policy: Policy
    codecs: dict[Operand, Any]
    keys: dict[Operand, str]                 # operand -> engine field name
    leaves: list[Leaf]
    lowered: dict[str, tuple[int, bool]]     # comparison pointer -> (leaf index, negate)
    rulesets: dict[str, dict[str, Any]]      # ruleset -> rule -> durable condition
    ruleset_operands: dict[str, list[Operand]]
    disjuncts: dict[str, int]

    def encode(self, values: dict[Operand, Any]) -> dict[str, dict[str, Any]]:
        """The engine fact for each ruleset from present operand values (missing ones left out)."""
        encoded = {op: self.codecs[op].encode(v) for op, v in values.items() if op in self.codecs}
        return {
            name: {self.keys[op]: encoded[op] for op in operands if op in encoded}
            for name, operands in self.ruleset_operands.items()
        }


def _lower_all(policy: Policy) -> tuple[dict[str, tuple[Operand, Lowered]], list[Finding]]:
    lowered: dict[str, tuple[Operand, Lowered]] = {}
    findings = []
    for condition in policy.conditions():
        for comparison in comparisons(condition):
            try:
                lowered[comparison.pointer] = (comparison.operand,
                                               OPERATORS[comparison.op](value_type(policy, comparison.operand),
                                                                        comparison.value))
            except Mismatch as exc:
                findings.append(Finding(str(exc), comparison.pointer + "/value", expected=exc.expected,
                                        found=exc.found, check="operator"))
    return lowered, findings


def _codec(vtype: str, tests: list[Test]) -> Any:
    constants = {c for t in tests for c in t.constants}
    if vtype in ("number", "date"):
        return NumericCodec(constants)
    if vtype == "boolean":
        return BooleanCodec()
    sets = [frozenset(t.constants) for t in tests if t.name == "in"]
    strings = StringCodec(constants, sets)
    return ListCodec(strings) if vtype == "list" else strings


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Lower, encode and pack a validated policy. Raises PolicyError if it cannot be compiled."""
    lowered, findings = _lower_all(policy)
    if findings:
        raise PolicyError(findings)

    tests_by_operand: dict[Operand, list[Test]] = {}
    leaf_of: dict[tuple[Operand, Test], int] = {}
    leaves: list[Leaf] = []
    result: dict[str, tuple[int, bool]] = {}
    for pointer, (operand, low) in lowered.items():
        key = (operand, low.test)
        if key not in leaf_of:
            leaf_of[key] = len(leaves)
            leaves.append(Leaf(len(leaves), operand, low.test))
            tests_by_operand.setdefault(operand, []).append(low.test)
        result[pointer] = (leaf_of[key], low.negate)

    codecs = {op: _codec(value_type(policy, op), tests) for op, tests in tests_by_operand.items()}
    keys = {op: f"o{i}" for i, op in enumerate(codecs)}

    # Rules: a leaf's alternatives, split into rules of at most MAX_DISJUNCTS_PER_RULE.
    rules: list[tuple[str, Operand, list[dict[str, Any]]]] = []
    for leaf in leaves:
        alternatives = ENGINE_TESTS[leaf.test.name](keys[leaf.operand], codecs[leaf.operand], leaf.test.constants)
        chunks = [alternatives[i:i + MAX_DISJUNCTS_PER_RULE]
                  for i in range(0, len(alternatives), MAX_DISJUNCTS_PER_RULE)]
        for n, chunk in enumerate(chunks):
            name = f"l{leaf.index}" if len(chunks) == 1 else f"l{leaf.index}_{n}"
            leaf.rules.append(name)
            rules.append((name, leaf.operand, chunk))

    # Pack rules into rulesets within the engine budgets.
    rulesets: dict[str, dict[str, Any]] = {}
    ruleset_operands: dict[str, list[Operand]] = {}
    disjuncts: dict[str, int] = {}
    current = ""
    for name, operand, chunk in rules:
        fits = (current and disjuncts[current] + len(chunk) <= MAX_DISJUNCTS_PER_RULESET
                and (operand in ruleset_operands[current]
                     or len(ruleset_operands[current]) < MAX_FIELDS_PER_FACT))
        if not fits:
            current = f"r{len(rulesets)}"
            rulesets[current], ruleset_operands[current], disjuncts[current] = {}, [], 0
        body = chunk[0] if len(chunk) == 1 else {"$or": chunk}
        # The positive tag keeps the engine's own context message from matching any rule.
        rulesets[current][name] = {"$and": [{"__e": 1}, body]}
        disjuncts[current] += len(chunk)
        if operand not in ruleset_operands[current]:
            ruleset_operands[current].append(operand)

    return CompiledPolicy(policy, codecs, keys, leaves, result, rulesets, ruleset_operands, disjuncts)
