"""Golden numbers for average_handle_time, tickets_per_agent and concurrency, computed by hand
from METRICS.md ("Agents and workload") and the registry's definitions:

- AHT = (talk + hold + wrap) / handled interactions, in minutes; an interaction that records
  none of the three is left out.
- tickets per agent = distinct tickets an agent replied to (public human reply) or solved on a
  day, averaged over the agent's working days (days with at least one such ticket).
- concurrency = total chat session time (talk + hold) / time with at least one session open,
  per agent; phone calls do not count.
"""

from __future__ import annotations

import pytest

from conftest import build_workspace, interaction, msg, one, status, ticket
from deskmetrics.query import compute, explain

# ---------------------------------------------------------------------------------------------
# average handle time


@pytest.fixture(scope="module")
def aht_ws():
    return build_workspace(
        {
            "tickets": [
                ticket("P1", "2026-03-02T10:00:00Z", "c1", channel="phone", assignee_id="a1"),
                ticket("K1", "2026-03-02T12:00:00Z", "c2", channel="chat", assignee_id="a2"),
                ticket("P3", "2026-03-03T10:00:00Z", "c3", channel="phone", assignee_id="a1"),
                ticket("E1", "2026-03-03T11:00:00Z", "c4", channel="email", assignee_id="a2"),
            ],
            "events": [
                # 300 + 60 + 120 = 480 s = 8 min
                interaction("i1", "P1", "2026-03-02T10:00:00Z", "a1", talk=300, hold=60, wrap=120),
                # nothing recorded → left out
                interaction("i3", "P1", "2026-03-02T11:00:00Z", "a1"),
                # 600 + (no hold) + 60 = 660 s = 11 min
                interaction("i2", "K1", "2026-03-02T12:00:00Z", "a2", talk=600, wrap=60),
                # 900 s = 15 min
                interaction("i4", "P3", "2026-03-03T10:00:00Z", "a1", talk=900),
                # an email reply is not a handled call/chat interaction
                msg("e1c", "E1", "2026-03-03T11:00:00Z", "customer", "c4"),
                msg("e1r", "E1", "2026-03-03T11:30:00Z", "agent", "a2"),
            ],
        }
    )


def test_aht_total(aht_ws) -> None:
    row = one(compute(aht_ws, ["average_handle_time"]), metric="average_handle_time")
    # (8 + 11 + 15) / 3 = 34 / 3 = 11.333… min; i3 left out
    assert row["n"] == 3
    assert row["value"] == pytest.approx(34 / 3)
    assert row["unit"] == "minutes"
    # sorted [8, 11, 15]: p50 11; p90 at index 1.8 → 11 + 0.8·4 = 14.2
    assert row["p50"] == pytest.approx(11.0)
    assert row["p90"] == pytest.approx(14.2)


def test_aht_reports_left_out_interaction(aht_ws) -> None:
    _, ex = explain(aht_ws, "average_handle_time")
    assert ex.counted == 3
    assert sum(n for _, n in ex.left_out) == 1  # i3: no talk, hold or wrap


def test_aht_by_agent_and_channel(aht_ws) -> None:
    df = compute(aht_ws, ["average_handle_time"], by=["agent"])
    # a1: (8 + 15) / 2 = 11.5; a2: 11
    a1, a2 = one(df, agent="a1"), one(df, agent="a2")
    assert (a1["n"], a1["value"]) == (2, pytest.approx(11.5))
    assert (a2["n"], a2["value"]) == (1, pytest.approx(11.0))
    df = compute(aht_ws, ["average_handle_time"], by=["channel"])
    ph, ch = one(df, channel="phone"), one(df, channel="chat")
    assert (ph["n"], ph["value"]) == (2, pytest.approx(11.5))
    assert (ch["n"], ch["value"]) == (1, pytest.approx(11.0))
    assert len(df) == 2  # no email row: no interactions there
    row = one(
        compute(aht_ws, ["average_handle_time"], filters={"channel": "phone"}),
        metric="average_handle_time",
    )
    assert (row["n"], row["value"]) == (2, pytest.approx(11.5))


def test_aht_per_day(aht_ws) -> None:
    df = compute(aht_ws, ["average_handle_time"], grain="day")
    days = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    # Mon: (8 + 11) / 2 = 9.5; Tue: 15
    assert (days["2026-03-02"]["n"], days["2026-03-02"]["value"]) == (2, pytest.approx(9.5))
    assert (days["2026-03-03"]["n"], days["2026-03-03"]["value"]) == (1, pytest.approx(15.0))


