"""The words for a decision's standing (tier history) and exception: why a partner holds a tier
its facts alone do not give it (a grace period, a limit on moving down, a governed exception)."""
from __future__ import annotations

from typing import Any

_MOVES = {"new": "a new partner (no previous decision)", "up": "up from {previous}",
          "down": "down from {previous}", "kept_in_grace": "kept {previous} in its grace period",
          "unchanged": "unchanged at {previous}"}


def _name(ref: Any) -> str:
    return ref["name"] if isinstance(ref, dict) else "no tier"


def why_held(d: Any) -> str | None:
    """Why the tier held differs from the one the facts earn, or None when it does not."""
    exception, standing = getattr(d, "exception", None), getattr(d, "standing", None)
    if exception is not None:
        held = d.tier.name if getattr(d, "tier", None) is not None else "no tier"
        return (f"exception {exception['id']} sets {held} instead of {_name(exception['instead_of'])} (approved by "
                f"{exception['approver']}, ticket {exception['ticket']}, {exception['granted']} to "
                f"{exception['expires']}: {exception['reason'].rstrip('.')})")
    if standing is None:
        return None
    if standing["transition"] == "kept_in_grace":
        grace = standing["grace"]
        return (f"its facts earn {_name(standing['evaluated'])}, but it keeps {_name(standing['previous'])} in its "
                f"grace period ({grace['from']} to {grace['until']})")
    if "limited_to" in standing:
        steps = standing["limited_to"]
        return (f"its facts earn {_name(standing['evaluated'])}, but it moves down at most {steps} "
                f"{'tier' if steps == 1 else 'tiers'} per review")
    return None


def standing_line(d: Any) -> str | None:
    """`Standing: ...`: the transition from the previous review (None without history)."""
    standing = getattr(d, "standing", None)
    if standing is None:
        return None
    text = _MOVES[standing["transition"]].format(previous=_name(standing["previous"]))
    if standing["transition"] != "kept_in_grace" and "grace" in standing:
        text += f" (grace period {standing['grace']['from']} to {standing['grace']['until']} used)"
    return f"{text}; its facts earn {_name(standing['evaluated'])}"
