"""Golden numbers for requester_wait_time (new + open + hold), agent_wait_time (pending) and
on_hold_time (hold), calendar and business, computed by hand from METRICS.md.
Schedule: Mon–Fri 09:00–17:00 UTC (conftest). A ticket is `new` from creation until its first
status event; time in solved/closed counts for none of the three."""

from __future__ import annotations

import pytest

from conftest import build_workspace, one, status, ticket
from deskmetrics.query import compute, explain

WAITS = [
    "requester_wait_time",
    "requester_wait_time_business",
    "agent_wait_time",
    "agent_wait_time_business",
    "on_hold_time",
    "on_hold_time_business",
]


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
                ticket("W1", "2026-03-02T09:00:00Z"),
                ticket("W2", "2026-03-03T16:00:00Z"),
                ticket("W3", "2026-03-05T09:00:00Z"),
                ticket("W4", "2026-03-05T09:00:00Z"),
            ],
            "events": [
                # W1 (all inside Mon 09–17): new 09:00–09:30 (30), open 09:30–10:00 (30),
                # pending 10:00–13:00 (180), open 13:00–14:00 (60), hold 14:00–15:00 (60),
                # open 15:00–16:00 (60), solved 16:00
                status("w1a", "W1", "2026-03-02T09:30:00Z", "open"),
                status("w1b", "W1", "2026-03-02T10:00:00Z", "pending"),
                status("w1c", "W1", "2026-03-02T13:00:00Z", "open"),
                status("w1d", "W1", "2026-03-02T14:00:00Z", "hold"),
                status("w1e", "W1", "2026-03-02T15:00:00Z", "open"),
                status("w1f", "W1", "2026-03-02T16:00:00Z", "solved"),
                # W2 (overnight stretches):
                #   new     Tue 16:00–16:30      cal 30    bus 30
                #   open    Tue 16:30–17:30      cal 60    bus 30 (16:30–17:00)
                #   pending Tue 17:30–Wed 09:30  cal 960   bus 30 (Wed 09:00–09:30)
                #   open    Wed 09:30–16:00      cal 390   bus 390
                #   hold    Wed 16:00–Thu 10:00  cal 1080  bus 120 (Wed 16–17 + Thu 09–10)
                #   solved  Thu 10:00
                status("w2a", "W2", "2026-03-03T16:30:00Z", "open"),
                status("w2b", "W2", "2026-03-03T17:30:00Z", "pending"),
                status("w2c", "W2", "2026-03-04T09:30:00Z", "open"),
                status("w2d", "W2", "2026-03-04T16:00:00Z", "hold"),
                status("w2e", "W2", "2026-03-05T10:00:00Z", "solved"),
                # W3 (reopened): new 09:00–09:10 (10), pending 09:10–09:40 (30),
                # solved 09:40–10:00 (counts for none), open 10:00–10:20 (20), solved 10:20
                status("w3a", "W3", "2026-03-05T09:10:00Z", "pending"),
                status("w3b", "W3", "2026-03-05T09:40:00Z", "solved"),
                status("w3c", "W3", "2026-03-05T10:00:00Z", "open"),
                status("w3d", "W3", "2026-03-05T10:20:00Z", "solved"),
                # W4: not solved → left out of all three
                status("w4a", "W4", "2026-03-05T09:05:00Z", "open"),
                status("w4b", "W4", "2026-03-05T09:10:00Z", "pending"),
            ],
        }
    )


def test_waits_per_ticket() -> None:
    ws = _workspace()
    df = compute(ws, WAITS, by=["ticket_id"])

    def v(metric: str, tid: str):
        return one(df, metric=metric, ticket_id=tid)

    # W1: requester 30+30+60+60+60 = 240; agent (pending) 180; hold 60 — all in hours
    check(v("requester_wait_time", "W1"), 240.0, 1)
    check(v("requester_wait_time_business", "W1"), 240.0, 1)
    check(v("agent_wait_time", "W1"), 180.0, 1)
    check(v("agent_wait_time_business", "W1"), 180.0, 1)
    check(v("on_hold_time", "W1"), 60.0, 1)
    check(v("on_hold_time_business", "W1"), 60.0, 1)
    # W2: requester cal 30+60+390+1080 = 1560, bus 30+30+390+120 = 570;
    # agent cal 960, bus 30; hold cal 1080, bus 120
    check(v("requester_wait_time", "W2"), 1560.0, 1)
    check(v("requester_wait_time_business", "W2"), 570.0, 1)
    check(v("agent_wait_time", "W2"), 960.0, 1)
    check(v("agent_wait_time_business", "W2"), 30.0, 1)
    check(v("on_hold_time", "W2"), 1080.0, 1)
    check(v("on_hold_time_business", "W2"), 120.0, 1)
    # W3: requester 10 + 20 = 30; agent 30; hold 0 (a solved ticket with no hold counts as 0)
    check(v("requester_wait_time", "W3"), 30.0, 1)
    check(v("requester_wait_time_business", "W3"), 30.0, 1)
    check(v("agent_wait_time", "W3"), 30.0, 1)
    check(v("agent_wait_time_business", "W3"), 30.0, 1)
    check(v("on_hold_time", "W3"), 0.0, 1)
    check(v("on_hold_time_business", "W3"), 0.0, 1)
    # W4 is unsolved: in none of them
    assert "W4" not in set(df["ticket_id"])


