"""Golden numbers for retention_rate and churn_rate, computed by hand from METRICS.md:

- customers at the start of a period: joined before it began and not gone before it began;
  n = customers at the start.
- retention (CRR) = (customers at the end − new customers acquired during the period) /
  customers at the start × 100. The new customers subtracted are those counted at the end, so
  CRR = start customers still there at the end / start customers (a proportion, with a Wilson
  interval).
- churn = customers lost during the period / customers at the start × 100, where customers
  who joined and left within the period count as lost (no interval: not a proportion of the
  start customers). Retention + churn need not add up to 100.
- A join or churn at an instant belongs to the period containing it (a churn at exactly
  April 1 00:00 is an April churn).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import build_workspace, one
from deskmetrics.errors import QueryError
from deskmetrics.query import compute
from deskmetrics.stats import wilson_interval

MARCH = {"start": "2026-03-01", "end": "2026-03-31", "tz": "UTC"}


def customers(
    prefix: str, count: int, created: str, churned: str | None = None, **kw: Any
) -> list[dict[str, Any]]:
    """`count` customers with the same dates (ids prefix0 … prefixN)."""
    return [
        {"customer_id": f"{prefix}{i}", "created_at": created, "churned_at": churned, **kw}
        for i in range(count)
    ]


# segment A, the articles' retention example: 1,000 at the start of March, 100 new in March,
# 50 of the start customers lost in March → 1,050 at the end
# segment B, the articles' churn example: 3,000 at the start, 50 lost
ARTICLES = [
    *customers("A", 950, "2025-06-01T00:00:00Z", segment="A", tier="gold"),
    *customers("Alost", 50, "2025-06-01T00:00:00Z", "2026-03-10T12:00:00Z", segment="A"),
    *customers("Anew", 100, "2026-03-05T09:00:00Z", segment="A", tier="gold"),
    *customers("B", 2950, "2025-01-15T00:00:00Z", segment="B"),
    *customers("Blost", 50, "2025-01-15T00:00:00Z", "2026-03-20T00:00:00Z", segment="B"),
]


@pytest.fixture(scope="module")
def articles_ws():
    return build_workspace({"customers": ARTICLES})


def test_articles_retention_example(articles_ws) -> None:
    df = compute(articles_ws, ["retention_rate"], by=["segment"], **MARCH)
    a = one(df, segment="A")
    # start 1,000; end 950 + 100 = 1,050; new 100 → (1,050 − 100) / 1,000 = 95%
    assert a["n"] == 1000
    assert a["value"] == pytest.approx(95.0)
    assert a["unit"] == "percent"
    # a proportion of the start customers: 950 of 1,000 retained, Wilson interval
    lo, hi = wilson_interval(950, 1000)
    assert (a["ci_low"], a["ci_high"]) == (pytest.approx(lo * 100), pytest.approx(hi * 100))
    assert not a["small_sample"]


def test_articles_churn_example(articles_ws) -> None:
    df = compute(articles_ws, ["churn_rate"], by=["segment"], **MARCH)
    b = one(df, segment="B")
    # 50 lost of 3,000 at the start → 1.666…%
    assert b["n"] == 3000
    assert b["value"] == pytest.approx(50 / 3000 * 100)
    assert round(b["value"], 2) == 1.67
    # churn has no interval (lost customers may include customers who joined in the period)
    assert math.isnan(b["ci_low"]) and math.isnan(b["ci_high"])
    a = one(df, segment="A")
    # A: 50 lost of 1,000 → 5%
    assert (a["n"], a["value"]) == (1000, pytest.approx(5.0))


def test_articles_both_segments_together(articles_ws) -> None:
    df = compute(articles_ws, ["retention_rate", "churn_rate"], **MARCH)
    crr, churn = one(df, metric="retention_rate"), one(df, metric="churn_rate")
    # start 1,000 + 3,000 = 4,000; lost 50 + 50 = 100; new 100 (all still there)
    # end = 4,000 − 100 + 100 = 4,000 → CRR (4,000 − 100) / 4,000 = 97.5%; churn 100 / 4,000
    assert crr["n"] == churn["n"] == 4000
    assert crr["value"] == pytest.approx(97.5)
    assert churn["value"] == pytest.approx(2.5)


def test_filter_by_customer_column(articles_ws) -> None:
    row = one(
        compute(articles_ws, ["retention_rate"], filters={"tier": "gold"}, **MARCH),
        metric="retention_rate",
    )
    # gold: the 950 A customers who stay (start) and the 100 new → start 950, all retained
    assert row["n"] == 950
    assert row["value"] == pytest.approx(100.0)


# small cases: one per boundary rule
SMALL = [
    # segment C: 10 at the start of March; one of them leaves in March; two join in March and
    # one of those two leaves in March too
    *customers("C", 9, "2025-12-01T00:00:00Z", segment="C"),
    *customers("Clost", 1, "2025-12-01T00:00:00Z", "2026-03-15T00:00:00Z", segment="C"),
    *customers("Cnew", 1, "2026-03-03T00:00:00Z", segment="C"),
    *customers("Cflash", 1, "2026-03-04T00:00:00Z", "2026-03-25T00:00:00Z", segment="C"),
    # segment D: boundaries. D1 churns exactly at April 1 00:00 UTC (an April churn); D2 joins
    # exactly at March 1 00:00 UTC (new in March, not at its start)
    {
        "customer_id": "D1",
        "created_at": "2025-01-01T00:00:00Z",
        "churned_at": "2026-04-01T00:00:00Z",
        "segment": "D",
    },
    {"customer_id": "D2", "created_at": "2026-03-01T00:00:00Z", "segment": "D"},
    # segment E: time zones. E1 churns 03-31 22:30 UTC = 04-01 00:30 in Berlin (CEST)
    {
        "customer_id": "E1",
        "created_at": "2025-01-01T00:00:00Z",
        "churned_at": "2026-03-31T22:30:00Z",
        "segment": "E",
    },
    # no created_at: a customer since before the data
    {"customer_id": "E2", "segment": "E"},
]


@pytest.fixture(scope="module")
def small_ws():
    return build_workspace({"customers": SMALL})


def test_joined_and_left_in_the_period(small_ws) -> None:
    df = compute(small_ws, ["retention_rate", "churn_rate"], by=["segment"], **MARCH)
    crr = one(df, metric="retention_rate", segment="C")
    churn = one(df, metric="churn_rate", segment="C")
    # start: C0..C8 + Clost = 10 (Cnew, Cflash joined in March: not in the start)
    # lost: Clost + Cflash (joined and left in March counts as lost) = 2 → churn 2 / 10 = 20%
    assert (churn["n"], churn["value"]) == (10, pytest.approx(20.0))
    # end: 9 + Cnew = 10; new customers counted at the end: Cnew = 1 → (10 − 1) / 10 = 90%
    assert (crr["n"], crr["value"]) == (10, pytest.approx(90.0))
    # retention + churn = 110, not 100, because a new customer churned
    assert crr["value"] + churn["value"] == pytest.approx(110.0)
    assert crr["small_sample"]  # 10 < 30


def test_boundaries_per_month(small_ws) -> None:
    df = compute(
        small_ws,
        ["retention_rate", "churn_rate"],
        filters={"segment": "D"},
        grain="month",
        start="2026-03-01",
        end="2026-04-30",
        tz="UTC",
    )
    rows = {(r["metric"], str(r["period"])[:7]): r for _, r in df.iterrows()}
    # March: start D1 (D2 joined at 03-01 00:00, inside March) = 1; end D1, D2; new D2
    # → CRR (2 − 1) / 1 = 100%; churn 0 / 1 = 0%
    assert rows[("retention_rate", "2026-03")]["n"] == 1
    assert rows[("retention_rate", "2026-03")]["value"] == pytest.approx(100.0)
    assert rows[("churn_rate", "2026-03")]["value"] == pytest.approx(0.0)
    # April: start D1, D2 = 2; D1 leaves at 04-01 00:00 (in April) → end 1, new 0
    # → CRR 1 / 2 = 50%; churn 1 / 2 = 50%
    assert rows[("retention_rate", "2026-04")]["n"] == 2
    assert rows[("retention_rate", "2026-04")]["value"] == pytest.approx(50.0)
    assert rows[("churn_rate", "2026-04")]["value"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("tz", "march", "april"), [("UTC", 50.0, 0.0), ("Europe/Berlin", 0.0, 50.0)]
)
def test_periods_follow_the_time_zone(small_ws, tz: str, march: float, april: float) -> None:
    df = compute(
        small_ws,
        ["churn_rate"],
        filters={"segment": "E"},
        grain="month",
        start="2026-03-01",
        end="2026-04-30",
        tz=tz,
    )
    months = {str(r["period"])[:7]: r for _, r in df.iterrows()}
    # start: E1 and E2 (no created_at = since before the data) = 2 in both months (in UTC E1
    # is gone by April: start 1)
    # UTC: E1 leaves 03-31 22:30 → March 1 / 2 = 50%; April 0 / 1 = 0%
    # Berlin: 04-01 00:30 local → March 0 / 2 = 0%; April 1 / 2 = 50%
    assert months["2026-03"]["value"] == pytest.approx(march)
    assert months["2026-04"]["value"] == pytest.approx(april)
    assert months["2026-03"]["n"] == 2
    assert months["2026-04"]["n"] == (1 if tz == "UTC" else 2)


def test_empty_period(small_ws) -> None:
    df = compute(
        small_ws,
        ["retention_rate"],
        filters={"segment": "C"},
        grain="month",
        start="2025-10-01",
        end="2025-12-31",
        tz="UTC",
    )
    months = {str(r["period"])[:7]: r for _, r in df.iterrows()}
    # segment C's customers joined 2025-12-01: October, November and December have nobody at
    # the start → n 0, no value
    assert list(months) == ["2025-10", "2025-11", "2025-12"]
    for row in months.values():
        assert row["n"] == 0
        assert math.isnan(row["value"])


def test_customer_dimensions_only(small_ws) -> None:
    with pytest.raises(QueryError, match="cannot be grouped"):
        compute(small_ws, ["churn_rate"], by=["channel"], **MARCH)


def test_needs_customers() -> None:
    ws = build_workspace(
        {
            "tickets": [
                {"ticket_id": "T1", "created_at": "2026-03-02T10:00:00Z", "requester_id": "c1"}
            ]
        }
    )
    with pytest.raises(QueryError, match="customers"):
        compute(ws, ["retention_rate"], **MARCH)
