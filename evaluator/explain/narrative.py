"""Narrative: one decision told for a person, as plain text or Markdown (`evaluator explain`).

The story has the same parts in both formats: the tier and why; each criterion of the tiers from
the top down to the one held, met or not, actual against required; what it takes to reach the
next tier (the shortfalls); the held tier's advisory criteria that are not met; benefits and what
they pay (payouts, in words); and the
provenance that makes the decision auditable (policy id, version and sha256, evaluator version,
input sha256). Each part is a small function; RENDERERS maps a format name to its renderer.

Both renderers escape what comes from the data (partner ids, names, values, descriptions): text
shows control characters harmlessly (render.text.visible, line by line), Markdown escapes HTML,
link and image syntax and line breaks (render.markdown), with requirements in code spans that
cannot be left.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..model.decision import MET, Decision, InvalidRecord, TierResult
from ..render.markdown import md_code, md_text
from ..render.text import visible
from .shortfall import Shortfall, show
from .standing import standing_line, why_held

STATUS_WORDS = {"met": "met", "not_met": "not met", "missing": "missing"}


@dataclass
class Row:
    tier: str
    criterion: str
    advisory: bool
    status: str
    actual: str
    required: str


def header(d: Decision) -> str:
    if d.tier is None:
        return f"{d.partner_id}: no tier"
    how = f", by override {d.override.id}" if d.override is not None else ""
    return f"{d.partner_id}: {d.tier.name} (tier {d.tier.rank} of {len(d.tiers)}{how})"


def why(d: Decision) -> str:
    held = why_held(d)
    if held is not None:
        return held
    if d.override is not None:
        return f"override {d.override.id} applies: {d.override.description}"
    if d.tier is None:
        undecided = [t.tier.name for t in d.tiers if t.status != MET and t.status != "not_met"]
        text = "no tier has every required criterion met"
        return text + (f"; undecided for lack of data: {', '.join(undecided)}" if undecided else "")
    higher = [t for t in d.tiers if t.tier.rank < d.tier.rank]
    if not higher:
        return f"it meets every required criterion of {d.tier.name}, the highest tier"
    undecided = [t.tier.name for t in higher if t.status == "missing"]
    text = f"it meets every required criterion of {d.tier.name}, and no higher tier's"
    return text + (f" (undecided for lack of data: {', '.join(undecided)})" if undecided else "")


def _actual(criterion: Any) -> str:
    parts = [f"{name} is {'absent' if value is None else show(value)}" for name, value in criterion.actual.items()]
    return ", ".join(parts)


def shown_tiers(d: Decision) -> list[TierResult]:
    """The tiers a reader needs: from the top down to the one held (every tier if none)."""
    rank = d.tier.rank if d.tier is not None else len(d.tiers)
    return [t for t in d.tiers if t.tier.rank <= rank]


def rows(d: Decision) -> list[Row]:
    return [Row(t.tier.name, c.id, c.advisory, STATUS_WORDS[c.status],
                _actual(c) + (f" (provide {', '.join(c.missing_facts)})" if c.missing_facts else ""), c.required)
            for t in shown_tiers(d) for c in t.criteria]


def steps(shortfall: Shortfall | None) -> str:
    """A shortfall in one line: each change, its restatement on a fact, and the alternatives."""
    if shortfall is None:
        return "no data"
    texts = []
    for change in shortfall.changes:
        text = change.text
        if change.on_fact is not None and change.on_fact.reachable:
            text += f" ({change.on_fact.text})"
        texts.append(text)
    line = "; and ".join(texts)
    if shortfall.alternatives:
        line += "; or instead: " + "; or: ".join(shortfall.alternatives)
    return line


def next_steps(d: Decision) -> tuple[str, list[str]]:
    """A heading and one line per required criterion the next tier still needs."""
    nxt = d.next_tier
    if nxt is None:
        return f"{d.tier.name if d.tier else 'No tier'} is the highest tier", []
    title = f"To reach {nxt.tier.name} (tier {nxt.tier.rank})"
    needed = [c for c in nxt.criteria if not c.advisory and c.status != MET]
    needs = [f"{c.id}: {steps(c.shortfall)}" for c in needed]
    if not needs:
        return title + ": every required criterion is met (an override sets the tier)", []
    if any(c.shortfall is not None and c.shortfall.changes and all(ch.fixed for ch in c.shortfall.changes)
           for c in needed):  # it would take a change to what the partner cannot change
        return f"{nxt.tier.name} (tier {nxt.tier.rank}) is not open to this partner", needs
    return title, needs


def advisory(d: Decision) -> list[str] | None:
    """The held tier's advisory criteria that are not met, with what would meet them; None without a tier."""
    if d.tier is None:
        return None
    held = d.tier_result(d.tier.id)
    return [f"{c.id} ({c.description}): {steps(c.shortfall)}" for c in held.criteria
            if c.advisory and c.status != MET]


