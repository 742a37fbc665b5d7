"""Differential fuzzing of benefits that pay: the evaluator's payouts against the reference's
(tests/reference_payouts.py), and the same bytes on every path.

Hypothesis draws policies whose tiers have payable benefits (every amount form: percent, each,
fixed; `of` a fact, a measure or a small formula; floors and caps, some as parameters; every
period; USD, JPY and BHD; `when` conditions and `from_contract`; a choice between alternatives
with a default and an opt-in one) and records (facts present and absent, contract counts at the
threshold and one below, values at a rounding half (0.125, 1.005, 2.5 yen), negative, large and
small), as JSON or as CSV text. For every record:

- the payouts of the plain path and of the cached path equal the reference's (status, amount in
  minor units, annual amount, basis, floor or cap, choice and who chose, note, missing facts);
- the plain path (cache_size=0) and the cached path write byte-identical decision JSON and the
  same `explain` text and Markdown;
- the JSONL lane (fast/template.py, what `evaluate --format jsonl` writes) gives the plain
  path's bytes at every detail level, on its first pass (templates made) and its second.

    FUZZ_EXAMPLES=3000 python -m pytest tests/test_fuzz_payouts.py -q   # a long run, random seed
"""
from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, note, strategies as st

from evaluator import Evaluator
from evaluator.explain.narrative import render_markdown, render_text
from evaluator.fast.lane import jsonl_lines
from evaluator.model.decision import DETAILS, InvalidRecord
from evaluator.output.writers import _dumps

import reference
import reference_payouts
from test_fuzz_differential import AS_OF, _fuzz_settings, _input, chance, fuzz_policy, index, pick

CURRENCIES = ("USD", "JPY", "BHD")
PERIODS = ("monthly", "quarterly", "annual", "one_time")
RATES = [10, 5, 2.5, 1, 100, 0.5, 12.5, 33, 0, 0.125, 7.25]
BOUNDS = [0, 1, 100, 0.005, 0.5, 50000, 2.5, 1e6]
# values that land on a rounding half in some currency (x.xx5 dollars, x.xxx5 dinars, 0.5 yen),
# one step either side of it, negative, large and tiny
AMOUNTS = [0, 1, 150000, 4000, 0.125, 1.005, 0.05, 0.045, 2.5, 5, 10.05, 123.455, 0.0125, 1.0005, 0.015,
           -0.125, -2.5, -1.005, -150000, -0.0, 0.0, 999999999.995, 1e15, 2 ** 53, 12345.675, 0.1, 0.3, 1e-7, 7, 3]
THRESHOLDS = [0, 1, 100, 25000, 150000, 0.5]
CONTRACT_FROM = [1, 5, 6]
BENEFIT_IDS = ("commission", "share", "bonus", "bounty")


def draw_basis(draw: Any) -> Any:
    choice = draw(index) % 6
    if choice <= 1:
        return pick(draw, ["n1", "n2"])
    if choice == 2:
        return "m0"
    if choice == 3:
        return "i1"  # an amount for each contract
    op = pick(draw, ["sum", "product", "difference", "ratio", "min", "max"])
    return {op: [pick(draw, ["n1", "n2", "m0"]), pick(draw, ["n2", 2, 0.5, 3, {"param": "half"}])]}


def draw_amount(draw: Any) -> dict[str, Any]:
    form = pick(draw, ["percent", "percent", "each", "fixed"])
    rate: Any = pick(draw, RATES if form != "fixed" else AMOUNTS[:12])
    if form != "fixed" and chance(draw, 4):
        rate = {"param": "rate"}
    amount: dict[str, Any] = {form: rate}
    if form != "fixed":
        amount["of"] = draw_basis(draw)
    low = high = None
    if chance(draw, 3):
        low = amount["at_least"] = pick(draw, BOUNDS)
    if chance(draw, 3):
        high = pick(draw, BOUNDS)
        if low is not None and high < low:
            high = low
        amount["at_most"] = high if not chance(draw, 4) else {"param": "cap"} if high == 50000 else high
    return amount


def draw_when(draw: Any) -> dict[str, Any]:
    kind = draw(index) % 4
    if kind == 0:
        return {"fact": "n2", "op": pick(draw, [">=", ">", "<"]), "value": pick(draw, THRESHOLDS)}
    if kind == 1:
        return {"fact": "b1", "op": "==", "value": True}
    if kind == 2:
        return {"measure": "m0", "op": ">=", "value": pick(draw, THRESHOLDS)}
    return {pick(draw, ["all", "any"]): [draw_when(draw), {"not": draw_when(draw)}]}


