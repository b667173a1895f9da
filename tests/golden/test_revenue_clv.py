"""Golden numbers for clv (historical), clv_predictive and conversion_rate, by hand:

- historical CLV = mean over customers (with a subscription started before the period's end)
  of Σ mrr × months running up to the period's end; a month is 30.4375 days.
- predictive CLV = ARPA × gross margin / monthly churn; ARPA = MRR at the period's end /
  customers paying then; monthly churn = paying customers lost in the period (paying at its
  start or starting during it, none at its end) / customers paying at its start / months in
  the period (calendar months for whole months and quarters).
- conversion = tickets converted / tickets with a recorded outcome × 100, Wilson interval.
"""

from __future__ import annotations

import math

import pytest
from test_revenue_mrr import CUSTOMERS, SUBSCRIPTIONS, sub

from conftest import build_workspace, one, ticket
from deskmetrics.query import compute
from deskmetrics.stats import wilson_interval

MONTH = 30.4375  # days

HISTORY = [
    # X: 100 a month, 2026-01-01 → 2026-03-02 (60 days)
    sub("x1", "X", 100, "2026-01-01T00:00:00Z", "2026-03-02T00:00:00Z"),
    # Y: 50 a month from 2026-02-01, still running
    sub("y1", "Y", 50, "2026-02-01T00:00:00Z"),
    # Y also had 20 a month 2026-02-01 → 2026-02-11 (10 days)
    sub("y2", "Y", 20, "2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z"),
    # no start date: months running unknown → left out of historical CLV
    sub("z1", "Z", 999, None),
]


@pytest.fixture(scope="module")
def history_ws():
    return build_workspace({"subscriptions": HISTORY})


def test_historical_clv_to_date(history_ws) -> None:
    df = compute(history_ws, ["clv"], start="2026-01-01", end="2026-03-31", tz="UTC")
    row = one(df, metric="clv")
    # up to 04-01: X 100 × 60 / 30.4375 = 197.13; Y 50 × 59 / 30.4375 + 20 × 10 / 30.4375 =
    # 96.92 + 6.57 = 103.49; Z left out → mean of X and Y, n 2
    x = 100 * 60 / MONTH
    y = 50 * 59 / MONTH + 20 * 10 / MONTH
    assert row["n"] == 2
    assert row["value"] == pytest.approx((x + y) / 2)
    assert row["p50"] == pytest.approx((x + y) / 2)  # median of two
    assert row["unit"] == "currency"


def test_historical_clv_per_customer_and_month(history_ws) -> None:
    df = compute(
        history_ws,
        ["clv"],
        by=["customer_id"],
        grain="month",
        start="2026-01-01",
        end="2026-03-31",
        tz="UTC",
    )
    rows = {(r["customer_id"], str(r["period"])[:7]): r["value"] for _, r in df.iterrows()}
    # X to 02-01: 31 days → 100 × 31 / 30.4375; to 03-01: 59 days; to 04-01: ended 03-02, 60
    assert rows[("X", "2026-01")] == pytest.approx(100 * 31 / MONTH)
    assert rows[("X", "2026-02")] == pytest.approx(100 * 59 / MONTH)
    assert rows[("X", "2026-03")] == pytest.approx(100 * 60 / MONTH)
    # Y started 02-01: no revenue (and no row) by the end of January; to 03-01: 28 + 10 days
    assert ("Y", "2026-01") not in rows
    assert rows[("Y", "2026-02")] == pytest.approx(50 * 28 / MONTH + 20 * 10 / MONTH)
    assert ("Z", "2026-02") not in rows


@pytest.fixture(scope="module")
def mrr_ws():
    # the MRR golden case (see test_revenue_mrr.py): February 410 → 380, March 380 → 280
    return build_workspace({"customers": CUSTOMERS, "subscriptions": SUBSCRIPTIONS})


