"""Golden numbers for survey_response_rate, computed by hand from the registry's definition.

Response rate = requests answered / requests sent × 100, in the period the request was sent.
Each answer answers one request: the latest one of the same kind (or without a kind) sent at
or before it for the answer's ticket; requests without a ticket are matched by customer.

| req | kind | ticket / customer | sent       | answer                                  | answered |
|-----|------|-------------------|------------|-----------------------------------------|----------|
| q1  | csat | T1 (a1)           | Mon 2 Mar  | csat on T1, 2 Mar 12:00                 | yes      |
| q2  | csat | T2 (a1)           | Mon 2 Mar  | none                                    | no       |
| q3  | csat | T3 (a2)           | Tue 3 Mar  | nps on T3 (other kind)                  | no       |
| q4  | nps  | customer c9       | Tue 3 Mar  | nps by c9, 4 Mar                        | yes      |
| q5  | nps  | customer c9       | Tue 10 Mar | none after it (4 Mar's is q4's)         | no       |
| q6  | csat | T4 (a2)           | Tue 10 Mar | csat on T4, 9 Mar: before the request   | no       |
| q7  | –    | T5 (a1)           | Wed 11 Mar | ces on T5, 11 Mar (no kind: any kind)   | yes      |
| q8  | csat | T6 (a2)           | Wed 11 Mar | – (its reminder q9 took the answer)     | no       |
| q9  | csat | T6 (a2)           | Thu 12 Mar | csat on T6, 12 Mar 10:00                | yes      |

Week of 2 March: q1 ✓ q2 ✗ q3 ✗ q4 ✓ → 2/4. Week of 9 March: q5 ✗ q6 ✗ q7 ✓ q8 ✗ q9 ✓ → 2/5.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from conftest import build_workspace, one, ticket
from deskmetrics.query import compute

Z = 1.959963984540054


def wilson_percent(s: int, n: int) -> tuple[float, float]:
    p = s / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return 100 * (centre - half), 100 * (centre + half)


def request(rid: str, kind: str | None, sent: str, **kw: Any) -> dict[str, Any]:
    return {"request_id": rid, "kind": kind, "sent_at": sent, **kw}


def answer(rid: str, kind: str, at: str, **kw: Any) -> dict[str, Any]:
    scale = {"csat": "1-5", "nps": "0-10", "ces": "1-7"}[kind]
    return {"response_id": rid, "kind": kind, "scale": scale, "score": "5", "answered_at": at, **kw}


@pytest.fixture(scope="module")
def ws():
    return build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T09:00:00Z", "c1", assignee_id="a1", channel="email"),
                ticket("T2", "2026-03-02T09:00:00Z", "c2", assignee_id="a1", channel="email"),
                ticket("T3", "2026-03-03T09:00:00Z", "c3", assignee_id="a2", channel="chat"),
                ticket("T4", "2026-03-09T09:00:00Z", "c4", assignee_id="a2", channel="chat"),
                ticket("T5", "2026-03-11T09:00:00Z", "c5", assignee_id="a1", channel="email"),
                ticket("T6", "2026-03-11T09:00:00Z", "c6", assignee_id="a2", channel="chat"),
            ],
            "survey_requests": [
                request("q1", "csat", "2026-03-02T10:00:00Z", ticket_id="T1"),
                request("q2", "csat", "2026-03-02T10:00:00Z", ticket_id="T2"),
                request("q3", "csat", "2026-03-03T10:00:00Z", ticket_id="T3"),
                request("q4", "nps", "2026-03-03T10:00:00Z", customer_id="c9"),
                request("q5", "nps", "2026-03-10T10:00:00Z", customer_id="c9"),
                request("q6", "csat", "2026-03-10T10:00:00Z", ticket_id="T4"),
                request("q7", None, "2026-03-11T10:00:00Z", ticket_id="T5"),
                request("q8", "csat", "2026-03-11T09:00:00Z", ticket_id="T6"),
                request("q9", "csat", "2026-03-12T09:00:00Z", ticket_id="T6"),
            ],
            "surveys": [
                answer("r1", "csat", "2026-03-02T12:00:00Z", ticket_id="T1"),
                answer("r3", "nps", "2026-03-03T12:00:00Z", ticket_id="T3"),
                answer("r4", "nps", "2026-03-04T12:00:00Z", customer_id="c9"),
                answer("r6", "csat", "2026-03-09T12:00:00Z", ticket_id="T4"),
                answer("r7", "ces", "2026-03-11T12:00:00Z", ticket_id="T5"),
                answer("r9", "csat", "2026-03-12T10:00:00Z", ticket_id="T6"),
            ],
        }
    )


def test_response_rate_total(ws) -> None:
    row = one(compute(ws, ["survey_response_rate"]), metric="survey_response_rate")
    # q1, q4, q7, q9 answered of 9 requests → 44.44%
    assert row["n"] == 9
    assert row["value"] == pytest.approx(100 * 4 / 9)
    lo, hi = wilson_percent(4, 9)
    assert row["ci_low"] == pytest.approx(lo)
    assert row["ci_high"] == pytest.approx(hi)
    assert row["unit"] == "percent"
    assert row["small_sample"]


def test_response_rate_by_sent_week(ws) -> None:
    df = compute(ws, ["survey_response_rate"], grain="week")
    w1, w2 = one(df, period="2026-03-02"), one(df, period="2026-03-09")
    assert (w1["n"], w1["value"]) == (4, pytest.approx(50.0))
    assert (w2["n"], w2["value"]) == (5, pytest.approx(40.0))


def test_response_rate_by_kind(ws) -> None:
    df = compute(ws, ["survey_response_rate"], by=["kind"])
    # csat: q1 ✓ q2 ✗ q3 ✗ q6 ✗ q8 ✗ q9 ✓ → 2/6; nps: q4 ✓ q5 ✗ → 1/2; no kind: q7 ✓ → 1/1
    assert one(df, kind="csat")["value"] == pytest.approx(100 * 2 / 6)
    assert one(df, kind="nps")["value"] == pytest.approx(50.0)
    none = df[df["kind"].isna()].iloc[0]
    assert (none["n"], none["value"]) == (1, pytest.approx(100.0))


def test_response_rate_by_agent_through_the_ticket(ws) -> None:
    df = compute(ws, ["survey_response_rate"], by=["agent"])
    # a1 (T1, T2, T5): q1 ✓ q2 ✗ q7 ✓ → 2/3; a2 (T3, T4, T6): q3 ✗ q6 ✗ q8 ✗ q9 ✓ → 1/4;
    # customer-level requests q4 ✓ q5 ✗ have no ticket → 1/2
    assert one(df, agent="a1")["value"] == pytest.approx(100 * 2 / 3)
    assert one(df, agent="a2")["value"] == pytest.approx(25.0)
    none = df[df["agent"].isna()].iloc[0]
    assert (none["n"], none["value"]) == (2, pytest.approx(50.0))
    by_channel = compute(ws, ["survey_response_rate"], by=["channel"])
    assert one(by_channel, channel="email")["value"] == pytest.approx(100 * 2 / 3)


def test_no_requests_no_rate() -> None:
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]})
    row = one(compute(ws, ["survey_response_rate"]), metric="survey_response_rate")
    assert row["n"] == 0
    assert pd.isna(row["value"])
