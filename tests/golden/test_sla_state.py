"""Golden SLA state, computed by hand: business-hour targets over a weekend, a public holiday
and a daylight-saving change; a pending stretch pausing the targets that pause (and not the
ones that do not); a priority change mid-ticket; a ticket breached while still open (fixed
`now`); first match wins; calendar-time targets; the at-risk window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, build_workspace, msg, one, status, ticket
from deskmetrics.errors import ConfigError, QueryError
from deskmetrics.sla_query import sla_queue, sla_state

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def config(*policies: dict[str, Any], **sla: Any) -> dict[str, Any]:
    """The test schedule (Mon–Fri 09:00–17:00 UTC) with these SLA policies."""
    return {**UTC_9_TO_5, "sla": {"policies": list(policies), **sla}}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", ""))


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text.replace("Z", ""))


def priority(eid: str, tid: str, when: str, value: str) -> dict[str, Any]:
    """A priority change: an `assignment` event carrying the new priority."""
    return {"event_id": eid, "ticket_id": tid, "at": when, "type": "assignment", "priority": value}


def state(df: pd.DataFrame, tid: str, target: str) -> pd.Series:
    return one(df, ticket_id=tid, sla_target=target)


# ---------------------------------------------------------------------------------------------
# weekend, and a ticket breached while still open


def test_first_reply_over_a_weekend_breached_while_open() -> None:
    # created Fri 2026-03-06 16:00Z, no reply yet; first reply target 2 business hours
    ws = build_workspace(
        {
            "tickets": [ticket("W", "2026-03-06T16:00:00Z", subject="Refund")],
            "events": [msg("w1", "W", "2026-03-06T16:00:00Z", "customer")],
        },
        config({"name": "std", "first_reply": "2h"}),
    )
    df = sla_state(ws, now=at("2026-03-09T10:30:00Z"))
    row = state(df, "W", "first_reply")
    # running time: Fri 16–17 (60) + Mon 09:00–10:30 (90) = 150 min > 120 → breached
    assert row["status"] == "breached"
    assert row["policy"] == "std"
    assert row["time"] == "business"
    assert row["elapsed_minutes"] == pytest.approx(150.0)
    # due where 120 min are reached: 60 on Friday, then Mon 09:00 + 60 = Mon 10:00
    assert row["due_at"] == ts("2026-03-09T10:00:00")
    # time left in business minutes: 120 − 150 = −30 (overdue)
    assert row["time_left_minutes"] == pytest.approx(-30.0)
    # breached at its due time, still open (not stopped)
    assert row["settled_at"] == ts("2026-03-09T10:00:00")
    assert pd.isna(row["stopped_at"])
    # the live queue lists it (breached, open), with the ticket's subject
    q = sla_queue(ws, now=at("2026-03-09T10:30:00Z"))
    assert list(q["ticket_id"]) == ["W"]
    assert q["subject"].iloc[0] == "Refund"
    # before Monday 10:00 it was still running: at Fri 16:30, 30 of 120 min used
    early = state(sla_state(ws, now=at("2026-03-06T16:30:00Z")), "W", "first_reply")
    assert early["status"] == "running"
    assert early["time_left_minutes"] == pytest.approx(90.0)
    assert early["due_at"] == ts("2026-03-09T10:00:00")
    # over the weekend the clock stands still (the schedule is closed), it is not paused
    sat = state(sla_state(ws, now=at("2026-03-07T12:00:00Z")), "W", "first_reply")
    assert sat["elapsed_minutes"] == pytest.approx(60.0)
    assert sat["status"] == "running"


# ---------------------------------------------------------------------------------------------
# public holiday and daylight saving (Europe/Berlin, DE holidays)

EU = {
    "timezone": "Europe/Berlin",
    "schedules": {
        "eu": {
            "timezone": "Europe/Berlin",
            "hours": dict.fromkeys(WEEKDAYS, "09:00-17:00"),
            "holidays": {"country": "DE"},
            "default": True,
        }
    },
}


def test_holiday_and_dst() -> None:
    cfg = {
        **EU,
        "sla": {
            "policies": [
                {"name": "eu", "first_reply": "4h", "resolution": "2h", "calendar": ["next_reply"]}
            ]
        },
    }
    ws = build_workspace(
        {
            "tickets": [
                # Thu 2026-04-02 16:00 CEST; Good Friday 04-03 and Easter Monday 04-06 are closed
                ticket("H", "2026-04-02T14:00:00Z"),
                # Fri 2026-03-27 16:00 CET; clocks go forward on Sun 2026-03-29
                ticket("D", "2026-03-27T15:00:00Z"),
            ],
            "events": [
                msg("h1", "H", "2026-04-02T14:00:00Z", "customer"),
                msg("d1", "D", "2026-03-27T15:00:00Z", "customer"),
                msg("d2", "D", "2026-03-27T15:10:00Z", "agent", "a1"),
            ],
        },
        cfg,
    )
    # H at Tue 2026-04-07 09:30 CEST (07:30Z), unanswered:
    df = sla_state(ws, now=at("2026-04-07T07:30:00Z"))
    h = state(df, "H", "first_reply")
    # Thu 16–17 (60) + Tue 09:00–09:30 (30) = 90 of 240; left 150 > window min(48, 60)
    assert h["elapsed_minutes"] == pytest.approx(90.0)
    assert h["status"] == "running"
    assert h["time_left_minutes"] == pytest.approx(150.0)
    # due: 60 on Thursday, 180 more from Tue 09:00 CEST → Tue 12:00 CEST = 10:00Z
    assert h["due_at"] == ts("2026-04-07T10:00:00")
    # D's resolution (2 h business), unsolved: Fri 16–17 CET (60) then Monday after the
    # change: 09:00 CEST is 07:00Z (it was 08:00Z before) → due Mon 10:00 CEST = 08:00Z
    df = sla_state(ws, now=at("2026-03-30T09:00:00Z"))
    d = state(df, "D", "resolution")
    assert d["due_at"] == ts("2026-03-30T08:00:00")
    # at Mon 11:00 CEST (09:00Z): 60 + 120 = 180 > 120 → breached, 60 min overdue
    assert d["status"] == "breached"
    assert d["elapsed_minutes"] == pytest.approx(180.0)
    assert d["time_left_minutes"] == pytest.approx(-60.0)
    # first reply after 10 minutes inside business hours: achieved, no due time
    fr = state(df, "D", "first_reply")
    assert fr["status"] == "achieved"
    assert fr["elapsed_minutes"] == pytest.approx(10.0)
    assert pd.isna(fr["due_at"])


# ---------------------------------------------------------------------------------------------
# calendar time


def test_calendar_time_target_ignores_hours_and_dst() -> None:
    cfg = {**EU, "sla": {"policies": [{"name": "24x7", "first_reply": "3d", "calendar": True}]}}
    ws = build_workspace(
        {
            "tickets": [ticket("C", "2026-03-27T15:00:00Z")],
            "events": [msg("c1", "C", "2026-03-27T15:00:00Z", "customer")],
        },
        cfg,
    )
    row = state(sla_state(ws, now=at("2026-03-28T15:00:00Z")), "C", "first_reply")
    # 3 days = 72 h of calendar time from Fri 15:00Z: Mon 2026-03-30 15:00Z, across the
    # weekend and the DST change (calendar time is elapsed time, not wall clock)
    assert row["time"] == "calendar"
    assert row["due_at"] == ts("2026-03-30T15:00:00")
    # Sat 15:00Z: 24 h elapsed, 48 h = 2880 min left
    assert row["elapsed_minutes"] == pytest.approx(1440.0)
    assert row["time_left_minutes"] == pytest.approx(2880.0)
    assert row["status"] == "running"


# ---------------------------------------------------------------------------------------------
# pending: resolution pauses, periodic update does not (unless the policy says so)


def _pending_ticket(tid: str, prio: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # Mon 2026-03-09: created 09:00, agent reply 10:00 and pending; customer answers Tue 09:00
    # (open again); solved Tue 12:00 without another reply
    return ticket(tid, "2026-03-09T09:00:00Z", priority=prio), [
        msg(f"{tid}1", tid, "2026-03-09T09:00:00Z", "customer"),
        msg(f"{tid}2", tid, "2026-03-09T10:00:00Z", "agent", "a1"),
        status(f"{tid}3", tid, "2026-03-09T10:00:00Z", "pending"),
        msg(f"{tid}4", tid, "2026-03-10T09:00:00Z", "customer"),
        status(f"{tid}5", tid, "2026-03-10T09:00:00Z", "open"),
        status(f"{tid}6", tid, "2026-03-10T12:00:00Z", "solved"),
    ]


def test_pending_pauses_resolution_not_periodic_update() -> None:
    t1, e1 = _pending_ticket("P", "normal")
    t2, e2 = _pending_ticket("Q", "high")
    cfg = config(
        {
            "name": "pausable",
            "when": {"priority": "high"},
            "periodic_update": "4h",
            "resolution": "8h",
            "pause": {"periodic_update": ["pending"], "resolution": []},
        },
        {
            "name": "std",
            "first_reply": "2h",
            "next_reply": "4h",
            "periodic_update": "4h",
            "resolution": "8h",
        },
    )
    ws = build_workspace({"tickets": [t1, t2], "events": e1 + e2}, cfg)
    df = sla_state(ws, now=at("2026-03-11T12:00:00Z"))
    # P resolution pauses while pending: Mon 09–10 (60) + Tue 09–12 (180) = 240 ≤ 480
    r = state(df, "P", "resolution")
    assert (r["status"], r["elapsed_minutes"]) == ("achieved", pytest.approx(240.0))
    assert r["stopped_at"] == ts("2026-03-10T12:00:00")
    # P periodic update (reply Mon 10:00 → stopped by the solve) does not pause:
    # Mon 10–17 (420) + Tue 09–12 (180) = 600 > 240 → breached at Mon 10:00 + 240 = 14:00
    p = state(df, "P", "periodic_update")
    assert (p["status"], p["elapsed_minutes"]) == ("breached", pytest.approx(600.0))
    assert p["due_at"] == ts("2026-03-09T14:00:00")
    # P next reply: customer Tue 09:00 after the reply; stopped by the solve at 12:00:
    # 180 ≤ 240 → achieved
    n = state(df, "P", "next_reply")
    assert (n["status"], n["elapsed_minutes"]) == ("achieved", pytest.approx(180.0))
    # P first reply: 60 ≤ 120
    assert state(df, "P", "first_reply")["status"] == "achieved"
    # Q (high) has the pausable policy: periodic update paused while pending → Tue 09–12
    # = 180 ≤ 240 achieved; its resolution pauses for nothing: Mon 09–17 (480) + Tue 09–12
    # (180) = 660 > 480 → breached at Mon 17:00
    q = state(df, "Q", "periodic_update")
    assert (q["status"], q["elapsed_minutes"]) == ("achieved", pytest.approx(180.0))
    qr = state(df, "Q", "resolution")
    assert (qr["status"], qr["elapsed_minutes"]) == ("breached", pytest.approx(660.0))
    assert qr["due_at"] == ts("2026-03-09T17:00:00")
    # the pausable policy has no first reply target: Q has none
    assert df[(df.ticket_id == "Q") & (df.sla_target == "first_reply")].empty
    # while pending (Mon 15:00) P's resolution is paused: 60 used, not at risk, not in queue
    mid = state(sla_state(ws, now=at("2026-03-09T15:00:00Z")), "P", "resolution")
    assert (mid["status"], bool(mid["paused"])) == ("running", True)
    assert mid["elapsed_minutes"] == pytest.approx(60.0)
    assert pd.isna(mid["due_at"])


# ---------------------------------------------------------------------------------------------
# priority change mid-ticket


def test_priority_change_applies_the_new_policy_from_then_on() -> None:
    cfg = config(
        {
            "name": "urgent",
            "when": {"priority": ["urgent"]},
            "first_reply": "1h",
            "resolution": "2h",
        },
        {"name": "normal", "first_reply": "4h", "resolution": "8h"},
    )
    ws = build_workspace(
        {
            "tickets": [
                ticket("C", "2026-03-09T09:00:00Z", priority="normal"),
                ticket("D", "2026-03-09T09:00:00Z", priority="normal"),
                ticket("E", "2026-03-09T09:00:00Z", priority="normal"),
            ],
            "events": [
                msg("c1", "C", "2026-03-09T09:00:00Z", "customer"),
                priority("c2", "C", "2026-03-09T09:30:00Z", "urgent"),
                msg("d1", "D", "2026-03-09T09:00:00Z", "customer"),
                msg("e1", "E", "2026-03-09T09:00:00Z", "customer"),
                msg("e2", "E", "2026-03-09T09:20:00Z", "agent", "a1"),
                priority("e3", "E", "2026-03-09T09:30:00Z", "urgent"),
            ],
        },
        cfg,
    )
    df = sla_state(ws, now=at("2026-03-09T10:30:00Z"))
    # C became urgent at 09:30: its running first reply is now measured against 1 h from
    # creation: 90 min used > 60 → breached, due 10:00
    c = state(df, "C", "first_reply")
    assert (c["policy"], c["status"]) == ("urgent", "breached")
    assert c["due_at"] == ts("2026-03-09T10:00:00")
    # D stayed normal: 90 of 240, 150 left (window min(48, 60) = 48) → running, due 13:00
    d = state(df, "D", "first_reply")
    assert (d["policy"], d["status"]) == ("normal", "running")
    assert d["due_at"] == ts("2026-03-09T13:00:00")
    # E was answered at 09:20, before the change: that target keeps the normal policy
    e = state(df, "E", "first_reply")
    assert (e["policy"], e["status"]) == ("normal", "achieved")
    # E's resolution still runs: urgent now, 90 of 120 → 30 left ≤ window min(24, 60) = 24?
    # no: 30 > 24 → running, due 11:00
    er = state(df, "E", "resolution")
    assert (er["policy"], er["status"]) == ("urgent", "running")
    assert er["time_left_minutes"] == pytest.approx(30.0)
    assert er["due_at"] == ts("2026-03-09T11:00:00")
    # at 10:40: 100 of 120 → 20 left ≤ 24 → at risk
    er2 = state(sla_state(ws, now=at("2026-03-09T10:40:00Z")), "E", "resolution")
    assert er2["status"] == "at_risk"
    # before the change (09:15) C was normal: 15 of 240 used
    c0 = state(sla_state(ws, now=at("2026-03-09T09:15:00Z")), "C", "first_reply")
    assert (c0["policy"], c0["status"]) == ("normal", "running")
    assert c0["due_at"] == ts("2026-03-09T13:00:00")


# ---------------------------------------------------------------------------------------------
# first match wins; conditions on tags, tier, channel


def test_first_matching_policy_wins() -> None:
    cfg = config(
        {"name": "vip", "when": {"tags": ["vip"]}, "first_reply": "30m"},
        {"name": "enterprise", "when": {"tier": "enterprise"}, "first_reply": "45m"},
        {"name": "urgent", "when": {"priority": "urgent"}, "first_reply": "1h"},
        {"name": "chat", "when": {"channel": ["chat"], "team": "Sales"}, "first_reply": "10m"},
        {"name": "default", "first_reply": "4h"},
    )
    rows = [
        ticket("V", "2026-03-09T09:00:00Z", priority="urgent", tags="billing; vip"),
        ticket("U", "2026-03-09T09:00:00Z", priority="urgent", tags="billing;vipx"),
        ticket("T", "2026-03-09T09:00:00Z", "big", priority="urgent"),
        ticket("S", "2026-03-09T09:00:00Z", channel="chat", group="Sales"),
        ticket("X", "2026-03-09T09:00:00Z", channel="chat", group="Support"),
    ]
    ws = build_workspace(
        {
            "tickets": rows,
            "customers": [
                {"customer_id": "big", "tier": "enterprise"},
                {"customer_id": "c1", "tier": "free"},
            ],
        },
        cfg,
    )
    df = sla_state(ws, now=at("2026-03-09T09:05:00Z"))
    got = {tid: state(df, tid, "first_reply")["policy"] for tid in "VUTSX"}
    # V: vip tag (listed first) although urgent; U: "vipx" is not the tag vip → urgent;
    # T: enterprise customer before urgent; S: chat and team Sales; X: default
    assert got == {"V": "vip", "U": "urgent", "T": "enterprise", "S": "chat", "X": "default"}
    # targets in minutes follow the policy
    assert state(df, "V", "first_reply")["target_minutes"] == pytest.approx(30.0)
    assert state(df, "S", "first_reply")["target_minutes"] == pytest.approx(10.0)


def test_policy_naming_an_unknown_column_is_a_clear_error() -> None:
    ws = build_workspace(
        {"tickets": [ticket("A", "2026-03-09T09:00:00Z")]},
        config({"name": "bad", "when": {"colour": "red"}, "first_reply": "1h"}),
    )
    with pytest.raises(ConfigError, match="colour"):
        sla_state(ws, now=at("2026-03-09T10:00:00Z"))


def test_bad_durations_and_states_are_errors() -> None:
    with pytest.raises(Exception, match="not like"):
        build_workspace({"tickets": []}, config({"name": "x", "first_reply": "soon"}))
    ws = build_workspace({"tickets": [ticket("A", "2026-03-09T09:00:00Z")]}, config())
    with pytest.raises(QueryError, match="unknown SLA status"):
        sla_state(ws, now=at("2026-03-09T10:00:00Z"), states=["late"])
    # no policies: no targets at all
    assert sla_state(ws, now=at("2026-03-09T10:00:00Z")).empty


# ---------------------------------------------------------------------------------------------
# the at-risk window


@pytest.mark.parametrize(
    ("now", "expected", "left"),
    [
        # 4 h target: window = min(20% × 240 = 48, 60) = 48 min
        ("2026-03-09T12:05:00Z", "running", 55.0),  # 185 used, 55 left > 48
        ("2026-03-09T12:12:00Z", "at_risk", 48.0),  # exactly 48 left → at risk
        ("2026-03-09T12:59:00Z", "at_risk", 1.0),
        ("2026-03-09T13:00:00Z", "breached", 0.0),  # due now → breached
    ],
)
def test_at_risk_window(now: str, expected: str, left: float) -> None:
    ws = build_workspace(
        {
            "tickets": [ticket("R", "2026-03-09T09:00:00Z")],
            "events": [msg("r1", "R", "2026-03-09T09:00:00Z", "customer")],
        },
        config({"name": "std", "first_reply": "4h", "resolution": "8h"}),
    )
    df = sla_state(ws, now=at(now))
    row = state(df, "R", "first_reply")
    assert row["status"] == expected
    assert row["time_left_minutes"] == pytest.approx(left)
    # 8 h target: window = min(96, 60) = 60 min; at 16:00 exactly 60 left → at risk
    res = state(sla_state(ws, now=at("2026-03-09T16:00:00Z")), "R", "resolution")
    assert (res["status"], res["time_left_minutes"]) == ("at_risk", pytest.approx(60.0))


def test_warning_window_is_configurable() -> None:
    ws = build_workspace(
        {
            "tickets": [ticket("R", "2026-03-09T09:00:00Z")],
            "events": [msg("r1", "R", "2026-03-09T09:00:00Z", "customer")],
        },
        config({"name": "std", "first_reply": "4h"}, warning_fraction=0.5, warning_max="3h"),
    )
    # window = min(50% × 240 = 120, 180) = 120: at 11:00, 120 left → at risk
    row = state(sla_state(ws, now=at("2026-03-09T11:00:00Z")), "R", "first_reply")
    assert row["status"] == "at_risk"
    q = sla_queue(ws, now=at("2026-03-09T11:00:00Z"), breached=False)
    assert list(q["status"]) == ["at_risk"]
    assert sla_queue(ws, now=at("2026-03-09T11:00:00Z"), at_risk=False).empty


def test_queue_soonest_due_first_and_limit() -> None:
    ws = build_workspace(
        {
            "tickets": [
                ticket("A", "2026-03-09T09:00:00Z"),
                ticket("B", "2026-03-09T09:30:00Z"),
                ticket("C", "2026-03-09T08:00:00Z", priority="urgent"),
            ],
            "events": [],
        },
        config(
            {"name": "urgent", "when": {"priority": "urgent"}, "first_reply": "30m"},
            {"name": "std", "first_reply": "2h"},
        ),
    )
    q = sla_queue(ws, now=at("2026-03-09T10:45:00Z"))
    # C (urgent, business time from 09:00): due 09:30, breached; A: due 11:00, 15 left ≤ 24
    # → at risk; B: due 11:30, 45 left > 24 → not listed
    assert list(q["ticket_id"]) == ["C", "A"]
    assert list(q["status"]) == ["breached", "at_risk"]
    assert list(sla_queue(ws, now=at("2026-03-09T10:45:00Z"), limit=1)["ticket_id"]) == ["C"]
