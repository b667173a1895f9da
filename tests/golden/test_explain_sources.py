"""Golden `explain` for metrics over sources other than tickets, computed by hand: the survey
answers behind CSAT and NPS, the SLA targets behind compliance, the customers behind retention,
each with what was left out and why. The counted rows are the ones the number is made of (n)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, interaction, msg, one, status, ticket
from deskmetrics.query import compute, explain

OTHER_KIND = "answers to another kind of survey (not CSAT)"


def answer(rid: str, kind: str, scale: str, score: str) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": kind,
        "scale": scale,
        "score": score,
        "answered_at": "2026-03-03T10:00:00Z",
    }


@pytest.fixture(scope="module")
def survey_ws():  # type: ignore[no-untyped-def]
    return build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z")],
            "surveys": [
                answer("a1", "csat", "1-5", "5"),  # satisfied
                answer("a2", "csat", "1-5", "2"),  # counted, not satisfied
                answer("a3", "csat", "good-bad", "bad"),  # counted, not satisfied
                answer("x1", "nps", "0-10", "9"),  # another kind: left out of CSAT
                answer("x2", "ces", "1-7", "6"),  # another kind: left out of CSAT
            ],
        }
    )


def test_csat_explains_the_answers_behind_it(survey_ws) -> None:  # type: ignore[no-untyped-def]
    # 1 satisfied of 3 CSAT answers → 33.3 %, n = 3
    row = one(compute(survey_ws, ["csat"]), metric="csat")
    assert (row["n"], row["value"]) == (3, pytest.approx(100 / 3))
    _, ex = explain(survey_ws, "csat")
    assert ex.id_column == "response_id"
    assert ex.counted == 3
    assert ex.ids == ["a1", "a2", "a3"]
    assert ex.left_out == [(OTHER_KIND, 2)]
    assert ex.left_out_ids == {OTHER_KIND: ["x1", "x2"]}


def test_nps_explains_its_answers(survey_ws) -> None:  # type: ignore[no-untyped-def]
    _, ex = explain(survey_ws, "nps")
    assert (ex.counted, ex.ids) == (1, ["x1"])
    reason = "answers to another kind of survey (not NPS)"
    assert ex.left_out == [(reason, 4)]
    assert ex.left_out_ids[reason] == ["a1", "a2", "a3", "x2"]


def test_explain_pages_through_answers(survey_ws) -> None:  # type: ignore[no-untyped-def]
    _, ex = explain(survey_ws, "csat", limit=2, offset=1)
    assert ex.counted == 3
    assert ex.ids == ["a2", "a3"]


RUNNING = "targets still running (not yet due)"


def test_sla_compliance_explains_its_targets() -> None:
    # business hours 9-17 UTC; first reply within 1 h, resolution within 4 h
    cfg = {
        **UTC_9_TO_5,
        "sla": {"policies": [{"name": "std", "first_reply": "1h", "resolution": "4h"}]},
    }
    ws = build_workspace(
        {
            "tickets": [
                ticket("A", "2026-03-02T09:00:00Z"),
                ticket("B", "2026-03-02T09:00:00Z"),
                ticket("R", "2026-03-03T09:00:00Z"),
            ],
            "events": [
                # A: reply after 30 min (achieved), solved after 3 h (achieved)
                msg("A1", "A", "2026-03-02T09:00:00Z", "customer"),
                msg("A2", "A", "2026-03-02T09:30:00Z", "agent", "a1"),
                status("A3", "A", "2026-03-02T12:00:00Z", "solved"),
                # B: reply after 2 h (breached), solved after 5 h (breached)
                msg("B1", "B", "2026-03-02T09:00:00Z", "customer"),
                msg("B2", "B", "2026-03-02T11:00:00Z", "agent", "a1"),
                status("B3", "B", "2026-03-02T14:00:00Z", "solved"),
                # R: unanswered, 10 minutes old at 09:10: both targets still running
                msg("R1", "R", "2026-03-03T09:00:00Z", "customer"),
            ],
        },
        cfg,
    ).at(datetime(2026, 3, 3, 9, 10))
    # achieved A's two targets of A's and B's four settled → 50 %
    row = one(compute(ws, ["sla_compliance"]), metric="sla_compliance")
    assert (row["n"], row["value"]) == (4, pytest.approx(50.0))
    _, ex = explain(ws, "sla_compliance")
    assert ex.id_column == "target_id"
    assert ex.counted == 4
    assert ex.ids == [
        "A:first_reply@2026-03-02T09:00:00",
        "A:resolution@2026-03-02T09:00:00",
        "B:first_reply@2026-03-02T09:00:00",
        "B:resolution@2026-03-02T09:00:00",
    ]
    assert ex.left_out == [(RUNNING, 2)]
    assert ex.left_out_ids[RUNNING] == [
        "R:first_reply@2026-03-03T09:00:00",
        "R:resolution@2026-03-03T09:00:00",
    ]
    # filtered to one target, the first replies alone: A's achieved, B's breached
    _, fr = explain(ws, "sla_compliance", filters=["sla_target=first_reply"])
    assert fr.ids == ["A:first_reply@2026-03-02T09:00:00", "B:first_reply@2026-03-02T09:00:00"]
    assert fr.left_out == [(RUNNING, 1)]
    # the agent days behind tickets per agent: a1 replied to A and B on Monday
    _, days = explain(ws, "tickets_per_agent")
    assert (days.id_column, days.counted, days.ids) == ("agent_day", 1, ["a1@2026-03-02"])


JOINED = "customers who joined during the period (they are not in the starting base)"


def test_retention_explains_its_customers() -> None:
    ws = build_workspace(
        {
            "customers": [
                # at the start of March and at its end: retained
                {"customer_id": "c1", "created_at": "2026-01-10T00:00:00Z", "churned_at": None},
                # at the start of March, gone on the 15th: counted, not retained
                {
                    "customer_id": "c2",
                    "created_at": "2026-02-01T00:00:00Z",
                    "churned_at": "2026-03-15T00:00:00Z",
                },
                # joined during March: not in the starting base
                {"customer_id": "c3", "created_at": "2026-03-05T00:00:00Z", "churned_at": None},
                # gone before March, and joined after it: not in March at all
                {
                    "customer_id": "c4",
                    "created_at": "2026-01-01T00:00:00Z",
                    "churned_at": "2026-02-10T00:00:00Z",
                },
                {"customer_id": "c5", "created_at": "2026-04-02T00:00:00Z", "churned_at": None},
            ]
        }
    )
    march = {"start": "2026-03-01", "end": "2026-03-31", "tz": "UTC"}
    # (customers at the end 2 − new 1) / at the start 2 = 50 %
    row = one(compute(ws, ["retention_rate"], **march), metric="retention_rate")
    assert (row["n"], row["value"]) == (2, pytest.approx(50.0))
    _, ex = explain(ws, "retention_rate", **march)
    assert ex.id_column == "customer_id"
    assert (ex.counted, ex.ids) == (2, ["c1", "c2"])
    assert ex.left_out == [(JOINED, 1)]
    assert ex.left_out_ids == {JOINED: ["c3"]}


NO_REACH = "posts with neither impressions nor followers (or 0)"


def test_engagement_explains_its_posts() -> None:
    def post(pid: str, impressions: float | None, followers: float | None) -> dict[str, Any]:
        return {
            "post_id": pid,
            "platform": "x",
            "posted_at": "2026-03-02T10:00:00Z",
            "impressions": impressions,
            "followers": followers,
            "likes": 10,
            "shares": None,
            "comments": None,
        }

    ws = build_workspace(
        {"social_posts": [post("P1", 1000, None), post("P2", None, 500), post("P3", None, None)]}
    )
    march = {"start": "2026-03-01", "end": "2026-03-31", "tz": "UTC"}
    # P1 and P2 have a reach: (10 + 10) / (1,000 + 500) = 1.33 %, n = 2
    row = one(compute(ws, ["engagement_rate"], **march), metric="engagement_rate")
    assert (row["n"], row["value"]) == (2, pytest.approx(100 * 20 / 1500))
    _, ex = explain(ws, "engagement_rate", **march)
    assert (ex.id_column, ex.counted, ex.ids) == ("post_id", 2, ["P1", "P2"])
    assert ex.left_out == [(NO_REACH, 1)]
    assert ex.left_out_ids == {NO_REACH: ["P3"]}


# ---------------------------------------------------------------------------------------------
# the sources computed by hand: revenue, backlog, chat concurrency, contact rate, cost per contact

FEB = {"start": "2026-02-01", "end": "2026-02-28", "tz": "UTC"}
NOT_PAYING_AT_START = "customers not paying when the period began"
NOT_PAYING_AT_END = "customers not paying at the period's end"
STILL_PAYING = "customers still paying at the period's end"


def sub(sid: str, cust: str, mrr: float, start: str, end: str | None = None) -> dict[str, Any]:
    return {
        "subscription_id": sid,
        "customer_id": cust,
        "started_at": start,
        "ended_at": end,
        "mrr": mrr,
        "currency": "EUR",
    }


@pytest.fixture(scope="module")
def revenue_ws():  # type: ignore[no-untyped-def]
    return build_workspace(
        {
            "subscriptions": [
                # A pays 100 all February: no movement
                sub("a1", "A", 100, "2025-12-01T00:00:00Z"),
                # B pays 200 until 02-01, then 120: contraction 80
                sub("b1", "B", 200, "2025-11-15T00:00:00Z", "2026-02-01T00:00:00Z"),
                sub("b2", "B", 120, "2026-02-01T00:00:00Z"),
                # D starts on 02-20: new 80
                sub("d1", "D", 80, "2026-02-20T00:00:00Z"),
                # E stops on 02-15: churned 60
                sub("e1", "E", 60, "2025-09-01T00:00:00Z", "2026-02-15T00:00:00Z"),
                # G starts in March: not a February customer at all
                sub("g1", "G", 10, "2026-03-05T00:00:00Z"),
            ]
        }
    )


def test_mrr_explains_the_customers_paying_at_the_end(revenue_ws) -> None:  # type: ignore[no-untyped-def]
    # A 100 + B 120 + D 80 = 300 at the end of February, n = 3 customers paying then
    row = one(compute(revenue_ws, ["mrr"], **FEB), metric="mrr")
    assert (row["n"], row["value"]) == (3, 300.0)
    _, ex = explain(revenue_ws, "mrr", **FEB)
    assert (ex.id_column, ex.counted, ex.ids) == ("customer_id", 3, ["A", "B", "D"])
    assert ex.left_out == [(NOT_PAYING_AT_END, 1)]
    assert ex.left_out_ids == {NOT_PAYING_AT_END: ["E"]}


def test_churned_and_contraction_mrr_explain_each_reason(revenue_ws) -> None:  # type: ignore[no-untyped-def]
    # churned: E (60 at the start, none at the end); D was not paying at the start, A and B
    # still pay at the end
    row = one(compute(revenue_ws, ["mrr_churned"], **FEB), metric="mrr_churned")
    assert (row["n"], row["value"]) == (1, 60.0)
    _, ex = explain(revenue_ws, "mrr_churned", **FEB)
    assert (ex.counted, ex.ids) == (1, ["E"])
    assert ex.left_out == [(NOT_PAYING_AT_START, 1), (STILL_PAYING, 2)]
    assert ex.left_out_ids == {NOT_PAYING_AT_START: ["D"], STILL_PAYING: ["A", "B"]}
    # contraction: B (200 → 120); D not paying at the start, E not at the end, A unchanged
    row = one(compute(revenue_ws, ["mrr_contraction"], **FEB), metric="mrr_contraction")
    assert (row["n"], row["value"]) == (1, 80.0)
    _, ex = explain(revenue_ws, "mrr_contraction", **FEB)
    assert (ex.counted, ex.ids) == (1, ["B"])
    assert ex.left_out == [
        (NOT_PAYING_AT_START, 1),
        (NOT_PAYING_AT_END, 1),
        ("MRR did not fall", 1),
    ]
    assert ex.left_out_ids == {
        NOT_PAYING_AT_START: ["D"],
        NOT_PAYING_AT_END: ["E"],
        "MRR did not fall": ["A"],
    }


def test_clv_explains_its_customers(revenue_ws) -> None:  # type: ignore[no-untyped-def]
    # every customer with a subscription started before March: A, B, D, E (not G)
    row = one(compute(revenue_ws, ["clv"], **FEB), metric="clv")
    _, ex = explain(revenue_ws, "clv", **FEB)
    assert (row["n"], ex.counted, ex.ids, ex.left_out) == (4, 4, ["A", "B", "D", "E"], [])


def test_backlog_explains_the_tickets_open_at_the_end() -> None:
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T09:00:00Z"),  # solved on 03-10: not open at the end
                ticket("T2", "2026-03-05T09:00:00Z"),  # open at the end of March
                ticket("T3", "2026-03-20T09:00:00Z"),  # solved on 04-02: open at the end
                ticket("T4", "2026-04-01T09:00:00Z"),  # created after March
            ],
            "events": [
                status("s1", "T1", "2026-03-02T09:00:00Z", "open"),
                status("s2", "T1", "2026-03-10T09:00:00Z", "solved"),
                status("s3", "T2", "2026-03-05T09:00:00Z", "open"),
                status("s4", "T3", "2026-03-20T09:00:00Z", "open"),
                status("s5", "T3", "2026-04-02T09:00:00Z", "solved"),
                status("s6", "T4", "2026-04-01T09:00:00Z", "open"),
            ],
        }
    )
    march = {"start": "2026-03-01", "end": "2026-03-31", "tz": "UTC"}
    row = one(compute(ws, ["backlog"], **march), metric="backlog")
    _, ex = explain(ws, "backlog", **march)
    assert (row["value"], ex.id_column, ex.counted, ex.ids) == (2, "ticket_id", 2, ["T2", "T3"])
    assert ex.left_out == []


def test_concurrency_explains_its_chat_sessions() -> None:
    ws = build_workspace(
        {
            "tickets": [
                ticket("C1", "2026-03-02T09:00:00Z", channel="chat"),
                ticket("C2", "2026-03-02T09:00:00Z", channel="chat"),
                ticket("C3", "2026-03-02T09:00:00Z", channel="chat"),
                ticket("P1", "2026-03-02T09:00:00Z", channel="phone"),
            ],
            "events": [
                interaction("s1", "C1", "2026-03-02T10:00:00Z", "a1", talk=600),
                interaction("s2", "C2", "2026-03-02T10:05:00Z", "a1", talk=600),
                interaction("s3", "C3", "2026-03-02T11:00:00Z", None, talk=600),  # no agent
                interaction("s4", "C3", "2026-03-02T12:00:00Z", "a1", wrap=300),  # no session
                interaction("p1", "P1", "2026-03-02T10:00:00Z", "a1", talk=600),  # a call
            ],
        }
    )
    # a1: 10 + 10 min of sessions over 10:00–10:15 → 20 / 15, n = 2 sessions
    row = one(compute(ws, ["concurrency"]), metric="concurrency")
    assert (row["n"], row["value"]) == (2, pytest.approx(20 / 15))
    _, ex = explain(ws, "concurrency")
    assert (ex.id_column, ex.counted, ex.ids) == ("event_id", 2, ["s1", "s2"])
    no_agent, no_time = (
        "chat interactions naming no agent",
        "chat interactions without talk or hold time",
    )
    assert ex.left_out == [(no_agent, 1), (no_time, 1)]
    assert ex.left_out_ids == {no_agent: ["s3"], no_time: ["s4"]}


def test_contact_rate_and_cost_per_contact_explain_their_denominators() -> None:
    ws = build_workspace(
        {
            "customers": [
                {"customer_id": "k1", "created_at": "2026-01-01T00:00:00Z", "churned_at": None},
                {"customer_id": "k2", "created_at": "2026-03-10T00:00:00Z", "churned_at": None},
                {"customer_id": "k3", "created_at": "2026-04-10T00:00:00Z", "churned_at": None},
            ],
            "costs": [
                {
                    "period_start": "2026-03-01",
                    "period_end": "2026-03-31",
                    "amount": 300.0,
                }
            ],
            "tickets": [
                ticket("T1", "2026-03-02T09:00:00Z"),  # replied to in March: handled
                ticket("T2", "2026-03-03T09:00:00Z"),  # never answered: a contact, not handled
            ],
            "events": [
                msg("m1", "T1", "2026-03-02T09:00:00Z", "customer", "c1"),
                msg("m2", "T1", "2026-03-02T10:00:00Z", "agent", "a1"),
                msg("m3", "T2", "2026-03-03T09:00:00Z", "customer", "c1"),
            ],
        }
    )
    march = {"start": "2026-03-01", "end": "2026-03-31", "tz": "UTC"}
    # 2 contacts / 2 customers in March (k3 joins in April) = 1.0
    row = one(compute(ws, ["contact_rate"], **march), metric="contact_rate")
    assert (row["n"], row["value"]) == (2, 1.0)
    _, ex = explain(ws, "contact_rate", **march)
    assert (ex.id_column, ex.counted, ex.ids) == ("customer_id", 2, ["k1", "k2"])
    # 300 / 1 handled ticket
    row = one(compute(ws, ["cost_per_contact"], **march), metric="cost_per_contact")
    assert (row["n"], row["value"]) == (1, pytest.approx(300.0))
    _, ex = explain(ws, "cost_per_contact", **march)
    assert (ex.id_column, ex.counted, ex.ids) == ("ticket_id", 1, ["T1"])
