"""engine/periods.py, the one home of periods and time: hand-computed bounds across DST, naive
UTC, filling empty periods; and the custom sources listed in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from deskmetrics.engine.periods import (
    earlier_periods,
    epoch,
    fill_periods,
    naive_utc,
    periods_between,
    truncate_local,
    utc_now,
)
from deskmetrics.model import Grain

BERLIN = "Europe/Berlin"


def test_local_truncation_to_every_grain() -> None:
    d = datetime(2026, 8, 19, 15, 42, 7)  # a Wednesday
    assert truncate_local(d, Grain.HOUR) == datetime(2026, 8, 19, 15)
    assert truncate_local(d, Grain.DAY) == datetime(2026, 8, 19)
    assert truncate_local(d, Grain.WEEK) == datetime(2026, 8, 17)  # Monday
    assert truncate_local(d, Grain.MONTH) == datetime(2026, 8, 1)
    assert truncate_local(d, Grain.QUARTER) == datetime(2026, 7, 1)
    assert truncate_local(d, Grain.YEAR) == datetime(2026, 1, 1)


def test_days_across_the_spring_change_in_berlin() -> None:
    """Berlin moves from UTC+1 to UTC+2 on Sun 2026-03-29: that local day is 23 hours long,
    from 2026-03-28 23:00 UTC to 2026-03-29 22:00 UTC; the range clips the first and last."""
    got = periods_between(datetime(2026, 3, 28, 12), datetime(2026, 3, 30, 6), Grain.DAY, BERLIN)
    assert got == [
        (datetime(2026, 3, 28), datetime(2026, 3, 28, 12), datetime(2026, 3, 28, 23)),
        (datetime(2026, 3, 29), datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22)),
        (datetime(2026, 3, 30), datetime(2026, 3, 29, 22), datetime(2026, 3, 30, 6)),
    ]


def test_months_in_new_york_and_the_periods_before() -> None:
    """New York is UTC-5 in winter: February 2026 begins 05:00 UTC on Feb 1. November 2025
    begins while it is still UTC-4 (04:00 UTC; the change is on Nov 2) and December at UTC-5."""
    tz = "America/New_York"
    got = periods_between(datetime(2026, 1, 10), datetime(2026, 2, 2), Grain.MONTH, tz)
    assert got == [
        (datetime(2026, 1, 1), datetime(2026, 1, 10), datetime(2026, 2, 1, 5)),
        (datetime(2026, 2, 1), datetime(2026, 2, 1, 5), datetime(2026, 2, 2)),
    ]
    assert earlier_periods(datetime(2026, 1, 1), Grain.MONTH, tz, 2) == [
        (datetime(2025, 11, 1), datetime(2025, 11, 1, 4), datetime(2025, 12, 1, 5)),
        (datetime(2025, 12, 1), datetime(2025, 12, 1, 5), datetime(2026, 1, 1, 5)),
    ]


def test_now_and_naive_utc() -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    now = utc_now()
    assert now.tzinfo is None and before <= now <= before + timedelta(seconds=5)
    assert naive_utc(datetime(2026, 3, 1, 13, tzinfo=timezone(timedelta(hours=1)))) == datetime(
        2026, 3, 1, 12
    )
    assert naive_utc(datetime(2026, 3, 1, 12)) == datetime(2026, 3, 1, 12)  # naive means UTC
    assert naive_utc(None).tzinfo is None
    assert epoch(datetime(1970, 1, 2)) == 86400


def test_empty_periods_are_filled_for_counts_only() -> None:
    labels = [datetime(2026, 3, 2), datetime(2026, 3, 9), datetime(2026, 3, 16)]
    rows = pd.DataFrame({"channel": ["chat", "email"], "_period": labels[:2], "n": [3, 4]})
    filled = fill_periods(rows, labels, ["channel"], {"n": 0}, groups=True)
    assert sorted(zip(filled["channel"], filled["_period"], filled["n"], strict=True)) == [
        ("chat", pd.Timestamp("2026-03-02"), 3),
        ("chat", pd.Timestamp("2026-03-09"), 0),
        ("chat", pd.Timestamp("2026-03-16"), 0),
        ("email", pd.Timestamp("2026-03-02"), 0),
        ("email", pd.Timestamp("2026-03-09"), 4),
        ("email", pd.Timestamp("2026-03-16"), 0),
    ]
    # a mean by channel: an empty group is unknown, not 0, so nothing is added
    assert fill_periods(rows, labels, ["channel"], {"n": 0}, groups=False) is rows
    # without grouping every period appears
    one = pd.DataFrame({"period": [labels[1]], "n": [2], "value": [5.0]})
    out = fill_periods(one, labels, [], {"n": 0}, groups=False, column="period")
    assert out["n"].tolist() == [0, 2, 0]
    assert out["value"].isna().tolist() == [True, False, True]


def test_the_custom_sources_are_listed_in_one_place() -> None:
    """engine/custom.py lists them and one explicit call registers them: every registry metric
    over a table other than the ticket-side facts (tickets, replies, interactions, status,
    agent-days, chats, contacts, costs) is computed by its function there or from its rows
    listed there; the rows of every source are listed there too."""
    from deskmetrics.engine.compile import CUSTOM_SOURCES, SOURCES
    from deskmetrics.engine.custom import CUSTOM, ROWS
    from deskmetrics.metrics import REGISTRY

    assert CUSTOM_SOURCES == CUSTOM
    assert SOURCES == ROWS
    ticket_side = {
        "tickets", "replies", "interactions", "status", "agent_days", "chat_sessions",
        "contacts", "costs",
    }  # fmt: skip
    others = {m.source for m in REGISTRY.values() if m.source.value not in ticket_side}
    assert others == set(CUSTOM) | {s for s in ROWS if s.value not in ticket_side}


def test_date_presets_are_relative_to_today() -> None:
    from datetime import date

    from deskmetrics.engine.periods import DATE_PRESETS, preset_range

    today = date(2026, 3, 18)  # a Wednesday
    want = {
        "today": (date(2026, 3, 18), date(2026, 3, 18)),
        "yesterday": (date(2026, 3, 17), date(2026, 3, 17)),
        "this-week": (date(2026, 3, 16), date(2026, 3, 18)),  # Monday to today
        "last-week": (date(2026, 3, 9), date(2026, 3, 15)),
        "this-month": (date(2026, 3, 1), date(2026, 3, 18)),
        "last-month": (date(2026, 2, 1), date(2026, 2, 28)),
        "this-quarter": (date(2026, 1, 1), date(2026, 3, 18)),
        "last-quarter": (date(2025, 10, 1), date(2025, 12, 31)),
        "7d": (date(2026, 3, 12), date(2026, 3, 18)),
        "30d": (date(2026, 2, 17), date(2026, 3, 18)),  # 12 days of March + 18 of February
        "90d": (date(2025, 12, 19), date(2026, 3, 18)),  # 18 + 28 + 31 + 13
    }
    assert {key for _, key in DATE_PRESETS} == set(want)
    for key, bounds in want.items():
        assert preset_range(key, today) == bounds, key
    # on a Monday, the first of a month and a quarter: "this" periods are today alone
    monday = date(2026, 6, 1)
    for key in ("this-week", "this-month"):
        assert preset_range(key, monday) == (monday, monday)
    assert preset_range("last-week", monday) == (date(2026, 5, 25), date(2026, 5, 31))
    assert preset_range("this-quarter", date(2026, 4, 1)) == (date(2026, 4, 1), date(2026, 4, 1))


def test_a_year_earlier_keeps_the_wall_clock_and_leap_days_fall_back() -> None:
    from deskmetrics.engine.periods import year_earlier

    assert year_earlier(datetime(2026, 3, 9, 8, 30)) == datetime(2025, 3, 9, 8, 30)
    assert year_earlier(datetime(2024, 2, 29, 12)) == datetime(2023, 2, 28, 12)