# ---------------------------------------------------------------------------------------------
# tickets handled per agent per working day


@pytest.fixture(scope="module")
def tpa_ws():
    return build_workspace(
        {
            "tickets": [
                ticket("W1", "2026-03-02T09:00:00Z", "c1", assignee_id="a1"),
                ticket("W2", "2026-03-02T10:00:00Z", "c2", assignee_id="a1"),
                ticket("W3", "2026-03-02T11:00:00Z", "c3", assignee_id="a2"),
                ticket("W4", "2026-03-02T12:00:00Z", "c4", assignee_id="a2"),
                ticket("W5", "2026-03-03T09:00:00Z", "c5", assignee_id="a2"),
                ticket("W6", "2026-03-05T02:30:00Z", "c6", assignee_id="a1"),
            ],
            "events": [
                msg("w1c", "W1", "2026-03-02T09:00:00Z", "customer", "c1"),
                msg("w1r", "W1", "2026-03-02T09:30:00Z", "agent", "a1"),
                status("w1s", "W1", "2026-03-02T10:00:00Z", "solved", "a1"),
                msg("w2c", "W2", "2026-03-02T10:00:00Z", "customer", "c2"),
                msg("w2r", "W2", "2026-03-02T11:00:00Z", "agent", "a1"),
                status("w2s", "W2", "2026-03-05T10:00:00Z", "solved", "a1"),
                msg("w3c", "W3", "2026-03-02T11:00:00Z", "customer", "c3"),
                msg("w3r", "W3", "2026-03-02T11:30:00Z", "agent", "a2"),
                msg("w3q", "W3", "2026-03-03T10:00:00Z", "agent", "a1"),
                status("w3s", "W3", "2026-03-03T11:00:00Z", "solved", "a2"),
                msg("w4c", "W4", "2026-03-02T12:00:00Z", "customer", "c4"),
                msg("w4r", "W4", "2026-03-02T12:30:00Z", "agent", "a2"),
                msg("w4q", "W4", "2026-03-02T13:00:00Z", "agent", "a2"),
                status("w4s", "W4", "2026-03-02T13:30:00Z", "solved", "a2"),
                msg("w5c", "W5", "2026-03-03T09:00:00Z", "customer", "c5"),
                msg("w5b", "W5", "2026-03-03T09:01:00Z", "bot", "autobot"),
                status("w5s", "W5", "2026-03-03T12:00:00Z", "solved", "a1"),
                # an internal note is neither a reply nor a solve: no Wednesday for a2
                msg("w5n", "W5", "2026-03-04T10:00:00Z", "agent", "a2", public=False),
                msg("w6c", "W6", "2026-03-05T02:30:00Z", "customer", "c6"),
                msg("w6r", "W6", "2026-03-05T03:00:00Z", "agent", "a1"),
            ],
        }
    )


# Handled (agent, UTC day) → distinct tickets:
#   a1 Mon: W1 (reply + solve, once), W2 (reply)        = 2
#   a1 Tue: W3 (reply), W5 (solve)                      = 2
#   a1 Thu: W2 (solve), W6 (reply 03:00Z)               = 2
#   a2 Mon: W3 (reply), W4 (2 replies + solve, once)    = 2
#   a2 Tue: W3 (solve)                                  = 1
#   bot "autobot": nothing; a2's Wednesday internal note: nothing


def test_tickets_per_agent_total_utc(tpa_ws) -> None:
    row = one(compute(tpa_ws, ["tickets_per_agent"], tz="UTC"), metric="tickets_per_agent")
    # 5 agent-days: (2 + 2 + 2 + 2 + 1) / 5 = 9 / 5 = 1.8
    assert row["n"] == 5
    assert row["value"] == pytest.approx(1.8)


def test_tickets_per_agent_by_agent_utc(tpa_ws) -> None:
    df = compute(tpa_ws, ["tickets_per_agent"], by=["agent"], tz="UTC")
    a1, a2 = one(df, agent="a1"), one(df, agent="a2")
    # a1: (2 + 2 + 2) / 3 = 2.0
    assert (a1["n"], a1["value"]) == (3, pytest.approx(2.0))
    # a2: (2 + 1) / 2 = 1.5
    assert (a2["n"], a2["value"]) == (2, pytest.approx(1.5))
    assert set(df["agent"]) == {"a1", "a2"}


