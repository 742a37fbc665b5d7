"""Impact analysis: who a program change moves (`evaluator diff OLD NEW FACTS`).

Every partner record is read once and decided under both policies. The result holds the
transition matrix (old tier x new tier, "no tier" included), every partner that moves with the
criteria that moved it, benefit changes per transition, totals, and every record that is invalid
under either policy. Partners that keep their tier are only counted, so memory grows with the
number of moves and invalid records, never with the population.

Direction of a move:
- "no tier" is below every tier, in any program;
- policies that name the same `rank_scale` compare tiers by their `level`;
- otherwise two versions of the same program (same policy `id`) compare by rank: in the new
  policy when it has both tiers, else in the old one;
- otherwise, and between different tiers of equal level, the move is lateral.

The causes of a move are the required criteria of the old and the new tier whose status differs
between the two decisions (met before and not now, or the reverse, or a criterion only one policy
has), each with its actual values and its requirement under each policy; plus an override that
applies under one policy and not the other.
"""
from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, Iterator

from ..version import __version__
from ..language.facttypes import jsonable
from ..model.decision import MET, Decision, InvalidRecord
from ..evaluate.evaluator import Evaluator
from ..model.policy import Policy, Tier
from .programreport import (NO_TIER, PALETTE, esc, fmt_number, html_page, html_table, md_escape, md_table,
                            source_text, svg_bars, text_bar)

UP, DOWN, LATERAL, UNCHANGED = "up", "down", "lateral", "unchanged"
DIRECTIONS = (UP, DOWN, LATERAL, UNCHANGED)
FAIL_ON = {"up": {UP}, "down": {DOWN}, "any": {UP, DOWN, LATERAL}}
# Benefit fields that are data, not wording: a change in any of them changes what a partner gets.
BENEFIT_TERMS = ("value", "unit", "basis", "frequency", "from_contract", "opt_in")


# --- how the two programs' tiers compare -----------------------------------------------------------

