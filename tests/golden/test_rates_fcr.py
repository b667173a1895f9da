"""Golden numbers for fcr_rate (and single_reply_resolution_rate on the same tickets): the
repeat-contact window, calls and chat sessions as interactions, computed by hand from
METRICS.md: FCR = solved tickets with exactly one agent interaction (one reply, call or chat
session), never reopened, and no other ticket from the same customer within the window after
this ticket was created (default 7 days) / solved tickets.

| ticket | requester | channel | story                                              |
|--------|-----------|---------|----------------------------------------------------|
| F1     | r1        | email   | Mon 03-02 10:00, 1 reply, solved                   |
| F2     | r1        | email   | Thu 03-05 12:00 (3 d 2 h after F1), 1 reply, solved|
| F3     | r2        | email   | Mon 03-02 10:00, 1 reply, solved                   |
| F4     | r2        | email   | Wed 03-11 10:00 (9 d after F3), 1 reply, solved    |
| F5     | r3        | email   | Mon 03-02 11:00, 1 reply, solved                   |
| F6     | r3        | email   | Tue 03-03 11:00 (1 d after F5), never solved       |
| P1     | r4        | phone   | one call (talk/hold/wrap), no messages, solved     |
| P2     | r5        | phone   | two calls, no messages, solved                     |
| C1     | r6        | chat    | one chat session (2 agent messages in it), solved  |
| F7     | r7        | email   | customer + bot message, solved (0 replies)         |
| F8     | r8        | email   | 1 reply, solved → open → solved                    |
| F9     | r9        | email   | bot ack, internal note, 1 human reply, solved      |

Solved: F1 F2 F3 F4 F5 P1 P2 C1 F7 F8 F9 → n = 11 (F6 is not solved).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from conftest import UTC_9_TO_5, build_workspace, interaction, msg, one, status, ticket
from deskmetrics.query import compute

Z = NormalDist().inv_cdf(0.975)


def wilson_percent(s: int, n: int) -> tuple[float, float]:
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
    assert bool(row["small_sample"]) is (n < 30)


def _replied(tid: str, created: str, requester: str, solved: str) -> tuple[dict, list[dict]]:
    """An email ticket: customer message at creation, one agent reply 30 min later, solved."""
    t = ticket(tid, created, requester, channel="email", assignee_id="a1")
    day = created[:11]
    hh = int(created[11:13])
    ev = [
        msg(f"{tid}-c", tid, created, "customer", requester),
        msg(f"{tid}-r", tid, f"{day}{hh:02d}:30:00Z", "agent", "a1"),
        status(f"{tid}-s", tid, solved, "solved", "a1"),
    ]
    return t, ev


def _tables() -> dict[str, list[dict]]:
    tickets: list[dict] = []
    events: list[dict] = []
    for tid, created, req, solved in [
        ("F1", "2026-03-02T10:00:00Z", "r1", "2026-03-02T11:00:00Z"),
        ("F2", "2026-03-05T12:00:00Z", "r1", "2026-03-05T13:00:00Z"),
        ("F3", "2026-03-02T10:00:00Z", "r2", "2026-03-02T11:00:00Z"),
        ("F4", "2026-03-11T10:00:00Z", "r2", "2026-03-11T11:00:00Z"),
        ("F5", "2026-03-02T11:00:00Z", "r3", "2026-03-02T12:00:00Z"),
    ]:
        t, ev = _replied(tid, created, req, solved)
        tickets.append(t)
        events += ev
    tickets += [
        ticket("F6", "2026-03-03T11:00:00Z", "r3", channel="email", assignee_id="a1"),
        ticket("P1", "2026-03-02T14:00:00Z", "r4", channel="phone", assignee_id="a2"),
        ticket("P2", "2026-03-02T15:00:00Z", "r5", channel="phone", assignee_id="a2"),
        ticket("C1", "2026-03-03T10:00:00Z", "r6", channel="chat", assignee_id="a3"),
        ticket("F7", "2026-03-03T12:00:00Z", "r7", channel="email", assignee_id="a1"),
        ticket("F8", "2026-03-03T13:00:00Z", "r8", channel="email", assignee_id="a1"),
        ticket("F9", "2026-03-04T09:00:00Z", "r9", channel="email", assignee_id="a1"),
    ]
    events += [
        # F6: the repeat contact of r3 — open, never solved
        msg("F6-c", "F6", "2026-03-03T11:00:00Z", "customer", "r3"),
        # P1: one call, no messages
        interaction("P1-i", "P1", "2026-03-02T14:00:00Z", "a2", talk=300, hold=60, wrap=120),
        status("P1-s", "P1", "2026-03-02T14:10:00Z", "solved", "a2"),
        # P2: two calls
        interaction("P2-i1", "P2", "2026-03-02T15:00:00Z", "a2", talk=200),
        interaction("P2-i2", "P2", "2026-03-03T09:00:00Z", "a2", talk=100),
        status("P2-s", "P2", "2026-03-03T09:10:00Z", "solved", "a2"),
        # C1: one chat session holding two agent messages
        msg("C1-c1", "C1", "2026-03-03T10:00:00Z", "customer", "r6"),
        interaction("C1-i", "C1", "2026-03-03T10:00:00Z", "a3", talk=600),
        msg("C1-a1", "C1", "2026-03-03T10:01:00Z", "agent", "a3"),
        msg("C1-c2", "C1", "2026-03-03T10:03:00Z", "customer", "r6"),
        msg("C1-a2", "C1", "2026-03-03T10:05:00Z", "agent", "a3"),
        status("C1-s", "C1", "2026-03-03T10:15:00Z", "solved", "a3"),
        # F7: no human reply, solved
        msg("F7-c", "F7", "2026-03-03T12:00:00Z", "customer", "r7"),
        msg("F7-b", "F7", "2026-03-03T12:01:00Z", "bot"),
        status("F7-s", "F7", "2026-03-03T12:30:00Z", "solved", "a1"),
        # F8: one reply, reopened, solved again
        msg("F8-c", "F8", "2026-03-03T13:00:00Z", "customer", "r8"),
        msg("F8-r", "F8", "2026-03-03T13:10:00Z", "agent", "a1"),
        status("F8-s", "F8", "2026-03-03T13:20:00Z", "solved", "a1"),
        status("F8-o", "F8", "2026-03-03T14:00:00Z", "open", "r8"),
        status("F8-t", "F8", "2026-03-03T14:30:00Z", "solved", "a1"),
        # F9: bot ack and internal note are not replies; one human reply
        msg("F9-c", "F9", "2026-03-04T09:00:00Z", "customer", "r9"),
        msg("F9-b", "F9", "2026-03-04T09:01:00Z", "bot"),
        msg("F9-n", "F9", "2026-03-04T09:05:00Z", "agent", "a1", public=False),
        msg("F9-r", "F9", "2026-03-04T09:30:00Z", "agent", "a1"),
        status("F9-s", "F9", "2026-03-04T10:00:00Z", "solved", "a1"),
    ]
    return {"tickets": tickets, "events": events}


@pytest.fixture(scope="module")
def ws():
    return build_workspace(_tables())


@pytest.fixture(scope="module")
def ws3():
    return build_workspace(_tables(), {**UTC_9_TO_5, "fcr": {"window_days": 3}})


def test_fcr_default_window(ws) -> None:
    row = one(compute(ws, ["fcr_rate"]), metric="fcr_rate")
    # FCR: F2 (F1 is before it, not after), F3, F4, P1 (one call), C1 (one chat session),
    #      F9 (bot + note not replies) = 6
    # not: F1 (F2 by r1 3 d 2 h later, inside 7 d), F5 (F6 1 d later, unsolved but still a
    #      contact), P2 (two calls), F7 (0 interactions), F8 (reopened)
    # → 6 / 11 = 54.5454…%
    check_proportion(row, 6, 11)


def test_fcr_three_day_window(ws3) -> None:
    row = one(compute(ws3, ["fcr_rate"]), metric="fcr_rate")
    # window 3 d: F2 comes 3 d 2 h after F1 → outside → F1 becomes FCR; F5 still spoiled
    # (F6 after 1 d) → 7 / 11 = 63.6363…%
    check_proportion(row, 7, 11)


def test_fcr_by_channel(ws) -> None:
    df = compute(ws, ["fcr_rate"], by=["channel"])
    # email solved: F1 F2 F3 F4 F5 F7 F8 F9 = 8; FCR F2 F3 F4 F9 = 4 → 50%
    check_proportion(one(df, channel="email"), 4, 8)
    # phone: P1 (FCR), P2 (two calls) → 1 / 2
    check_proportion(one(df, channel="phone"), 1, 2)
    # chat: C1 → 1 / 1
    check_proportion(one(df, channel="chat"), 1, 1)


def test_fcr_filter_email(ws, ws3) -> None:
    # 7-day window: 4 / 8 (as above)
    check_proportion(
        one(compute(ws, ["fcr_rate"], filters={"channel": "email"}), metric="fcr_rate"), 4, 8
    )
    # 3-day window: F1 joins → 5 / 8 = 62.5%
    check_proportion(
        one(compute(ws3, ["fcr_rate"], filters={"channel": "email"}), metric="fcr_rate"), 5, 8
    )


def test_fcr_by_agent(ws) -> None:
    df = compute(ws, ["fcr_rate"], by=["agent"])
    # agent = assignee. a1: F1 F2 F3 F4 F5 F7 F8 F9 → FCR F2 F3 F4 F9 → 4 / 8
    check_proportion(one(df, agent="a1"), 4, 8)
    # a2: P1, P2 → 1 / 2; a3: C1 → 1 / 1
    check_proportion(one(df, agent="a2"), 1, 2)
    check_proportion(one(df, agent="a3"), 1, 1)


def test_single_reply_ignores_repeat_contacts(ws) -> None:
    row = one(compute(ws, ["single_reply_resolution_rate"]), metric="single_reply_resolution_rate")
    # replies (public human agent messages): F1..F5 1 each, F9 1, F8 1 but reopened, F7 0,
    # P1 0, P2 0 (calls are not replies), C1 2 → single-reply F1 F2 F3 F4 F5 F9 = 6 / 11
    # (a repeat contact does not matter for single-reply resolution)
    check_proportion(row, 6, 11)
