"""Golden sla_compliance: achieved / (achieved + breached) × 100, by sla_target and all
targets together, per week (each target in the week it was achieved or breached), an empty
week, and running targets left out. Every ticket here is solved, so no number depends on the
current time."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, msg, one, status, ticket
from deskmetrics.query import compute, explain

CONFIG = {
    **UTC_9_TO_5,
    "sla": {"policies": [{"name": "std", "first_reply": "1h", "resolution": "4h"}]},
}


def solved(tid: str, created: str, reply: str, solve: str, **kw: Any) -> list[dict[str, Any]]:
    return [
        msg(f"{tid}1", tid, created, "customer"),
        msg(f"{tid}2", tid, reply, "agent", "a1"),
        status(f"{tid}3", tid, solve, "solved"),
    ]


@pytest.fixture(scope="module")
def ws():  # type: ignore[no-untyped-def]
    # week of Mon 2026-03-02 and week of Mon 2026-03-16; nothing settles in the week between
    tickets = [
        ticket("A", "2026-03-02T09:00:00Z", channel="email"),
        ticket("B", "2026-03-02T09:00:00Z", channel="email"),
        ticket("C", "2026-03-03T09:00:00Z", channel="chat"),
        ticket("D", "2026-03-16T09:00:00Z", channel="chat"),
    ]
    events = (
        # A: reply after 30 min (achieved), solved after 3 h (achieved)
        solved("A", "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z", "2026-03-02T12:00:00Z")
        # B: reply after 2 h (breached at 10:00), solved after 5 h (breached at 13:00)
        + solved("B", "2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z", "2026-03-02T14:00:00Z")
        # C: reply after 45 min (achieved), solved after 6 h (breached Tue 13:00)
        + solved("C", "2026-03-03T09:00:00Z", "2026-03-03T09:45:00Z", "2026-03-03T15:00:00Z")
        # D: reply after 10 min (achieved), solved after 1 h (achieved)
        + solved("D", "2026-03-16T09:00:00Z", "2026-03-16T09:10:00Z", "2026-03-16T10:00:00Z")
    )
    return build_workspace({"tickets": tickets, "events": events}, CONFIG)


def test_ungrouped_counts_every_target(ws) -> None:  # type: ignore[no-untyped-def]
    row = one(compute(ws, ["sla_compliance"]), metric="sla_compliance")
    # 8 targets: achieved A-fr, A-res, C-fr, D-fr, D-res = 5; breached B-fr, B-res, C-res = 3
    # → 5 / 8 × 100 = 62.5
    assert row["n"] == 8
    assert row["value"] == pytest.approx(62.5)
    # Wilson 95% interval of 5/8 is about 30.6 % to 86.3 %
    assert row["ci_low"] == pytest.approx(30.57, abs=0.05)
    assert row["ci_high"] == pytest.approx(86.32, abs=0.05)
    assert row["unit"] == "percent"
    assert bool(row["small_sample"]) is True


def test_by_sla_target(ws) -> None:  # type: ignore[no-untyped-def]
    df = compute(ws, ["sla_compliance"], by=["sla_target"])
    fr = one(df, sla_target="first_reply")
    res = one(df, sla_target="resolution")
    # first reply: A, C, D achieved, B breached → 3/4 = 75 %
    assert (fr["n"], fr["value"]) == (4, pytest.approx(75.0))
    # resolution: A, D achieved, B, C breached → 2/4 = 50 %
    assert (res["n"], res["value"]) == (4, pytest.approx(50.0))


def test_by_target_and_ticket_column(ws) -> None:  # type: ignore[no-untyped-def]
    df = compute(ws, ["sla_compliance"], by=["sla_target", "channel"])
    # chat resolution: C breached, D achieved → 50 %; email first reply: A yes, B no → 50 %
    assert one(df, sla_target="resolution", channel="chat")["value"] == pytest.approx(50.0)
    assert one(df, sla_target="first_reply", channel="email")["value"] == pytest.approx(50.0)
    # chat first reply: C and D achieved → 100 %
    assert one(df, sla_target="first_reply", channel="chat")["value"] == pytest.approx(100.0)


def test_weeks_and_an_empty_week(ws) -> None:  # type: ignore[no-untyped-def]
    df = compute(
        ws, ["sla_compliance"], grain="week", tz="UTC", start="2026-03-02", end="2026-03-22"
    )
    weeks = {
        str(p.date()): (n, v) for p, n, v in zip(df["period"], df["n"], df["value"], strict=True)
    }
    # week of 03-02: A, B, C (6 targets, 3 achieved) → 50 %; week of 03-16: D → 2/2 = 100 %
    assert weeks["2026-03-02"] == (6, pytest.approx(50.0))
    assert weeks["2026-03-16"] == (2, pytest.approx(100.0))
    # the week of 03-09 has no settled target: n = 0 and no value (not 0 %)
    n, v = weeks["2026-03-09"]
    assert n == 0
    assert v != v  # NaN: unknown, not zero


def test_running_targets_are_not_counted() -> None:
    from datetime import UTC, datetime, timedelta

    # N was created an hour ago and is unanswered: its 30-day first reply target is running
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cfg = {**CONFIG, "sla": {"policies": [{"name": "x", "first_reply": "30d", "calendar": True}]}}
    ws = build_workspace(
        {
            "tickets": [ticket("A", "2026-03-02T09:00:00Z"), ticket("N", recent)],
            "events": [
                *solved("A", "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z", recent),
                msg("N1", "N", recent, "customer"),
            ],
        },
        cfg,
    )
    # only A's first reply (30 min of 30 days: achieved) counts → 1/1 = 100 %
    row = one(compute(ws, ["sla_compliance"]), metric="sla_compliance")
    assert (row["n"], row["value"]) == (1, pytest.approx(100.0))
    _, ex = explain(ws, "sla_compliance")
    assert ex.counted == 1
