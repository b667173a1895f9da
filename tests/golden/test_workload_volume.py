"""Golden numbers for volume (tickets created): totals, by channel and agent, by weekday (ISO,
1 = Mon … 7 = Sun) and hour (0–23) in the request's time zone, per day with an empty day,
computed by hand from METRICS.md.

America/New_York is UTC−5 (EST) until Sun 2026-03-08 07:00 UTC, then UTC−4 (EDT).

| ticket | created (UTC)        | channel | assignee | UTC wd/h | New York local        | NY wd/h |
|--------|----------------------|---------|----------|----------|-----------------------|---------|
| V1     | Mon 03-02 09:15      | email   | a1       | 1 / 9    | Mon 04:15             | 1 / 4   |
| V2     | Mon 03-02 09:45      | email   | a2       | 1 / 9    | Mon 04:45             | 1 / 4   |
| V3     | Mon 03-02 23:30      | chat    | a1       | 1 / 23   | Mon 18:30             | 1 / 18  |
| V4     | Tue 03-03 03:00      | phone   | a1       | 2 / 3    | Mon 22:00             | 1 / 22  |
| V5     | Thu 03-05 10:00      | email   | a2       | 4 / 10   | Thu 05:00             | 4 / 5   |
| V6     | Sun 03-08 02:00      | email   | (none)   | 7 / 2    | Sat 03-07 21:00 (EST) | 6 / 21  |
| V7     | Sun 03-08 15:00      | chat    | a2       | 7 / 15   | Sun 11:00 (EDT)       | 7 / 11  |
| V8     | Mon 03-09 04:30      | email   | a1       | 1 / 4    | Mon 00:30 (EDT)       | 1 / 0   |
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import build_workspace, one, ticket
from deskmetrics.query import compute

ROWS = [
    ("V1", "2026-03-02T09:15:00Z", "email", "a1"),
    ("V2", "2026-03-02T09:45:00Z", "email", "a2"),
    ("V3", "2026-03-02T23:30:00Z", "chat", "a1"),
    ("V4", "2026-03-03T03:00:00Z", "phone", "a1"),
    ("V5", "2026-03-05T10:00:00Z", "email", "a2"),
    ("V6", "2026-03-08T02:00:00Z", "email", None),
    ("V7", "2026-03-08T15:00:00Z", "chat", "a2"),
    ("V8", "2026-03-09T04:30:00Z", "email", "a1"),
]


@pytest.fixture(scope="module")
def ws():
    tickets = []
    for i, (tid, at, ch, ag) in enumerate(ROWS):
        kw = {"channel": ch}
        if ag is not None:
            kw["assignee_id"] = ag
        tickets.append(ticket(tid, at, f"c{i}", **kw))
    return build_workspace({"tickets": tickets})


def check(row, count: int) -> None:
    assert row["value"] == pytest.approx(float(count))
    assert row["n"] == count
    assert row["unit"] == "count"


def cells(df: pd.DataFrame, *keys: str) -> dict[tuple, int]:
    out = {}
    for _, r in df.iterrows():
        assert r["value"] == pytest.approx(float(r["n"]))
        out[tuple(int(r[k]) for k in keys)] = int(r["n"])
    return out


def test_volume_total(ws) -> None:
    check(one(compute(ws, ["volume"]), metric="volume"), 8)  # V1..V8


def test_volume_by_channel(ws) -> None:
    df = compute(ws, ["volume"], by=["channel"])
    check(one(df, channel="email"), 5)  # V1 V2 V5 V6 V8
    check(one(df, channel="chat"), 2)  # V3 V7
    check(one(df, channel="phone"), 1)  # V4
    assert len(df) == 3


def test_volume_filter_email(ws) -> None:
    check(one(compute(ws, ["volume"], filters={"channel": "email"}), metric="volume"), 5)


def test_volume_by_agent(ws) -> None:
    df = compute(ws, ["volume"], by=["agent"])
    check(one(df, agent="a1"), 4)  # V1 V3 V4 V8
    check(one(df, agent="a2"), 3)  # V2 V5 V7
    # V6 has no assignee: kept in its own (null) group, not dropped
    rest = df[df["agent"].isna()]
    assert len(rest) == 1
    check(rest.iloc[0], 1)


def test_volume_by_weekday_hour_utc(ws) -> None:
    df = compute(ws, ["volume"], by=["weekday", "hour"], tz="UTC")
    assert cells(df, "weekday", "hour") == {
        (1, 9): 2,  # V1, V2
        (1, 23): 1,  # V3
        (2, 3): 1,  # V4
        (4, 10): 1,  # V5
        (7, 2): 1,  # V6
        (7, 15): 1,  # V7
        (1, 4): 1,  # V8
    }


def test_volume_by_weekday_hour_new_york(ws) -> None:
    df = compute(ws, ["volume"], by=["weekday", "hour"], tz="America/New_York")
    assert cells(df, "weekday", "hour") == {
        (1, 4): 2,  # V1 04:15, V2 04:45 (EST)
        (1, 18): 1,  # V3 Mon 18:30
        (1, 22): 1,  # V4 Tue 03:00Z → Mon 22:00
        (4, 5): 1,  # V5
        (6, 21): 1,  # V6 Sun 02:00Z → Sat 21:00 (still EST)
        (7, 11): 1,  # V7 Sun 15:00Z → 11:00 (EDT, after the change at 07:00Z)
        (1, 0): 1,  # V8 Mon 04:30Z → 00:30 (EDT)
    }


def test_volume_by_weekday_new_york(ws) -> None:
    df = compute(ws, ["volume"], by=["weekday"], tz="America/New_York")
    # Mon: V1 V2 V3 V4 V8 = 5; Thu: V5; Sat: V6; Sun: V7
    assert cells(df, "weekday") == {(1,): 5, (4,): 1, (6,): 1, (7,): 1}


def test_volume_per_day_with_empty_day(ws) -> None:
    df = compute(ws, ["volume"], grain="day", start="2026-03-02", end="2026-03-05", tz="UTC")
    days = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    check(days["2026-03-02"], 3)  # V1 V2 V3
    check(days["2026-03-03"], 1)  # V4
    check(days["2026-03-05"], 1)  # V5
    # Wed 03-04: no ticket created — an empty period is volume 0 with n 0
    assert "2026-03-04" in days, f"empty day missing:\n{df}"
    check(days["2026-03-04"], 0)


def test_volume_day_in_new_york(ws) -> None:
    df = compute(
        ws, ["volume"], grain="day", start="2026-03-02", end="2026-03-02", tz="America/New_York"
    )
    # NY Mon 03-02 = 05:00Z Mon … 05:00Z Tue: V1 V2 V3 V4 = 4
    assert len(df) == 1
    check(df.iloc[0], 4)
    assert str(df.iloc[0]["period"])[:10] == "2026-03-02"


def test_volume_empty_range(ws) -> None:
    # Fri 03-06 … Sat 03-07 (UTC): no ticket created (V6 is Sun 02:00Z) → 0, n 0
    row = one(
        compute(ws, ["volume"], start="2026-03-06", end="2026-03-07", tz="UTC"), metric="volume"
    )
    check(row, 0)
