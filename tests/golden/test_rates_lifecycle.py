"""Golden numbers for reopens, reopen_rate, replies (and touches), single_reply_resolution_rate
and fcr_rate, computed by hand from METRICS.md ("Ticket lifecycle").

Population of all five: tickets solved (solved or closed) now; each is anchored at its last
solve. Schedule: Mon–Fri 09:00–17:00 UTC (conftest). Week: Mon 2026-03-02 … Fri 2026-03-06.

Tickets (every requester different, so no repeat contact spoils FCR here):

| ticket | story                                                        | replies | reopens |
|--------|--------------------------------------------------------------|---------|---------|
| T1     | customer, bot ack, internal note, 1 agent reply, solved      | 1       | 0       |
| T2     | agent-created: opening agent msg, customer, 1 agent reply    | 1       | 0       |
| T3     | 1 agent reply, solved → open → solved                        | 1       | 1       |
| T4     | customer, bot message, solved (unanswered but solved)        | 0       | 0       |
| T5     | 2 agent replies, solved                                      | 2       | 0       |
| T6     | 3 agent replies, solved, later closed (solved → closed)      | 3       | 0       |
| T7     | 2 agent replies; solved → open → solved → open → solved      | 2       | 2       |
| T8     | 1 agent reply, never solved                 (not in population)          |
| T9     | 1 agent reply, solved → open, not solved again (not in population)       |

Solved population: T1..T7, n = 7.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute

Z = NormalDist().inv_cdf(0.975)  # 1.959963984540054


def wilson_percent(s: int, n: int) -> tuple[float, float]:
    """Wilson score interval in closed form, in percent."""
    p = s / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return 100 * (centre - half), 100 * (centre + half)


def check_proportion(row, successes: int, n: int) -> None:
    assert row["n"] == n
    assert row["value"] == pytest.approx(100.0 * successes / n, abs=1e-9)
    lo, hi = wilson_percent(successes, n)
    assert row["ci_low"] == pytest.approx(lo, abs=1e-6)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-6)
    assert row["unit"] == "percent"
    assert bool(row["small_sample"]) is (n < 30)


def _workspace():
    E = "2026-03-0"  # prefix for the dates of the week
    return build_workspace(
        {
            "tickets": [
                ticket("T1", f"{E}2T09:00:00Z", "c1", channel="email", assignee_id="a1"),
                ticket(
                    "T2",
                    f"{E}2T10:00:00Z",
                    "c2",
                    channel="email",
                    assignee_id="a1",
                    created_by="agent",
                ),
                ticket("T3", f"{E}2T11:00:00Z", "c3", channel="email", assignee_id="a2"),
                ticket("T4", f"{E}2T12:00:00Z", "c4", channel="email", assignee_id="a1"),
                ticket("T5", f"{E}3T09:00:00Z", "c5", channel="chat", assignee_id="a2"),
                ticket("T6", f"{E}3T10:00:00Z", "c6", channel="email", assignee_id="a2"),
                ticket("T7", f"{E}4T09:00:00Z", "c7", channel="email", assignee_id="a1"),
                ticket("T8", f"{E}4T10:00:00Z", "c8", channel="email", assignee_id="a1"),
                ticket("T9", f"{E}4T11:00:00Z", "c9", channel="email", assignee_id="a2"),
            ],
            "events": [
                # T1: bot ack and internal note are not replies → 1 reply
                msg("t1a", "T1", f"{E}2T09:00:00Z", "customer", "c1"),
                msg("t1b", "T1", f"{E}2T09:01:00Z", "bot"),
                msg("t1c", "T1", f"{E}2T09:10:00Z", "agent", "a1", public=False),
                msg("t1d", "T1", f"{E}2T09:30:00Z", "agent", "a1"),
                status("t1s", "T1", f"{E}2T10:00:00Z", "solved", "a1"),
                # T2: agent-created; the opening agent message is not a reply → 1 reply
                msg("t2a", "T2", f"{E}2T10:00:00Z", "agent", "a1"),
                msg("t2b", "T2", f"{E}2T11:00:00Z", "customer", "c2"),
                msg("t2c", "T2", f"{E}2T11:30:00Z", "agent", "a1"),
                status("t2s", "T2", f"{E}2T12:00:00Z", "solved", "a1"),
                # T3: one reply, solved → open → solved: 1 reopen
                msg("t3a", "T3", f"{E}2T11:00:00Z", "customer", "c3"),
                msg("t3b", "T3", f"{E}2T11:30:00Z", "agent", "a2"),
                status("t3s", "T3", f"{E}2T12:00:00Z", "solved", "a2"),
                status("t3o", "T3", f"{E}2T13:00:00Z", "open", "c3"),
                status("t3t", "T3", f"{E}2T14:00:00Z", "solved", "a2"),
                # T4: unanswered by a human, solved anyway → 0 replies
                msg("t4a", "T4", f"{E}2T12:00:00Z", "customer", "c4"),
                msg("t4b", "T4", f"{E}2T12:01:00Z", "bot"),
                status("t4s", "T4", f"{E}2T12:30:00Z", "solved", "a1"),
                # T5: two replies
                msg("t5a", "T5", f"{E}3T09:00:00Z", "customer", "c5"),
                msg("t5b", "T5", f"{E}3T09:30:00Z", "agent", "a2"),
                msg("t5c", "T5", f"{E}3T10:00:00Z", "customer", "c5"),
                msg("t5d", "T5", f"{E}3T10:30:00Z", "agent", "a2"),
                status("t5s", "T5", f"{E}3T11:00:00Z", "solved", "a2"),
                # T6: three replies, solved, then closed (solved → closed is not a reopen)
                msg("t6a", "T6", f"{E}3T10:00:00Z", "customer", "c6"),
                msg("t6b", "T6", f"{E}3T10:15:00Z", "agent", "a2"),
                msg("t6c", "T6", f"{E}3T10:30:00Z", "customer", "c6"),
                msg("t6d", "T6", f"{E}3T10:45:00Z", "agent", "a2"),
                msg("t6e", "T6", f"{E}3T11:00:00Z", "customer", "c6"),
                msg("t6f", "T6", f"{E}3T11:15:00Z", "agent", "a2"),
                status("t6s", "T6", f"{E}3T11:30:00Z", "solved", "a2"),
                status("t6x", "T6", f"{E}6T12:00:00Z", "closed"),
                # T7: two replies, reopened twice (solved → open, twice)
                msg("t7a", "T7", f"{E}4T09:00:00Z", "customer", "c7"),
                msg("t7b", "T7", f"{E}4T09:30:00Z", "agent", "a1"),
                status("t7s", "T7", f"{E}4T10:00:00Z", "solved", "a1"),
                status("t7o", "T7", f"{E}4T11:00:00Z", "open", "c7"),
                msg("t7c", "T7", f"{E}4T11:30:00Z", "agent", "a1"),
                status("t7t", "T7", f"{E}4T12:00:00Z", "solved", "a1"),
                status("t7p", "T7", f"{E}4T13:00:00Z", "open", "c7"),
                status("t7u", "T7", f"{E}4T14:00:00Z", "solved", "a1"),
                # T8: answered, never solved
                msg("t8a", "T8", f"{E}4T10:00:00Z", "customer", "c8"),
                msg("t8b", "T8", f"{E}4T10:30:00Z", "agent", "a1"),
                status("t8o", "T8", f"{E}4T10:31:00Z", "open", "a1"),
                # T9: solved, reopened, not solved again
                msg("t9a", "T9", f"{E}4T11:00:00Z", "customer", "c9"),
                msg("t9b", "T9", f"{E}4T11:30:00Z", "agent", "a2"),
                status("t9s", "T9", f"{E}4T12:00:00Z", "solved", "a2"),
                status("t9o", "T9", f"{E}4T13:00:00Z", "open", "c9"),
            ],
        }
    )


@pytest.fixture(scope="module")
def ws():
    return _workspace()


def test_reopens_mean_per_solved_ticket(ws) -> None:
    row = one(compute(ws, ["reopens"]), metric="reopens")
    # reopens per solved ticket: T1..T7 = 0,0,1,0,0,0,2 → 3 / 7 = 0.428571…
    assert row["n"] == 7
    assert row["value"] == pytest.approx(3 / 7)
    # sorted [0,0,0,0,0,1,2], interpolated: p50 at index 3 → 0; p90 at 0.9·6 = 5.4 →
    # 1 + 0.4·(2 − 1) = 1.4
    assert row["p50"] == pytest.approx(0.0)
    assert row["p90"] == pytest.approx(1.4)


def test_reopen_rate(ws) -> None:
    row = one(compute(ws, ["reopen_rate"]), metric="reopen_rate")
    # reopened at least once: T3 (1), T7 (2) → 2 of 7 solved = 28.571428…%
    check_proportion(row, 2, 7)


def test_reopen_rate_by_agent(ws) -> None:
    df = compute(ws, ["reopen_rate"], by=["agent"])
    # agent = assignee. a1: T1, T2, T4, T7 solved; T7 reopened → 1/4 = 25%
    check_proportion(one(df, agent="a1"), 1, 4)
    # a2: T3, T5, T6 solved; T3 reopened → 1/3 = 33.33…%
    check_proportion(one(df, agent="a2"), 1, 3)


def test_replies_mean_per_solved_ticket(ws) -> None:
    row = one(compute(ws, ["replies"]), metric="replies")
    # replies T1..T7 = 1,1,1,0,2,3,2 → 10 / 7 = 1.428571…
    # (T1: bot + internal note not counted; T2: agent's opening message not counted)
    assert row["n"] == 7
    assert row["value"] == pytest.approx(10 / 7)
    # sorted [0,1,1,1,2,2,3]: p50 = index 3 → 1; p90 at 5.4 → 2 + 0.4·(3 − 2) = 2.4
    assert row["p50"] == pytest.approx(1.0)
    assert row["p90"] == pytest.approx(2.4)


def test_replies_by_touches(ws) -> None:
    df = compute(ws, ["replies"], by=["touches"])
    # one-touch (exactly one reply): T1, T2, T3 → n 3, mean 1
    one_t = one(df, touches="one-touch")
    assert (one_t["n"], one_t["value"]) == (3, pytest.approx(1.0))
    # two-touch: T5, T7 → n 2, mean 2
    two_t = one(df, touches="two-touch")
    assert (two_t["n"], two_t["value"]) == (2, pytest.approx(2.0))
    # multi-touch (3+ replies): T6 → n 1, mean 3
    multi = one(df, touches="multi-touch")
    assert (multi["n"], multi["value"]) == (1, pytest.approx(3.0))
    # T4 (0 replies) is in some other group, not dropped: the groups add up to 7 solved
    assert int(df["n"].sum()) == 7
    rest = df[~df["touches"].isin(["one-touch", "two-touch", "multi-touch"])]
    assert int(rest["n"].sum()) == 1
    assert rest["value"].iloc[0] == pytest.approx(0.0)


def test_single_reply_resolution_rate(ws) -> None:
    row = one(compute(ws, ["single_reply_resolution_rate"]), metric="single_reply_resolution_rate")
    # exactly one reply and never reopened: T1, T2 (T3 has one reply but was reopened;
    # T4 has none) → 2 / 7 = 28.571428…%
    check_proportion(row, 2, 7)


def test_fcr_rate(ws) -> None:
    row = one(compute(ws, ["fcr_rate"]), metric="fcr_rate")
    # one agent interaction (= one reply here), never reopened, no repeat contact: T1, T2
    # T3 reopened, T4 0 replies, T5/T6/T7 several replies → 2 / 7
    check_proportion(row, 2, 7)


def test_rates_by_channel(ws) -> None:
    df = compute(ws, ["single_reply_resolution_rate"], by=["channel"])
    # chat: T5 only (2 replies) → 0 / 1
    check_proportion(one(df, channel="chat"), 0, 1)
    # email: T1, T2, T3, T4, T6, T7 → single-reply T1, T2 → 2 / 6 = 33.33…%
    check_proportion(one(df, channel="email"), 2, 6)


def test_filter_email(ws) -> None:
    df = compute(ws, ["reopen_rate", "replies"], filters={"channel": "email"})
    # email solved: T1, T2, T3, T4, T6, T7; reopened T3, T7 → 2 / 6
    check_proportion(one(df, metric="reopen_rate"), 2, 6)
    # replies 1+1+1+0+3+2 = 8 over 6 tickets = 1.3333…
    rep = one(df, metric="replies")
    assert rep["n"] == 6
    assert rep["value"] == pytest.approx(8 / 6)


def test_grain_day_by_last_solve(ws) -> None:
    df = compute(ws, ["reopen_rate"], grain="day")
    periods = {str(p)[:10]: r for p, (_, r) in zip(df["period"], df.iterrows(), strict=True)}
    # last solve Mon 03-02: T1, T2, T3, T4 → reopened T3 → 1 / 4
    check_proportion(periods["2026-03-02"], 1, 4)
    # Tue 03-03: T5, T6 (T6's solve at Tue 11:30; the Fri close is not a new solve) → 0 / 2
    check_proportion(periods["2026-03-03"], 0, 2)
    # Wed 03-04: T7 (last solve 14:00) → 1 / 1
    check_proportion(periods["2026-03-04"], 1, 1)
