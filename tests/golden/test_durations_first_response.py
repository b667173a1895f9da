"""Golden numbers for first_response_time and first_automated_response_time (calendar and
business), computed by hand from METRICS.md. Schedule: Mon–Fri 09:00–17:00 UTC (conftest).

Week used: Mon 2026-03-02 … Fri 2026-03-06."""

from __future__ import annotations

import math

import pytest

from conftest import build_workspace, msg, one, ticket
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
                ticket("T1", "2026-03-02T09:00:00Z"),
                ticket("T2", "2026-03-02T16:00:00Z"),
                ticket("T3", "2026-03-03T11:00:00Z", created_by="agent"),
                ticket("T4", "2026-03-04T10:00:00Z"),
                ticket("T5", "2026-03-04T18:00:00Z"),
            ],
            "events": [
                # T1: bot ack 09:01 and an internal note 09:10 are not replies; human reply 09:30
                msg("t1a", "T1", "2026-03-02T09:00:00Z", "customer"),
                msg("t1b", "T1", "2026-03-02T09:01:00Z", "bot"),
                msg("t1c", "T1", "2026-03-02T09:10:00Z", "agent", "a1", public=False),
                msg("t1d", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
                # T2: created Mon 16:00, bot 16:05, human reply Tue 10:00 (overnight)
                msg("t2a", "T2", "2026-03-02T16:00:00Z", "customer"),
                msg("t2b", "T2", "2026-03-02T16:05:00Z", "bot"),
                msg("t2c", "T2", "2026-03-03T10:00:00Z", "agent", "a1"),
                # T3: agent-created; the public opening message at creation is not a reply;
                # the clock stops at the agent's next public message (13:00)
                msg("t3a", "T3", "2026-03-03T11:00:00Z", "agent", "a2"),
                msg("t3b", "T3", "2026-03-03T12:00:00Z", "customer"),
                msg("t3c", "T3", "2026-03-03T13:00:00Z", "agent", "a2"),
                # T4: unanswered by a human: only a bot message and an internal note
                msg("t4a", "T4", "2026-03-04T10:00:00Z", "customer"),
                msg("t4b", "T4", "2026-03-04T10:02:00Z", "bot"),
                msg("t4c", "T4", "2026-03-04T10:30:00Z", "agent", "a1", public=False),
                # T5: created Wed 18:00 (after hours), human reply Thu 09:30
                msg("t5a", "T5", "2026-03-04T18:00:00Z", "customer"),
                msg("t5b", "T5", "2026-03-05T09:30:00Z", "agent", "a2"),
            ],
        }
    )


def test_first_response_time_per_ticket() -> None:
    ws = _workspace()
    df = compute(ws, ["first_response_time", "first_response_time_business"], by=["ticket_id"])
    cal = df[df.metric == "first_response_time"]
    bus = df[df.metric == "first_response_time_business"]
    # T1: 09:00 → 09:30 (bot 09:01 and note 09:10 ignored) = 30; business the same
    check(one(cal, ticket_id="T1"), 30.0, 1)
    check(one(bus, ticket_id="T1"), 30.0, 1)
    # T2: Mon 16:00 → Tue 10:00 = 18 h = 1080; business Mon 16–17 (60) + Tue 09–10 (60) = 120
    check(one(cal, ticket_id="T2"), 1080.0, 1)
    check(one(bus, ticket_id="T2"), 120.0, 1)
    # T3 (agent-created): 11:00 → next agent public message 13:00 = 120; business 120
    check(one(cal, ticket_id="T3"), 120.0, 1)
    check(one(bus, ticket_id="T3"), 120.0, 1)
    # T5: Wed 18:00 → Thu 09:30 = 15.5 h = 930; business Thu 09:00–09:30 = 30
    check(one(cal, ticket_id="T5"), 930.0, 1)
    check(one(bus, ticket_id="T5"), 30.0, 1)
    # T4 has no human reply: no row for it
    assert "T4" not in set(df["ticket_id"])


def test_first_response_time_overall() -> None:
    ws = _workspace()
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    # calendar: 30, 120, 930, 1080 → mean 2160/4 = 540; p50 = (120+930)/2 = 525;
    # p90 at rank 0.9·3 = 2.7 → 930 + 0.7·(1080−930) = 1035
    check(one(df, metric="first_response_time"), 540.0, 4, 525.0, 1035.0)
    assert one(df, metric="first_response_time")["unit"] == "minutes"
    # business: 30, 30, 120, 120 → mean 300/4 = 75; p50 = (30+120)/2 = 75; p90 = 120
    check(one(df, metric="first_response_time_business"), 75.0, 4, 75.0, 120.0)


