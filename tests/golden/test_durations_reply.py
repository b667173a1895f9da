"""Golden numbers for average_reply_time (calendar and business): every public customer message
paired with the next public reply by a human agent, averaged over all pairs.
Schedule: Mon–Fri 09:00–17:00 UTC (conftest)."""

from __future__ import annotations

import pandas as pd
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
                ticket("A1", "2026-03-02T09:00:00Z", assignee_id="a1"),
                ticket("A2", "2026-03-03T12:00:00Z", created_by="agent", assignee_id="a2"),
            ],
            "events": [
                # A1, Mon 2026-03-02:
                msg("e01", "A1", "2026-03-02T09:00:00Z", "customer"),
                msg("e02", "A1", "2026-03-02T09:20:00Z", "agent", "a1"),  # pair 09:00→09:20 = 20
                msg("e03", "A1", "2026-03-02T10:00:00Z", "customer"),  # pair 10:00→11:00 = 60
                msg("e04", "A1", "2026-03-02T10:30:00Z", "customer"),  # pair 10:30→11:00 = 30
                msg("e05", "A1", "2026-03-02T10:40:00Z", "bot"),  # a bot is no reply
                msg("e06", "A1", "2026-03-02T10:50:00Z", "agent", "a1", public=False),  # note
                msg("e07", "A1", "2026-03-02T11:00:00Z", "agent", "a2"),
                # 16:30 Mon → 09:30 Tue: cal 17 h = 1020; bus 16:30–17:00 + 09:00–09:30 = 60
                msg("e08", "A1", "2026-03-02T16:30:00Z", "customer"),
                msg("e09", "A1", "2026-03-03T09:30:00Z", "agent", "a1"),
                msg("e10", "A1", "2026-03-03T10:00:00Z", "customer"),  # never answered
                # A2 (agent-created) Tue: the opening message has no customer message before it
                msg("e11", "A2", "2026-03-03T12:00:00Z", "agent", "a2"),
                msg("e12", "A2", "2026-03-03T13:00:00Z", "customer"),  # pair 13:00→13:45 = 45
                msg("e13", "A2", "2026-03-03T13:45:00Z", "agent", "a2"),
            ],
        }
    )


def test_average_reply_time_overall() -> None:
    ws = _workspace()
    df = compute(ws, ["average_reply_time", "average_reply_time_business"])
    # calendar pairs 20, 60, 30, 1020, 45 → 1175/5 = 235; sorted 20, 30, 45, 60, 1020:
    # p50 = 45; p90 at rank 0.9·4 = 3.6 → 60 + 0.6·960 = 636
    check(one(df, metric="average_reply_time"), 235.0, 5, 45.0, 636.0)
    # business pairs 20, 60, 30, 60, 45 → 215/5 = 43; sorted 20, 30, 45, 60, 60:
    # p50 = 45; p90 = 60
    check(one(df, metric="average_reply_time_business"), 43.0, 5, 45.0, 60.0)


def test_average_reply_time_per_ticket() -> None:
    ws = _workspace()
    df = compute(ws, ["average_reply_time", "average_reply_time_business"], by=["ticket_id"])
    # A1: 20, 60, 30, 1020 → 1130/4 = 282.5; business 20, 60, 30, 60 → 170/4 = 42.5
    check(one(df, metric="average_reply_time", ticket_id="A1"), 282.5, 4)
    check(one(df, metric="average_reply_time_business", ticket_id="A1"), 42.5, 4)
    # A2: 45 (business 45)
    check(one(df, metric="average_reply_time", ticket_id="A2"), 45.0, 1)
    check(one(df, metric="average_reply_time_business", ticket_id="A2"), 45.0, 1)


def test_average_reply_time_by_replying_agent() -> None:
    ws = _workspace()
    df = compute(ws, ["average_reply_time", "average_reply_time_business"], by=["agent"])
    # a1 answered the pairs 20 and 1020 (business 20 and 60):
    # mean 520, p50 520, p90 20 + 0.9·1000 = 920;
    # business 20, 60 → mean 40, p50 40, p90 20 + 0.9·40 = 56
    check(one(df, metric="average_reply_time", agent="a1"), 520.0, 2, 520.0, 920.0)
    check(one(df, metric="average_reply_time_business", agent="a1"), 40.0, 2, 40.0, 56.0)
    # a2 answered 60, 30 (A1 at 11:00) and 45 (A2): mean 135/3 = 45; p50 45;
    # p90 at rank 1.8 (sorted 30, 45, 60) → 45 + 0.8·15 = 57
    check(one(df, metric="average_reply_time", agent="a2"), 45.0, 3, 45.0, 57.0)
    check(one(df, metric="average_reply_time_business", agent="a2"), 45.0, 3, 45.0, 57.0)


def test_explain_average_reply_time() -> None:
    ws = _workspace()
    _, ex = explain(ws, "average_reply_time")
    assert ex.counted == 5
    assert ex.left_out == [("customer messages not (yet) answered", 1)]
    assert ex.left_out_ids == {"customer messages not (yet) answered": ["A1"]}


def test_average_reply_time_anchored_on_customer_message() -> None:
    ws = _workspace()
    df = compute(ws, "average_reply_time", grain="day")
    # Mon 03-02 customer messages answered: 09:00 (20), 10:00 (60), 10:30 (30), 16:30 (1020)
    # → 1130/4 = 282.5; Tue 03-03: 13:00 (45); the unanswered Tue 10:00 message is left out
    mon = one(df, period=pd.Timestamp("2026-03-02"))
    tue = one(df, period=pd.Timestamp("2026-03-03"))
    check(mon, 282.5, 4)
    check(tue, 45.0, 1)
