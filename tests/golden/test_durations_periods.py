"""Golden numbers for time grains, report time zones and date ranges on duration metrics.
Schedule: Mon–Fri 09:00–17:00 UTC (conftest). Periods are local (naive) period starts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, ticket
from deskmetrics.query import compute

FRT = ["first_response_time", "first_response_time_business"]


def check(row, value: float, n: int, p50: float | None = None, p90: float | None = None) -> None:
    assert row["value"] == pytest.approx(value)
    assert row["n"] == n
    if p50 is not None:
        assert row["p50"] == pytest.approx(p50)
    if p90 is not None:
        assert row["p90"] == pytest.approx(p90)


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def replied(tid: str, created: str, reply: str) -> tuple[dict, list[dict]]:
    return (
        ticket(tid, created),
        [msg(f"{tid}-c", tid, created, "customer"), msg(f"{tid}-r", tid, reply, "agent", "a1")],
    )


def workspace(*items: tuple[dict, list[dict]]):
    return build_workspace(
        {
            "tickets": [t for t, _ in items],
            "events": [e for _, evs in items for e in evs],
        }
    )


def periods(df: pd.DataFrame, metric: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(p) for p in df[df.metric == metric]["period"]]


def test_day_grain_in_new_york() -> None:
    ws = workspace(
        # 2026-03-03 02:00Z is Mon 2026-03-02 21:00 EST; reply 03:00Z → 60 calendar,
        # 0 business (02:00–03:00Z is outside 09–17 UTC)
        replied("P1", "2026-03-03T02:00:00Z", "2026-03-03T03:00:00Z"),
        # 2026-03-03 06:00Z is Tue 2026-03-03 01:00 EST; reply 06:30Z → 30 calendar, 0 business
        replied("P2", "2026-03-03T06:00:00Z", "2026-03-03T06:30:00Z"),
    )
    ny = compute(ws, FRT, grain="day", tz="America/New_York")
    assert periods(ny, "first_response_time") == [
        pd.Timestamp("2026-03-02"),
        pd.Timestamp("2026-03-03"),
    ]
    check(one(ny, metric="first_response_time", period=pd.Timestamp("2026-03-02")), 60.0, 1)
    check(one(ny, metric="first_response_time", period=pd.Timestamp("2026-03-03")), 30.0, 1)
    check(one(ny, metric="first_response_time_business", period=pd.Timestamp("2026-03-02")), 0.0, 1)
    check(one(ny, metric="first_response_time_business", period=pd.Timestamp("2026-03-03")), 0.0, 1)
    # in UTC both tickets fall on 2026-03-03: (60 + 30)/2 = 45
    utc = compute(ws, FRT, grain="day", tz="UTC")
    assert periods(utc, "first_response_time") == [pd.Timestamp("2026-03-03")]
    check(one(utc, metric="first_response_time"), 45.0, 2, 45.0, 57.0)  # p90 30 + 0.9·30


def test_week_grain_starts_monday() -> None:
    ws = workspace(
        # Wed 03-04 10:00 → 10:20: 20 calendar, 20 business
        replied("K1", "2026-03-04T10:00:00Z", "2026-03-04T10:20:00Z"),
        # Sun 03-08 12:00 → Mon 03-09 09:30: 21.5 h = 1290 calendar; business Mon 09–09:30 = 30
        replied("K2", "2026-03-08T12:00:00Z", "2026-03-09T09:30:00Z"),
        # Mon 03-09 10:00 → 10:10: 10, business 10
        replied("K3", "2026-03-09T10:00:00Z", "2026-03-09T10:10:00Z"),
    )
    df = compute(ws, FRT, grain="week", tz="UTC")
    # weeks start Monday: 03-02 holds Wed 03-04 and Sun 03-08; 03-09 holds Mon 03-09
    assert periods(df, "first_response_time") == [
        pd.Timestamp("2026-03-02"),
        pd.Timestamp("2026-03-09"),
    ]
    wk1 = pd.Timestamp("2026-03-02")
    wk2 = pd.Timestamp("2026-03-09")
    # week 1: (20 + 1290)/2 = 655; p90 20 + 0.9·1270 = 1163; business (20 + 30)/2 = 25
    check(one(df, metric="first_response_time", period=wk1), 655.0, 2, 655.0, 1163.0)
    check(one(df, metric="first_response_time_business", period=wk1), 25.0, 2, 25.0, 29.0)
    # week 2: 10 / 10
    check(one(df, metric="first_response_time", period=wk2), 10.0, 1, 10.0, 10.0)
    check(one(df, metric="first_response_time_business", period=wk2), 10.0, 1, 10.0, 10.0)


def _range_ws():
    return workspace(
        replied("D1", "2026-03-02T12:00:00Z", "2026-03-02T12:10:00Z"),  # 10 / 10
        replied("D2", "2026-03-03T12:00:00Z", "2026-03-03T12:20:00Z"),  # 20 / 20
        # Wed 23:30 → Thu 00:10: 40 calendar, 0 business
        replied("D3", "2026-03-04T23:30:00Z", "2026-03-05T00:10:00Z"),
        # Thu 00:00 → 00:50: 50 calendar, 0 business
        replied("D4", "2026-03-05T00:00:00Z", "2026-03-05T00:50:00Z"),
    )


def test_date_range_includes_the_end_date() -> None:
    ws = _range_ws()
    df = compute(ws, FRT, start="2026-03-03", end="2026-03-04", tz="UTC")
    # D2 (03-03) and D3 (03-04 23:30) are inside; D1 before, D4 at 03-05 00:00 after
    # calendar (20 + 40)/2 = 30; business (20 + 0)/2 = 10
    check(one(df, metric="first_response_time"), 30.0, 2, 30.0, 38.0)  # p90 20 + 0.9·20
    check(one(df, metric="first_response_time_business"), 10.0, 2, 10.0, 18.0)  # 0 + 0.9·20


def test_date_range_is_local_to_the_report_zone() -> None:
    ws = _range_ws()
    # 2026-03-03 in New York (EST) is 03-03 05:00Z … 03-04 05:00Z: only D2
    df = compute(ws, FRT, start="2026-03-03", end="2026-03-03", tz="America/New_York")
    check(one(df, metric="first_response_time"), 20.0, 1)
    check(one(df, metric="first_response_time_business"), 20.0, 1)


def test_empty_range_gives_n_zero_and_no_mean() -> None:
    ws = _range_ws()
    df = compute(ws, FRT, start="2026-04-01", end="2026-04-02", tz="UTC")
    for name in FRT:
        row = one(df, metric=name)
        assert row["n"] == 0
        assert is_missing(row["value"])


def test_empty_period_inside_a_grained_range_gives_n_zero() -> None:
    # data on 03-02 (D1) and 03-04 (D3) only, asked day by day for 03-02 … 03-04:
    # 03-03 has no ticket and is reported with n = 0 and no mean
    ws = workspace(
        replied("D1", "2026-03-02T12:00:00Z", "2026-03-02T12:10:00Z"),
        replied("D3", "2026-03-04T23:30:00Z", "2026-03-05T00:10:00Z"),
    )
    df = compute(
        ws, "first_response_time", grain="day", tz="UTC", start="2026-03-02", end="2026-03-04"
    )
    assert periods(df, "first_response_time") == [
        pd.Timestamp("2026-03-02"),
        pd.Timestamp("2026-03-03"),
        pd.Timestamp("2026-03-04"),
    ]
    check(one(df, period=pd.Timestamp("2026-03-02")), 10.0, 1)
    empty = one(df, period=pd.Timestamp("2026-03-03"))
    assert empty["n"] == 0
    assert is_missing(empty["value"])
    check(one(df, period=pd.Timestamp("2026-03-04")), 40.0, 1)


def test_month_grain_in_new_york() -> None:
    # 2026-04-01 02:00Z is 2026-03-31 22:00 EDT → March in New York, April in UTC
    ws = workspace(
        replied("M1", "2026-04-01T02:00:00Z", "2026-04-01T02:45:00Z"),  # 45 / 0
        replied("M2", "2026-03-15T10:00:00Z", "2026-03-16T10:00:00Z"),  # Sun→Mon: 1440 / 60
    )
    ny = compute(ws, FRT, grain="month", tz="America/New_York")
    assert periods(ny, "first_response_time") == [pd.Timestamp("2026-03-01")]
    # March (NY): (45 + 1440)/2 = 742.5; business (0 + 60)/2 = 30
    check(one(ny, metric="first_response_time"), 742.5, 2)
    check(one(ny, metric="first_response_time_business"), 30.0, 2)
    utc = compute(ws, FRT, grain="month", tz="UTC")
    assert periods(utc, "first_response_time") == [
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-04-01"),
    ]
    check(one(utc, metric="first_response_time", period=pd.Timestamp("2026-04-01")), 45.0, 1)