def test_predictive_clv_per_month(mrr_ws) -> None:
    df = compute(
        mrr_ws, ["clv_predictive"], grain="month", start="2026-01-01", end="2026-03-31", tz="UTC"
    )
    rows = {str(r["period"])[:7]: r for _, r in df.iterrows()}
    # January: nobody lost → no finite lifetime, no value; paying at the start A, B, C, E
    assert rows["2026-01"]["n"] == 4
    assert math.isnan(rows["2026-01"]["value"])
    # February: paying at the start A, B, C, E = 4; lost: E (60 → 0) and F (paid 02-03 to
    # 02-25, none at the end) = 2 → monthly churn 2 / 4 / 1 month = 50%
    # ARPA = 380 / 4 paying at the end (A, B, C, D) = 95 → CLV 95 × 1.0 / 0.5 = 190
    feb = rows["2026-02"]
    assert feb["n"] == 4
    assert feb["arpa"] == pytest.approx(95.0)
    assert feb["monthly_churn_rate"] == pytest.approx(50.0)
    assert feb["value"] == pytest.approx(190.0)
    # March: paying at the start A, B, C, D = 4; lost A → 25%; ARPA 280 / 3 → 373.33
    assert rows["2026-03"]["value"] == pytest.approx(280 / 3 / 0.25)


def test_predictive_clv_per_quarter(mrr_ws) -> None:
    df = compute(
        mrr_ws, ["clv_predictive"], grain="quarter", start="2026-01-01", end="2026-03-31", tz="UTC"
    )
    row = one(df, metric="clv_predictive")
    # Q1: paying at the start A, B, C, E = 4; lost A, E, F = 3 over 3 months
    # → monthly churn 3 / 4 / 3 = 25%; ARPA 280 / 3 (B, C, D) → 93.33 / 0.25 = 373.33
    assert row["monthly_churn_rate"] == pytest.approx(25.0)
    assert row["value"] == pytest.approx(280 / 3 / 0.25)


def test_predictive_clv_with_gross_margin() -> None:
    from conftest import UTC_9_TO_5

    ws = build_workspace(
        {"customers": CUSTOMERS, "subscriptions": SUBSCRIPTIONS},
        {**UTC_9_TO_5, "gross_margin": 0.8},
    )
    df = compute(
        ws, ["clv_predictive"], grain="month", start="2026-02-01", end="2026-02-28", tz="UTC"
    )
    # February: 95 × 0.8 / 0.5 = 152
    assert one(df, metric="clv_predictive")["value"] == pytest.approx(152.0)


def test_gross_margin_must_be_a_fraction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # 80 (a percentage) instead of 0.8: refused when the settings are read, naming the setting
    from deskmetrics.config import load_settings
    from deskmetrics.errors import ConfigError

    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text("gross_margin = 80\n")
    with pytest.raises(ConfigError, match="gross_margin"):
        load_settings(cfg)


# ---------------------------------------------------------------------------------------------
# conversion rate


@pytest.fixture(scope="module")
def conversion_ws():
    rows = [
        ("V1", "chat", "true"),
        ("V2", "chat", "true"),
        ("V3", "chat", "false"),
        ("V4", "chat", None),  # outcome not recorded: left out
        ("V5", "email", "true"),
        ("V6", "email", "false"),
        ("V7", "email", "false"),
        ("V8", "email", "false"),
        ("V9", "email", None),
        ("V10", "phone", "false"),
    ]
    return build_workspace(
        {
            "tickets": [
                ticket(t, f"2026-03-{i + 2:02d}T10:00:00Z", f"c{i}", channel=ch, converted=cv)
                for i, (t, ch, cv) in enumerate(rows)
            ]
        }
    )


def test_conversion_rate(conversion_ws) -> None:
    row = one(
        compute(conversion_ws, ["conversion_rate"], start="2026-03-01", end="2026-03-31", tz="UTC"),
        metric="conversion_rate",
    )
    # converted V1, V2, V5 = 3 of 8 with a recorded outcome (V4, V9 left out) → 37.5%
    assert (row["n"], row["value"]) == (8, pytest.approx(37.5))
    lo, hi = wilson_interval(3, 8)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo * 100), pytest.approx(hi * 100))
    assert row["small_sample"]


def test_conversion_rate_by_channel(conversion_ws) -> None:
    df = compute(
        conversion_ws,
        ["conversion_rate"],
        by=["channel"],
        start="2026-03-01",
        end="2026-03-31",
        tz="UTC",
    )
    # chat 2 / 3; email 1 / 4; phone 0 / 1
    assert one(df, channel="chat")["value"] == pytest.approx(200 / 3)
    assert one(df, channel="email")["value"] == pytest.approx(25.0)
    assert one(df, channel="phone")["value"] == pytest.approx(0.0)
