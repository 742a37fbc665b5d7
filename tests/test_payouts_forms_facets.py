"""Every amount form of the registry (language/amounts.py AMOUNT_FORMS) through the facets this
branch gives it: validation (a rate below the form's least, a basis the catalogue lacks), the
program sheet (the form's words), and policy tests (its declared example expected, and an amount
one minor unit off failing). A form added to the table is walked here without a new test."""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from evaluator import load_policy
from evaluator.language.amounts import AMOUNT_FORMS
from evaluator.load.policyfile import read_document, validate_document
from evaluator.tools.policytests import load_suite, run_suite
from evaluator.tools.sheet import render_sheet

from conftest import write_json

POLICY = {
    "id": "forms", "version": "1.0.0", "title": "Amount forms", "currency": "USD",
    "facts": {"partner_id": {"type": "string", "description": "id", "required": True},
              "b": {"type": "number", "unit": "USD", "minimum": 0, "description": "basis"}},
    "tiers": [{"id": "t", "name": "T", "criteria": [], "benefits": []}],
}
POINTER = "/tiers/0/benefits/0/amount"


def document(amount: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(POLICY)
    doc["tiers"][0]["benefits"] = [{"id": "x", "description": "x", "amount": amount, "period": "annual"}]
    return doc


def findings(tmp_path: Path, amount: dict[str, Any]) -> list[Any]:
    _policy, found = validate_document(read_document(write_json(tmp_path / "p.json", document(amount))))
    return found


@pytest.mark.parametrize("key", list(AMOUNT_FORMS))
def test_each_form_validates_and_refuses_a_rate_below_its_least(tmp_path, key):
    form = AMOUNT_FORMS[key]
    amount = form.example[0]
    assert findings(tmp_path, amount) == []
    below = {**amount, key: form.rate_minimum - 1}
    (finding,) = findings(tmp_path, below)
    assert (finding.pointer, finding.check, finding.found) == (f"{POINTER}/{key}", "amounts", repr(form.rate_minimum - 1))
    if form.reads_basis:
        (finding,) = findings(tmp_path, {**amount, "of": "bb"})
        assert finding.pointer == f"{POINTER}/of" and "did you mean 'b'?" in finding.message


@pytest.mark.parametrize("key", list(AMOUNT_FORMS))
def test_each_form_is_on_the_sheet_in_its_words(tmp_path, key):
    form = AMOUNT_FORMS[key]
    md = render_sheet(load_policy(write_json(tmp_path / "p.json", document(form.example[0]))), "markdown")
    row = next(line for line in md.splitlines() if line.startswith("| T | X: x |"))
    rate = form.example[0][key]
    said = form.words(str(rate) if key == "percent" else f"${rate:,}.00", "b")
    assert f"| {said} |" in row and "annual (a year), in `USD`" in row


@pytest.mark.parametrize("key", list(AMOUNT_FORMS))
def test_each_form_is_expected_by_a_policy_test(tmp_path, key):
    amount, record, gives = AMOUNT_FORMS[key].example
    policy_path = write_json(tmp_path / "p.json", document(amount))
    off = str(Decimal(gives) + Decimal("0.01"))
    tests = write_json(tmp_path / "p.tests.json", {"cases": [
        {"name": "as declared", "facts": {"partner_id": "p", **record},
         "expect": {"payouts": {"x": {"status": "paid", "amount": gives}}}},
        {"name": "a cent off", "facts": {"partner_id": "p", **record},
         "expect": {"payouts": {"x": {"amount": off}}}}]})
    ok, wrong = run_suite(load_suite(tests, policy_path), load_policy(policy_path)).results
    assert ok.passed and not wrong.passed
    assert [(d.what, d.expected) for d in wrong.differences] == [("payout x", f"amount {off}")]
    assert wrong.differences[0].actual.startswith(f"amount {gives} (X: ")
