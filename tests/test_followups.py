"""Close the loop: the follow-up list (detractors and dissatisfied CSAT answers, oldest first)
and the done mark, which lives in the workspace and survives re-imports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, build_workspace, settings, ticket
from deskmetrics.engine import open_duckdb
from deskmetrics.engine.store import load
from deskmetrics.engine.surveys import FOLLOWUPS_TABLE, followups, mark_followup_done
from deskmetrics.errors import QueryError
from deskmetrics.model import TABLES, SourceFrame, validate

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def answer(rid: str, kind: str, scale: str, score: Any, at: str, **kw: Any) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": kind,
        "scale": scale,
        "score": str(score),
        "answered_at": at,
        **kw,
    }


TICKETS = [
    ticket("T1", "2026-02-27T09:00:00Z", "c1", assignee_id="a1"),
    ticket("T2", "2026-02-28T09:00:00Z", "c5", assignee_id="a2"),
]
SURVEYS = [
    answer(
        "f1",
        "csat",
        "1-5",
        2,
        "2026-03-05T00:00:00Z",
        comment="slow",
        customer_id="c1",
        ticket_id="T1",
    ),
    answer("f2", "nps", "0-10", 6, "2026-03-03T00:00:00Z", comment="meh", customer_id="c2"),
    answer("f3", "nps", "0-10", 7, "2026-03-02T00:00:00Z", customer_id="c3"),  # passive
    answer("f4", "csat", "good-bad", "bad", "2026-03-04T12:00:00Z", ticket_id="T2"),
    answer("f5", "csat", "1-5", 4, "2026-03-01T00:00:00Z", customer_id="c4"),  # satisfied
    answer("f6", "ces", "1-7", 1, "2026-03-01T00:00:00Z", customer_id="c4"),  # CES: no follow-up
    answer("f7", "nps", "0-10", 0, "2026-03-01T00:00:00Z", customer_id="c7", agent_id="a9"),
]


def reimport(ws: Any, surveys: list[dict[str, Any]]) -> None:
    frame = validate(SourceFrame(TABLES["surveys"], "surveys.csv", pd.DataFrame(surveys)))
    summary = load(ws.backend.con, [frame], source="reimport")
    assert not summary.rejects


def test_followups_oldest_first_with_context() -> None:
    ws = build_workspace({"tickets": TICKETS, "surveys": SURVEYS})
    df = followups(ws, now=NOW)
    # detractors f7 (0) and f2 (6), dissatisfied CSAT f4 (bad) and f1 (2 on 1-5); the passive,
    # the satisfied answer and the CES answer are no follow-ups
    assert list(df["response_id"]) == ["f7", "f2", "f4", "f1"]
    f1 = df.set_index("response_id").loc["f1"]
    assert (f1["kind"], f1["score"], f1["comment"]) == ("csat", "2", "slow")
    assert (f1["customer_id"], f1["ticket_id"], f1["agent_id"]) == ("c1", "T1", "a1")
    # f4 names no customer nor agent: the ticket's requester and assignee
    f4 = df.set_index("response_id").loc["f4"]
    assert (f4["customer_id"], f4["agent_id"]) == ("c5", "a2")
    # age on 10 March 00:00 UTC: f7 answered 1 March → 9 days; f4 4 March 12:00 → 5.5 days
    ages = dict(zip(df["response_id"], df["age_days"], strict=True))
    assert ages == {"f7": 9.0, "f2": 7.0, "f4": 5.5, "f1": 5.0}
    assert not df["done"].any()


def test_threshold_config_changes_who_is_followed_up() -> None:
    ws = build_workspace(
        {"tickets": TICKETS, "surveys": SURVEYS},
        {**UTC_9_TO_5, "surveys": {"csat_satisfied": {"1-5": 5}}},
    )
    # with only 5 satisfied on 1-5, f5 (a 4) is dissatisfied too: oldest (1 March 00:00, tie
    # with f7 broken by id)
    assert list(followups(ws, now=NOW)["response_id"]) == ["f5", "f7", "f2", "f4", "f1"]


def test_done_mark_persists_across_reopen_and_reimport(tmp_path) -> None:
    path = str(tmp_path / "ws.duckdb")
    ws = build_workspace({"tickets": TICKETS, "surveys": SURVEYS}, path=path)
    done_at = mark_followup_done(ws, "f2", note="called back", now=NOW)
    assert done_at == datetime(2026, 3, 10)
    assert list(followups(ws, now=NOW)["response_id"]) == ["f7", "f4", "f1"]
    ws.backend.disconnect()

    ws = open_duckdb(path, settings())
    assert FOLLOWUPS_TABLE in ws.backend.list_tables()
    # the same export again, plus a new detractor: the mark stays, the new answer is open
    reimport(ws, [*SURVEYS, answer("f8", "nps", "0-10", 3, "2026-03-06T00:00:00Z")])
    assert list(followups(ws, now=NOW)["response_id"]) == ["f7", "f4", "f1", "f8"]
    everything = followups(ws, include_done=True, now=NOW).set_index("response_id")
    assert list(everything.index) == ["f7", "f2", "f4", "f1", "f8"]
    assert bool(everything.loc["f2", "done"]) and not bool(everything.loc["f7", "done"])
    assert everything.loc["f2", "note"] == "called back"
    assert everything.loc["f2", "done_at"] == pd.Timestamp("2026-03-10")
    ws.backend.disconnect()


def test_marking_again_keeps_the_first_time() -> None:
    ws = build_workspace({"tickets": TICKETS, "surveys": SURVEYS})
    first = mark_followup_done(ws, "f7", now=NOW)
    again = mark_followup_done(ws, "f7", note="second call", now=datetime(2026, 3, 12, tzinfo=UTC))
    assert again == first
    row = followups(ws, include_done=True, now=NOW).set_index("response_id").loc["f7"]
    assert row["note"] == "second call"


def test_unknown_or_not_a_followup_id_is_an_error() -> None:
    ws = build_workspace({"tickets": TICKETS, "surveys": SURVEYS})
    with pytest.raises(QueryError, match="no survey answer with response_id 'nope'"):
        mark_followup_done(ws, "nope")
    with pytest.raises(QueryError, match="'f5' is not a follow-up"):
        mark_followup_done(ws, "f5")
    assert FOLLOWUPS_TABLE not in ws.backend.list_tables()


def test_no_surveys_no_followups() -> None:
    ws = build_workspace({"tickets": TICKETS})
    df = followups(ws, now=NOW)
    assert df.empty
    assert "response_id" in df.columns and "age_days" in df.columns
