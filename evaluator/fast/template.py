"""Decisions as JSONL lines from per-encoding templates: the fast writer behind `--format jsonl`.

A decision's JSON depends on the record itself in few places: the partner id and source, the
actual value of each operand, the measures, the shortfalls, the missing facts and the input
digest. Everything else (the tier, benefits, every status and `required` text, the overrides,
the policy) is fixed by the record's *encoding*, the key of the evaluator's outcome cache. So the
first time an encoding is written, its JSON is built the ordinary way (Decision.to_dict, written
by the json module exactly as report.write_jsonl writes it) with markers in those places, and cut
into fragments; each later record with that encoding is one join of the fragments and its own
values. A criterion's shortfall depends only on the facts it reads (and the evaluation date), so
it is remembered by them (by its length, for a list only counted): partners with the same
referrals or number of regions share one.

The lines are byte-identical to report.write_jsonl's (tests/test_template.py checks every record
of fuzzed policies and the benchmark population). Whatever cannot be written this way — a record
kept with --with-input, a decision not from the cached path, a string orjson refuses, a template
that would be ambiguous — is written by the ordinary path: `line` returns None.
"""
from __future__ import annotations

import datetime as _dt
import operator
import threading
from typing import TYPE_CHECKING, Any, Callable

from ..language.facttypes import jsonable
from ..model.decision import DECISION_FIELDS, FULL, KEPT, MET, MISSING, RECORD, SUMMARY, Decision
from ..language.expressions import Context, Missing, facts_of
from ..language.measures import length_of
from ..language.operators import OPERATORS
from ..model.policy import Comparison, Policy, comparisons
from .jsonbytes import NUL, Fallback, dump, escaped, marks
from ..explain.shortfall import Bound, Shortfall, has_bound_short_cut, leaf_change, shortfall
from .memokeys import items_key as _items_key, single as _single, tag as _tag
from .payoutmemo import PayoutMemo

if TYPE_CHECKING:
    from ..evaluate.plan import Outcome, Plan

TEMPLATE_BUDGET_BYTES = 16 * 1024 * 1024   # fragments kept, all encodings together
SHORTFALL_MEMO_ENTRIES = 2048

# How a template marks each RECORD member of a decision (model/decision.py DECISION_FIELDS):
# (mark, the member's value) -> the member with markers for _fill's slots; tests/test_template.py
# holds this equal to the declaration ("error" is an error record's: never in a decision)
Mark = Callable[..., str]
Written = tuple[bytes, list[bytes | None], bytes]
RECORD_SLOTS: dict[str, Callable[[Mark, Any], Any] | None] = {
    "partner_id": lambda mark, value: mark("pid"),
    "source": lambda mark, value: mark("source"),
    "input_sha256": lambda mark, value: mark("digest"),
    "measures": lambda mark, value: {name: mark("measure", name) for name in value},
    "payouts": lambda mark, value: mark("payouts"),
    "error": None,
}


class _Template:
    """Fragments of one encoding's JSON and, between each two, a slot: an index into the record's
    atoms (its distinct values, written once each), grouped by kind so filling is a few tight loops."""

    __slots__ = ("parts", "count", "index", "gather", "values", "measures", "shortfalls", "checks", "missing", "texts",
                 "pid", "source", "digest", "payouts", "size")

    def __init__(self, fragments: list[bytes], slots: list[tuple[Any, ...]], operands: tuple[Any, ...]):
        # a measure in `measures` is written as the same measure as an operand: one atom for both
        operand_at = {operand.name: pos for pos, operand in enumerate(operands) if operand.kind == "measure"}
        slots = [("value", operand_at[slot[1]]) if slot[0] == "measure" and slot[1] in operand_at else slot
                 for slot in slots]
        atoms = list(dict.fromkeys(slots))
        where = {atom: i for i, atom in enumerate(atoms)}
        self.count = len(atoms)
        self.index = [where[slot] for slot in slots]
        # the atoms in slot order, as one tuple (one C call); itemgetter of one index gives no tuple
        self.gather = operator.itemgetter(*self.index) if len(self.index) > 1 else None
        self.parts: list[bytes] = [b""] * (2 * len(slots) + 1)
        self.parts[0::2] = fragments
        self.size = sum(map(len, fragments)) + 64 * len(slots)
        of = {kind: [(i, *atom[1:]) for i, atom in enumerate(atoms) if atom[0] == kind]
              for kind in ("value", "measure", "sf", "check_sf", "missing", "sf_text", "pid", "source", "digest",
                              "payouts")}
        self.values = [(i, operands[pos].kind == "fact", operands[pos].name) for i, pos in of["value"]]
        self.measures, self.shortfalls, self.checks = of["measure"], of["sf"], of["check_sf"]
        self.missing, self.texts = of["missing"], of["sf_text"]
        self.pid, self.source, self.digest, self.payouts = (of[k][0][0] if of[k] else -1
                                                            for k in ("pid", "source", "digest", "payouts"))