def benefits(d: Decision) -> str:
    out = []
    for b in d.benefits:
        amount = f" ({show(b['value'])} {b.get('unit', '')}".rstrip() + ")" if "value" in b else ""
        out.append(b["id"] + amount)
    return ", ".join(out) if out else "none"


def payouts(d: Decision) -> list[str] | None:
    """What the held tier's benefits pay, each in words (evaluate/payouts.py); None when none has an amount."""
    if d.tier is None or not d.tier.payables:
        return None
    return [p.text + (f" ({p.note})" if p.note else "") for p in d.payouts]


def provenance(d: Decision | InvalidRecord) -> str:
    text = (f"policy {d.policy['id']} {d.policy['version']} (sha256 {d.policy['sha256']}); "
            f"evaluator {d.evaluator_version}")
    if getattr(d, "as_of", None) is not None:
        text += f"; as of {d.as_of.isoformat()}"  # type: ignore[union-attr]
    if d.input_sha256 is not None:
        text += f"; input sha256 {d.input_sha256}"
    return text


def _invalid_line(r: InvalidRecord) -> str:
    return f"{r.partner_id or '(no id)'}: invalid record: {r.message}"


# --- renderers ---------------------------------------------------------------------------------

def render_text(d: Decision | InvalidRecord) -> str:
    if isinstance(d, InvalidRecord):
        return visible(_invalid_line(d)) + "\nProvenance: " + visible(provenance(d)) + "\n"
    lines = [header(d), f"Why: {why(d)}."]
    if standing_line(d) is not None:
        lines.append(f"Standing: {standing_line(d)}.")
    current = None
    for row in rows(d):
        if row.tier != current:
            current = row.tier
            status = STATUS_WORDS[next(t.status for t in d.tiers if t.tier.name == row.tier)]
            lines.append(f"  {row.tier}: {status}")
        label = row.criterion + (" (advisory)" if row.advisory else "")
        lines.append(f"    {row.status:<8} {label}: {row.actual}; required {row.required}")
    title, needs = next_steps(d)
    lines.append(title + (":" if needs else "."))
    lines.extend(f"  - {n}" for n in needs)
    notes = advisory(d)
    if notes is not None:
        lines.append("Advisory criteria not met:" + ("" if notes else " none"))
        lines.extend(f"  - {n}" for n in notes)
        lines.append(f"Benefits: {benefits(d)}")
        paid = payouts(d)
        if paid is not None:
            lines.append("Payouts:")
            lines.extend(f"  - {p}" for p in paid)
    lines.append(f"Provenance: {provenance(d)}")
    return "\n".join(visible(line) for line in lines) + "\n"  # each line escaped whole: data holds no line end


def render_markdown(d: Decision | InvalidRecord) -> str:
    if isinstance(d, InvalidRecord):
        return f"### {md_text(_invalid_line(d))}\n\n<sub>{md_text(provenance(d))}</sub>\n"
    lines = [f"### {md_text(header(d))}", "", f"**Why:** {md_text(why(d))}.", ""]
    if standing_line(d) is not None:
        lines += [f"**Standing:** {md_text(standing_line(d) or '')}.", ""]
    lines += [
             "| tier | criterion | status | actual | required |", "| --- | --- | --- | --- | --- |"]
    for row in rows(d):
        label = row.criterion + (" (advisory)" if row.advisory else "")
        lines.append(f"| {md_text(row.tier)} | {md_text(label)} | {row.status} | {md_text(row.actual)} | "
                     f"{md_code(row.required, in_table=True)} |")
    title, needs = next_steps(d)
    lines += ["", f"**{title}{':' if needs else '.'}**"]
    if needs:
        lines += [""] + [f"- {md_text(n)}" for n in needs]
    notes = advisory(d)
    if notes is not None:
        lines += ["", "**Advisory criteria not met:**" + ("" if notes else " none")]
        if notes:
            lines += [""] + [f"- {md_text(n)}" for n in notes]
        lines += ["", f"**Benefits:** {md_text(benefits(d))}"]
        paid = payouts(d)
        if paid is not None:
            lines += ["", "**Payouts:**", ""] + [f"- {md_text(p)}" for p in paid]
    lines += ["", f"<sub>{md_text(provenance(d))}</sub>"]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Decision | InvalidRecord], str]] = {
    "text": render_text,
    "markdown": render_markdown,
}