def draw_benefit(draw: Any, bid: str) -> dict[str, Any]:
    benefit: dict[str, Any] = {"id": bid, "description": f"{bid} pays", "amount": draw_amount(draw)}
    if chance(draw, 2):
        benefit["name"] = bid.capitalize() + " pay"
    benefit["period" if not chance(draw, 8) else "frequency"] = pick(draw, PERIODS)
    if chance(draw, 2):
        benefit["currency"] = pick(draw, CURRENCIES)
    if chance(draw, 3):
        benefit["from_contract"] = pick(draw, CONTRACT_FROM) if not chance(draw, 3) else {"param": "from"}
        benefit["contracts"] = "i1"
    if chance(draw, 3):
        benefit["when"] = draw_when(draw)
    return benefit


def draw_policy(draw: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "partner_id": {"type": "string", "description": "id", "required": True},
        "n1": {"type": "number", "description": "n1", "unit": pick(draw, ["USD", "JPY", "BHD", "partners"])},
        "n2": {"type": "number", "description": "n2"},
        "i1": {"type": "integer", "description": "contracts signed", "minimum": 0},
        "b1": {"type": "boolean", "description": "b1"},
        "c1": {"type": "string", "description": "the recorded choice"},
    }
    if chance(draw, 5):
        facts["n2"]["default"] = pick(draw, [0, 100, 2.5])
    m0 = pick(draw, [{"sum": ["n1", "n2"]}, {"product": ["n1", 0.1]}, {"ratio": ["n1", "n2"]},
                     {"difference": ["n1", "n2"]}, {"max": ["n1", {"constant": 0}]}, "n1"])
    measures = {"m0": {"description": "m0", "compute": m0 if isinstance(m0, dict) else {"sum": [m0, 0]}}}
    tiers = []
    for t in range(1 + draw(index) % 3):
        criteria = []
        if t < 2 and chance(draw, 2):
            criteria.append({"id": "c0", "description": "c0",
                             "condition": {"fact": "n1", "op": ">=", "value": pick(draw, THRESHOLDS)}})
        ids = [b for b in BENEFIT_IDS if chance(draw, 2)] or ["commission"]
        benefits: list[dict[str, Any]] = [draw_benefit(draw, b) for b in ids]
        if chance(draw, 4):
            benefits.insert(0, {"id": "support", "description": "a label, no amount"})
        tier: dict[str, Any] = {"id": f"t{t}", "name": f"Tier {t}", "criteria": criteria, "benefits": benefits}
        payable = [b["id"] for b in benefits if "amount" in b]
        if len(payable) >= 2 and chance(draw, 2):
            between = payable[:2] if chance(draw, 2) else payable[-2:]
            default = pick(draw, between)
            tier["choices"] = [{"id": "pay", "description": "how it is paid", "between": between, "fact": "c1",
                                "default": default}]
            for b in benefits:
                if b["id"] in between and b["id"] != default and chance(draw, 2):
                    b["opt_in"] = True
        tiers.append(tier)
    doc: dict[str, Any] = {"id": "fuzz-pay", "version": "1", "title": "Fuzz payouts", "currency": pick(draw, CURRENCIES),
                           "facts": facts, "measures": measures, "tiers": tiers,
                           "parameters": {"rate": {"description": "a rate", "value": pick(draw, RATES)},
                                          "cap": {"description": "a cap", "value": 50000},
                                          "half": {"description": "a half", "value": 0.5},
                                          "from": {"description": "from the sixth", "value": 6}}}
    if chance(draw, 4):
        doc["overrides"] = [{"id": "o0", "description": "o0", "when": {"fact": "b1", "op": "==", "value": False},
                             "tier": pick(draw, [t["id"] for t in tiers])}]
    return doc


def draw_record(draw: Any, doc: dict[str, Any], number: int) -> tuple[dict[str, Any], bool]:
    record: dict[str, Any] = {"partner_id": f"P{number}"}
    ids = [b["id"] for t in doc["tiers"] for b in t["benefits"]]
    for name, make in (
            ("n1", lambda: pick(draw, AMOUNTS + THRESHOLDS + [t - 0.01 for t in THRESHOLDS])),
            ("n2", lambda: pick(draw, AMOUNTS + THRESHOLDS + [t - 1 for t in THRESHOLDS])),
            ("i1", lambda: pick(draw, [0, 1, 4, 5, 6, 7, 8])),
            ("b1", lambda: pick(draw, [True, False])),
            ("c1", lambda: pick(draw, ids + ["somewhere_else", ""]))):
        if chance(draw, 7):
            continue
        record[name] = make() if not chance(draw, 15) else None
    from_text = chance(draw, 6)
    if from_text:
        record = {k: ("" if v is None else "true" if v is True else "false" if v is False
                      else repr(v) if isinstance(v, (int, float)) else v) for k, v in record.items()}
    return record, from_text


@st.composite
def cases(draw: Any) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]:
    doc = draw_policy(draw)
    return doc, [draw_record(draw, doc, i) for i in range(1 + draw(index) % 8)]