def test_waits_overall() -> None:
    ws = _workspace()
    df = compute(ws, WAITS)
    # requester cal 30, 240, 1560 → 1830/3 = 610; p50 240; p90 240 + 0.8·1320 = 1296
    check(one(df, metric="requester_wait_time"), 610.0, 3, 240.0, 1296.0)
    # requester bus 30, 240, 570 → 840/3 = 280; p50 240; p90 240 + 0.8·330 = 504
    check(one(df, metric="requester_wait_time_business"), 280.0, 3, 240.0, 504.0)
    # agent cal 30, 180, 960 → 1170/3 = 390; p50 180; p90 180 + 0.8·780 = 804
    check(one(df, metric="agent_wait_time"), 390.0, 3, 180.0, 804.0)
    # agent bus 30, 30, 180 → 240/3 = 80; p50 30; p90 30 + 0.8·150 = 150
    check(one(df, metric="agent_wait_time_business"), 80.0, 3, 30.0, 150.0)
    # hold cal 0, 60, 1080 → 1140/3 = 380; p50 60; p90 60 + 0.8·1020 = 876
    check(one(df, metric="on_hold_time"), 380.0, 3, 60.0, 876.0)
    # hold bus 0, 60, 120 → 180/3 = 60; p50 60; p90 60 + 0.8·60 = 108
    check(one(df, metric="on_hold_time_business"), 60.0, 3, 60.0, 108.0)


def test_waits_explain_leaves_out_unsolved() -> None:
    ws = _workspace()
    for name in ("requester_wait_time", "agent_wait_time", "on_hold_time"):
        _, ex = explain(ws, name)
        assert ex.counted == 3
        assert ex.ids == ["W1", "W2", "W3"]
        assert [i for ids in ex.left_out_ids.values() for i in ids] == ["W4"]


def test_waits_anchor_on_last_solve() -> None:
    # W2 was solved Thu 03-05; restricting to Thu gives W2 and W3 (solved 10:20 Thu) but not W1
    ws = _workspace()
    df = compute(
        ws, ["agent_wait_time", "agent_wait_time_business"], start="2026-03-05", end="2026-03-05"
    )
    # cal 30, 960 → 990/2 = 495; p50 495; p90 at rank 0.9 → 30 + 0.9·930 = 867
    # bus 30, 30 → 30
    check(one(df, metric="agent_wait_time"), 495.0, 2, 495.0, 867.0)
    check(one(df, metric="agent_wait_time_business"), 30.0, 2, 30.0, 30.0)


def test_ticket_that_never_changed_status_until_solved() -> None:
    # Created Mon 2026-03-02 12:00, first status event `solved` Mon 15:00:
    # all 180 min are `new` → requester 180 (business 180), agent 0, hold 0
    ws = build_workspace(
        {
            "tickets": [ticket("N1", "2026-03-02T12:00:00Z")],
            "events": [status("n1a", "N1", "2026-03-02T15:00:00Z", "solved")],
        }
    )
    df = compute(ws, WAITS)
    check(one(df, metric="requester_wait_time"), 180.0, 1)
    check(one(df, metric="requester_wait_time_business"), 180.0, 1)
    check(one(df, metric="agent_wait_time"), 0.0, 1)
    check(one(df, metric="agent_wait_time_business"), 0.0, 1)
    check(one(df, metric="on_hold_time"), 0.0, 1)
    check(one(df, metric="on_hold_time_business"), 0.0, 1)
