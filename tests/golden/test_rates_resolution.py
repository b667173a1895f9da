"""Golden numbers for resolution_rate = tickets (first) solved in the period / tickets created
in the period (METRICS.md; registry: numerator anchored at the first solve, denominator at
creation — different tickets, so it can exceed 100%).

| ticket | created        | solved                                               |
|--------|----------------|------------------------------------------------------|
| R1     | Mon 03-02 10:00| Mon 12:00                                            |
| R2     | Mon 03-02 11:00| Tue 10:00                                            |
| R3     | Mon 03-02 13:00| never                                                |
| R4     | Tue 03-03 09:00| Tue 11:00, reopened 12:00, solved again Tue 13:00    |
| R5     | Wed 03-04 09:00| Thu 03-05 10:00                                      |
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute


def _workspace():
    return build_workspace(
        {
            "tickets": [
                ticket("R1", "2026-03-02T10:00:00Z", "c1", channel="email"),
                ticket("R2", "2026-03-02T11:00:00Z", "c2", channel="chat"),
                ticket("R3", "2026-03-02T13:00:00Z", "c3", channel="email"),
                ticket("R4", "2026-03-03T09:00:00Z", "c4", channel="email"),
                ticket("R5", "2026-03-04T09:00:00Z", "c5", channel="chat"),
            ],
            "events": [
                msg("r1c", "R1", "2026-03-02T10:00:00Z", "customer", "c1"),
                status("r1s", "R1", "2026-03-02T12:00:00Z", "solved", "a1"),
                status("r2s", "R2", "2026-03-03T10:00:00Z", "solved", "a1"),
                status("r3o", "R3", "2026-03-02T13:30:00Z", "open", "a1"),
                status("r4s", "R4", "2026-03-03T11:00:00Z", "solved", "a1"),
                status("r4o", "R4", "2026-03-03T12:00:00Z", "open", "c4"),
                status("r4t", "R4", "2026-03-03T13:00:00Z", "solved", "a1"),
                status("r5s", "R5", "2026-03-05T10:00:00Z", "solved", "a1"),
            ],
        }
    )


@pytest.fixture(scope="module")
def ws():
    return _workspace()


def _by_day(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(r["period"])[:10]: r for _, r in df.iterrows()}


def test_resolution_rate_total(ws) -> None:
    row = one(compute(ws, ["resolution_rate"]), metric="resolution_rate")
    # created 5 (R1..R5); solved (at least once) R1, R2, R4, R5 = 4 → 80%, n = 5
    assert row["n"] == 5
    assert row["value"] == pytest.approx(80.0)
    assert row["unit"] == "percent"


def test_resolution_rate_per_day(ws) -> None:
    df = compute(ws, ["resolution_rate"], grain="day", start="2026-03-02", end="2026-03-05")
    days = _by_day(df)
    # Mon: created R1 R2 R3 = 3; solved R1 = 1 → 33.33…%
    assert days["2026-03-02"]["n"] == 3
    assert days["2026-03-02"]["value"] == pytest.approx(100 / 3)
    # Tue: created R4 = 1; solved R2 and R4 (R4 twice the same day, one ticket) = 2 → 200%
    assert days["2026-03-03"]["n"] == 1
    assert days["2026-03-03"]["value"] == pytest.approx(200.0)
    # Wed: created R5 = 1; solved none → 0%
    assert days["2026-03-04"]["n"] == 1
    assert days["2026-03-04"]["value"] == pytest.approx(0.0)
    # Thu: created 0; solved R5 → 1 / 0 is undefined: n 0, no value
    assert days["2026-03-05"]["n"] == 0
    assert math.isnan(days["2026-03-05"]["value"])


def test_resolution_rate_range(ws) -> None:
    # Tue..Wed: created R4, R5 = 2; solved in range: R2 (Tue), R4 (Tue) = 2 → 100%
    row = one(
        compute(ws, ["resolution_rate"], start="2026-03-03", end="2026-03-04"),
        metric="resolution_rate",
    )
    assert row["n"] == 2
    assert row["value"] == pytest.approx(100.0)


def test_resolution_rate_by_channel_and_filter(ws) -> None:
    df = compute(ws, ["resolution_rate"], by=["channel"])
    # email: created R1 R3 R4 = 3; solved R1 R4 = 2 → 66.66…%
    e = one(df, channel="email")
    assert e["n"] == 3
    assert e["value"] == pytest.approx(200 / 3)
    # chat: created R2 R5 = 2; solved R2 R5 = 2 → 100%
    c = one(df, channel="chat")
    assert c["n"] == 2
    assert c["value"] == pytest.approx(100.0)
    f = one(
        compute(ws, ["resolution_rate"], filters={"channel": "email"}), metric="resolution_rate"
    )
    assert f["n"] == 3
    assert f["value"] == pytest.approx(200 / 3)
