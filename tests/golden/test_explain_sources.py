"""Golden `explain` for metrics over sources other than tickets, computed by hand: the survey
answers behind CSAT and NPS, the SLA targets behind compliance, the customers behind retention,
each with what was left out and why. The counted rows are the ones the number is made of (n)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, msg, one, status, ticket
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