def _by_level(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    return (b.level or 0) - (a.level or 0)


def _by_rank(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    for policy in (new, old):
        ids = {t.id: t.rank for t in policy.tiers}
        if a.id in ids and b.id in ids:
            return ids[a.id] - ids[b.id]  # rank 1 is the highest
    return None


def _not_comparable(old: Policy, new: Policy, a: Tier, b: Tier) -> int | None:
    return 0 if a.id == b.id else None


# basis name -> (ordering: > 0 when b stands higher than a, None when they do not compare; wording)
ORDERINGS: dict[str, tuple[Callable[[Policy, Policy, Tier, Tier], int | None], str]] = {
    "rank_scale": (_by_level, "tiers compare by level on the shared rank scale {scale}"),
    "same_program": (_by_rank, "versions of one program: tiers compare by rank"),
    "none": (_not_comparable, "different programs without a shared rank scale: moves between tiers are lateral"),
}


def comparison_basis(old: Policy, new: Policy) -> str:
    if old.rank_scale is not None and old.rank_scale == new.rank_scale:
        return "rank_scale"
    if old.id == new.id:
        return "same_program"
    return "none"


def direction(basis: str, old: Policy, new: Policy, a: Tier | None, b: Tier | None) -> str:
    """up, down, lateral or unchanged, for a partner whose tier goes from `a` (old) to `b` (new)."""
    if a is None or b is None:
        return UNCHANGED if a is b else UP if a is None else DOWN
    order = ORDERINGS[basis][0](old, new, a, b)
    if a.id == b.id and not order:
        return UNCHANGED
    if not order:
        return LATERAL
    return UP if order > 0 else DOWN


# --- what changed for one partner --------------------------------------------------------------------

def _side(decision: Decision, tier_id: str, criterion_id: str) -> dict[str, Any] | None:
    try:
        result = decision.criterion(tier_id, criterion_id)
    except KeyError:
        return None
    return {"status": result.status, "actual": {k: jsonable(v) for k, v in result.actual.items()},
            "required": result.required}


def causes(old: Decision, new: Decision, passed: tuple[list[Tier], list[Tier]] = ([], [])) -> list[dict[str, Any]]:
    """Why a partner moved: the required criteria of its old and new tiers whose status differs
    between the two decisions; the unmet required criteria of the tiers it passed on the way (for
    a move down, the new policy's tiers above its new tier that do not stand above its old one;
    for a move up, the old policy's tiers above its old tier that do not stand above its new one),
    where their status differs; and an override that applies under one policy only."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(tier: Tier, unmet_in: Decision | None) -> None:
        ids: list[tuple[str, str, str]] = []  # (criterion id, description, tier name)
        for decision in (old, new):
            try:
                result = decision.tier_result(tier.id)
            except KeyError:
                continue
            ids += [(c.id, c.description, result.tier.name) for c in result.criteria if not c.advisory]
        for criterion_id, description, tier_name in ids:
            if (tier.id, criterion_id) in seen:
                continue
            seen.add((tier.id, criterion_id))
            before, after = _side(old, tier.id, criterion_id), _side(new, tier.id, criterion_id)
            if before is not None and after is not None and before["status"] == after["status"]:
                continue
            if unmet_in is not None and (_side(unmet_in, tier.id, criterion_id) or {}).get("status") == MET:
                continue
            found.append({"tier": tier.id, "tier_name": tier_name, "criterion": criterion_id,
                          "description": description, "before": before, "after": after})

    passed_new, passed_old = passed
    if old.tier is not None:
        add(old.tier, None)
    for tier in passed_new:
        add(tier, new)
    for tier in passed_old:
        add(tier, old)
    if new.tier is not None:
        add(new.tier, None)
    old_override = old.override.id if old.override is not None else None
    new_override = new.override.id if new.override is not None else None
    if old_override != new_override:
        found.append({"override": {"before": old_override, "after": new_override}})
    return found


def passed_tiers(basis: str, old: Policy, new: Policy, a: Tier | None, b: Tier | None,
                 way: str) -> tuple[list[Tier], list[Tier]]:
    """The tiers a partner passed moving from `a` to `b`: (new policy's, old policy's); see causes()."""
    order = ORDERINGS[basis][0]

    def above(x: Tier | None, y: Tier) -> bool:  # y stands above x
        if x is None:
            return True
        rel = order(old, new, x, y)
        return rel is not None and rel > 0

    def not_above(x: Tier | None, y: Tier) -> bool:  # y does not stand above x
        if x is None:
            return False
        rel = order(old, new, x, y)
        return rel is not None and rel <= 0

    skip = {_key(a), _key(b)}
    if way == DOWN:
        return [t for t in new.tiers if t.id not in skip and above(b, t) and not_above(a, t)], []
    if way == UP:
        return [], [t for t in old.tiers if t.id not in skip and above(a, t) and not_above(b, t)]
    return [], []


def benefit_changes(a: Tier | None, b: Tier | None) -> list[dict[str, Any]]:
    """Benefits gained, lost or changed (in value, unit, basis, frequency, start or opt-in) when a
    partner goes from tier `a` to tier `b`. Wording-only changes are not changes."""
    before = {x["id"]: x for x in (a.benefits if a is not None else ())}
    after = {x["id"]: x for x in (b.benefits if b is not None else ())}
    changes = []
    for benefit_id in list(before) + [i for i in after if i not in before]:
        x, y = before.get(benefit_id), after.get(benefit_id)
        terms = lambda d: {k: d[k] for k in BENEFIT_TERMS if k in d}  # noqa: E731
        if x is not None and y is not None and terms(x) == terms(y):
            continue
        change = "added" if x is None else "removed" if y is None else "changed"
        changes.append({"benefit": benefit_id, "change": change,
                        "before": terms(x) if x is not None else None, "after": terms(y) if y is not None else None,
                        "description": (y or x)["description"]})  # type: ignore[index]  # one is there
    return changes


# --- the diff ----------------------------------------------------------------------------------------

def _tier_ref(tier: Tier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    ref: dict[str, Any] = {"id": tier.id, "name": tier.name, "rank": tier.rank}
    if tier.level is not None:
        ref["level"] = tier.level
    return ref


def _key(tier: Tier | None) -> str | None:
    return None if tier is None else tier.id


@dataclass
class Diff:
    """The impact of replacing `old` by `new` on a population. Fill it with `add`."""

    old: Policy
    new: Policy
    input_name: str | None = None
    as_of: Any = None
    records: int = 0
    matrix: dict[tuple[str | None, str | None], int] = field(default_factory=dict)
    moved: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    _directions: dict[tuple[str | None, str | None], str] = field(default_factory=dict, repr=False)
    _benefits: dict[tuple[str | None, str | None], list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _passed: dict[tuple[str | None, str | None], tuple[list[Tier], list[Tier]]] = field(default_factory=dict,
                                                                                          repr=False)

    def __post_init__(self) -> None:
        self.basis = comparison_basis(self.old, self.new)

    def direction_of(self, a: Tier | None, b: Tier | None) -> str:
        key = (_key(a), _key(b))
        if key not in self._directions:
            way = self._directions[key] = direction(self.basis, self.old, self.new, a, b)
            self._benefits[key] = benefit_changes(a, b)
            self._passed[key] = passed_tiers(self.basis, self.old, self.new, a, b, way)
        return self._directions[key]

    def add(self, old: Decision | InvalidRecord, new: Decision | InvalidRecord) -> None:
        """Count one partner, decided under the old and the new policy."""
        self.records += 1
        if not isinstance(old, Decision) or not isinstance(new, Decision):
            under = "both" if not old.ok and not new.ok else "old" if not old.ok else "new"
            self.invalid.append({
                "partner_id": old.partner_id or new.partner_id, "source": old.source or new.source, "under": under,
                "errors": {"old": old.message if isinstance(old, InvalidRecord) else None,
                           "new": new.message if isinstance(new, InvalidRecord) else None},
                "tiers": {"old": _tier_ref(old.tier) if old.ok else None,
                          "new": _tier_ref(new.tier) if new.ok else None}})
            return
        key = (_key(old.tier), _key(new.tier))
        self.matrix[key] = self.matrix.get(key, 0) + 1
        way = self.direction_of(old.tier, new.tier)
        if way == UNCHANGED:
            return
        self.moved.append({"partner_id": old.partner_id or new.partner_id, "source": old.source,
                           "from": _tier_ref(old.tier), "to": _tier_ref(new.tier), "direction": way,
                           "causes": causes(old, new, self._passed[key]), "benefits": self._benefits[key]})

    # -- totals and views --
    def totals(self) -> dict[str, int]:
        counts = {d: 0 for d in DIRECTIONS}
        for key, count in self.matrix.items():
            counts[self._directions[key]] += count
        return {"records": self.records, "compared": sum(self.matrix.values()), "invalid": len(self.invalid),
                "moved": counts[UP] + counts[DOWN] + counts[LATERAL], **counts}

    def has(self, fail_on: str) -> bool:
        """Whether a move of the kind `--fail-on` names (up, down, any) exists."""
        wanted = FAIL_ON[fail_on]
        return any(self._directions[key] in wanted for key in self.matrix)

    def rows(self) -> list[Tier | None]:
        return [*self.old.tiers, None]

    def columns(self) -> list[Tier | None]:
        return [*self.new.tiers, None]

    def transitions(self) -> list[dict[str, Any]]:
        out = []
        for a in self.rows():
            for b in self.columns():
                count = self.matrix.get((_key(a), _key(b)), 0)
                if count:
                    out.append({"from": _key(a), "to": _key(b), "count": count,
                                "direction": self._directions[(_key(a), _key(b))]})
        return out

    def benefit_transitions(self) -> list[dict[str, Any]]:
        """Benefit changes per transition that has partners and changes (unchanged tiers included:
        a new version of a tier may change what its partners get)."""
        return [{"from": t["from"], "to": t["to"], "partners": t["count"],
                 "changes": self._benefits[(t["from"], t["to"])]}
                for t in self.transitions() if self._benefits[(t["from"], t["to"])]]

    def basis_text(self) -> str:
        return ORDERINGS[self.basis][1].format(scale=self.old.rank_scale)

    def to_dict(self) -> dict[str, Any]:
        def ref(policy: Policy) -> dict[str, Any]:
            return dict(policy.ref, title=policy.title, rank_scale=policy.rank_scale,
                        tiers=[_tier_ref(t) for t in policy.tiers])
        out: dict[str, Any] = {
            "old": ref(self.old), "new": ref(self.new), "input": self.input_name,
            "comparison": {"basis": self.basis, "description": self.basis_text()},
            "totals": self.totals(), "transitions": self.transitions(),
            "benefit_changes": self.benefit_transitions(), "moved": self.moved, "invalid": self.invalid,
            "evaluator": {"version": __version__}}
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out


def paired(old: Evaluator, new: Evaluator, records: Iterable[Any]
           ) -> Iterator[tuple[Decision | InvalidRecord, Decision | InvalidRecord]]:
    """Each record decided under both evaluators. The input is read once: the two streams advance
    in lockstep, so the tee holds at most one record. Identical policies are evaluated once."""
    if old.policy.sha256 == new.policy.sha256 and old.as_of == new.as_of:
        for result in old.evaluate_many(records):
            yield result, result
        return
    first, second = itertools.tee(records)
    yield from zip(old.evaluate_many(first), new.evaluate_many(second))


def diff_policies(old: Evaluator, new: Evaluator, records: Iterable[Any], *,
                  input_name: str | None = None) -> Diff:
    """The impact of replacing old.policy by new.policy on `records` (dicts or InputRecords)."""
    as_of = old.as_of if (old.reads_as_of or new.reads_as_of) else None
    diff = Diff(old.policy, new.policy, input_name, as_of)
    for before, after in paired(old, new, records):
        diff.add(before, after)
    return diff


# --- renderings -------------------------------------------------------------------------------------

def _name(tier: dict[str, Any] | None) -> str:
    return NO_TIER if tier is None else tier["name"]


def cause_text(cause: dict[str, Any]) -> str:
    """One cause as a line, e.g. `Gold / sales: sales >= 100 -> sales >= 150: met -> not_met (sales 149.99)`
    or, for a criterion only one policy has, `Alliance Partner / sales_1m (new policy only):
    annual_sales_usd >= 1000000: not_met (annual_sales_usd 999,999.99)`."""
    if "override" in cause:
        o = cause["override"]
        return f"override: {o['before'] or '(none)'} -> {o['after'] or '(none)'}"
    before, after = cause["before"], cause["after"]
    actual = (before or after or {}).get("actual", {})
    later = (after or {}).get("actual", actual)
    values = [f"{k} {_value(v)}" + (f" -> {_value(later[k])}" if k in later and later[k] != v else "")
              for k, v in actual.items()]
    values += [f"{k} {_value(v)}" for k, v in later.items() if k not in actual]
    shown = f" ({', '.join(values)})" if values else ""
    name = f"{cause['tier_name']} / {cause['criterion']}"
    if before is not None and after is not None:
        required = before["required"] if before["required"] == after["required"] else \
            f"{before['required']} -> {after['required']}"
        return f"{name}: {required}: {before['status']} -> {after['status']}{shown}"
    side, which = (before, "old") if after is None else (after, "new")
    return f"{name} ({which} policy only): {side['required']}: {side['status']}{shown}"


def _value(value: Any) -> str:
    if value is None:
        return "(missing)"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_number(value)
    return json.dumps(value, ensure_ascii=False)


def _terms_text(terms: dict[str, Any] | None) -> str:
    """`5 percent, basis referred_business, frequency annual`."""
    if not terms:
        return ""
    parts = [f"{fmt_number(terms['value'])} {terms.get('unit', '')}".strip()] if "value" in terms else []
    parts += [f"{k} {fmt_number(v) if k != 'opt_in' else str(v).lower()}" for k, v in terms.items()
              if k not in ("value", "unit")]
    return ", ".join(parts)


def benefit_text(change: dict[str, Any]) -> str:
    """`+ back_end_support`, `- certification`, `~ referral_commission: 5 percent -> 10 percent`."""
    if change["change"] != "changed":
        sign, terms = ("+", change["after"]) if change["change"] == "added" else ("-", change["before"])
        text = _terms_text(terms)
        return f"{sign} {change['benefit']}" + (f" ({text})" if text else "")
    before, after = change["before"], change["after"]
    keys = [k for k in BENEFIT_TERMS if before.get(k) != after.get(k)]
    if "value" in keys or "unit" in keys:
        keys = ["value"] + [k for k in keys if k not in ("value", "unit")]
    shown = []
    for k in keys:
        pick = (lambda t: {x: t[x] for x in ("value", "unit") if x in t}) if k == "value" else \
            (lambda t, k=k: {k: t[k]} if k in t else {})
        shown.append(f"{_terms_text(pick(before)) or '(none)'} -> {_terms_text(pick(after)) or '(none)'}")
    return f"~ {change['benefit']}: " + "; ".join(shown)


def _title(diff: Diff) -> str:
    return f"Impact of {diff.old.id} {diff.old.version} -> {diff.new.id} {diff.new.version}"


def _summary(totals: dict[str, int]) -> str:
    text = (f"{totals['records']} records: {totals['up']} up, {totals['down']} down, {totals['lateral']} lateral, "
            f"{totals['unchanged']} unchanged")
    return text + f", {totals['invalid']} invalid under either policy"


def _matrix_rows(diff: Diff) -> tuple[list[str], list[list[Any]]]:
    columns = diff.columns()
    headers = ["old \\ new"] + [NO_TIER if b is None else b.name for b in columns] + ["total"]
    rows = []
    for a in diff.rows():
        counts = [diff.matrix.get((_key(a), _key(b)), 0) for b in columns]
        rows.append([NO_TIER if a is None else a.name] + [c or "" for c in counts] + [sum(counts)])
    totals = [sum(diff.matrix.get((_key(a), _key(b)), 0) for a in diff.rows()) for b in columns]
    rows.append(["total"] + totals + [sum(totals)])
    return headers, rows


def _invalid_text(item: dict[str, Any]) -> str:
    parts = [f"{which}: {message}" for which, message in item["errors"].items() if message]
    for which, tier in item["tiers"].items():
        if item["errors"][which] is None:
            parts.append(f"{which}: {_name(tier)}")
    return "; ".join(parts)


def write_table(diff: Diff, out: IO[str]) -> None:
    """Plain text for a terminal."""
    totals = diff.totals()
    out.write(f"{_title(diff)} on {diff.input_name or '-'}\n{diff.basis_text().capitalize()}.\n"
              f"{_summary(totals)}\n\nTransitions (rows: old tier, columns: new tier)\n")
    headers, rows = _matrix_rows(diff)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        out.write("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                            for i, (c, w) in enumerate(zip(row, widths))).rstrip() + "\n")
    if diff.moved:
        out.write(f"\nMoved partners ({len(diff.moved)})\n")
        for move in diff.moved:
            out.write(f"{move['partner_id'] or '?'}  {_name(move['from'])} -> {_name(move['to'])}  "
                      f"{move['direction']}\n")
            for cause in move["causes"]:
                out.write(f"    {cause_text(cause)}\n")
            for change in move["benefits"]:
                out.write(f"    benefit {benefit_text(change)}\n")
    else:
        out.write("\nNo partner moves.\n")
    unchanged_benefits = [b for b in diff.benefit_transitions() if b["from"] == b["to"]]
    for item in unchanged_benefits:
        name = _name(_tier_ref(diff.old.tier(item["from"]))) if item["from"] else NO_TIER
        out.write(f"\nBenefits change for the {item['partners']} partner(s) staying {name}:\n")
        for change in item["changes"]:
            out.write(f"    {benefit_text(change)}\n")
    if diff.invalid:
        out.write(f"\nInvalid records ({len(diff.invalid)})\n")
        for item in diff.invalid:
            out.write(f"{item['partner_id'] or '?'}  {source_text(item['source'])}  invalid under {item['under']}: "
                      f"{_invalid_text(item)}\n")


def write_markdown(diff: Diff, out: IO[str]) -> None:
    totals = diff.totals()
    out.write(f"# {_title(diff)}\n\n")
    out.write(f"Old: `{diff.old.id}` {diff.old.version} ({diff.old.title}); new: `{diff.new.id}` {diff.new.version} "
              f"({diff.new.title}); input `{diff.input_name or '-'}`. {diff.basis_text().capitalize()}.\n\n")
    out.write(f"**{_summary(totals)}.**\n\n")
    largest = max(totals[d] for d in DIRECTIONS)
    out.write(md_table(["", "partners", ""], [[d, totals[d], text_bar(totals[d], largest)] for d in DIRECTIONS]
                       + [["invalid", totals["invalid"], ""]], {1}))
    out.write("\n## Transitions\n\nRows: tier under the old policy; columns: tier under the new policy.\n\n")
    headers, rows = _matrix_rows(diff)
    out.write(md_table(headers, rows, set(range(1, len(headers)))))
    out.write("\n## Moved partners\n\n")
    if diff.moved:
        out.write("Why: the criteria of the old and new tiers, and of the tiers passed on the way, whose result "
                  "differs between the policies. Benefit changes follow, per transition.\n\n")
        out.write(md_table(["partner", "old tier", "new tier", "direction", "why"],
                           [[m["partner_id"] or "?", _name(m["from"]), _name(m["to"]), m["direction"],
                             "<br>".join(md_escape(cause_text(c)) for c in m["causes"]) or "(tier order)"]
                            for m in diff.moved], raw={4}))
    else:
        out.write("No partner moves.\n")
    changes = diff.benefit_transitions()
    if changes:
        out.write("\n## Benefit changes\n\n")
        out.write(md_table(["old tier", "new tier", "partners", "changes"],
                           [[_ref_name(diff.old, c["from"]), _ref_name(diff.new, c["to"]), c["partners"],
                             "; ".join(benefit_text(x) for x in c["changes"])] for c in changes], {2}))
    out.write("\n## Invalid records\n\n")
    if diff.invalid:
        out.write(md_table(["partner", "where", "invalid under", "details"],
                           [[i["partner_id"] or "?", source_text(i["source"]), i["under"], _invalid_text(i)]
                            for i in diff.invalid]))
    else:
        out.write("None: every record is valid under both policies.\n")


def _ref_name(policy: Policy, tier_id: str | None) -> str:
    return NO_TIER if tier_id is None else policy.tier(tier_id).name


_DIRECTION_COLOURS = {UP: "#009E73", DOWN: "#D55E00", LATERAL: "#56B4E9", UNCHANGED: "#9E9E9E"}


def write_html(diff: Diff, out: IO[str]) -> None:
    """One self-contained page: totals as a bar chart, the matrix as a heat table coloured by direction."""
    totals = diff.totals()
    parts = [f"<h1>{esc(_title(diff))}</h1>",
             f'<p class="meta">Old: <code>{esc(diff.old.id)}</code> {esc(diff.old.version)} ({esc(diff.old.title)}); '
             f'new: <code>{esc(diff.new.id)}</code> {esc(diff.new.version)} ({esc(diff.new.title)}); input '
             f'<code>{esc(diff.input_name or "-")}</code>. {esc(diff.basis_text().capitalize())}.</p>',
             f"<p><strong>{esc(_summary(totals))}.</strong></p>",
             svg_bars([(d, [totals[d]]) for d in DIRECTIONS] + [("invalid", [totals["invalid"]])], ["partners"],
                      [PALETTE[0]], title="Partners by direction of move",
                      row_colours=[_DIRECTION_COLOURS[d] for d in DIRECTIONS] + ["#000000"]),
             "<h2>Transitions</h2><p>Rows: tier under the old policy; columns: tier under the new policy. "
             "Cell colour: green up, orange down, blue lateral, grey unchanged; darker is more partners.</p>"]
    headers, rows = _matrix_rows(diff)
    largest = max(diff.matrix.values(), default=1)
    cells = ["<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>"]
    for a, row in zip([*diff.rows(), "total"], rows):
        cells.append(f"<tr><th>{esc(row[0])}</th>")
        for b, value in zip([*diff.columns(), "total"], row[1:]):
            style = ""
            if a != "total" and b != "total" and value:
                way = diff._directions[(_key(a), _key(b))]  # type: ignore[arg-type]
                alpha = 0.25 + 0.75 * value / largest
                style = (f' style="background:{_DIRECTION_COLOURS[way]}{int(alpha * 255):02x}"'
                         f' title="{esc(way)}: {value}"')
            cells.append(f'<td class="n"{style}>{esc(value)}</td>')
        cells.append("</tr>")
    cells.append("</tbody></table>")
    parts.append("".join(cells))
    parts.append(f"<h2>Moved partners ({len(diff.moved)})</h2>")
    if diff.moved:
        body = ["<table><thead><tr><th>partner</th><th>old tier</th><th>new tier</th><th>direction</th>"
                "<th>why</th></tr></thead><tbody>"]
        for m in diff.moved:
            why = "".join(f"<li>{esc(cause_text(c))}</li>" for c in m["causes"]) or "<li>(tier order)</li>"
            body.append(f"<tr><td>{esc(m['partner_id'] or '?')}</td><td>{esc(_name(m['from']))}</td>"
                        f"<td>{esc(_name(m['to']))}</td><td class=\"{esc(m['direction'])}\">{esc(m['direction'])}</td>"
                        f"<td><ul class=\"causes\">{why}</ul></td></tr>")
        body.append("</tbody></table>")
        parts.append("".join(body))
    else:
        parts.append("<p>No partner moves.</p>")
    changes = diff.benefit_transitions()
    if changes:
        parts.append("<h2>Benefit changes</h2>")
        parts.append(html_table(["old tier", "new tier", "partners", "changes"],
                                [[_ref_name(diff.old, c["from"]), _ref_name(diff.new, c["to"]), c["partners"],
                                  "; ".join(benefit_text(x) for x in c["changes"])] for c in changes], {2}))
    parts.append(f"<h2>Invalid records ({len(diff.invalid)})</h2>")
    if diff.invalid:
        parts.append(html_table(["partner", "where", "invalid under", "details"],
                                [[i["partner_id"] or "?", source_text(i["source"]), i["under"], _invalid_text(i)]
                                 for i in diff.invalid]))
    else:
        parts.append("<p>None: every record is valid under both policies.</p>")
    parts.append(f'<p class="meta">evaluator {esc(__version__)}; old sha256 {esc(diff.old.sha256)}, '
                 f'new sha256 {esc(diff.new.sha256)}</p>')
    out.write(html_page(_title(diff), "\n".join(parts)))


CSV_COLUMNS = ["partner_id", "file", "line", "status", "direction", "old_tier", "new_tier", "causes", "benefits",
               "old_error", "new_error"]


def write_csv(diff: Diff, out: IO[str]) -> None:
    """One row per moved partner, then one per invalid record (the matrix is in the other formats)."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for m in diff.moved:
        source = m["source"] or {}
        writer.writerow({"partner_id": m["partner_id"] or "", "file": source.get("file", ""),
                         "line": source.get("line", source.get("index", "")), "status": "moved",
                         "direction": m["direction"], "old_tier": _key_of(m["from"]), "new_tier": _key_of(m["to"]),
                         "causes": " | ".join(cause_text(c) for c in m["causes"]),
                         "benefits": " | ".join(benefit_text(b) for b in m["benefits"])})
    for item in diff.invalid:
        source = item["source"] or {}
        writer.writerow({"partner_id": item["partner_id"] or "", "file": source.get("file", ""),
                         "line": source.get("line", source.get("index", "")), "status": f"invalid_{item['under']}",
                         "old_tier": _key_of(item["tiers"]["old"]), "new_tier": _key_of(item["tiers"]["new"]),
                         "old_error": item["errors"]["old"] or "", "new_error": item["errors"]["new"] or ""})


def _key_of(ref: dict[str, Any] | None) -> str:
    return "" if ref is None else ref["id"]


def write_json(diff: Diff, out: IO[str]) -> None:
    out.write(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n")


WRITERS: dict[str, Callable[[Diff, IO[str]], None]] = {
    "table": write_table,
    "json": write_json,
    "csv": write_csv,
    "markdown": write_markdown,
    "html": write_html,
}
