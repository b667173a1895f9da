"""Golden business-time numbers: weekends, public holidays (country and listed dates), daylight
saving changes, a schedule outside UTC with a lunch break, a ticket measured by a second
schedule, and a changed schedule changing past numbers. All computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = dict.fromkeys(WEEKDAYS, "09:00-17:00")
US_LUNCH = dict.fromkeys(WEEKDAYS, "08:00-12:00,13:00-18:00")

FRT = ["first_response_time", "first_response_time_business"]


def check(row, value: float, n: int, p50: float | None = None, p90: float | None = None) -> None:
    assert row["value"] == pytest.approx(value)
    assert row["n"] == n
    if p50 is not None:
        assert row["p50"] == pytest.approx(p50)
    if p90 is not None:
        assert row["p90"] == pytest.approx(p90)


def replied(tid: str, created: str, reply: str, **kw) -> tuple[dict, list[dict]]:
    """A ticket with a customer message at creation and one human agent reply."""
    return (
        ticket(tid, created, **kw),
        [msg(f"{tid}-c", tid, created, "customer"), msg(f"{tid}-r", tid, reply, "agent", "a1")],
    )


def workspace(items: list[tuple[dict, list[dict]]], config=None, extra_events=()):
    tickets = [t for t, _ in items]
    events = [e for _, evs in items for e in evs] + list(extra_events)
    return build_workspace({"tickets": tickets, "events": events}, config)


def frt_by_ticket(ws):
    df = compute(ws, FRT, by=["ticket_id"])

    def get(tid: str) -> tuple[float, float]:
        return (
            one(df, metric="first_response_time", ticket_id=tid)["value"],
            one(df, metric="first_response_time_business", ticket_id=tid)["value"],
        )

    return get


# ---------------------------------------------------------------------------------------------
# weekend (default test schedule: Mon–Fri 09:00–17:00 UTC)


def test_weekend_is_not_business_time() -> None:
    # Fri 2026-03-06 16:00 → agent reply Mon 2026-03-09 10:00 → solved Mon 11:00 (still `new`
    # until then: no status event before the solve)
    t, evs = replied("WE", "2026-03-06T16:00:00Z", "2026-03-09T10:00:00Z")
    ws = workspace(
        [(t, evs)], extra_events=[status("WE-s", "WE", "2026-03-09T11:00:00Z", "solved")]
    )
    df = compute(
        ws,
        [
            *FRT,
            "first_resolution_time",
            "first_resolution_time_business",
            "full_resolution_time",
            "full_resolution_time_business",
            "requester_wait_time",
            "requester_wait_time_business",
        ],
    )
    # FRT calendar: Fri 16:00 → Mon 10:00 = 2 d 18 h = 66 h = 3960
    check(one(df, metric="first_response_time"), 3960.0, 1)
    # FRT business: Fri 16–17 (60) + Mon 09–10 (60) = 120
    check(one(df, metric="first_response_time_business"), 120.0, 1)
    # resolution: Fri 16:00 → Mon 11:00 = 67 h = 4020; business 60 + 120 = 180
    for name in ("first_resolution_time", "full_resolution_time", "requester_wait_time"):
        check(one(df, metric=name), 4020.0, 1)
        check(one(df, metric=f"{name}_business"), 180.0, 1)


# ---------------------------------------------------------------------------------------------
# public holidays (Europe/Berlin, country DE; 2026-12-24 listed)

EU = {
    "timezone": "Europe/Berlin",
    "schedules": {
        "eu": {
            "timezone": "Europe/Berlin",
            "hours": NINE_TO_FIVE,
            "holidays": {"country": "DE", "dates": ["2026-12-24"]},
            "default": True,
        },
        "eu-country-only": {
            "timezone": "Europe/Berlin",
            "hours": NINE_TO_FIVE,
            "holidays": {"country": "DE"},
        },
        "eu-no-holidays": {"timezone": "Europe/Berlin", "hours": NINE_TO_FIVE},
    },
    # Christmas 2026 may lie ahead of the clock the tests run at: instants more than a day
    # ahead are refused unless [limits] allows them
    "limits": {"recorded_ahead": "400d"},
}


def test_public_holidays_easter() -> None:
    # Thu 2026-04-02 16:00 CEST (14:00Z) → Tue 2026-04-07 10:00 CEST (08:00Z).
    # Good Friday 04-03 and Easter Monday 04-06 are DE public holidays.
    items = [
        replied("EA", "2026-04-02T14:00:00Z", "2026-04-07T08:00:00Z"),
        replied("EB", "2026-04-02T14:00:00Z", "2026-04-07T08:00:00Z", schedule_id="eu-no-holidays"),
    ]
    get = frt_by_ticket(workspace(items, EU))
    # calendar: Thu 14:00Z → Tue 08:00Z = 4 d 18 h = 114 h = 6840
    # with DE holidays: Thu 16–17 (60) + Tue 09–10 (60) = 120
    assert get("EA") == (pytest.approx(6840.0), pytest.approx(120.0))
    # without holidays: 60 + Fri 480 + Mon 480 + 60 = 1080
    assert get("EB") == (pytest.approx(6840.0), pytest.approx(1080.0))


def test_listed_holiday_dates() -> None:
    # Wed 2026-12-23 16:00 CET (15:00Z) → Mon 2026-12-28 10:00 CET (09:00Z).
    # 12-24 (Thu) is listed, 12-25 (Fri) is a DE holiday, 12-26/27 weekend.
    items = [
        replied("XA", "2026-12-23T15:00:00Z", "2026-12-28T09:00:00Z"),
        replied(
            "XB", "2026-12-23T15:00:00Z", "2026-12-28T09:00:00Z", schedule_id="eu-country-only"
        ),
        replied("XC", "2026-12-23T15:00:00Z", "2026-12-28T09:00:00Z", schedule_id="eu-no-holidays"),
    ]
    get = frt_by_ticket(workspace(items, EU))
    # calendar: Wed 15:00Z → Mon 09:00Z = 4 d 18 h = 6840 for all three
    # listed + country: Wed 16–17 (60) + Mon 09–10 (60) = 120
    assert get("XA") == (pytest.approx(6840.0), pytest.approx(120.0))
    # country only: 60 + Thu 24th 480 + 60 = 600
    assert get("XB") == (pytest.approx(6840.0), pytest.approx(600.0))
    # no holidays: 60 + 480 + 480 + 60 = 1080
    assert get("XC") == (pytest.approx(6840.0), pytest.approx(1080.0))


def test_holiday_in_resolution_and_waits() -> None:
    # Wed 2026-04-01 16:00 CEST (14:00Z) created; hold Wed 16:30 CEST (14:30Z);
    # solved Tue 2026-04-07 09:30 CEST (07:30Z). Fri 04-03 and Mon 04-06 are holidays.
    ws = build_workspace(
        {
            "tickets": [ticket("HR", "2026-04-01T14:00:00Z")],
            "events": [
                status("HR-h", "HR", "2026-04-01T14:30:00Z", "hold"),
                status("HR-s", "HR", "2026-04-07T07:30:00Z", "solved"),
            ],
        },
        EU,
    )
    df = compute(
        ws,
        [
            "full_resolution_time",
            "full_resolution_time_business",
            "on_hold_time",
            "on_hold_time_business",
            "requester_wait_time",
            "requester_wait_time_business",
        ],
    )
    # full calendar: Wed 14:00Z → Tue 07:30Z = 5 d 17.5 h = 137.5 h = 8250
    # full business: Wed 16–17 (60) + Thu 480 + Tue 09–09:30 (30) = 570
    check(one(df, metric="full_resolution_time"), 8250.0, 1)
    check(one(df, metric="full_resolution_time_business"), 570.0, 1)
    # hold: Wed 14:30Z → Tue 07:30Z = 8250 − 30 = 8220; business 30 + 480 + 30 = 540
    check(one(df, metric="on_hold_time"), 8220.0, 1)
    check(one(df, metric="on_hold_time_business"), 540.0, 1)
    # requester wait = new (30) + hold: 8250 calendar, 570 business
    check(one(df, metric="requester_wait_time"), 8250.0, 1)
    check(one(df, metric="requester_wait_time_business"), 570.0, 1)


# ---------------------------------------------------------------------------------------------
# daylight saving (Europe/Berlin 09:00–17:00 local: 08:00–16:00Z in CET, 07:00–15:00Z in CEST)

BERLIN = {
    "timezone": "Europe/Berlin",
    "schedules": {"eu": {"timezone": "Europe/Berlin", "hours": NINE_TO_FIVE, "default": True}},
}


def test_dst_spring_change() -> None:
    items = [
        # Fri 03-27 07:30Z (08:30 CET) → Mon 03-30 07:30Z (09:30 CEST)
        # calendar 72 h = 4320; business Fri 08:00–16:00Z (480) + Mon 07:00–07:30Z (30) = 510
        replied("S1", "2026-03-27T07:30:00Z", "2026-03-30T07:30:00Z"),
        # Mon 03-30 06:30Z (08:30 CEST) → 07:30Z (09:30 CEST): calendar 60, business 30
        replied("S2", "2026-03-30T06:30:00Z", "2026-03-30T07:30:00Z"),
        # Thu 03-26 15:30Z (16:30 CET) → 16:30Z (17:30 CET): calendar 60, business 30
        replied("S3", "2026-03-26T15:30:00Z", "2026-03-26T16:30:00Z"),
    ]
    get = frt_by_ticket(workspace(items, BERLIN))
    assert get("S1") == (pytest.approx(4320.0), pytest.approx(510.0))
    assert get("S2") == (pytest.approx(60.0), pytest.approx(30.0))
    assert get("S3") == (pytest.approx(60.0), pytest.approx(30.0))


def test_dst_spring_change_in_status_stretches() -> None:
    # Fri 03-27 14:00Z created; hold 15:00Z (16:00 CET); solved Mon 03-30 08:00Z (10:00 CEST)
    ws = build_workspace(
        {
            "tickets": [ticket("S4", "2026-03-27T14:00:00Z")],
            "events": [
                status("S4-h", "S4", "2026-03-27T15:00:00Z", "hold"),
                status("S4-s", "S4", "2026-03-30T08:00:00Z", "solved"),
            ],
        },
        BERLIN,
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
    # hold: Fri 15:00Z → Mon 08:00Z = 65 h = 3900; business Fri 15–16Z (60) + Mon 07–08Z (60)
    check(one(df, metric="on_hold_time"), 3900.0, 1)
    check(one(df, metric="on_hold_time_business"), 120.0, 1)
    # new 14:00–15:00Z (60, all business) + hold → 3960 calendar, 180 business
    for name in ("requester_wait_time", "full_resolution_time"):
        check(one(df, metric=name), 3960.0, 1)
        check(one(df, metric=f"{name}_business"), 180.0, 1)


def test_dst_autumn_change() -> None:
    items = [
        # Fri 10-23 14:00Z (16:00 CEST) → Mon 10-26 08:30Z (09:30 CET)
        # calendar 72 h − 5.5 h = 66.5 h = 3990; business 60 + 30 = 90
        replied("F1", "2026-10-23T14:00:00Z", "2026-10-26T08:30:00Z"),
        # Mon 10-26 15:30Z (16:30 CET) → 16:30Z (17:30 CET): calendar 60, business 30
        replied("F2", "2026-10-26T15:30:00Z", "2026-10-26T16:30:00Z"),
        # Fri 10-23 06:30Z (08:30 CEST) → 07:30Z (09:30 CEST): calendar 60, business 30
        replied("F3", "2026-10-23T06:30:00Z", "2026-10-23T07:30:00Z"),
    ]
    get = frt_by_ticket(workspace(items, BERLIN))
    assert get("F1") == (pytest.approx(3990.0), pytest.approx(90.0))
    assert get("F2") == (pytest.approx(60.0), pytest.approx(30.0))
    assert get("F3") == (pytest.approx(60.0), pytest.approx(30.0))


# ---------------------------------------------------------------------------------------------
# America/New_York with a lunch break (EST = UTC−5 until 2026-03-08, EDT = UTC−4 after)

NEW_YORK = {
    "timezone": "America/New_York",
    "schedules": {"us": {"timezone": "America/New_York", "hours": US_LUNCH, "default": True}},
}


def test_new_york_schedule_with_lunch_break() -> None:
    items = [
        # Tue 03-10 15:30Z (11:30 EDT) → 18:00Z (14:00 EDT): calendar 150;
        # business 11:30–12:00 (30) + 13:00–14:00 (60) = 90
        replied("N1", "2026-03-10T15:30:00Z", "2026-03-10T18:00:00Z"),
        # Tue 03-10 21:00Z (17:00 EDT) → Wed 13:00Z (09:00 EDT): calendar 16 h = 960;
        # business 17:00–18:00 (60) + 08:00–09:00 (60) = 120
        replied("N2", "2026-03-10T21:00:00Z", "2026-03-11T13:00:00Z"),
        # Wed 03-11 16:10Z (12:10 EDT) → 16:50Z (12:50 EDT): calendar 40, business 0 (lunch)
        replied("N3", "2026-03-11T16:10:00Z", "2026-03-11T16:50:00Z"),
        # Fri 02-27 22:00Z (17:00 EST) → Mon 03-02 13:30Z (08:30 EST):
        # calendar 2 d 15.5 h = 63.5 h = 3810; business 60 + 30 = 90
        replied("N4", "2026-02-27T22:00:00Z", "2026-03-02T13:30:00Z"),
        # across the US change: Fri 03-06 22:30Z (17:30 EST) → Mon 03-09 12:30Z (08:30 EDT):
        # calendar 2 d 14 h = 62 h = 3720; business 30 + 30 = 60
        replied("N5", "2026-03-06T22:30:00Z", "2026-03-09T12:30:00Z"),
    ]
    ws = workspace(items, NEW_YORK)
    get = frt_by_ticket(ws)
    assert get("N1") == (pytest.approx(150.0), pytest.approx(90.0))
    assert get("N2") == (pytest.approx(960.0), pytest.approx(120.0))
    assert get("N3") == (pytest.approx(40.0), pytest.approx(0.0))
    assert get("N4") == (pytest.approx(3810.0), pytest.approx(90.0))
    assert get("N5") == (pytest.approx(3720.0), pytest.approx(60.0))
    df = compute(ws, FRT)
    # calendar 40, 150, 960, 3720, 3810 → 8680/5 = 1736; p50 960;
    # p90 at rank 3.6 → 3720 + 0.6·90 = 3774
    check(one(df, metric="first_response_time"), 1736.0, 5, 960.0, 3774.0)
    # business 0, 60, 90, 90, 120 → 360/5 = 72; p50 90; p90 at rank 3.6 → 90 + 0.6·30 = 108
    check(one(df, metric="first_response_time_business"), 72.0, 5, 90.0, 108.0)


# ---------------------------------------------------------------------------------------------
# a ticket measured by a second schedule

TWO_SCHEDULES = {
    "timezone": "UTC",
    "schedules": {
        "office": {"timezone": "UTC", "hours": NINE_TO_FIVE, "default": True},
        "us": {"timezone": "America/New_York", "hours": US_LUNCH},
    },
}


def test_ticket_schedule_id_names_a_second_schedule() -> None:
    # All three: Tue 2026-03-10 16:00Z → 18:30Z, calendar 150.
    items = [
        # default (office, UTC 09–17): 16:00–17:00 = 60
        replied("D1", "2026-03-10T16:00:00Z", "2026-03-10T18:30:00Z"),
        # us: 12:00–14:30 EDT, lunch 12–13 → 13:00–14:30 = 90
        replied("D2", "2026-03-10T16:00:00Z", "2026-03-10T18:30:00Z", schedule_id="us"),
        # an unknown schedule id falls back to the default schedule: 60
        replied("D3", "2026-03-10T16:00:00Z", "2026-03-10T18:30:00Z", schedule_id="nope"),
    ]
    get = frt_by_ticket(workspace(items, TWO_SCHEDULES))
    assert get("D1") == (pytest.approx(150.0), pytest.approx(60.0))
    assert get("D2") == (pytest.approx(150.0), pytest.approx(90.0))
    assert get("D3") == (pytest.approx(150.0), pytest.approx(60.0))


def test_second_schedule_in_status_stretches() -> None:
    # Same pending stretch Tue 2026-03-10 15:00Z → 19:00Z in both schedules, solved at 19:00Z.
    # office: pending business 15:00–17:00Z = 120; us (EDT): 11:00–15:00 local, lunch 12–13 →
    # 11–12 (60) + 13–15 (120) = 180. Calendar pending 240 for both. Requester wait = `new`
    # 14:00–15:00Z: office 60 (inside 09–17Z); us 10:00–11:00 EDT, inside 08–12 → 60.
    data = {
        "tickets": [
            ticket("G1", "2026-03-10T14:00:00Z"),
            ticket("G2", "2026-03-10T14:00:00Z", schedule_id="us"),
        ],
        "events": [
            status("G1-p", "G1", "2026-03-10T15:00:00Z", "pending"),
            status("G1-s", "G1", "2026-03-10T19:00:00Z", "solved"),
            status("G2-p", "G2", "2026-03-10T15:00:00Z", "pending"),
            status("G2-s", "G2", "2026-03-10T19:00:00Z", "solved"),
        ],
    }
    ws = build_workspace(data, TWO_SCHEDULES)
    df = compute(
        ws,
        ["agent_wait_time", "agent_wait_time_business", "requester_wait_time_business"],
        by=["ticket_id"],
    )
    check(one(df, metric="agent_wait_time", ticket_id="G1"), 240.0, 1)
    check(one(df, metric="agent_wait_time", ticket_id="G2"), 240.0, 1)
    check(one(df, metric="agent_wait_time_business", ticket_id="G1"), 120.0, 1)
    check(one(df, metric="agent_wait_time_business", ticket_id="G2"), 180.0, 1)
    check(one(df, metric="requester_wait_time_business", ticket_id="G1"), 60.0, 1)
    check(one(df, metric="requester_wait_time_business", ticket_id="G2"), 60.0, 1)


# ---------------------------------------------------------------------------------------------
# a changed schedule changes past numbers


def test_schedule_change_changes_past_numbers() -> None:
    data = {
        "tickets": [ticket("C1", "2026-03-02T08:00:00Z")],
        "events": [
            msg("C1-c", "C1", "2026-03-02T08:00:00Z", "customer"),
            msg("C1-r", "C1", "2026-03-02T17:30:00Z", "agent", "a1"),
            status("C1-s", "C1", "2026-03-03T08:30:00Z", "solved"),
        ],
    }
    before = {
        "timezone": "UTC",
        "schedules": {"office": {"timezone": "UTC", "hours": NINE_TO_FIVE, "default": True}},
    }
    after = {
        "timezone": "UTC",
        "schedules": {
            "office": {
                "timezone": "UTC",
                "hours": dict.fromkeys(WEEKDAYS, "08:00-18:00"),
                "default": True,
            }
        },
    }
    names = [*FRT, "full_resolution_time", "full_resolution_time_business"]
    a = compute(build_workspace(data, before), names)
    b = compute(build_workspace(data, after), names)
    # calendar does not depend on the schedule: FRT 08:00 → 17:30 = 570;
    # full resolution Mon 08:00 → Tue 08:30 = 24.5 h = 1470
    for df in (a, b):
        check(one(df, metric="first_response_time"), 570.0, 1)
        check(one(df, metric="full_resolution_time"), 1470.0, 1)
    # 09–17: FRT 09:00–17:00 = 480; resolution Mon 480 + Tue (08:30 < 09:00) 0 = 480
    check(one(a, metric="first_response_time_business"), 480.0, 1)
    check(one(a, metric="full_resolution_time_business"), 480.0, 1)
    # 08–18: FRT 08:00–17:30 = 570; resolution Mon 600 + Tue 08:00–08:30 (30) = 630
    check(one(b, metric="first_response_time_business"), 570.0, 1)
    check(one(b, metric="full_resolution_time_business"), 630.0, 1)


# ---------------------------------------------------------------------------------------------
# other zones: a working day crossing UTC midnight, a half-hour offset, a 24/7 schedule

ZONES = {
    "timezone": "UTC",
    "schedules": {
        "office": {"timezone": "UTC", "hours": NINE_TO_FIVE, "default": True},
        # 09:00–18:00 PDT (UTC−7 from 2026-03-08) = 16:00Z – 01:00Z next day
        "la": {"timezone": "America/Los_Angeles", "hours": dict.fromkeys(WEEKDAYS, "09:00-18:00")},
        # 09:00–17:00 IST (UTC+5:30) = 03:30Z – 11:30Z
        "in": {"timezone": "Asia/Kolkata", "hours": NINE_TO_FIVE},
        # always open: business time equals calendar time, even across a DST change
        "always": {
            "timezone": "Europe/Berlin",
            "hours": {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        },
    },
}


def test_other_zones() -> None:
    items = [
        # Tue 03-10 23:30Z (16:30 PDT) → Wed 01:00Z (18:00 PDT): calendar 90, business 90
        replied("L1", "2026-03-10T23:30:00Z", "2026-03-11T01:00:00Z", schedule_id="la"),
        # Tue 03-10 23:30Z → Wed 03-11 17:00Z (10:00 PDT): calendar 17.5 h = 1050;
        # business Tue 16:30–18:00 PDT (90) + Wed 09:00–10:00 PDT (60) = 150
        replied("L2", "2026-03-10T23:30:00Z", "2026-03-11T17:00:00Z", schedule_id="la"),
        # Mon 03-02 03:00Z (08:30 IST) → 04:00Z (09:30 IST): calendar 60, business 30
        replied("I1", "2026-03-02T03:00:00Z", "2026-03-02T04:00:00Z", schedule_id="in"),
        # Mon 03-02 11:00Z (16:30 IST) → Tue 04:30Z (10:00 IST): calendar 17.5 h = 1050;
        # business 30 + 60 = 90
        replied("I2", "2026-03-02T11:00:00Z", "2026-03-03T04:30:00Z", schedule_id="in"),
        # Sat 03-28 12:00Z → Mon 03-30 12:00Z across the Berlin spring change: 48 h = 2880
        # calendar and business (always open)
        replied("A1", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z", schedule_id="always"),
    ]
    get = frt_by_ticket(workspace(items, ZONES))
    assert get("L1") == (pytest.approx(90.0), pytest.approx(90.0))
    assert get("L2") == (pytest.approx(1050.0), pytest.approx(150.0))
    assert get("I1") == (pytest.approx(60.0), pytest.approx(30.0))
    assert get("I2") == (pytest.approx(1050.0), pytest.approx(90.0))
    assert get("A1") == (pytest.approx(2880.0), pytest.approx(2880.0))


def test_timestamps_with_offsets() -> None:
    # The DST ticket S1 above, written with local offsets: Fri 2026-03-27 08:30+01:00 →
    # Mon 2026-03-30 09:30+02:00 = 07:30Z → 07:30Z: calendar 4320, business 510
    items = [replied("O1", "2026-03-27T08:30:00+01:00", "2026-03-30T09:30:00+02:00")]
    get = frt_by_ticket(workspace(items, BERLIN))
    assert get("O1") == (pytest.approx(4320.0), pytest.approx(510.0))


def test_reply_and_automated_times_over_a_holiday() -> None:
    # EU schedule (Berlin, DE holidays). Thu 2026-04-02:
    #   customer 16:30 CEST (14:30Z), bot 16:31 CEST (14:31Z),
    #   agent reply Tue 04-07 09:15 CEST (07:15Z)
    #   customer Tue 04-07 09:30 CEST (07:30Z), agent 10:00 CEST (08:00Z)
    ws = build_workspace(
        {
            "tickets": [ticket("HA", "2026-04-02T14:30:00Z")],
            "events": [
                msg("ha1", "HA", "2026-04-02T14:30:00Z", "customer"),
                msg("ha2", "HA", "2026-04-02T14:31:00Z", "bot"),
                msg("ha3", "HA", "2026-04-07T07:15:00Z", "agent", "a1"),
                msg("ha4", "HA", "2026-04-07T07:30:00Z", "customer"),
                msg("ha5", "HA", "2026-04-07T08:00:00Z", "agent", "a1"),
            ],
        },
        EU,
    )
    df = compute(
        ws,
        [
            "average_reply_time",
            "average_reply_time_business",
            "first_automated_response_time",
            "first_automated_response_time_business",
            *FRT,
        ],
    )
    # pair 1: Thu 14:30Z → Tue 07:15Z = 4 d 16.75 h = 112.75 h = 6765 calendar;
    #         business Thu 16:30–17:00 (30) + Tue 09:00–09:15 (15) = 45 (Fri, Mon holidays)
    # pair 2: 30 / 30
    # mean calendar (6765 + 30)/2 = 3397.5; business (45 + 30)/2 = 37.5
    check(one(df, metric="average_reply_time"), 3397.5, 2)
    check(one(df, metric="average_reply_time_business"), 37.5, 2)
    # bot after 1 minute, in business hours
    check(one(df, metric="first_automated_response_time"), 1.0, 1)
    check(one(df, metric="first_automated_response_time_business"), 1.0, 1)
    # FRT = pair 1
    check(one(df, metric="first_response_time"), 6765.0, 1)
    check(one(df, metric="first_response_time_business"), 45.0, 1)


def test_report_zone_defaults_to_the_default_schedule_zone() -> None:
    # No top-level `timezone`: periods are in the default schedule's zone (Europe/Berlin).
    # Mon 2026-03-02 23:30Z is Tue 03-03 00:30 CET → period 2026-03-03 (reply 10 min later)
    config = {
        "schedules": {"eu": {"timezone": "Europe/Berlin", "hours": NINE_TO_FIVE, "default": True}}
    }
    ws = workspace([replied("Z1", "2026-03-02T23:30:00Z", "2026-03-02T23:40:00Z")], config)
    df = compute(ws, FRT, grain="day")
    row = one(df, metric="first_response_time")
    assert row["period"] == pd.Timestamp("2026-03-03")
    check(row, 10.0, 1)
    # 00:30–00:40 CET is outside 09–17: 0 business minutes
    check(one(df, metric="first_response_time_business"), 0.0, 1)
