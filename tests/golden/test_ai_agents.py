"""Golden numbers for the AI-agent metrics, computed by hand from METRICS.md ("AI agents and
automation"). Schedule: Mon–Fri 09:00–17:00 UTC; FCR window 7 days (default).

A ticket is AI-engaged when an `ai_agent` posted a public message; `bot` messages (automatic
acknowledgements) do not engage it, and neither counts as a human reply.

| ticket | requester | story (Mon 2 March unless said)                                    |
|--------|-----------|--------------------------------------------------------------------|
| T1     | r1        | 10:00 customer, 10:01 AI, 10:05 solved by the AI                   |
| T2     | r2        | 10:00 customer, 10:02 AI, 10:10 customer, 10:32 agent, 11:00 solved|
| T3     | r3        | 10:00 customer, 10:03 AI, 10:04 solved — r3 comes back with T4     |
| T4     | r3        | Wed 4 March 10:00 customer, 10:30 agent, 11:00 solved (no AI)      |
| T5     | r5        | 10:00 customer, 10:01 AI, 10:02 solved, 10:30 open, 10:40 solved   |
| T6     | r6        | 10:00 customer, 10:01 AI, nothing else (open)                      |
| T7     | r7        | 10:00 customer, 10:00 bot acknowledgement, 10:20 agent, 10:40 solved|
| T8     | r8        | Fri 6 March 16:50 customer, 16:50 AI, Mon 9 March 09:10 agent      |
| T9     | r9        | agent-created: 10:00 agent opens, 10:10 customer, 10:11 AI, 10:20 solved|
| T10    | r10       | phone: a call handled by a1 at 10:00 (no messages), still open     |

AI-engaged: T1 T2 T3 T5 T6 T8 T9 → 7 (T4 and T7 never; T7's bot message does not engage it).
Automated resolutions: T1 only → 1/7 = 14.2857 %. Not: T2 (a person answered), T3 (r3 came back
2 days later: a repeat contact), T5 (reopened), T6 (not solved), T8 (a person), T9 (the agent's
opening message is a public human message).
Handoffs (a human agent's public message after the first AI message): T2, T8 → 2/7 = 28.5714 %
(T9's agent message came before the AI's: no handoff).
Wait after handoff: T2 10:02 → 10:32 = 30 min; T8 Fri 16:50 → Mon 09:10 = 3,860 min calendar,
10 + 10 = 20 business minutes. Mean 1,945 min calendar, 25 business minutes.
First response time ignores AI and bot messages: T2 32, T4 30, T7 20, T8 3,860 (calendar) →
mean 985.5 min; T1, T3, T5, T6 have no first response; T9's opening message is not a reply.
handled_by: ai_only T1 T3 T5 T6; ai_then_human T2 T8 T9; human_only T4 T7 T10 (a handled
call is a person's answer, message or not).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, interaction, msg, one, status, ticket
from deskmetrics.query import compute, explain, facts_frame


def _rows() -> dict[str, list[dict[str, Any]]]:
    d = "2026-03-02T"
    tickets = [
        ticket("T1", f"{d}10:00:00Z", "r1", channel="chat"),
        ticket("T2", f"{d}10:00:00Z", "r2", channel="chat"),
        ticket("T3", f"{d}10:00:00Z", "r3", channel="web"),
        ticket("T4", "2026-03-04T10:00:00Z", "r3", channel="email"),
        ticket("T5", f"{d}10:00:00Z", "r5", channel="chat"),
        ticket("T6", f"{d}10:00:00Z", "r6", channel="chat"),
        ticket("T7", f"{d}10:00:00Z", "r7", channel="email"),
        ticket("T8", "2026-03-06T16:50:00Z", "r8", channel="web"),
        ticket("T9", f"{d}10:00:00Z", "r9", channel="email", created_by="agent"),
        ticket("T10", f"{d}10:00:00Z", "r10", channel="phone"),
    ]
    events = [
        msg("t1a", "T1", f"{d}10:00:00Z", "customer", "r1"),
        msg("t1b", "T1", f"{d}10:01:00Z", "ai_agent", "fin"),
        status("t1c", "T1", f"{d}10:05:00Z", "solved", "fin"),
        msg("t2a", "T2", f"{d}10:00:00Z", "customer", "r2"),
        msg("t2b", "T2", f"{d}10:02:00Z", "ai_agent", "fin"),
        msg("t2c", "T2", f"{d}10:10:00Z", "customer", "r2"),
        msg("t2d", "T2", f"{d}10:32:00Z", "agent", "a1"),
        status("t2e", "T2", f"{d}11:00:00Z", "solved", "a1"),
        msg("t3a", "T3", f"{d}10:00:00Z", "customer", "r3"),
        msg("t3b", "T3", f"{d}10:03:00Z", "ai_agent", "fin"),
        status("t3c", "T3", f"{d}10:04:00Z", "solved", "fin"),
        msg("t4a", "T4", "2026-03-04T10:00:00Z", "customer", "r3"),
        msg("t4b", "T4", "2026-03-04T10:30:00Z", "agent", "a1"),
        status("t4c", "T4", "2026-03-04T11:00:00Z", "solved", "a1"),
        msg("t5a", "T5", f"{d}10:00:00Z", "customer", "r5"),
        msg("t5b", "T5", f"{d}10:01:00Z", "ai_agent", "fin"),
        status("t5c", "T5", f"{d}10:02:00Z", "solved", "fin"),
        status("t5d", "T5", f"{d}10:30:00Z", "open", "r5"),
        status("t5e", "T5", f"{d}10:40:00Z", "solved", "fin"),
        msg("t6a", "T6", f"{d}10:00:00Z", "customer", "r6"),
        msg("t6b", "T6", f"{d}10:01:00Z", "ai_agent", "fin"),
        msg("t7a", "T7", f"{d}10:00:00Z", "customer", "r7"),
        msg("t7b", "T7", f"{d}10:00:00Z", "bot", "auto"),
        msg("t7c", "T7", f"{d}10:20:00Z", "agent", "a2"),
        status("t7d", "T7", f"{d}10:40:00Z", "solved", "a2"),
        msg("t8a", "T8", "2026-03-06T16:50:00Z", "customer", "r8"),
        msg("t8b", "T8", "2026-03-06T16:50:00Z", "ai_agent", "fin"),
        msg("t8c", "T8", "2026-03-09T09:10:00Z", "agent", "a2"),
        msg("t9a", "T9", f"{d}10:00:00Z", "agent", "a1"),
        msg("t9b", "T9", f"{d}10:10:00Z", "customer", "r9"),
        msg("t9c", "T9", f"{d}10:11:00Z", "ai_agent", "fin"),
        status("t9d", "T9", f"{d}10:20:00Z", "solved", "fin"),
        interaction("t10a", "T10", f"{d}10:00:00Z", "a1", talk=300),
    ]
    surveys = [
        {"response_id": rid, "kind": "csat", "scale": "1-5", "score": str(score),
         "answered_at": "2026-03-09T12:00:00Z", "ticket_id": tid}
        for rid, tid, score in (
            ("s1", "T1", 5), ("s3", "T3", 2), ("s2", "T2", 4), ("s4", "T4", 5), ("s7", "T7", 3),
        )
    ]  # fmt: skip
    return {"tickets": tickets, "events": events, "surveys": surveys}


@pytest.fixture(scope="module")
def ws():  # type: ignore[no-untyped-def]
    return build_workspace(_rows(), UTC_9_TO_5)


def test_automated_resolution_rate(ws) -> None:  # type: ignore[no-untyped-def]
    row = one(compute(ws, "automated_resolution_rate"), metric="automated_resolution_rate")
    assert row["n"] == 7
    assert row["value"] == pytest.approx(100 / 7)


def test_ai_handoff_rate(ws) -> None:  # type: ignore[no-untyped-def]
    row = one(compute(ws, "ai_handoff_rate"), metric="ai_handoff_rate")
    assert row["n"] == 7
    assert row["value"] == pytest.approx(200 / 7)


def test_wait_after_handoff_calendar_and_business(ws) -> None:  # type: ignore[no-untyped-def]
    df = compute(ws, ["ai_handoff_wait_time", "ai_handoff_wait_time_business"])
    cal = one(df, metric="ai_handoff_wait_time")
    assert cal["n"] == 2
    assert cal["value"] == pytest.approx((30 + 3860) / 2)
    bus = one(df, metric="ai_handoff_wait_time_business")
    assert bus["n"] == 2
    assert bus["value"] == pytest.approx((30 + 20) / 2)


def test_first_response_time_ignores_ai_and_bot_messages(ws) -> None:  # type: ignore[no-untyped-def]
    row = one(compute(ws, "first_response_time"), metric="first_response_time")
    assert row["n"] == 4
    assert row["value"] == pytest.approx((32 + 30 + 20 + 3860) / 4)


def test_ai_messages_are_no_replies_or_touches(ws) -> None:  # type: ignore[no-untyped-def]
    f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["T1", "replies"] == 0
    assert f.loc["T1", "touches"] == "no-touch"
    assert f.loc["T2", "replies"] == 1
    # FCR: the AI agent's part is one interaction. T1 (AI alone, solved, no reopen, no repeat)
    # is a first-contact resolution; T2 (AI, then a person: two) is not; T3 (r3 came back) not
    assert f.loc["T1", "agent_interactions"] == 1
    assert f.loc["T1", "fcr"]
    assert f.loc["T2", "agent_interactions"] == 2
    assert not f.loc["T2", "fcr"]
    assert not f.loc["T3", "fcr"]


def test_fcr_by_handled_by(ws) -> None:  # type: ignore[no-untyped-def]
    """Solved tickets: ai_only T1 (FCR), T3 (repeat), T5 (reopened) → 1/3; ai_then_human T2 (two
    interactions: not), T9 (an agent-created ticket's opening message is no interaction, as
    always; the AI's answer is one: FCR) → 1/2; human_only T4 (one reply, FCR), T7 (one reply
    after a bot message, FCR) → 2/2."""
    df = compute(ws, "fcr_rate", by=["handled_by"])
    assert one(df, handled_by="ai_only")[["n", "value"]].tolist() == [3, pytest.approx(100 / 3)]
    assert one(df, handled_by="ai_then_human")[["n", "value"]].tolist() == [2, 50.0]
    assert one(df, handled_by="human_only")[["n", "value"]].tolist() == [2, 100.0]


def test_handled_by_per_ticket(ws) -> None:  # type: ignore[no-untyped-def]
    f = facts_frame(ws).set_index("ticket_id")["handled_by"].to_dict()
    assert f == {
        "T1": "ai_only",
        "T2": "ai_then_human",
        "T3": "ai_only",
        "T4": "human_only",
        "T5": "ai_only",
        "T6": "ai_only",
        "T7": "human_only",
        "T8": "ai_then_human",
        "T9": "ai_then_human",
        "T10": "human_only",
    }


def test_csat_by_handled_by(ws) -> None:  # type: ignore[no-untyped-def]
    """CSAT (satisfied: 4 or 5 on 1-5): ai_only T1 5, T3 2 → 1/2 = 50 %; ai_then_human T2 4 →
    1/1 = 100 %; human_only T4 5, T7 3 → 1/2 = 50 %."""
    df = compute(ws, "csat", by=["handled_by"])
    assert one(df, handled_by="ai_only")[["n", "value"]].tolist() == [2, 50.0]
    assert one(df, handled_by="ai_then_human")[["n", "value"]].tolist() == [1, 100.0]
    assert one(df, handled_by="human_only")[["n", "value"]].tolist() == [2, 50.0]


def test_resolution_time_by_handled_by(ws) -> None:  # type: ignore[no-untyped-def]
    """Full resolution time (creation → last solved, calendar): ai_only T1 5, T3 4, T5 40 →
    49/3; human_only T4 60, T7 40 → 50; ai_then_human T2 60, T9 20 → 40 (T8 is open)."""
    df = compute(ws, "full_resolution_time", by=["handled_by"])
    assert one(df, handled_by="ai_only")["value"] == pytest.approx(49 / 3)
    assert one(df, handled_by="human_only")["value"] == pytest.approx(50)
    assert one(df, handled_by="ai_then_human")["value"] == pytest.approx(40)


def test_explain_names_the_ai_engaged_tickets_and_why_the_rest_are_left_out(ws) -> None:  # type: ignore[no-untyped-def]
    ex = explain(ws, "automated_resolution_rate")
    text = str(ex)
    for tid in ("T1", "T2", "T3", "T5", "T6", "T8", "T9"):
        assert tid in text
    assert "no AI agent posted" in text


def test_no_ai_agent_means_no_ai_numbers() -> None:
    """Only people and a bot acknowledgement: nothing is AI-engaged, the rates have n = 0 (or
    no row), never a 0 % that would read as a failing AI agent."""
    rows = _rows()
    keep = {"T4", "T7"}
    ws = build_workspace(
        {
            "tickets": [t for t in rows["tickets"] if t["ticket_id"] in keep],
            "events": [e for e in rows["events"] if e["ticket_id"] in keep],
        },
        UTC_9_TO_5,
    )
    df = compute(ws, ["automated_resolution_rate", "ai_handoff_rate"])
    assert (df["n"].fillna(0) == 0).all()
    assert df["value"].isna().all()


def test_versus_sets_each_group_against_people(ws) -> None:  # type: ignore[no-untyped-def]
    """CSAT by handled_by against human_only (1/2 = 50 %), the pooled two-proportion z-test:
    ai_only 1/2 → difference 0, p = 1; ai_then_human 1/1 → +50 points, pooled 2/3,
    se = √(2/3 · 1/3 · (1 + 1/2)) = √(1/3), z = 0.5 / 0.57735 = 0.8660, p = erfc(z/√2) = 0.3865:
    noise with this few answers."""
    import math

    df = compute(ws, "csat", by=["handled_by"], versus="human_only")
    ai = one(df, handled_by="ai_only")
    assert ai["versus_value"] == 50.0
    assert ai["difference"] == 0.0
    assert ai["p_value"] == pytest.approx(1.0)
    both = one(df, handled_by="ai_then_human")
    assert both["difference"] == 50.0
    assert both["p_value"] == pytest.approx(math.erfc(0.5 / math.sqrt(1 / 3) / math.sqrt(2)))
    assert both["p_value"] == pytest.approx(0.3865, abs=1e-4)
    assert not both["significant"]
    people = one(df, handled_by="human_only")
    assert math.isnan(people["difference"]) or people["difference"] is None


def test_versus_needs_one_dimension(ws) -> None:  # type: ignore[no-untyped-def]
    from deskmetrics.errors import QueryError

    with pytest.raises(QueryError, match="exactly one --by"):
        compute(ws, "csat", versus="human_only")


def test_cli_report_versus_people(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The terminal says it the same way: a column 'vs human_only' with the difference in
    points and '(noise)'."""
    from typer.testing import CliRunner

    from deskmetrics.cli import app

    db = tmp_path / "w.duckdb"
    built = build_workspace(_rows(), UTC_9_TO_5, path=str(db))
    built.backend.con.close()
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(
        'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\ndefault = true\n'
        '[schedules.office.hours]\nmon = "09:00-17:00"\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        app,
        ["--db", str(db), "--config", str(cfg), "report", "csat", "--by", "handled_by",
         "--versus", "human_only", "--wide"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "vs human_only" in res.output
    assert "+50.0 pts" in res.output
    assert "(noise)" in res.output
