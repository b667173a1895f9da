"""Golden numbers for duration metrics grouped by a ticket column (channel), an extra column
(region), ticket_id and agent, and filtered. Schedule: Mon–Fri 09:00–17:00 UTC (conftest).
`agent` is the ticket's assignee for ticket metrics and the replying agent for reply times
(DECISIONS.md, "Agents and workload")."""

from __future__ import annotations

import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute

FRT = ["first_response_time", "first_response_time_business"]
FULL = ["full_resolution_time", "full_resolution_time_business"]


def check(row, value: float, n: int, p50: float | None = None, p90: float | None = None) -> None:
    assert row["value"] == pytest.approx(value)
    assert row["n"] == n
    if p50 is not None:
        assert row["p50"] == pytest.approx(p50)
    if p90 is not None:
        assert row["p90"] == pytest.approx(p90)


def _workspace():
    # Per ticket (calendar / business minutes):
    #   G1 email emea a1: created Mon 09:00, reply (a1) 09:10, solved 10:00
    #      FRT 10/10, full 60/60
    #   G2 email amer a1: created Mon 10:00, reply (a1) 10:30, solved 12:00
    #      FRT 30/30, full 120/120
    #   G3 chat emea a2 : created Mon 11:00, reply by a1 (not the assignee) 11:05, solved 11:20
    #      FRT 5/5, full 20/20
    #   G4 chat amer a2 : created Mon 16:00, reply (a2) Tue 09:20, solved Tue 10:00
    #      FRT 17 h 20 = 1040 / (16–17 + 09–09:20) 80; full 18 h = 1080 / (60 + 60) 120
    # No other status events: the whole time until the solve is `new` (requester wait = full).
    return build_workspace(
        {
            "tickets": [
                ticket(
                    "G1", "2026-03-02T09:00:00Z", channel="email", region="emea", assignee_id="a1"
                ),
                ticket(
                    "G2", "2026-03-02T10:00:00Z", channel="email", region="amer", assignee_id="a1"
                ),
                ticket(
                    "G3", "2026-03-02T11:00:00Z", channel="chat", region="emea", assignee_id="a2"
                ),
                ticket(
                    "G4", "2026-03-02T16:00:00Z", channel="chat", region="amer", assignee_id="a2"
                ),
            ],
            "events": [
                msg("g1c", "G1", "2026-03-02T09:00:00Z", "customer"),
                msg("g1r", "G1", "2026-03-02T09:10:00Z", "agent", "a1"),
                status("g1s", "G1", "2026-03-02T10:00:00Z", "solved", "a1"),
                msg("g2c", "G2", "2026-03-02T10:00:00Z", "customer"),
                msg("g2r", "G2", "2026-03-02T10:30:00Z", "agent", "a1"),
                status("g2s", "G2", "2026-03-02T12:00:00Z", "solved", "a1"),
                msg("g3c", "G3", "2026-03-02T11:00:00Z", "customer"),
                msg("g3r", "G3", "2026-03-02T11:05:00Z", "agent", "a1"),
                status("g3s", "G3", "2026-03-02T11:20:00Z", "solved", "a2"),
                msg("g4c", "G4", "2026-03-02T16:00:00Z", "customer"),
                msg("g4r", "G4", "2026-03-03T09:20:00Z", "agent", "a2"),
                status("g4s", "G4", "2026-03-03T10:00:00Z", "solved", "a2"),
            ],
        }
    )


def test_group_by_channel() -> None:
    df = compute(_workspace(), [*FRT, *FULL], by=["channel"])
    # FRT email: 10, 30 → 20; p50 20; p90 10 + 0.9·20 = 28 (business the same)
    check(one(df, metric="first_response_time", channel="email"), 20.0, 2, 20.0, 28.0)
    check(one(df, metric="first_response_time_business", channel="email"), 20.0, 2, 20.0, 28.0)
    # FRT chat: 5, 1040 → 522.5; p90 5 + 0.9·1035 = 936.5
    check(one(df, metric="first_response_time", channel="chat"), 522.5, 2, 522.5, 936.5)
    # business chat: 5, 80 → 42.5; p90 5 + 0.9·75 = 72.5
    check(one(df, metric="first_response_time_business", channel="chat"), 42.5, 2, 42.5, 72.5)
    # full email: 60, 120 → 90 (business the same)
    check(one(df, metric="full_resolution_time", channel="email"), 90.0, 2)
    check(one(df, metric="full_resolution_time_business", channel="email"), 90.0, 2)
    # full chat: 20, 1080 → 550; business 20, 120 → 70
    check(one(df, metric="full_resolution_time", channel="chat"), 550.0, 2)
    check(one(df, metric="full_resolution_time_business", channel="chat"), 70.0, 2)


