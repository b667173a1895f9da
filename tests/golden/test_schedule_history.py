"""Golden business time of tickets whose schedule changes while they are open (`schedule`
events): each stretch of business time is measured on the schedule in force then (Zendesk's
rule), before any schedule event on the ticket's own schedule. Durations, waits, SLA elapsed time
and due instants, kept facts brought up to date by a new schedule event. All computed by hand.

Schedules: `office` Mon–Fri 09:00–17:00 UTC (the default), `always` 24/7 UTC, `eu` Mon–Fri
09:00–17:00 Europe/Berlin (CET = UTC+1 until Sun 2026-03-29 01:00Z, CEST = UTC+2 after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute
from deskmetrics.sla_query import sla_state, sla_targets

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")
CONFIG: dict[str, Any] = {
    "timezone": "UTC",
    "schedules": {
        "office": {
            "timezone": "UTC",
            "hours": dict.fromkeys(WEEKDAYS, "09:00-17:00"),
            "default": True,
        },
        "always": {"timezone": "UTC", "hours": dict.fromkeys(ALL_DAYS, "00:00-24:00")},
        "eu": {"timezone": "Europe/Berlin", "hours": dict.fromkeys(WEEKDAYS, "09:00-17:00")},
    },
}
FRT = ["first_response_time", "first_response_time_business"]


def schedule(eid: str, tid: str, at: str, schedule_id: str, **kw: Any) -> dict[str, Any]:
    """A schedule event: `schedule_id` is in force for the ticket from `at`."""
    return {"event_id": eid, "ticket_id": tid, "at": at, "type": "schedule",
            "schedule_id": schedule_id, **kw}  # fmt: skip


def replied(tid: str, created: str, reply: str, *changes: tuple[str, str], **kw: Any):  # type: ignore[no-untyped-def]
    """A ticket with a customer message at creation, schedule changes (instant, schedule id)
    and one human agent reply."""
    events = [msg(f"{tid}-c", tid, created, "customer")]
    events += [schedule(f"{tid}-s{i}", tid, at, sid) for i, (at, sid) in enumerate(changes)]
    events.append(msg(f"{tid}-r", tid, reply, "agent", "a1"))
    return ticket(tid, created, **kw), events


def workspace(*items, extra: tuple[dict[str, Any], ...] = (), config=None):  # type: ignore[no-untyped-def]
    return build_workspace(
        {
            "tickets": [t for t, _ in items],
            "events": [e for _, evs in items for e in evs] + list(extra),
        },
        config or CONFIG,
    )


def frt(ws, tid: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    df = compute(ws, FRT, by=["ticket_id"])
    return (
        one(df, metric="first_response_time", ticket_id=tid)["value"],
        one(df, metric="first_response_time_business", ticket_id=tid)["value"],
    )


# ---------------------------------------------------------------------------------------------
# first response across changes


def test_change_to_a_24_7_schedule_and_back() -> None:
    ws = workspace(
        # Mon 2026-03-02 16:00Z created (office); → always at 18:00Z; replied Tue 08:00Z.
        # office 16:00–17:00 (60) + always 18:00 → Tue 08:00 (840) = 900; calendar 16 h = 960
        replied("A", "2026-03-02T16:00:00Z", "2026-03-03T08:00:00Z",
                ("2026-03-02T18:00:00Z", "always")),
        # same, back to office at Tue 06:00Z; replied Tue 10:00Z:
        # 60 + always 18:00 → 06:00 (720) + office 09:00–10:00 (60) = 840; calendar 18 h = 1080
        replied("B", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z",
                ("2026-03-02T18:00:00Z", "always"), ("2026-03-03T06:00:00Z", "office")),
        # no schedule event: office all along, 60 + 60 = 120
        replied("C", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z"),
        # the ticket's own schedule is `always`; → office at 18:00Z; replied Tue 10:00Z:
        # always 16:00–18:00 (120) + office 09:00–10:00 (60) = 180
        replied("D", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z",
                ("2026-03-02T18:00:00Z", "office"), schedule_id="always"),
    )  # fmt: skip
    assert frt(ws, "A") == (pytest.approx(960.0), pytest.approx(900.0))
    assert frt(ws, "B") == (pytest.approx(1080.0), pytest.approx(840.0))
    assert frt(ws, "C") == (pytest.approx(1080.0), pytest.approx(120.0))
    assert frt(ws, "D") == (pytest.approx(1080.0), pytest.approx(180.0))
    # the mean over tickets: (900 + 840 + 120 + 180) / 4 = 510
    assert one(compute(ws, FRT), metric="first_response_time_business")["value"] == 510.0


def test_a_schedule_event_before_creation_applies_from_creation() -> None:
    ws = workspace(
        # Mon 2026-03-02 16:00Z created, its schedule set to `always` at 12:00Z (before);
        # replied 20:00Z: 240 business minutes (office would give 60)
        replied("P", "2026-03-02T16:00:00Z", "2026-03-02T20:00:00Z",
                ("2026-03-02T12:00:00Z", "always")),
        # set to `always` before creation, then to office at creation: the later change wins
        # (office all along, 60), whatever the order of the rows
        replied("Q", "2026-03-02T16:00:00Z", "2026-03-02T20:00:00Z",
                ("2026-03-02T16:00:00Z", "office"), ("2026-03-02T12:00:00Z", "always")),
        # a change exactly at creation: `always`, 240
        replied("R", "2026-03-02T16:00:00Z", "2026-03-02T20:00:00Z",
                ("2026-03-02T16:00:00Z", "always")),
    )  # fmt: skip
    assert frt(ws, "P") == (pytest.approx(240.0), pytest.approx(240.0))
    assert frt(ws, "Q") == (pytest.approx(240.0), pytest.approx(60.0))
    assert frt(ws, "R") == (pytest.approx(240.0), pytest.approx(240.0))


def test_two_schedule_events_at_one_instant_the_later_in_source_order_wins() -> None:
    # all: Mon 2026-03-02 16:00Z created, two changes at 18:00Z, replied Tue 10:00Z.
    # office wins: 60 + 60 = 120; always wins: 60 + 18:00 → 10:00 (960) = 1020
    at = "2026-03-02T18:00:00Z"
    tickets = {tid: replied(tid, "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z")
               for tid in ("E", "F", "G", "H")}  # fmt: skip
    extra = (
        # `seq` decides, not the order of the rows: seq 2 (office) is the later
        schedule("E-2", "E", at, "office", seq=2),
        schedule("E-1", "E", at, "always", seq=1),
        # and the other way round
        schedule("F-2", "F", at, "always", seq=2),
        schedule("F-1", "F", at, "office", seq=1),
        # no `seq`: the order of arrival (rows), never the text of the ids ("G-a" < "G-z")
        schedule("G-z", "G", at, "office"),
        schedule("G-a", "G", at, "always"),
        schedule("H-a", "H", at, "always"),
        schedule("H-z", "H", at, "office"),
    )
    ws = workspace(*tickets.values(), extra=extra)
    assert frt(ws, "E")[1] == pytest.approx(120.0)
    assert frt(ws, "F")[1] == pytest.approx(1020.0)
    assert frt(ws, "G")[1] == pytest.approx(1020.0)
    assert frt(ws, "H")[1] == pytest.approx(120.0)


def test_an_unknown_schedule_id_means_the_default_schedule() -> None:
    # own schedule `always`; at Mon 2026-03-02 18:00Z → "nope" (not configured): the default
    # schedule (office) from then, as for a ticket whose schedule_id is unknown.
    # always 16:00–18:00 (120) + office Tue 09:00–10:00 (60) = 180
    ws = workspace(
        replied("U", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z",
                ("2026-03-02T18:00:00Z", "nope"), schedule_id="always"),
    )  # fmt: skip
    assert frt(ws, "U") == (pytest.approx(1080.0), pytest.approx(180.0))


def test_a_daylight_saving_change_inside_a_stretch_after_a_change() -> None:
    ws = workspace(
        # own schedule `always`; created Fri 2026-03-27 14:00Z; → eu at 15:00Z (16:00 CET);
        # clocks go forward Sun 03-29; replied Mon 03-30 07:30Z (09:30 CEST).
        # always 14:00–15:00 (60) + eu Fri 15:00–16:00Z (60) + Mon 07:00–07:30Z (30) = 150;
        # calendar Fri 14:00 → Mon 07:30 = 65.5 h = 3930
        replied("S", "2026-03-27T14:00:00Z", "2026-03-30T07:30:00Z",
                ("2026-03-27T15:00:00Z", "eu"), schedule_id="always"),
        # eu from Fri 15:00Z, `always` over the change (Sat 12:00Z → Sun 12:00Z: 1440), eu
        # again: 60 + 60 + 1440 + 30 = 1590
        replied("T", "2026-03-27T14:00:00Z", "2026-03-30T07:30:00Z",
                ("2026-03-27T15:00:00Z", "eu"), ("2026-03-28T12:00:00Z", "always"),
                ("2026-03-29T12:00:00Z", "eu"), schedule_id="always"),
    )  # fmt: skip
    assert frt(ws, "S") == (pytest.approx(3930.0), pytest.approx(150.0))
    assert frt(ws, "T") == (pytest.approx(3930.0), pytest.approx(1590.0))


# ---------------------------------------------------------------------------------------------
# status stretches (waits, resolution) across changes


def test_waits_and_resolution_across_changes() -> None:
    # Mon 2026-03-02 16:00Z created (office); hold 16:30Z; → always 20:00Z; open Tue 02:00Z;
    # → office Tue 04:00Z; solved Tue 10:00Z
    ws = build_workspace(
        {
            "tickets": [ticket("W", "2026-03-02T16:00:00Z")],
            "events": [
                status("W-h", "W", "2026-03-02T16:30:00Z", "hold"),
                schedule("W-s1", "W", "2026-03-02T20:00:00Z", "always"),
                status("W-o", "W", "2026-03-03T02:00:00Z", "open"),
                schedule("W-s2", "W", "2026-03-03T04:00:00Z", "office"),
                status("W-x", "W", "2026-03-03T10:00:00Z", "solved"),
            ],
        },
        CONFIG,
    )
    df = compute(
        ws,
        [
            "on_hold_time",
            "on_hold_time_business",
            "requester_wait_time",
            "requester_wait_time_business",
            "full_resolution_time",
            "full_resolution_time_business",
        ],
    )
    # hold 16:30 → Tue 02:00 (9.5 h = 570): office 16:30–17:00 (30) + always 20:00–02:00 (360)
    assert one(df, metric="on_hold_time")["value"] == pytest.approx(570.0)
    assert one(df, metric="on_hold_time_business")["value"] == pytest.approx(390.0)
    # new 16:00–16:30 (30) + hold (390) + open 02:00 → 10:00: always 02–04 (120) + office
    # 09–10 (60) = 600; calendar 18 h = 1080, also the full resolution
    for name in ("requester_wait_time", "full_resolution_time"):
        assert one(df, metric=name)["value"] == pytest.approx(1080.0)
        assert one(df, metric=f"{name}_business")["value"] == pytest.approx(600.0)


# ---------------------------------------------------------------------------------------------
# SLA clocks on the schedule in force

SLA_CONFIG = {
    **CONFIG,
    "sla": {
        "policies": [
            # a policy naming its schedule keeps it, whatever the ticket's changes
            {
                "name": "own",
                "when": {"priority": "high"},
                "schedule": "office",
                "first_reply": "4h",
            },
            {"name": "std", "first_reply": "4h"},
        ]
    },
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", ""))


def test_sla_due_instant_after_a_schedule_change() -> None:
    created = "2026-03-02T15:00:00Z"  # Mon
    ws = build_workspace(
        {
            "tickets": [
                ticket("S1", created),
                ticket("S2", created),
                ticket("S3", created, priority="high"),
                ticket("S4", created),
            ],
            "events": [
                msg("S1-c", "S1", created, "customer"),
                schedule("S1-s", "S1", "2026-03-02T17:00:00Z", "always"),
                msg("S2-c", "S2", created, "customer"),
                schedule("S2-s1", "S2", "2026-03-02T17:00:00Z", "always"),
                schedule("S2-s2", "S2", "2026-03-02T18:00:00Z", "office"),
                msg("S3-c", "S3", created, "customer"),
                schedule("S3-s", "S3", "2026-03-02T17:00:00Z", "always"),
                msg("S4-c", "S4", created, "customer"),
                schedule("S4-s", "S4", "2026-03-02T17:00:00Z", "always"),
                msg("S4-r", "S4", "2026-03-02T20:00:00Z", "agent", "a1"),
            ],
        },
        SLA_CONFIG,
    )

    def state(now: str, tid: str) -> pd.Series:
        return one(sla_state(ws, now=at(now)), ticket_id=tid, sla_target="first_reply")

    # S1: office 15:00–17:00 (120 of 240), then `always`: due Mon 19:00Z (office: Tue 11:00Z).
    # At Mon 18:00Z: 120 + 60 = 180 elapsed, 60 left
    s1 = state("2026-03-02T18:00:00Z", "S1")
    assert s1["status"] == "running"  # 60 left > the warning window, min(20 % of 240, 60)
    assert s1["elapsed_minutes"] == pytest.approx(180.0)
    assert s1["time_left_minutes"] == pytest.approx(60.0)
    assert s1["due_at"] == pd.Timestamp("2026-03-02T19:00:00")
    # before the change the due instant follows the schedule in force so far (office)
    early = state("2026-03-02T16:00:00Z", "S1")
    assert early["due_at"] == pd.Timestamp("2026-03-03T11:00:00")
    assert early["elapsed_minutes"] == pytest.approx(60.0)
    # S2: office 120 + always 17–18 (60) + back to office: 60 left → Tue 09:00–10:00.
    # At Tue 12:00Z, unanswered: breached at Tue 10:00Z, 120 + 60 + 180 = 360 elapsed
    s2 = state("2026-03-03T12:00:00Z", "S2")
    assert s2["status"] == "breached"
    assert s2["elapsed_minutes"] == pytest.approx(360.0)
    assert s2["due_at"] == pd.Timestamp("2026-03-03T10:00:00")
    assert s2["settled_at"] == pd.Timestamp("2026-03-03T10:00:00")
    # S3: its policy names `office`: the change does not apply, due Tue 11:00Z; at Tue 12:00Z
    # 120 + 180 = 300 elapsed
    s3 = state("2026-03-03T12:00:00Z", "S3")
    assert s3["policy"] == "own"
    assert s3["status"] == "breached"
    assert s3["elapsed_minutes"] == pytest.approx(300.0)
    assert s3["due_at"] == pd.Timestamp("2026-03-03T11:00:00")
    # S4: replied Mon 20:00Z: 120 + 180 = 300 > 240, breached at its due instant Mon 19:00Z
    s4 = state("2026-03-03T12:00:00Z", "S4")
    assert s4["status"] == "breached"
    assert s4["elapsed_minutes"] == pytest.approx(300.0)
    assert s4["due_at"] == pd.Timestamp("2026-03-02T19:00:00")
    assert s4["settled_at"] == pd.Timestamp("2026-03-02T19:00:00")
    assert s4["stopped_at"] == pd.Timestamp("2026-03-02T20:00:00")

    # the per-target export counts business time on the schedules in force too: S2 at Tue
    # 12:00Z ran 360 business minutes (as above) and 21 h = 1,260 calendar minutes (Mon 15:00Z
    # → Tue 12:00Z); S1 at Mon 18:00Z: 180 business (120 office + 60 always), 180 calendar
    def target(now: str, tid: str) -> pd.Series:
        rows, _ = sla_targets(ws, now=at(now))
        return one(rows, ticket_id=tid, sla_target="first_reply")

    s2t = target("2026-03-03T12:00:00Z", "S2")
    assert s2t["elapsed_business_minutes"] == pytest.approx(360.0)
    assert s2t["elapsed_calendar_minutes"] == pytest.approx(1260.0)
    s1t = target("2026-03-02T18:00:00Z", "S1")
    assert s1t["elapsed_business_minutes"] == pytest.approx(180.0)
    assert s1t["elapsed_calendar_minutes"] == pytest.approx(180.0)


# ---------------------------------------------------------------------------------------------
# kept facts


def test_a_new_schedule_event_updates_the_kept_facts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from deskmetrics.engine import kept

    made: list[int] = []
    real = kept._make_all

    def counting(facts):  # type: ignore[no-untyped-def]
        made.append(1)
        real(facts)

    monkeypatch.setattr(kept, "_make_all", counting)
    # office: Mon 2026-03-02 16:00Z → Tue 10:00Z = 60 + 60 = 120 for both tickets
    ws = workspace(
        replied("K1", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z"),
        replied("K2", "2026-03-02T16:00:00Z", "2026-03-03T10:00:00Z", requester="c2"),
    )
    ws.keep_facts_min_events = 0
    assert frt(ws, "K1")[1] == pytest.approx(120.0)
    assert made == [1]
    # K1 moves to `always` at Mon 18:00Z: 60 + 960 = 1020; K2 stays at 120
    rows = [schedule("K1-later", "K1", "2026-03-02T18:00:00Z", "always")]
    frame = validate(SourceFrame(TABLES["events"], "events.later", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="later").rejects
    assert frt(ws, "K1")[1] == pytest.approx(1020.0)
    assert frt(ws, "K2")[1] == pytest.approx(120.0)
    assert made == [1]  # brought up to date ticket by ticket
    # and back to office at Tue 06:00Z: 60 + 720 + 60 = 840
    rows = [schedule("K1-back", "K1", "2026-03-03T06:00:00Z", "office")]
    frame = validate(SourceFrame(TABLES["events"], "events.back", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="back").rejects
    assert frt(ws, "K1")[1] == pytest.approx(840.0)
    assert made == [1]
