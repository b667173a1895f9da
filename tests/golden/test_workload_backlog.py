"""Golden numbers for backlog (tickets unsolved at a point in time) and backlog_age (their age
since creation, in minutes), at each day's end (local midnight after the day), computed by
hand from METRICS.md. Solved means solved or closed; pending and on-hold are unsolved.

| ticket | assignee | created         | status history                                      |
|--------|----------|-----------------|-----------------------------------------------------|
| B1     | a2       | Mon 03-02 10:00 | solved Tue 10:00                                    |
| B2     | a1       | Mon 03-02 12:00 | pending Tue 09:00, solved Thu 15:00                 |
| B3     | a2       | Tue 03-03 14:00 | solved Wed 10:00, open Wed 16:00, solved Fri 10:00  |
| B4     | a1       | Wed 03-04 09:00 | open Wed 09:30, never solved                        |
| B5     | a1       | Wed 03-04 10:00 | solved Wed 11:00                                    |
| B6     | a2       | Thu 03-05 08:00 | closed Thu 20:00                                    |

Unsolved at each day end (UTC):
- Mon end (Tue 00:00): B1 (14 h = 840 min), B2 (12 h = 720 min)                  → 2
- Tue end (Wed 00:00): B2 (36 h = 2160), B3 (10 h = 600)                         → 2
- Wed end (Thu 00:00): B2 (60 h = 3600), B3 reopened (34 h = 2040), B4 (15 h = 900) → 3
- Thu end (Fri 00:00): B3 (58 h = 3480), B4 (39 h = 2340)                        → 2
- Fri end (Sat 00:00): B4 (63 h = 3780)                                          → 1
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute


def _workspace():
    return build_workspace(
        {
            "tickets": [
                ticket("B1", "2026-03-02T10:00:00Z", "c1", channel="email", assignee_id="a2"),
                ticket("B2", "2026-03-02T12:00:00Z", "c2", channel="email", assignee_id="a1"),
                ticket("B3", "2026-03-03T14:00:00Z", "c3", channel="chat", assignee_id="a2"),
                ticket("B4", "2026-03-04T09:00:00Z", "c4", channel="email", assignee_id="a1"),
                ticket("B5", "2026-03-04T10:00:00Z", "c5", channel="email", assignee_id="a1"),
                ticket("B6", "2026-03-05T08:00:00Z", "c6", channel="phone", assignee_id="a2"),
            ],
            "events": [
                msg("b1c", "B1", "2026-03-02T10:00:00Z", "customer", "c1"),
                status("b1s", "B1", "2026-03-03T10:00:00Z", "solved", "a2"),
                status("b2p", "B2", "2026-03-03T09:00:00Z", "pending", "a1"),
                status("b2s", "B2", "2026-03-05T15:00:00Z", "solved", "a1"),
                status("b3s", "B3", "2026-03-04T10:00:00Z", "solved", "a2"),
                status("b3o", "B3", "2026-03-04T16:00:00Z", "open", "c3"),
                status("b3t", "B3", "2026-03-06T10:00:00Z", "solved", "a2"),
                status("b4o", "B4", "2026-03-04T09:30:00Z", "open", "a1"),
                status("b5s", "B5", "2026-03-04T11:00:00Z", "solved", "a1"),
                status("b6x", "B6", "2026-03-05T20:00:00Z", "closed", "a2"),
            ],
        }
    )


@pytest.fixture(scope="module")
def ws():
    return _workspace()


def _by_day(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(r["period"])[:10]: r for _, r in df.iterrows()}


def test_backlog_per_day_end(ws) -> None:
    df = compute(ws, ["backlog"], grain="day", start="2026-03-02", end="2026-03-06")
    days = _by_day(df)
    expected = {
        "2026-03-02": 2,  # B1, B2
        "2026-03-03": 2,  # B2 (pending), B3
        "2026-03-04": 3,  # B2, B3 (reopened Wed 16:00), B4; B5 solved the same day
        "2026-03-05": 2,  # B3, B4; B2 solved Thu 15:00, B6 closed Thu 20:00
        "2026-03-06": 1,  # B4; B3 solved Fri 10:00
    }
    assert sorted(days) == sorted(expected)
    for day, count in expected.items():
        assert days[day]["value"] == pytest.approx(float(count)), day
        assert days[day]["n"] == count, day
        assert days[day]["unit"] == "count"


def test_backlog_at_range_end(ws) -> None:
    # no grain: at the end of the range = end of Wed 03-04 (Thu 00:00) → B2, B3, B4 = 3
    row = one(compute(ws, ["backlog"], start="2026-03-02", end="2026-03-04"), metric="backlog")
    assert row["value"] == pytest.approx(3.0)
    assert row["n"] == 3


def test_backlog_now(ws) -> None:
    # no range: now → only B4 is still unsolved
    row = one(compute(ws, ["backlog"]), metric="backlog")
    assert row["value"] == pytest.approx(1.0)
    assert row["n"] == 1


def test_backlog_age_per_day_end(ws) -> None:
    df = compute(ws, ["backlog_age"], grain="day", start="2026-03-02", end="2026-03-06")
    days = _by_day(df)
    assert (df["unit"] == "minutes").all()
    # Mon: 840, 720 → mean 780; p50 780; p90 = 720 + 0.9·120 = 828
    assert days["2026-03-02"]["n"] == 2
    assert days["2026-03-02"]["value"] == pytest.approx(780.0)
    assert days["2026-03-02"]["p50"] == pytest.approx(780.0)
    assert days["2026-03-02"]["p90"] == pytest.approx(828.0)
    # Tue: 2160, 600 → mean 1380
    assert days["2026-03-03"]["n"] == 2
    assert days["2026-03-03"]["value"] == pytest.approx(1380.0)
    # Wed: 3600, 2040, 900 → mean 6540 / 3 = 2180; p50 2040; p90 at index 1.8 →
    # 2040 + 0.8·(3600 − 2040) = 3288
    assert days["2026-03-04"]["n"] == 3
    assert days["2026-03-04"]["value"] == pytest.approx(2180.0)
    assert days["2026-03-04"]["p50"] == pytest.approx(2040.0)
    assert days["2026-03-04"]["p90"] == pytest.approx(3288.0)
    # Thu: 3480, 2340 → mean 2910
    assert days["2026-03-05"]["n"] == 2
    assert days["2026-03-05"]["value"] == pytest.approx(2910.0)
    # Fri: 3780
    assert days["2026-03-06"]["n"] == 1
    assert days["2026-03-06"]["value"] == pytest.approx(3780.0)


def test_backlog_by_agent_and_channel(ws) -> None:
    df = compute(ws, ["backlog"], by=["agent"], start="2026-03-04", end="2026-03-04")
    # end of Wed: B2 (a1), B4 (a1), B3 (a2)
    assert one(df, agent="a1")["value"] == pytest.approx(2.0)
    assert one(df, agent="a2")["value"] == pytest.approx(1.0)
    df = compute(ws, ["backlog"], by=["channel"], start="2026-03-04", end="2026-03-04")
    # B2, B4 email; B3 chat
    assert one(df, channel="email")["value"] == pytest.approx(2.0)
    assert one(df, channel="chat")["value"] == pytest.approx(1.0)
    row = one(
        compute(
            ws, ["backlog"], start="2026-03-04", end="2026-03-04", filters={"channel": "email"}
        ),
        metric="backlog",
    )
    assert row["value"] == pytest.approx(2.0)