def test_group_by_extra_column() -> None:
    names = [*FRT, "requester_wait_time", "requester_wait_time_business"]
    df = compute(_workspace(), names, by=["region"])
    # FRT emea: G1 10, G3 5 → 7.5 (business 7.5); amer: G2 30, G4 1040 → 535; business
    # 30, 80 → 55
    check(one(df, metric="first_response_time", region="emea"), 7.5, 2)
    check(one(df, metric="first_response_time_business", region="emea"), 7.5, 2)
    check(one(df, metric="first_response_time", region="amer"), 535.0, 2)
    check(one(df, metric="first_response_time_business", region="amer"), 55.0, 2)
    # requester wait (= all `new` until the solve) emea: 60, 20 → 40; amer: 120, 1080 → 600;
    # business amer: 120, 120 → 120
    check(one(df, metric="requester_wait_time", region="emea"), 40.0, 2)
    check(one(df, metric="requester_wait_time_business", region="emea"), 40.0, 2)
    check(one(df, metric="requester_wait_time", region="amer"), 600.0, 2)
    check(one(df, metric="requester_wait_time_business", region="amer"), 120.0, 2)


def test_group_by_two_columns() -> None:
    df = compute(_workspace(), FRT, by=["channel", "region"])
    assert len(df[df.metric == "first_response_time"]) == 4
    check(one(df, metric="first_response_time", channel="chat", region="amer"), 1040.0, 1)
    check(one(df, metric="first_response_time_business", channel="chat", region="amer"), 80.0, 1)
    check(one(df, metric="first_response_time", channel="email", region="emea"), 10.0, 1)


def test_group_by_ticket_id() -> None:
    df = compute(_workspace(), FULL, by=["ticket_id"])
    expected = {"G1": (60, 60), "G2": (120, 120), "G3": (20, 20), "G4": (1080, 120)}
    for tid, (cal, bus) in expected.items():
        check(one(df, metric="full_resolution_time", ticket_id=tid), cal, 1, cal, cal)
        check(one(df, metric="full_resolution_time_business", ticket_id=tid), bus, 1, bus, bus)


def test_group_by_agent_is_the_assignee_for_ticket_metrics() -> None:
    df = compute(_workspace(), [*FRT, *FULL], by=["agent"])
    # a1 is assignee of G1, G2: FRT 10, 30 → 20; full 60, 120 → 90
    check(one(df, metric="first_response_time", agent="a1"), 20.0, 2)
    check(one(df, metric="full_resolution_time", agent="a1"), 90.0, 2)
    # a2 is assignee of G3 (though a1 replied) and G4: FRT 5, 1040 → 522.5; business 42.5
    check(one(df, metric="first_response_time", agent="a2"), 522.5, 2)
    check(one(df, metric="first_response_time_business", agent="a2"), 42.5, 2)
    # full a2: 20, 1080 → 550; business 20, 120 → 70
    check(one(df, metric="full_resolution_time", agent="a2"), 550.0, 2)
    check(one(df, metric="full_resolution_time_business", agent="a2"), 70.0, 2)


def test_group_by_agent_is_the_replier_for_reply_times() -> None:
    names = ["average_reply_time", "average_reply_time_business"]
    df = compute(_workspace(), names, by=["agent"])
    # a1 replied in G1 (10), G2 (30), G3 (5): 45/3 = 15; p50 10; p90 10 + 0.8·20 = 26
    check(one(df, metric="average_reply_time", agent="a1"), 15.0, 3, 10.0, 26.0)
    check(one(df, metric="average_reply_time_business", agent="a1"), 15.0, 3, 10.0, 26.0)
    # a2 replied in G4: 1040 calendar, 80 business
    check(one(df, metric="average_reply_time", agent="a2"), 1040.0, 1)
    check(one(df, metric="average_reply_time_business", agent="a2"), 80.0, 1)


def test_filter_by_column() -> None:
    ws = _workspace()
    df = compute(ws, FRT, filters={"channel": "email"})
    check(one(df, metric="first_response_time"), 20.0, 2)
    df = compute(ws, FRT, filters=["region=amer", "channel=chat"])
    check(one(df, metric="first_response_time"), 1040.0, 1)
    check(one(df, metric="first_response_time_business"), 80.0, 1)
