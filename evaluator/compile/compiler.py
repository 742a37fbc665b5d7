"""Compile a policy into durable-rules rulesets.

Every comparison of every criterion and override is lowered by its operator's `lower` facet
(language/operators.py) to a canonical positive test on one *slot*: an operand in the encoding
its operator asks for (language/values.py ENCODINGS; most use the operand's "value" encoding).
Identical tests are shared. Each slot gets a codec from its encoding and the tests on it
(language/encodings.py), and one engine field; each test becomes one engine rule (or several, if
it has more alternatives than one rule may hold), and rules are packed into as many rulesets as
the engine's budgets require (engine.py).

Equal encodings mean equal engine outcomes, which makes results cacheable (evaluate/).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import Finding, PolicyError
from ..language.encodings import ENGINE_TESTS, Codec
from ..language.facttypes import FACT_TYPES
from ..language.lowering import Lowered, Mismatch, Test
from ..language.operators import OPERATORS
from ..language.values import ENCODINGS
from ..model.policy import Operand, Policy, comparisons
from .engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT

MAX_DISJUNCTS_PER_RULE = 30


def value_type(policy: Policy, operand: Operand) -> str:
    """The type an operand's values have: number, date, string, boolean or list."""
    if operand.kind == "measure":
        return "number"
    return FACT_TYPES[policy.facts[operand.name].type].value_type


class Slot(NamedTuple):
    """An operand as the engine sees it: in one encoding (an operand compared by operators that
    need different encodings has a slot, and an engine field, for each)."""

    operand: Operand
    encoding: str

    @property
    def name(self) -> str:
        return self.operand.name

    @property
    def kind(self) -> str:
        return self.operand.kind


# --- the compiled policy -------------------------------------------------------------------

@dataclass
class Leaf:
    """One canonical test, decided by the engine: true when any of its rules fired."""

    index: int
    slot: Slot
    test: Test
    rules: list[str] = field(default_factory=list)

    @property
    def operand(self) -> Operand:
        return self.slot.operand


@dataclass
class CompiledPolicy:
    policy: Policy
    codecs: dict[Slot, Codec]
    keys: dict[Slot, str]                    # slot -> engine field name
    leaves: list[Leaf]
    lowered: dict[str, tuple[int, bool]]     # comparison pointer -> (leaf index, negate)
    rulesets: dict[str, dict[str, Any]]      # ruleset -> rule -> durable condition
    ruleset_operands: dict[str, list[Slot]]  # ruleset -> the slots its fact holds
    disjuncts: dict[str, int]
    slot_of: dict[str, Slot] = field(default_factory=dict)  # comparison pointer -> its slot

    def encode(self, values: dict[Operand, Any]) -> dict[str, dict[str, Any]]:
        """The engine fact for each ruleset from present operand values (missing ones left out)."""
        encoded = {slot: codec.encode(values[slot.operand]) for slot, codec in self.codecs.items()
                   if slot.operand in values}
        return {
            name: {self.keys[slot]: encoded[slot] for slot in slots if slot in encoded}
            for name, slots in self.ruleset_operands.items()
        }


def _lower_all(policy: Policy) -> tuple[dict[str, tuple[Slot, Lowered]], list[Finding]]:
    lowered: dict[str, tuple[Slot, Lowered]] = {}
    findings = []
    for condition in policy.conditions():
        for comparison in comparisons(condition):
            operator = OPERATORS[comparison.op]
            try:
                if operator.lower is None:
                    raise Mismatch(f"'{comparison.op}' is not an operator a policy may write",
                                   "a written operator", comparison.op)
                low = operator.lower(value_type(policy, comparison.operand), comparison.value)
            except Mismatch as exc:
                findings.append(Finding(str(exc), comparison.pointer + "/value", expected=exc.expected,
                                        found=exc.found, check="operator"))
                continue
            lowered[comparison.pointer] = (Slot(comparison.operand, operator.encoding), low)
    return lowered, findings


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Lower, encode and pack a validated policy. Raises PolicyError if it cannot be compiled."""
    lowered, findings = _lower_all(policy)
    if findings:
        raise PolicyError(findings)

    tests_by_slot: dict[Slot, list[Test]] = {}
    leaf_of: dict[tuple[Slot, Test], int] = {}
    leaves: list[Leaf] = []
    result: dict[str, tuple[int, bool]] = {}
    slot_of: dict[str, Slot] = {}
    for pointer, (slot, low) in lowered.items():
        key = (slot, low.test)
        if key not in leaf_of:
            leaf_of[key] = len(leaves)
            leaves.append(Leaf(len(leaves), slot, low.test))
            tests_by_slot.setdefault(slot, []).append(low.test)
        result[pointer] = (leaf_of[key], low.negate)
        slot_of[pointer] = slot

    codecs = {slot: ENCODINGS[slot.encoding].codec(value_type(policy, slot.operand), tests)
              for slot, tests in tests_by_slot.items()}
    keys = {slot: f"o{i}" for i, slot in enumerate(codecs)}

    # Rules: a leaf's alternatives, split into rules of at most MAX_DISJUNCTS_PER_RULE.
    rules: list[tuple[str, Slot, list[dict[str, Any]]]] = []
    for leaf in leaves:
        alternatives = ENGINE_TESTS[leaf.test.name](keys[leaf.slot], codecs[leaf.slot], leaf.test.constants)
        chunks = [alternatives[i:i + MAX_DISJUNCTS_PER_RULE]
                  for i in range(0, len(alternatives), MAX_DISJUNCTS_PER_RULE)]
        for n, chunk in enumerate(chunks):
            name = f"l{leaf.index}" if len(chunks) == 1 else f"l{leaf.index}_{n}"
            leaf.rules.append(name)
            rules.append((name, leaf.slot, chunk))

    # Pack rules into rulesets within the engine budgets.
    rulesets: dict[str, dict[str, Any]] = {}
    ruleset_operands: dict[str, list[Slot]] = {}
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

    return CompiledPolicy(policy, codecs, keys, leaves, result, rulesets, ruleset_operands, disjuncts, slot_of)