def test_tickets_per_agent_days_in_new_york(tpa_ws) -> None:
    df = compute(tpa_ws, ["tickets_per_agent"], by=["agent"], tz="America/New_York")
    # New York = UTC−5: W6's reply Thu 03:00Z is Wed 22:00 local → a1 gets a Wednesday:
    # a1 Mon {W1, W2} 2, Tue {W3, W5} 2, Wed {W6} 1, Thu {W2} 1 → 6 / 4 = 1.5
    a1 = one(df, agent="a1")
    assert (a1["n"], a1["value"]) == (4, pytest.approx(1.5))
    # a2 unchanged (all its events are between 04:00 and 08:30 local): 3 / 2 = 1.5
    a2 = one(df, agent="a2")
    assert (a2["n"], a2["value"]) == (2, pytest.approx(1.5))


def test_tickets_per_agent_per_day(tpa_ws) -> None:
    df = compute(tpa_ws, ["tickets_per_agent"], grain="day", tz="UTC")
    days = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    # Mon: a1 2, a2 2 → 2.0 (n 2); Tue: a1 2, a2 1 → 1.5 (n 2); Thu: a1 2 → 2.0 (n 1)
    assert (days["2026-03-02"]["n"], days["2026-03-02"]["value"]) == (2, pytest.approx(2.0))
    assert (days["2026-03-03"]["n"], days["2026-03-03"]["value"]) == (2, pytest.approx(1.5))
    assert (days["2026-03-05"]["n"], days["2026-03-05"]["value"]) == (1, pytest.approx(2.0))
    assert "2026-03-04" not in days or days["2026-03-04"]["n"] == 0


# ---------------------------------------------------------------------------------------------
# chat concurrency


@pytest.fixture(scope="module")
def conc_ws():
    tickets = [
        ticket(
            f"CH{i}",
            "2026-03-02T09:00:00Z",
            f"c{i}",
            channel="chat",
            assignee_id="a1" if i <= 3 else "a2",
        )
        for i in range(1, 7)
    ]
    tickets.append(ticket("PH1", "2026-03-02T09:00:00Z", "c9", channel="phone", assignee_id="a1"))
    return build_workspace(
        {
            "tickets": tickets,
            "events": [
                # a1: 10:00–10:30 (talk 25 min + hold 5 min), 10:10–10:40, 11:00–11:20 (its
                # 10 min wrap-up is after the session, not part of it)
                interaction("s1", "CH1", "2026-03-02T10:00:00Z", "a1", talk=1500, hold=300),
                interaction("s2", "CH2", "2026-03-02T10:10:00Z", "a1", talk=1800),
                interaction("s3", "CH3", "2026-03-02T11:00:00Z", "a1", talk=1200, wrap=600),
                # a phone call during a1's chats: not a chat conversation
                interaction("p1", "PH1", "2026-03-02T10:00:00Z", "a1", talk=3600),
                # a2: 14:00–14:30 twice, 14:10–14:20
                interaction("s4", "CH4", "2026-03-02T14:00:00Z", "a2", talk=1800),
                interaction("s5", "CH5", "2026-03-02T14:00:00Z", "a2", talk=1800),
                interaction("s6", "CH6", "2026-03-02T14:10:00Z", "a2", talk=600),
            ],
        }
    )


def test_concurrency_by_agent(conc_ws) -> None:
    df = compute(conc_ws, ["concurrency"], by=["agent"])
    a1, a2 = one(df, agent="a1"), one(df, agent="a2")
    # a1: session time 30 + 30 + 20 = 80 min; open time 10:00–10:40 (40) + 11:00–11:20 (20)
    #     = 60 min → 80 / 60 = 1.3333…; 3 sessions
    assert a1["value"] == pytest.approx(80 / 60)
    assert a1["n"] == 3
    # a2: 30 + 30 + 10 = 70 min over 14:00–14:30 (30) → 70 / 30 = 2.3333…; 3 sessions
    assert a2["value"] == pytest.approx(70 / 30)
    assert a2["n"] == 3


def test_concurrency_total(conc_ws) -> None:
    row = one(compute(conc_ws, ["concurrency"]), metric="concurrency")
    # time-weighted over both agents: (80 + 70) / (60 + 30) = 150 / 90 = 1.6666…; 6 sessions
    assert row["value"] == pytest.approx(150 / 90)
    assert row["n"] == 6
