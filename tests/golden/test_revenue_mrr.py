"""Golden numbers for mrr, its movement and mrr_growth_rate, computed by hand:

- MRR at an instant = sum of `mrr` of the subscriptions running then; a period's MRR is the
  MRR just before its end (the next period's start), its start MRR the MRR just before it
  began. A subscription ending at exactly 02-01 00:00 is in January's end MRR.
- Movement per customer, start vs end of the period: new (0 at start), churned (0 at end),
  expansion / contraction (more / less, paying at both). new + expansion − contraction −
  churned = MRR end − MRR start. Amounts are positive; n = customers with that movement.
- growth = (MRR end − MRR start) / MRR start × 100.

Customers (month by month, UTC):
  A gold   a1 100 from 2025-12-01, cancelled 2026-03-31 12:00           → churned in March
  B gold   b1 200 2025-11-15 → 2026-02-01 00:00, then b2 120 from 02-01  → contraction 80, Feb
  C silver c1 50 from 2025-10-01, plus c2 30 from 2026-02-10            → expansion 30, Feb
  D silver d1 80 from 2026-02-20                                         → new 80, Feb
  E silver e1 60 2025-09-01 → 2026-02-15                                 → churned 60, Feb
  F silver f1 40 2026-02-03 → 2026-02-25 (inside February)               → no movement

  MRR just before 01-01: A 100 + B 200 + C 50 + E 60 = 410
  just before 02-01:     the same (b1 ends at 02-01 00:00, b2 starts then) = 410
  just before 03-01:     A 100 + B 120 + C 80 + D 80 = 380
  just before 04-01:     B 120 + C 80 + D 80 = 280
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import build_workspace, one
from deskmetrics.errors import QueryError
from deskmetrics.query import compute

Q1 = {"start": "2026-01-01", "end": "2026-03-31", "tz": "UTC"}
MOVES = ["mrr", "mrr_new", "mrr_expansion", "mrr_contraction", "mrr_churned", "mrr_growth_rate"]


def sub(
    sid: str,
    cust: str | None,
    mrr: float,
    start: str | None,
    end: str | None = None,
    currency: str = "EUR",
) -> dict[str, Any]:
    return {
        "subscription_id": sid,
        "customer_id": cust,
        "started_at": start,
        "ended_at": end,
        "mrr": mrr,
        "currency": currency,
    }


SUBSCRIPTIONS = [
    sub("a1", "A", 100, "2025-12-01T00:00:00Z", "2026-03-31T12:00:00Z"),
    sub("b1", "B", 200, "2025-11-15T00:00:00Z", "2026-02-01T00:00:00Z"),
    sub("b2", "B", 120, "2026-02-01T00:00:00Z"),
    sub("c1", "C", 50, "2025-10-01T00:00:00Z"),
    sub("c2", "C", 30, "2026-02-10T00:00:00Z"),
    sub("d1", "D", 80, "2026-02-20T00:00:00Z"),
    sub("e1", "E", 60, "2025-09-01T00:00:00Z", "2026-02-15T00:00:00Z"),
    sub("f1", "F", 40, "2026-02-03T00:00:00Z", "2026-02-25T00:00:00Z"),
]
CUSTOMERS = [
    {"customer_id": c, "created_at": "2025-01-01T00:00:00Z", "tier": t}
    for c, t in [
        ("A", "gold"),
        ("B", "gold"),
        ("C", "silver"),
        ("D", "silver"),
        ("E", "silver"),
        ("F", "silver"),
    ]
]


@pytest.fixture(scope="module")
def ws():
    return build_workspace({"customers": CUSTOMERS, "subscriptions": SUBSCRIPTIONS})


def monthly(ws, metrics: list[str], **kw: Any) -> dict[tuple[str, str], Any]:
    df = compute(ws, metrics, grain="month", **Q1, **kw)
    return {(r["metric"], str(r["period"])[:7]): r for _, r in df.iterrows()}


def test_mrr_per_month(ws) -> None:
    rows = monthly(ws, ["mrr"])
    # end of January 410 (A, B, C, E paying); February 380 (A, B, C, D); March 280 (B, C, D)
    assert (rows[("mrr", "2026-01")]["value"], rows[("mrr", "2026-01")]["n"]) == (410.0, 4)
    assert (rows[("mrr", "2026-02")]["value"], rows[("mrr", "2026-02")]["n"]) == (380.0, 4)
    assert (rows[("mrr", "2026-03")]["value"], rows[("mrr", "2026-03")]["n"]) == (280.0, 3)
    assert rows[("mrr", "2026-01")]["unit"] == "currency"


def test_february_movement(ws) -> None:
    rows = monthly(ws, MOVES)

    def feb(m: str) -> tuple[float, int]:
        r = rows[(m, "2026-02")]
        return float(r["value"]), int(r["n"])

    assert feb("mrr_new") == (80.0, 1)  # D: 0 → 80
    assert feb("mrr_expansion") == (30.0, 1)  # C: 50 → 80 (upgrade)
    assert feb("mrr_contraction") == (80.0, 1)  # B: 200 → 120 (downgrade)
    assert feb("mrr_churned") == (60.0, 1)  # E: 60 → 0; F (0 → 0) is no movement
    # 410 + 80 + 30 − 80 − 60 = 380
    assert feb("mrr")[0] == 410 + 80 + 30 - 80 - 60
    # growth (380 − 410) / 410 = −7.317…%; n = paying at the start (A, B, C, E)
    assert feb("mrr_growth_rate") == (pytest.approx(-30 / 410 * 100), 4)


def test_quiet_and_churn_months(ws) -> None:
    rows = monthly(ws, MOVES)
    # January: 410 → 410, nothing moves (the B switch happens at 02-01 00:00: a February event)
    for m in ("mrr_new", "mrr_expansion", "mrr_contraction", "mrr_churned"):
        assert (rows[(m, "2026-01")]["value"], rows[(m, "2026-01")]["n"]) == (0.0, 0)
    assert rows[("mrr_growth_rate", "2026-01")]["value"] == pytest.approx(0.0)
    # March: A cancels 03-31 12:00 → churned 100; growth (280 − 380) / 380 = −26.3%
    assert rows[("mrr_churned", "2026-03")]["value"] == 100.0
    assert rows[("mrr_growth_rate", "2026-03")]["value"] == pytest.approx(-100 / 380 * 100)


def test_whole_quarter(ws) -> None:
    df = compute(ws, MOVES, **Q1)

    def v(m: str) -> float:
        return float(one(df, metric=m)["value"])

    # start of the range (just before 01-01) 410, end (just before 04-01) 280
    # per customer: A 100 → 0 and E 60 → 0 churned (160); B 200 → 120 contraction 80;
    # C 50 → 80 expansion 30; D 0 → 80 new 80; F 0 → 0 nothing
    assert v("mrr") == 280.0
    assert (v("mrr_new"), v("mrr_expansion"), v("mrr_contraction"), v("mrr_churned")) == (
        80.0,
        30.0,
        80.0,
        160.0,
    )
    assert one(df, metric="mrr_churned")["n"] == 2
    # 410 + 80 + 30 − 80 − 160 = 280; growth (280 − 410) / 410 = −31.7%
    assert v("mrr_growth_rate") == pytest.approx(-130 / 410 * 100)


def test_by_customer_tier(ws) -> None:
    df = compute(ws, ["mrr", "mrr_growth_rate"], by=["tier"], grain="month", **Q1)
    feb = df[df["period"].astype(str).str.startswith("2026-02")]
    # February end: gold A 100 + B 120 = 220; silver C 80 + D 80 = 160
    assert one(feb, metric="mrr", tier="gold")["value"] == 220.0
    assert one(feb, metric="mrr", tier="silver")["value"] == 160.0
    # growth gold (220 − 300) / 300; silver (160 − 110) / 110 (C 50 + E 60 at the start)
    assert one(feb, metric="mrr_growth_rate", tier="gold")["value"] == pytest.approx(-80 / 3)
    assert one(feb, metric="mrr_growth_rate", tier="silver")["value"] == pytest.approx(
        50 / 110 * 100
    )


def test_per_customer(ws) -> None:
    df = compute(ws, ["mrr"], by=["customer_id"], grain="month", **Q1)
    c = df[df["customer_id"] == "C"].sort_values("period")
    # C: 50, then 80 from February on
    assert list(c["value"]) == [50.0, 80.0, 80.0]
    # E after its churn: 0 in February and March (a sum: an empty group is 0)
    e = df[df["customer_id"] == "E"].sort_values("period")
    assert list(e["value"]) == [60.0, 0.0, 0.0]


def test_empty_period(ws) -> None:
    rows = {
        (r["metric"], str(r["period"])[:7]): r
        for _, r in compute(
            ws,
            ["mrr", "mrr_new", "mrr_growth_rate"],
            grain="month",
            start="2025-07-01",
            end="2025-08-31",
            tz="UTC",
        ).iterrows()
    }
    # nothing runs before e1 starts on 2025-09-01: MRR 0 and no movement; growth undefined
    for month in ("2025-07", "2025-08"):
        assert (rows[("mrr", month)]["value"], rows[("mrr", month)]["n"]) == (0.0, 0)
        assert rows[("mrr_new", month)]["value"] == 0.0
        assert math.isnan(rows[("mrr_growth_rate", month)]["value"])


# ---------------------------------------------------------------------------------------------
# currencies


@pytest.fixture(scope="module")
def two_currencies():
    return build_workspace(
        {
            "subscriptions": [
                sub("x1", "X", 100, "2026-01-01T00:00:00Z"),
                sub("y1", "Y", 70, "2026-01-01T00:00:00Z", currency="USD"),
                sub("z1", "Z", 30, "2026-01-15T00:00:00Z"),
            ]
        }
    )


def test_several_currencies_are_not_added(two_currencies) -> None:
    with pytest.raises(QueryError, match=r"several currencies \(EUR, USD\).*currency=EUR"):
        compute(two_currencies, ["mrr"], **Q1)


def test_one_currency_by_filter_or_group(two_currencies) -> None:
    row = one(compute(two_currencies, ["mrr"], filters=["currency=EUR"], **Q1), metric="mrr")
    # EUR: x1 100 + z1 30 = 130
    assert (row["value"], row["n"]) == (130.0, 2)
    df = compute(two_currencies, ["mrr"], by=["currency"], **Q1)
    assert one(df, currency="USD")["value"] == 70.0
    assert one(df, currency="EUR")["value"] == 130.0


def test_subscription_without_customer_or_start() -> None:
    ws = build_workspace(
        {
            "subscriptions": [
                # no customer: the subscription is its own account
                sub("s1", None, 25, "2026-01-10T00:00:00Z"),
                sub("s2", None, 35, "2026-01-20T00:00:00Z"),
                # no start: running since before the data
                sub("s3", "K", 40, None),
            ]
        }
    )
    row = one(compute(ws, ["mrr", "mrr_new"], **Q1), metric="mrr_new")
    # new in Q1: s1 and s2, two accounts → 25 + 35 = 60, n 2; s3 was there at the start
    assert (row["value"], row["n"]) == (60.0, 2)