class JsonlWriter:
    """Per plan and detail level (model/decision.py DETAILS): templates by encoding, remembered
    shortfalls, and what each criterion reads."""

    def __init__(self, plan: "Plan", detail: str = FULL):
        self.plan, self.detail = plan, detail
        policy: Policy = plan.policy
        self.policy = policy
        position = {op: i for i, op in enumerate(plan.operands)}
        # per criterion in policy order: (criterion, its comparisons with operand positions, facts read)
        self.criteria = []
        for tier in policy.tiers:
            for criterion in tier.criteria:
                comps = list(comparisons(criterion.condition))
                read: set[str] = set()
                counted: set[str] = set()   # list facts read only as {"count": fact}: their length decides
                for comparison in comps:
                    operand = comparison.operand
                    if operand.kind == "fact":
                        read.add(operand.name)
                    elif length_of(policy.measures[operand.name].compute) is not None and \
                            length_of(policy.measures[operand.name].compute) == _single(facts_of(policy, operand.name)):
                        counted |= facts_of(policy, operand.name)
                    else:
                        read |= facts_of(policy, operand.name)
                keys = tuple(sorted((name, name in counted and name not in read) for name in read | counted))
                self.criteria.append((criterion, [(c, position[c.operand]) for c in comps], keys))
        # a criterion that is one `number fact >= / <= constant` gets its shortfall written
        # directly (shortfall.Bound), without building Change objects and dicts: index -> parts
        self.bounds: dict[int, tuple[Bound, tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]]] = {}
        for index, (criterion, _comps, _read) in enumerate(self.criteria):
            c = criterion.condition
            if type(c) is Comparison and OPERATORS[c.op].inclusive_bound and c.operand.kind == "fact" \
                    and has_bound_short_cut(policy.facts[c.operand.name]):
                spec = policy.facts[c.operand.name]
                bound = Bound(spec, c.value)
                head = (b'"operand":' + dump(c.operand.name) + b',"kind":"fact","op":' + dump(c.op)
                        + b',"value":' + dump(jsonable(c.value)) + b',"actual":')
                tail = (b',"to":' + dump(bound.to) + (b"" if spec.unit is None else b',"unit":' + dump(spec.unit))
                        + (b"" if bound.reachable else b',"reachable":false') + b',"text":')
                pointer = b',"pointer":' + dump(c.pointer)
                formats = []
                for up in (True, False):
                    # the text's fixed parts escaped once; its two numbers (by, actual) are
                    # written by repr, which JSON never escapes
                    before, between, after = (escaped(part) for part in bound.text_parts(up))
                    text = b'"' + before + b"%s" + between + b"%s" + after + b'"'
                    amounts = (b',"change":' + (b'"increase"' if up else b'"decrease"') + b',"by":%s'
                               + escaped(tail) + text + b"}")
                    formats.append((b'{"text":' + text + b',"changes":[{' + escaped(head) + b"%s"
                                    + escaped(pointer) + amounts + b"]}", b"{" + amounts[1:], text))
                self.bounds[index] = (bound, formats[0], formats[1])
        self.payout_memo = PayoutMemo(plan)  # a tier's payouts by the facts they read
        self.sources: dict[Any, bytes] = {}  # a source {"file": F, "line": N} as written, up to N
        self.templates: dict[tuple[Any, ...], _Template | None] = {}
        self.template_bytes = 0
        # a criterion's shortfall written: (whole, each check's, its text alone: a summary's need)
        self.memo: dict[tuple[Any, ...], Written] = {}
        self.bound_memo: dict[tuple[Any, ...], Written] = {}
        # the last float value written and its repr (the same sales figure is written, and its
        # shortfalls worked out, several times per record); the float is held, so `is` is safe
        self.last_float: tuple[float | None, str] = (None, "")
        self.lock = threading.Lock()

    # -- per record --
    def line(self, decision: Decision) -> str | None:
        fast = decision.encoding_state()
        # a decision whose results were already built may have been changed by its caller
        if fast is None or decision.input is not None:
            return None
        key, outcome, facts, measures, as_of = fast.key, fast.outcome, fast.facts, fast.measures, fast.as_of
        tkey = (key, as_of, decision.as_of, decision.source is None, decision.input_sha256 is None)
        try:
            template = self.templates[tkey] if tkey in self.templates else self._build(tkey, decision)
            if template is None:
                return None
            return self.fill(template, outcome, facts, measures, as_of, decision.partner_id, decision.source,
                              decision.input_sha256).decode("utf-8")
        except Fallback:
            return None

    def fill(self, template: _Template, outcome: "Outcome", facts: dict[str, Any], measures: dict[str, Any],
              as_of: _dt.date, partner_id: str | None, source: dict[str, Any] | None, digest: str | None) -> bytes:
        atoms: list[bytes] = [b""] * template.count
        for i, is_fact, name in template.values:
            value = facts.get(name) if is_fact else measures[name]
            cls = type(value)
            # dump's commonest cases inline: a fact or measure is never a non-finite float
            if cls is float:  # a float's repr is slow: kept for its bound shortfalls (_bound)
                text = repr(value)
                self.last_float = (value, text)
                atoms[i] = text.encode()
            else:
                atoms[i] = (repr(value).encode() if cls is int else
                            b"null" if value is None or cls is Missing else dump(value))
        for i, name in template.measures:
            value = measures[name]
            cls = type(value)
            atoms[i] = repr(value).encode() if cls is int or cls is float else \
                b"null" if cls is Missing else dump(value)
        found: dict[int, Written] = {}
        for i, index in template.shortfalls:
            found[index] = written = self._shortfall(index, outcome, facts, measures, as_of)
            atoms[i] = written[0]
        for i, index in template.texts:  # a summary's need: the shortfall's text alone
            written = found.get(index) or self._shortfall(index, outcome, facts, measures, as_of)
            atoms[i] = written[2]
        for i, index, k in template.checks:
            written = found.get(index) or self._shortfall(index, outcome, facts, measures, as_of)
            check = written[1][k]
            if check is not None:
                atoms[i] = b',"shortfall":' + check
        for i, index in template.missing:
            atoms[i] = self._missing(index, facts, measures)
        if template.pid >= 0:
            atoms[template.pid] = dump(partner_id)
        if template.source >= 0:
            line = source.get("line") if len(source) == 2 else None  # type: ignore[union-attr, arg-type]
            head = self.sources.get(source.get("file")) if type(line) is int else None  # type: ignore[union-attr]
            if head is None:
                atoms[template.source] = dump(source)
                if type(line) is int and list(source) == ["file", "line"]:  # type: ignore[arg-type]
                    name = source["file"]  # type: ignore[index]
                    if len(self.sources) > 64:
                        self.sources.clear()
                    self.sources[name] = b'{"file":' + dump(name) + b',"line":'
            else:
                atoms[template.source] = head + str(line).encode() + b"}"
        if template.digest >= 0:
            atoms[template.digest] = dump(digest)
        if template.payouts >= 0:  # the tier's amounts, by this record's figures (the template's tier is the encoding's)
            atoms[template.payouts] = self.payout_memo.written(template, outcome, facts, as_of)
        parts = template.parts[:]
        parts[1::2] = template.gather(atoms) if template.gather is not None else [atoms[i] for i in template.index]
        return b"".join(parts)

    def _missing(self, index: int, facts: dict[str, Any], measures: dict[str, Any]) -> bytes:
        missing: set[str] = set()
        for comparison, _pos in self.criteria[index][1]:
            operand = comparison.operand
            value = facts.get(operand.name, Missing(frozenset([operand.name]))) \
                if operand.kind == "fact" else measures[operand.name]
            if type(value) is Missing:
                missing |= value.facts
        return b',"missing_facts":' + dump(sorted(missing)) if missing else b""

    def _shortfall(self, index: int, outcome: "Outcome", facts: dict[str, Any], measures: dict[str, Any],
                   as_of: _dt.date) -> Written:
        """A criterion's shortfall (as explain.add_shortfalls makes it), written: the criterion's
        `shortfall` and each comparison's (None where it has none). Remembered by the facts the
        criterion reads, which decide it."""
        criterion, comps, read = self.criteria[index]
        if len(read) == 1:  # most criteria read one fact
            name, by_length = read[0]
            value: Any = facts.get(name)
            cls = type(value)
            mkey: tuple[Any, ...] = (index, as_of, cls, (len(value) if by_length else _items_key(value)) if cls is list
                                     else value)
        else:
            mkey = (index, as_of, *[len(v) if by_length and type(v) is list else _tag(v)
                                    for v, by_length in ((facts.get(name), by_length) for name, by_length in read)])
        bound = index in self.bounds and (type(value) is int or type(value) is float)
        # amounts (sales) rarely repeat and would crowd out the rest: they are kept apart
        memo = self.bound_memo if bound else self.memo
        found = memo.get(mkey)
        if found is not None:
            return found
        if bound:
            found = self._bound(index, value)
        else:
            ctx = Context(facts, self.plan.computes, as_of, dict(measures))
            condition = criterion.condition
            if type(condition) is Comparison:  # not met (or missing): its one change, as shortfall() gives it
                result = Shortfall([leaf_change(self.policy, condition, False, ctx)])
            else:
                statuses = outcome.statuses
                index_of = self.plan.index
                by_pointer = {c.pointer: statuses[index_of[c.pointer]] for c, _ in comps}
                result = shortfall(self.policy, condition, lambda c: by_pointer[c.pointer], ctx)
            changes = {change.pointer: change for change in result.changes}
            checks = [dump(changes[c.pointer].to_check_dict(c.op)) if c.pointer in changes else None for c, _ in comps]
            found = (dump(result.to_dict()), checks, dump(result.text))
        if len(memo) >= SHORTFALL_MEMO_ENTRIES:
            memo.clear()
        memo[mkey] = found
        return found

    def _bound(self, index: int, actual: Any) -> Written:
        """The shortfall of `fact >= / <= constant` as Shortfall.to_dict and Change.to_check_dict
        write it (one change; no strict, facts or on_fact), from Bound.amount's figures."""
        bound, up_formats, down_formats = self.bounds[index]
        if type(actual) is float:
            last = self.last_float  # one read: another thread may replace it
            text = last[1] if last[0] is actual else repr(actual)
            up, by = bound.amount(actual, text)
            actual_text = text.encode()
        else:
            up, by = bound.amount(actual)
            actual_text = repr(actual).encode()
        whole, check, said = up_formats if up else down_formats
        by_text = repr(by).encode()
        return (whole % (by_text, actual_text, actual_text, by_text, by_text, actual_text),
                [check % (by_text, by_text, actual_text)], said % (by_text, actual_text))

    # -- once per encoding --
    def _build(self, tkey: tuple[Any, ...], decision: Decision) -> _Template | None:
        """Cut this decision's JSON into fragments around what depends on the record. The
        decision is explained the ordinary way only to be cut: the statuses, texts and structure
        are those of every record with this encoding. Its shortfalls are not worked out (each would
        be replaced by a marker: _cut knows where they go), which takes a tenth off the lane's
        first decisions. The decision itself is left as it was."""
        fast = decision.encoding_state()
        assert fast is not None  # line() asked
        bare = decision.explained(fast.plan.explain(fast.outcome, fast.facts, fast.measures, fast.as_of,
                                                    shortfalls=False))
        data = bare.to_dict(self.detail)
        try:
            template = self._cut(data, fast.outcome)
        except (KeyError, IndexError, TypeError, ValueError, Fallback):  # a shape not foreseen: the ordinary path
            template = None
        with self.lock:
            if self.template_bytes > TEMPLATE_BUDGET_BYTES:
                self.templates.clear()
                self.template_bytes = 0
            self.templates[tkey] = template
            self.template_bytes += template.size if template is not None else 64
        return template

    def _cut(self, data: dict[str, Any], outcome: "Outcome") -> _Template | None:
        slots: list[tuple[Any, ...]] = []

        def mark(*slot: Any) -> str:
            slots.append(slot)
            return f"\x00{len(slots) - 1}\x00"

        chosen_rank = outcome.chosen.rank if outcome.chosen is not None else len(self.policy.tiers) + 1
        out: dict[str, Any] = {}
        for name, value in data.items():
            depends = DECISION_FIELDS[name]  # a member the decision model does not declare: no template
            if depends == KEPT:
                return None
            marked = RECORD_SLOTS[name] if depends == RECORD else None
            if depends == RECORD and marked is None:
                return None
            out[name] = marked(mark, value) if marked is not None else value
        index = 0
        next_index: dict[str, int] = {}   # criterion id within the next tier -> its index
        for tier in self.policy.tiers:
            for criterion in tier.criteria:
                if tier.rank == chosen_rank - 1:
                    next_index[criterion.id] = index
                index += 1
        if "tiers" in out:
            self._cut_tiers(out["tiers"], chosen_rank, mark)
        if out.get("next_tier") is not None:
            # a need is a required criterion of the tier above that is not met: one in scope, so
            # with a shortfall (explain.add_shortfalls), written last, as Decision.next_tier_dict does
            kind = "sf_text" if self.detail == SUMMARY else "sf"
            for need in out["next_tier"]["needs"]:
                if need["criterion"] not in next_index:
                    return None
                need["shortfall"] = mark(kind, next_index[need["criterion"]])
        text = dump(out)
        if text.count(NUL) != 2 * len(slots):  # the record's own text holds a NUL: a marker could be mistaken
            return None
        fragments: list[bytes] = []
        order: list[tuple[Any, ...]] = []
        start = 0
        for begin, end, number in marks(text):
            fragments.append(text[start:begin])
            order.append(slots[number])
            start = end
        fragments.append(text[start:])
        if len(order) != len(slots):
            return None
        return _Template(fragments, order, self.plan.operands)

    def _cut_tiers(self, tiers: list[dict[str, Any]], chosen_rank: int, mark: Mark) -> None:
        """Marks in every tier's criteria (the full detail level): values, checks' shortfalls,
        missing facts and shortfalls of the criteria in scope."""
        index = 0
        for tier, tier_data in zip(self.policy.tiers, tiers):
            in_scope = tier.rank <= chosen_rank
            for criterion_data in tier_data["criteria"]:
                criterion, comps, _read = self.criteria[index]
                status = criterion_data["status"]
                wants = in_scope and status != MET
                first: dict[str, int] = {}
                for comparison, pos in comps:
                    first.setdefault(comparison.operand.name, pos)
                criterion_data["actual"] = {name: mark("value", first[name]) for name in criterion_data["actual"]}
                for k, (check, (comparison, pos)) in enumerate(zip(criterion_data["checks"], comps)):
                    check["actual"] = mark("value", pos)
                    check.pop("shortfall", None)
                    if wants:
                        check[mark("check_sf", index, k)] = None
                criterion_data.pop("missing_facts", None)
                criterion_data.pop("shortfall", None)
                if status == MISSING:
                    criterion_data[mark("missing", index)] = None
                if wants:
                    criterion_data["shortfall"] = mark("sf", index)
                index += 1


def writer_for(plan: "Plan", detail: str = FULL) -> JsonlWriter:
    """The plan's template writer for a detail level, made on first use and kept with the plan
    (dropped with it)."""
    name = "jsonl" if detail == FULL else f"jsonl:{detail}"
    found = plan.attachments.get(name)
    if found is None:
        found = plan.attachments.setdefault(name, JsonlWriter(plan, detail))
    return found


def jsonl_line(decision: Any, detail: str = FULL) -> str | None:
    """`decision` as output/writers.py's write_jsonl writes it (without the newline) at a detail
    level, from its encoding's template; None when it must be written the ordinary way."""
    fast = decision.encoding_state() if type(decision) is Decision else None
    if fast is None:
        return None
    return writer_for(fast.plan, detail).line(decision)  # type: ignore[arg-type]
