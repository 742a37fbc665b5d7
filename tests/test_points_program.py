"""The example points program: a capped weighted score, an evaluation window, a grace period,
a per-country scope and overrides, all as data. Evaluated on a fixed date."""
from __future__ import annotations

import datetime as dt

import pytest

from evaluator import Evaluator, load_policy

from conftest import REPO

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def points():
    with Evaluator(load_policy(REPO / "policies" / "acme-points-program.json"), as_of=AS_OF) as evaluator:
        yield evaluator


BASE = {"partner_id": "P", "home_country": "AU", "last_audit": "2026-01-15"}


def tier(points, **facts):
    decision = points.evaluate({**BASE, **facts})
    return decision.tier.id if decision.tier else None


@pytest.mark.parametrize("sales, engineers, expected_points, expected", [
    (1_000_000, 8, 1200, "platinum"),          # exactly 1,200 points
    (999_999, 8, 1199.999, "gold"),            # just below
    (5_000_000, 8, 1200, "platinum"),          # sales points are capped at 1,000
    (5_000_000, 7, 1175, "gold"),              # so the cap matters
    (600_000, 0, 600, "gold"),
    (599_999, 0, 599.999, "silver"),
    (200_000, 0, 200, "silver"),
    (0, 7, 175, None),
])
def test_points_score_and_thresholds(points, sales, engineers, expected_points, expected):
    decision = points.evaluate({**BASE, "annual_sales_usd": sales, "certified_engineers": engineers})
    assert decision.measures["points"] == pytest.approx(expected_points)
    assert (decision.tier.id if decision.tier else None) == expected


@pytest.mark.parametrize("grace_started, expected", [
    ("2026-04-01", "platinum"),   # day 90 of the grace period
    ("2026-03-31", "gold"),       # day 91: grace over
    ("2026-06-30", "platinum"),   # day 0
    ("2026-07-01", "gold"),       # starts after the evaluation date: not in grace
])
def test_grace_period(points, grace_started, expected):
    assert tier(points, annual_sales_usd=900_000, current_tier="platinum", grace_started=grace_started) == expected


def test_grace_applies_only_to_current_platinum_partners(points):
    assert tier(points, annual_sales_usd=900_000, current_tier="gold", grace_started="2026-06-01") == "gold"


def test_platinum_in_grace_without_a_start_date_is_missing_not_guessed(points):
    decision = points.evaluate({**BASE, "annual_sales_usd": 900_000, "current_tier": "platinum"})
    assert decision.tier.id == "gold"
    criterion = decision.criterion("platinum", "points_or_grace")
    assert criterion.status == "missing" and criterion.missing_facts == ["grace_started"]


@pytest.mark.parametrize("last_audit, expected", [
    ("2025-06-30", "platinum"),   # 365 days: inside the 12-month window
    ("2025-06-29", "gold"),       # 366 days
])
def test_evaluation_window(points, last_audit, expected):
    assert tier(points, annual_sales_usd=1_000_000, certified_engineers=8, last_audit=last_audit) == expected


def test_per_country_scope(points):
    assert tier(points, annual_sales_usd=1_000_000, certified_engineers=8, home_country="US") is None
    assert tier(points, annual_sales_usd=1_000_000, certified_engineers=8, home_country="NZ") == "platinum"


def test_overrides(points):
    assert tier(points, annual_sales_usd=1_000_000, certified_engineers=8, suspended=True) is None
    decision = points.evaluate({**BASE, "contract_tier": "platinum"})
    assert decision.tier.id == "platinum" and decision.override.id == "strategic_platinum"
    # a suspension outranks the contract: overrides apply in order
    assert tier(points, contract_tier="platinum", suspended=True) is None


def test_advisory_satisfaction_and_recorded_evaluation_date(points):
    decision = points.evaluate({**BASE, "annual_sales_usd": 250_000, "customer_satisfaction": 79.5})
    assert decision.tier.id == "silver"
    assert decision.criterion("silver", "satisfaction").status == "not_met"
    assert decision.to_dict()["as_of"] == "2026-06-30"