# --- the property --------------------------------------------------------------------------

def _as_reference(payout: Any) -> reference_payouts.RefPayout:
    return reference_payouts.RefPayout(
        payout.benefit, payout.status, payout.minor, payout.annual_minor,
        None if payout.basis is None else Fraction(payout.basis), payout.bound, payout.chosen_by, payout.choice,
        payout.note is not None, tuple(payout.missing_facts))


def _expected_dict(p: reference_payouts.RefPayout, currency: str) -> dict[str, Any]:
    text = reference_payouts.minor_text
    return {"status": p.status, "amount": None if p.minor is None else text(p.minor, currency),
            "annual": None if p.annual is None else text(p.annual, currency)}


def check_payouts(doc: dict[str, Any], batch: list[tuple[dict[str, Any], bool]]) -> None:
    policy = fuzz_policy(doc)
    items = [_input(r, t, i) for i, (r, t) in enumerate(batch)]
    with Evaluator(policy, as_of=AS_OF, cache_size=0) as plain, Evaluator(policy, as_of=AS_OF) as cached:
        slow, fast = list(plain.evaluate_many(items)), list(cached.evaluate_many(items))
        assert len(slow) == len(fast) == len(items), "every record comes out exactly once"
        expected_lines = {d: [_dumps(r.to_dict(d)) for r in slow] for d in DETAILS}
        for number, ((record, from_text), s, f) in enumerate(zip(batch, slow, fast)):
            where = f"record {number} {record!r} (from_text={from_text})"
            assert _dumps(f.to_dict()) == expected_lines["full"][number], f"{where}: cached JSON differs"
            assert render_text(f) == render_text(s), f"{where}: explain differs"
            assert render_markdown(f) == render_markdown(s), where
            if isinstance(s, InvalidRecord):
                assert reference.decide(doc, record, AS_OF, from_text=from_text).invalid, where
                continue
            held = reference.decide(doc, record, AS_OF, from_text=from_text).tier
            assert (s.tier.id if s.tier else None) == held, where
            want = reference_payouts.payouts(doc, held, record, AS_OF, from_text=from_text)
            for decision in (s, f):
                got = [_as_reference(p) for p in decision.payouts]
                for g, w in zip(got, want):  # a basis that is a ratio need not end: the package's has 50 digits
                    if g.basis is not None and w.basis is not None and g.basis != w.basis:
                        assert abs(g.basis - w.basis) <= abs(w.basis) / 10 ** 45, f"{where}: basis {g} {w}"
                        g.basis = w.basis
                assert got == want, f"{where}:\n got  {got}\n want {want}"
            tier = next((t for t in doc["tiers"] if t["id"] == held), None)
            if tier is not None and want:
                written = json.loads(expected_lines["full"][number])["payouts"]
                currencies = [b.get("currency", doc["currency"]) for b in tier["benefits"] if "amount" in b]
                assert [{k: p[k] for k in ("status", "amount", "annual")} for p in written] == \
                    [_expected_dict(p, c) for p, c in zip(want, currencies)], where
    for detail in DETAILS:  # the JSONL lane: templates cut on the first pass, filled on the second
        with Evaluator(policy, as_of=AS_OF) as lane:
            for attempt in range(2):
                got = [line for line, _ok in jsonl_lines(lane, items, detail)]
                assert got == expected_lines[detail], f"{detail}, pass {attempt + 1}: the lane differs"


@_fuzz_settings
@given(cases())
def test_payouts_agree_with_the_reference_on_every_path(case: tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]
                                                        ) -> None:
    doc, batch = case
    note(json.dumps(doc, ensure_ascii=False))
    check_payouts(doc, batch)


def test_the_reference_rounds_as_documented():
    """The reference's own rounding: half away from zero, to the minor unit (its own table)."""
    r = reference_payouts.round_minor
    assert [r(Fraction(x), "USD") for x in ("0.125", "0.124999", "-0.125", "1.005", "0", "-0.004")] == [13, 12, -13, 101, 0, 0]
    assert [r(Fraction(x), "JPY") for x in ("0.5", "-0.5", "1.4999", "2.5")] == [1, -1, 1, 3]
    assert [r(Fraction(x), "BHD") for x in ("0.0005", "1.2345", "-0.0005")] == [1, 1235, -1]
    assert reference_payouts.written(1.005) == Fraction(1005, 1000)  # as written, not the double's binary value
    assert Decimal(1.005) != Decimal("1.005")


def test_the_reference_minor_digits_are_babels():
    """The reference's table of minor digits agrees with CLDR (Babel), which the package uses."""
    import babel.numbers
    for currency, digits in reference_payouts.MINOR_DIGITS.items():
        assert babel.numbers.get_currency_precision(currency) == digits
