"""Decisions for spreadsheets and people: CSV rows and a terminal table, at each detail level
(`evaluate --detail`, model/decision.py DETAILS).

Every level names the partner (its id and, where the policy has one, its name), the tier and the
policy; `summary` and `full` add what the held tier's benefits pay, where the policy has amounts
(output/payoutcells.py: the paid annual total per currency and each payout in short), and the
next tier and what it still needs, as the shortfalls' texts
(the summary decision's `next_tier`, written from its template where there is one); `full` adds
every tier's and criterion's status and every measure. Each text cell is neutralised for a
spreadsheet (render.cells) and each table value shown harmlessly (render.text).
"""
from __future__ import annotations

from typing import IO, Any, Iterable

import orjson

from ..model.decision import FULL, MET, SUMMARY, TIER, Decision, InvalidRecord
from ..model.policy import Policy
from ..fast.template import jsonl_line
from . import payoutcells
from ..render.cells import SafeDictWriter
from ..render.text import NO_TIER, fit, visible

Result = Decision | InvalidRecord


def next_tier_of(result: Result) -> dict[str, Any] | None:
    """The summary decision's `next_tier` (its needs' shortfalls as texts), or None: at the top,
    or for an error record. From the encoding's template when it has one (no explanation of the
    other tiers is built), else from the decision's results."""
    if isinstance(result, InvalidRecord):
        return None
    line = jsonl_line(result, SUMMARY)
    data = orjson.loads(line) if line is not None else result.to_dict(SUMMARY)
    return data["next_tier"]


def needs_text(next_tier: dict[str, Any] | None) -> str:
    """What the next tier still needs, one shortfall text per unmet required criterion."""
    if next_tier is None:
        return ""
    return "; ".join(need.get("shortfall", need["required"]) for need in next_tier["needs"])


def csv_columns(policy: Policy, detail: str = FULL) -> list[str]:
    columns = ["partner_id", "partner_name", "line", "tier_id", "tier_name", "tier_rank", "override"]
    if detail == SUMMARY:
        columns.append("benefits")
    if detail != TIER:
        columns.extend(payoutcells.columns(policy))
        columns.extend(["next_tier_id", "next_tier_name", "next_tier_needs"])
    columns.append("error")
    if detail == FULL:
        for tier in policy.tiers:
            columns.append(f"{tier.id}.status")
            columns.extend(f"{tier.id}.{c.id}" for c in tier.criteria)
        columns.extend(f"measure.{name}" for name in policy.measures)
    columns.extend(["policy_id", "policy_version", "policy_sha256"])
    return columns


def csv_row(result: Result, detail: str = FULL, policy: Policy | None = None) -> dict[str, Any]:
    """One CSV row (`policy`, for its payout columns: without it, none are written)."""
    source = result.source or {}
    row: dict[str, Any] = {"partner_id": result.partner_id or "", "partner_name": result.partner_name or "",
                           "line": source.get("line", source.get("index", "")),
                           "policy_id": result.policy["id"], "policy_version": result.policy["version"],
                           "policy_sha256": result.policy["sha256"]}
    if isinstance(result, InvalidRecord):
        row["error"] = result.message
        return row
    if result.tier is not None:
        row.update(tier_id=result.tier.id, tier_name=result.tier.name, tier_rank=result.tier.rank)
    row["override"] = result.override.id if result.override else ""
    if detail == SUMMARY:
        row["benefits"] = "; ".join(str(b.get("id", "")) for b in result.benefits)
    if detail != TIER:
        if policy is not None:
            row.update(payoutcells.cells(policy, result))
        upper = next_tier_of(result)
        if upper is not None:
            row.update(next_tier_id=upper["id"], next_tier_name=upper["name"], next_tier_needs=needs_text(upper))
    if detail == FULL:
        for tier, status, criteria in result.statuses():  # statuses only: no explanation is built
            row[f"{tier.id}.status"] = status
            for criterion_id, criterion_status in criteria:
                row[f"{tier.id}.{criterion_id}"] = criterion_status
        for name, value in result.measures.items():
            row[f"measure.{name}"] = "" if value is None else value
    return row


