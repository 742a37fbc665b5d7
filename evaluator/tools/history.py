"""Read the last review's decisions (`evaluate --previous FILE`) into a History.

The file is what `evaluate` wrote (JSONL, with or without --with-input and its trailer, or a JSON
array). Error records and decisions without a partner id are left out (such a partner has no
previous decision); a line that is not JSON, a line that is not a decision, or a partner decided
twice makes the whole file unusable: an InputError naming the file and line (exit 2), before any
partner is evaluated, so a review is never made from half a history.
"""
from __future__ import annotations

from typing import Iterable

from ..errors import InputError
from ..evaluate.standing import History
from ..model.policy import Policy
from .decisions import DecisionsFile


def load_history(path: str, versions: Iterable[Policy] = ()) -> History:
    """The History of a decisions file; `versions`: the program's versions (tiers of an older
    version are matched by level)."""
    decisions = DecisionsFile(path, require_trailer=False)
    history = History(file=decisions.name, versions={p.sha256: p for p in versions})
    for item in decisions:
        line = (item.source or {}).get("line") or (item.source or {}).get("index")
        where = f"{decisions.name}:{line}" if line is not None else decisions.name
        if item.findings:
            raise InputError(f"{where}: the previous decisions cannot be read: {item.findings[0].message}")
        if not isinstance(item.data, dict) or "tier" not in item.data or "policy" not in item.data:
            raise InputError(f"{where}: not a decision (expected an object with tier and policy, as `evaluate` "
                             f"writes)")
        try:
            history.add(item.data, line)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
    for problem in decisions.problems:  # a trailer that is there but does not match
        raise InputError(f"{decisions.name}: {problem.message}")
    return history
