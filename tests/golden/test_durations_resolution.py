"""Golden numbers for first_resolution_time and full_resolution_time (calendar and business),
computed by hand from METRICS.md. Schedule: Mon–Fri 09:00–17:00 UTC (conftest).

Week used: Mon 2026-03-02 … Fri 2026-03-06."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import build_workspace, one, status, ticket
from deskmetrics.query import compute, explain


def check(row, value: float, n: int, p50: float | None = None, p90: float | None = None) -> None:
    assert row["value"] == pytest.approx(value)
    assert row["n"] == n
    if p50 is not None:
        assert row["p50"] == pytest.approx(p50)
    if p90 is not None:
        assert row["p90"] == pytest.approx(p90)


def _workspace():
    return build_workspace(
        {
            "tickets": [
                ticket("R1", "2026-03-02T09:00:00Z"),
                ticket("R2", "2026-03-02T10:00:00Z"),
                ticket("R3", "2026-03-03T16:00:00Z"),
                ticket("R4", "2026-03-04T09:00:00Z"),
                ticket("R5", "2026-03-04T09:00:00Z"),
            ],
            "events": [
                # R1: solved Mon 11:00, reopened Tue 10:00, solved again Tue 12:00
                status("r1a", "R1", "2026-03-02T09:30:00Z", "open"),
                status("r1b", "R1", "2026-03-02T11:00:00Z", "solved"),
                status("r1c", "R1", "2026-03-03T10:00:00Z", "open"),
                status("r1d", "R1", "2026-03-03T12:00:00Z", "solved"),
                # R2: solved 10:45, closed two days later (closing a solved ticket is no new solve)
                status("r2a", "R2", "2026-03-02T10:45:00Z", "solved"),
                status("r2b", "R2", "2026-03-04T10:00:00Z", "closed"),
                # R3: closed without having been solved, Wed 10:00
                status("r3a", "R3", "2026-03-03T16:30:00Z", "open"),
                status("r3b", "R3", "2026-03-04T10:00:00Z", "closed"),
                # R4: solved 10:00, reopened 11:00, not solved again
                status("r4a", "R4", "2026-03-04T10:00:00Z", "solved"),
                status("r4b", "R4", "2026-03-04T11:00:00Z", "open"),
                # R5: never solved
                status("r5a", "R5", "2026-03-04T09:10:00Z", "open"),
            ],
        }
    )


def test_first_resolution_time_per_ticket() -> None:
    ws = _workspace()
    df = compute(ws, ["first_resolution_time", "first_resolution_time_business"], by=["ticket_id"])
    cal = df[df.metric == "first_resolution_time"]
    bus = df[df.metric == "first_resolution_time_business"]
    # R1: Mon 09:00 → first solve Mon 11:00 = 120 (business 120)
    check(one(cal, ticket_id="R1"), 120.0, 1)
    check(one(bus, ticket_id="R1"), 120.0, 1)
    # R2: 10:00 → 10:45 = 45 (business 45)
    check(one(cal, ticket_id="R2"), 45.0, 1)
    check(one(bus, ticket_id="R2"), 45.0, 1)
    # R3: Tue 16:00 → closed Wed 10:00 = 18 h = 1080; business Tue 16–17 (60) + Wed 9–10 (60)
    check(one(cal, ticket_id="R3"), 1080.0, 1)
    check(one(bus, ticket_id="R3"), 120.0, 1)
    # R4: 09:00 → first solve 10:00 = 60 (the later reopen does not change it)
    check(one(cal, ticket_id="R4"), 60.0, 1)
    check(one(bus, ticket_id="R4"), 60.0, 1)
    # R5 never solved: no row
    assert "R5" not in set(df["ticket_id"])


def test_first_resolution_time_overall() -> None:
    ws = _workspace()
    df = compute(ws, ["first_resolution_time", "first_resolution_time_business"])
    # calendar 45, 60, 120, 1080 → mean 1305/4 = 326.25; p50 = (60+120)/2 = 90;
    # p90 at rank 2.7 → 120 + 0.7·(1080−120) = 792
    check(one(df, metric="first_resolution_time"), 326.25, 4, 90.0, 792.0)
    # business 45, 60, 120, 120 → mean 345/4 = 86.25; p50 = 90; p90 = 120
    check(one(df, metric="first_resolution_time_business"), 86.25, 4, 90.0, 120.0)


def test_full_resolution_time_per_ticket() -> None:
    ws = _workspace()
    df = compute(ws, ["full_resolution_time", "full_resolution_time_business"], by=["ticket_id"])
    cal = df[df.metric == "full_resolution_time"]
    bus = df[df.metric == "full_resolution_time_business"]
    # R1: Mon 09:00 → last solve Tue 12:00 = 27 h = 1620;
    # business Mon 09–17 (480) + Tue 09–12 (180) = 660
    check(one(cal, ticket_id="R1"), 1620.0, 1)
    check(one(bus, ticket_id="R1"), 660.0, 1)
    # R2: the later `closed` is not a new solve: 10:00 → 10:45 = 45
    check(one(cal, ticket_id="R2"), 45.0, 1)
    check(one(bus, ticket_id="R2"), 45.0, 1)
    # R3: closed without solve counts: 1080 calendar, 120 business
    check(one(cal, ticket_id="R3"), 1080.0, 1)
    check(one(bus, ticket_id="R3"), 120.0, 1)
    # R4 (reopened, not solved again) and R5 (never solved) are left out
    assert set(df["ticket_id"]) == {"R1", "R2", "R3"}


def test_full_resolution_time_overall() -> None:
    ws = _workspace()
    df = compute(ws, ["full_resolution_time", "full_resolution_time_business"])
    # calendar 45, 1080, 1620 → mean 2745/3 = 915; p50 = 1080;
    # p90 at rank 1.8 → 1080 + 0.8·(1620−1080) = 1512
    check(one(df, metric="full_resolution_time"), 915.0, 3, 1080.0, 1512.0)
    # business 45, 120, 660 → mean 825/3 = 275; p50 = 120; p90 = 120 + 0.8·540 = 552
    check(one(df, metric="full_resolution_time_business"), 275.0, 3, 120.0, 552.0)


def test_explain_full_resolution_leaves_out_reopened_and_unsolved() -> None:
    ws = _workspace()
    _, ex = explain(ws, "full_resolution_time")
    assert ex.counted == 3
    assert ex.ids == ["R1", "R2", "R3"]
    left = sorted(i for ids in ex.left_out_ids.values() for i in ids)
    assert left == ["R4", "R5"]
    assert sum(n for _, n in ex.left_out) == 2


def test_explain_full_resolution_names_the_reopened_ticket() -> None:
    # DECISIONS.md: a ticket reopened and not solved again is reported as "tickets reopened
    # and not solved again"; R5 (never solved) as "tickets not solved (yet)".
    ws = _workspace()
    _, ex = explain(ws, "full_resolution_time")
    assert ex.left_out_ids == {
        "tickets not solved (yet)": ["R5"],
        "tickets reopened and not solved again": ["R4"],
    }


def test_anchor_first_solve_vs_last_solve() -> None:
    # first_resolution_time is placed by the first solve, full_resolution_time by the last:
    # R1's first solve is Mon 03-02, its last Tue 03-03.
    ws = _workspace()
    first = compute(ws, "first_resolution_time", by=["ticket_id"], grain="day")
    full = compute(ws, "full_resolution_time", by=["ticket_id"], grain="day")
    assert pd.Timestamp(one(first, ticket_id="R1")["period"]) == pd.Timestamp("2026-03-02")
    assert pd.Timestamp(one(full, ticket_id="R1")["period"]) == pd.Timestamp("2026-03-03")
    # R3 was closed Wed 03-04 (both anchors); R4's first solve is Wed 03-04
    assert pd.Timestamp(one(first, ticket_id="R3")["period"]) == pd.Timestamp("2026-03-04")
    assert pd.Timestamp(one(full, ticket_id="R3")["period"]) == pd.Timestamp("2026-03-04")
    assert pd.Timestamp(one(first, ticket_id="R4")["period"]) == pd.Timestamp("2026-03-04")


def test_range_uses_the_anchor() -> None:
    # Only Tue 03-03: first resolutions that day → none of R1..R4 (R1 Mon, R2 Mon, R3 Wed,
    # R4 Wed) → n = 0; full resolutions that day → R1 only (1620 / 660)
    ws = _workspace()
    first = compute(ws, "first_resolution_time", start="2026-03-03", end="2026-03-03")
    assert one(first, metric="first_resolution_time")["n"] == 0
    df = compute(
        ws,
        ["full_resolution_time", "full_resolution_time_business"],
        start="2026-03-03",
        end="2026-03-03",
    )
    check(one(df, metric="full_resolution_time"), 1620.0, 1, 1620.0, 1620.0)
    check(one(df, metric="full_resolution_time_business"), 660.0, 1, 660.0, 660.0)


def test_reopen_via_pending_then_solved_again() -> None:
    # Created Thu 2026-03-05 09:00; solved 09:20; pending 09:40 (a reopen); solved 10:10.
    # first: 20 (business 20); full: 70 (business 70)
    ws = build_workspace(
        {
            "tickets": [ticket("P1", "2026-03-05T09:00:00Z")],
            "events": [
                status("p1a", "P1", "2026-03-05T09:20:00Z", "solved"),
                status("p1b", "P1", "2026-03-05T09:40:00Z", "pending"),
                status("p1c", "P1", "2026-03-05T10:10:00Z", "solved"),
            ],
        }
    )
    df = compute(
        ws,
        [
            "first_resolution_time",
            "first_resolution_time_business",
            "full_resolution_time",
            "full_resolution_time_business",
        ],
    )
    check(one(df, metric="first_resolution_time"), 20.0, 1)
    check(one(df, metric="first_resolution_time_business"), 20.0, 1)
    check(one(df, metric="full_resolution_time"), 70.0, 1)
    check(one(df, metric="full_resolution_time_business"), 70.0, 1)