def write_csv(results: Iterable[Result], out: IO[str], policy: Policy, raw: bool = False,
              detail: str = FULL) -> None:
    """One row per record; every text cell neutralised for spreadsheets (render.cells) unless `raw`."""
    writer = SafeDictWriter(out, csv_columns(policy, detail), raw=raw)
    writer.writeheader()
    for result in results:
        writer.writerow(csv_row(result, detail, policy))


def _note(result: Result) -> str:
    """What a person should know beyond the tier: why a record is invalid, an override, the
    result tier's unmet advisory criteria, facts whose absence left a higher tier undecided."""
    if isinstance(result, InvalidRecord):
        return "INVALID: " + result.message
    notes = [f"override {result.override.id}"] if result.override is not None else []
    rank = result.tier.rank if result.tier is not None else len(result.tiers) + 1
    for tier_result in result.tiers:
        if tier_result.tier.rank == rank:
            notes.extend(f"advisory {c.id} {c.status}" for c in tier_result.criteria
                         if c.advisory and c.status != MET)
    missing = sorted({f for t in result.tiers if t.tier.rank < rank for c in t.criteria if not c.advisory
                      for f in c.missing_facts})
    if missing:
        notes.append("missing " + ", ".join(missing))
    paid = payoutcells.annual_words(result)
    if paid:
        notes.append(paid)
    return "; ".join(notes)


def _summary_cells(result: Result, width: int) -> str:
    """The summary table's NEXT TIER and NEEDS cells (an error record's: its message)."""
    if isinstance(result, InvalidRecord):
        return f"{'-':<{width}}  {visible('INVALID: ' + result.message)}"
    upper = next_tier_of(result)
    name = visible(upper["name"]) if upper is not None else "(top tier)"
    said = [f"override {result.override.id}"] if result.override is not None else []
    said += [text for text in (payoutcells.annual_words(result), needs_text(upper)) if text]
    return f"{name:<{width}}  {visible('; '.join(said))}"


def write_table(results: Iterable[Result], out: IO[str], policy: Policy, detail: str = FULL) -> None:
    """A table for a terminal: every value from the data shown harmlessly and cut to its column
    after escaping (render.text), so no control character reaches the terminal. `summary` and
    `full` say what the held tier pays a year, where it has amounts (output/payoutcells.py). `full` notes
    what a person should know beyond the tier; `summary` shows the next tier and what it needs;
    `tier` the tier alone (an error record's message in every level)."""
    tier_width = max([len(visible(t.name)) for t in policy.tiers] + [len(NO_TIER)]
                     + ([len("(top tier)")] if detail == SUMMARY else []))
    id_width = 16
    last = {FULL: "NOTES", SUMMARY: f"{'NEXT TIER':<{tier_width}}  NEEDS", TIER: "NOTES"}[detail]
    out.write(f"{'PARTNER':<{id_width}}  {'TIER':<{tier_width}}  {last}\n")
    counts: dict[str, int] = {}
    for result in results:
        pid = fit(result.partner_id or "?", id_width)
        name = result.tier.name if result.tier is not None else ("-" if isinstance(result, InvalidRecord) else NO_TIER)
        if detail == SUMMARY:
            rest = _summary_cells(result, tier_width)
        elif detail == TIER:
            rest = visible("INVALID: " + result.message) if isinstance(result, InvalidRecord) else ""
        else:
            rest = visible(_note(result))
        out.write(f"{pid:<{id_width}}  {visible(name):<{tier_width}}  {rest}".rstrip() + "\n")
        key = "invalid" if isinstance(result, InvalidRecord) else name
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{n} {visible(k)}" for k, n in counts.items())
    out.write(f"\n{sum(counts.values())} partners: {summary}\n" if counts else "\n0 partners\n")
