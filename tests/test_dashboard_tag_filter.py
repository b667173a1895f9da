"""The `tag` filter the dashboard offers: one tag inside the `;`-separated `tags` column."""

from __future__ import annotations

import pytest

from conftest import build_workspace, msg, ticket
from deskmetrics.errors import QueryError
from deskmetrics.query import compute, explain, survey_answers_in_scope

TICKETS = [
    ticket("T1", "2026-01-05T10:00:00Z", tags="billing;vip", channel="email"),
    ticket("T2", "2026-01-05T11:00:00Z", tags="billing", channel="email"),
    ticket("T3", "2026-01-06T10:00:00Z", tags="vipx; refund", channel="chat"),
    ticket("T4", "2026-01-06T11:00:00Z", tags=" refund ; vip", channel="chat"),
    ticket("T5", "2026-01-06T12:00:00Z", channel="chat"),
]
EVENTS = [
    msg("E1", "T1", "2026-01-05T10:30:00Z", "agent"),  # first response 30 min
    msg("E4", "T4", "2026-01-06T12:00:00Z", "agent"),  # first response 60 min
]
SURVEYS = [
    {
        "response_id": "R1",
        "kind": "csat",
        "scale": "1-5",
        "score": "5",
        "ticket_id": "T1",
        "answered_at": "2026-01-07T09:00:00Z",
        "comment": "great",
    },
    {
        "response_id": "R2",
        "kind": "csat",
        "scale": "1-5",
        "score": "2",
        "ticket_id": "T2",
        "answered_at": "2026-01-07T09:00:00Z",
    },
    {
        "response_id": "R4",
        "kind": "csat",
        "scale": "1-5",
        "score": "1",
        "ticket_id": "T4",
        "answered_at": "2026-01-07T10:00:00Z",
        "comment": "slow",
    },
]


@pytest.fixture(scope="module")
def ws():  # type: ignore[no-untyped-def]
    return build_workspace({"tickets": TICKETS, "events": EVENTS, "surveys": SURVEYS})


def test_tag_matches_a_whole_tag_not_a_substring(ws) -> None:  # type: ignore[no-untyped-def]
    # vip: T1 and T4 (" refund ; vip" — spaces ignored); not T3 ("vipx"), not T5 (no tags)
    df = compute(ws, "volume", filters={"tag": ["vip"]})
    assert df["value"].iloc[0] == 2
    # any of several tags: vip or refund → T1, T3, T4
    assert compute(ws, "volume", filters={"tag": ["vip", "refund"]})["value"].iloc[0] == 3
    assert compute(ws, "volume", filters={"tag": ["vi"]})["value"].iloc[0] == 0


def test_tag_combines_with_other_filters_and_reaches_every_source(ws) -> None:  # type: ignore[no-untyped-def]
    # vip on chat: T4 only; its first response took 60 minutes
    df = compute(
        ws, ["volume", "first_response_time"], filters={"tag": ["vip"], "channel": ["chat"]}
    )
    assert df.set_index("metric")["value"].to_dict() == {"volume": 1.0, "first_response_time": 60.0}
    # CSAT through the survey's ticket: vip answers R1 (5, satisfied) and R4 (1) → 1/2 = 50%
    csat = compute(ws, "csat", filters={"tag": ["vip"]})
    assert (csat["value"].iloc[0], csat["n"].iloc[0]) == (50.0, 2)
    answers = survey_answers_in_scope(ws, filters={"tag": ["vip"]}, with_comment=True)
    assert list(answers["response_id"]) == ["R4", "R1"]  # newest first
    _, ex = explain(ws, "volume", filters={"tag": ["vip"]})
    assert ex.ids == ["T1", "T4"]


def test_tag_cannot_be_a_grouping(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError, match="'tag'"):
        compute(ws, "volume", by=["tag"])


def test_a_rate_over_an_empty_range_is_unknown_not_an_error(ws) -> None:  # type: ignore[no-untyped-def]
    # no answers and no tickets in December 2025: CSAT has no value (n = 0), volume is 0
    df = compute(ws, ["csat", "fcr_rate", "volume"], start="2025-12-01", end="2025-12-05")
    by = df.set_index("metric")
    assert list(by["n"]) == [0, 0, 0]
    assert by["value"].isna().tolist() == [True, True, False]
    assert by.loc["volume", "value"] == 0