def test_first_automated_response_time() -> None:
    ws = _workspace()
    df = compute(ws, ["first_automated_response_time", "first_automated_response_time_business"])
    # bot messages: T1 09:00→09:01 = 1, T2 16:00→16:05 = 5, T4 10:00→10:02 = 2 (all in hours)
    # mean 8/3; sorted 1, 2, 5: p50 = 2; p90 at rank 1.8 → 2 + 0.8·3 = 4.4
    check(one(df, metric="first_automated_response_time"), 8 / 3, 3, 2.0, 4.4)
    check(one(df, metric="first_automated_response_time_business"), 8 / 3, 3, 2.0, 4.4)


def test_explain_first_response_time_reports_unanswered() -> None:
    ws = _workspace()
    _, ex = explain(ws, "first_response_time")
    assert ex.counted == 4
    assert ex.left_out == [("unanswered tickets have no first response", 1)]
    assert ex.ids == ["T1", "T2", "T3", "T5"]
    assert ex.left_out_ids == {"unanswered tickets have no first response": ["T4"]}


def test_explain_first_automated_response_time() -> None:
    ws = _workspace()
    _, ex = explain(ws, "first_automated_response_time")
    # T3 and T5 never got a bot message
    assert ex.counted == 3
    assert ex.left_out == [("tickets without an automated response", 2)]
    assert ex.ids == ["T1", "T2", "T4"]
    assert ex.left_out_ids == {"tickets without an automated response": ["T3", "T5"]}


def test_agent_created_ticket_next_agent_message_without_customer_in_between() -> None:
    # Agent-created ticket: opening public message 09:00, an internal note 09:20 (ignored),
    # a second public agent message 09:45 → FRT = 45 (the "next public message" of the agent).
    ws = build_workspace(
        {
            "tickets": [ticket("A1", "2026-03-02T09:00:00Z", created_by="agent")],
            "events": [
                msg("a1a", "A1", "2026-03-02T09:00:00Z", "agent", "a1"),
                msg("a1b", "A1", "2026-03-02T09:20:00Z", "agent", "a1", public=False),
                msg("a1c", "A1", "2026-03-02T09:45:00Z", "agent", "a1"),
            ],
        }
    )
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    check(one(df, metric="first_response_time"), 45.0, 1)
    check(one(df, metric="first_response_time_business"), 45.0, 1)


def test_agent_created_ticket_with_only_the_opening_message_is_unanswered() -> None:
    # The agent's opening message is not a reply: with nothing after it the ticket is
    # unanswered. A customer-created ticket (C1) answered by an agent 10 min later is counted.
    ws = build_workspace(
        {
            "tickets": [
                ticket("A2", "2026-03-02T09:00:00Z", created_by="agent"),
                ticket("C1", "2026-03-02T09:00:00Z"),
            ],
            "events": [
                msg("a2a", "A2", "2026-03-02T09:00:00Z", "agent", "a1"),
                msg("a2b", "A2", "2026-03-02T09:30:00Z", "customer"),
                msg("c1a", "C1", "2026-03-02T09:00:00Z", "customer"),
                msg("c1b", "C1", "2026-03-02T09:10:00Z", "agent", "a1"),
            ],
        }
    )
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    # only C1: 10 min
    check(one(df, metric="first_response_time"), 10.0, 1, 10.0, 10.0)
    check(one(df, metric="first_response_time_business"), 10.0, 1, 10.0, 10.0)
    _, ex = explain(ws, "first_response_time")
    assert ex.counted == 1
    assert ex.left_out == [("unanswered tickets have no first response", 1)]
    assert ex.left_out_ids == {"unanswered tickets have no first response": ["A2"]}


def test_only_unanswered_tickets_give_n_zero_and_no_mean() -> None:
    ws = build_workspace(
        {
            "tickets": [ticket("U1", "2026-03-02T09:00:00Z")],
            "events": [
                msg("u1a", "U1", "2026-03-02T09:00:00Z", "customer"),
                msg("u1b", "U1", "2026-03-02T09:00:30Z", "bot"),
            ],
        }
    )
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    for name in ("first_response_time", "first_response_time_business"):
        row = one(df, metric=name)
        assert row["n"] == 0
        assert row["value"] is None or math.isnan(row["value"])
