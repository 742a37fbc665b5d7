"""A partner's standing: what happens to a decision after the engine, per partner, when an
evaluation is given the last review's decisions (history.py) or an exceptions file (exceptions.py).

Order: the engine's tier (criteria, then the policy's overrides) is the *evaluated* tier; the
transition rules and the previous decision make the tier held (`standing`); an exception in
force for the partner replaces that (`exception`, naming what it replaced). The decision's `tier`
and `benefits` are the final tier's; its tier results and shortfalls stay what the facts earn.
Such a decision is written the ordinary way (it has no per-encoding template).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import Finding, RecordError
from ..model.decision import Decision
from ..model.policy import Policy
from .exceptions import Exceptions
from .history import Previous, Rules, matched_tier, previous_of, transition


@dataclass
class History:
    """The last review's decisions, by partner id (error records and decisions without an id left out)."""

    previous: dict[str, Previous] = field(default_factory=dict)
    file: str | None = None
    versions: dict[str, Policy] = field(default_factory=dict)  # older versions by sha256: tiers matched by level

    @classmethod
    def of(cls, decisions: Iterable[Mapping[str, Any] | Decision], *, file: str | None = None,
           versions: Iterable[Policy] = ()) -> "History":
        """From decisions (dicts as written, or Decision objects); a partner decided twice is a ValueError."""
        history = cls(file=file, versions={p.sha256: p for p in versions})
        for index, item in enumerate(decisions, start=1):
            history.add(item.to_dict() if isinstance(item, Decision) else item, line=index)
        return history

    def add(self, decision: Mapping[str, Any], line: int | None = None) -> Previous | None:
        previous = previous_of(decision, self.file, line)
        if previous is None:
            return None
        if previous.partner_id in self.previous:
            first = self.previous[previous.partner_id]
            raise ValueError(f"partner {previous.partner_id} is decided twice in the previous decisions "
                             f"(lines {first.line} and {line})")
        self.previous[previous.partner_id] = previous
        return previous

    def get(self, partner_id: str | None) -> Previous | None:
        return self.previous.get(partner_id) if partner_id is not None else None


@dataclass
class State:
    """What an Evaluator applies after the engine: history and/or exceptions."""

    history: History | None = None
    exceptions: Exceptions | None = None

    def apply(self, decision: Decision, policy: Policy, as_of: _dt.date,
              previous: Previous | Mapping[str, Any] | None | bool = False) -> Decision:
        """Set the decision's standing and exception (and its tier with them). `previous` given
        (a Previous, a decision dict, or None for "no previous decision") overrides the history's;
        RecordError (located in the previous decisions) when it cannot be matched."""
        tier = decision.tier
        if previous is not False or self.history is not None:
            if previous is False:
                found = self.history.get(decision.partner_id) if self.history is not None else None
            elif previous is None or isinstance(previous, Previous):
                found = previous
            elif isinstance(previous, Mapping):
                found = previous_of(previous)
            else:
                raise TypeError("previous must be a decision (a mapping), a Previous or None")
            versions = self.history.versions if self.history is not None else {}
            before: Any = False
            if found is not None:
                before = matched_tier(policy, found, versions)
                if isinstance(before, Finding):
                    raise RecordError([before])
            tier, decision.standing = transition(policy, Rules.of(policy), tier, before, found, as_of)
        grant = self.exceptions.for_partner(decision.partner_id, as_of) if self.exceptions is not None else None
        if grant is not None and self.exceptions is not None:
            decision.exception = grant.record(tier, self.exceptions.sha256)
            tier = policy.tier(grant.tier) if grant.tier is not None else None
        decision.tier = tier
        decision.as_of = as_of  # the date the rules and exceptions were applied at: recorded, for replay
        return decision
