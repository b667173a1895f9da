"""Every case that once returned a wrong number without an error, pinned forever."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from conftest import UTC_9_TO_5, build_workspace, msg, one, settings, status, ticket
from deskmetrics.calendar import build_business_calendar
from deskmetrics.query import compute, explain


def test_calendar_table_has_no_nulls_and_only_integers() -> None:
    """Found on PySpark: nullable integer period columns arrived as floats and business minutes
    came out wrong (292.4 vs 266.7) while DuckDB was right. Absent periods are (0, 0) now."""
    cal = build_business_calendar(settings(), datetime(2026, 3, 1), datetime(2026, 3, 31))
    assert not cal.days.isna().any().any()
    assert all(str(t) == "int64" for t in cal.days.dtypes)


def test_reply_outside_business_hours_is_not_wall_clock_time() -> None:
    """The LEFT-join trap: LEAST/GREATEST ignoring NULLs turns business time into calendar
    time. Created Sat 10:00, replied Sat 12:00 (closed all weekend) → 0 business minutes."""
    ws = build_workspace(
        {
            "tickets": [ticket("W1", "2026-03-07T10:00:00Z")],
            "events": [
                msg("e1", "W1", "2026-03-07T10:00:00Z", "customer"),
                msg("e2", "W1", "2026-03-07T12:00:00Z", "agent", "a1"),
            ],
        }
    )
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    assert one(df, metric="first_response_time")["value"] == 120.0
    assert one(df, metric="first_response_time_business")["value"] == 0.0


def test_an_empty_period_is_reported_not_skipped() -> None:
    """A quiet day vanished from a daily series, so charts joined the days around it."""
    ws = build_workspace(
        {
            "tickets": [
                ticket("A", "2026-03-02T10:00:00Z"),
                ticket("B", "2026-03-04T10:00:00Z"),
            ]
        }
    )
    df = compute(ws, "volume", grain="day", start="2026-03-02", end="2026-03-04", tz="UTC")
    assert df["value"].tolist() == [1.0, 0.0, 1.0]
    assert df["n"].tolist() == [1, 0, 1]
    assert pd.Timestamp(df["period"].iloc[1]) == pd.Timestamp("2026-03-03")


def test_reopened_unsolved_ticket_is_reported_with_its_own_reason() -> None:
    """explain put a reopened, not re-solved ticket under "not solved (yet)"."""
    ws = build_workspace(
        {
            "tickets": [ticket("R", "2026-03-02T09:00:00Z"), ticket("N", "2026-03-02T09:00:00Z")],
            "events": [
                status("s1", "R", "2026-03-02T10:00:00Z", "solved"),
                status("s2", "R", "2026-03-02T11:00:00Z", "open"),
            ],
        }
    )
    _, ex = explain(ws, "full_resolution_time")
    assert ex.left_out_ids == {
        "tickets not solved (yet)": ["N"],
        "tickets reopened and not solved again": ["R"],
    }


def test_data_arriving_after_a_query_is_measured_not_dropped() -> None:
    """The business calendar was built once per workspace: a ticket that arrived later than
    the calendar's end (data + 400 days) missed its join and silently fell out of every
    business-time metric. Created Mon 2028-03-06 09:00, replied 10:00 → 60 business minutes.
    (Instants that far ahead of the clock are refused unless [limits] allows them: it does.)"""
    from deskmetrics.engine.store import load
    from deskmetrics.model import TABLES, SourceFrame, validate

    ws = build_workspace(
        {
            "tickets": [ticket("A", "2026-03-02T09:00:00Z")],
            "events": [msg("a1", "A", "2026-03-02T09:30:00Z", "agent", "x")],
        },
        {**UTC_9_TO_5, "limits": {"recorded_ahead": "1000d"}},
    )
    limits = ws.settings.limits
    first = compute(ws, "first_response_time_business")
    assert one(first, metric="first_response_time_business")["n"] == 1
    frames = [
        validate(
            SourceFrame(
                TABLES["tickets"], "t.csv", pd.DataFrame([ticket("B", "2028-03-06T09:00:00Z")])
            ),
            limits=limits,
        ),
        validate(
            SourceFrame(
                TABLES["events"],
                "e.csv",
                pd.DataFrame([msg("b1", "B", "2028-03-06T10:00:00Z", "agent", "x")]),
            ),
            limits=limits,
        ),
    ]
    load(ws.backend.con, frames, source="later")
    df = compute(ws, "first_response_time_business", by=["ticket_id"])
    # A: 09:00 → 09:30 = 30; B: 09:00 → 10:00 = 60
    assert one(df, ticket_id="A")["value"] == 30.0
    assert one(df, ticket_id="B")["value"] == 60.0
