"""Topics and sentiment in a workspace: fitted, kept stable as tickets arrive and on a refit,
renamed and merged, and read by every metric as ticket columns (`--by topic`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from conftest import build_workspace, msg, ticket
from deskmetrics.engine import Workspace
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute, facts_frame
from deskmetrics.text.sentiment import score
from deskmetrics.ticket_text import (
    after_import,
    fit_topics,
    merge_topics,
    rename_topic,
    score_new_messages,
    topic_names,
)
from test_text_topics import BILLING, CRASH, LOGIN

SUBJECTS = {f"B{i}": s for i, s in enumerate(BILLING)}
SUBJECTS |= {f"L{i}": s for i, s in enumerate(LOGIN)}
SUBJECTS |= {f"C{i}": s for i, s in enumerate(CRASH)}


HAPPY = "Thanks, the refund for the invoice arrived, I am happy"
UNHAPPY = "The invoice is wrong again, I am not happy"


def answer(rid: str, tid: str, score_: str) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": "csat",
        "scale": "1-5",
        "score": score_,
        "answered_at": "2026-03-03T10:00:00Z",
        "ticket_id": tid,
    }


def _workspace() -> Workspace:
    tickets = [ticket(tid, "2026-03-02T09:00:00Z", subject=s) for tid, s in SUBJECTS.items()]
    events = [
        msg("e1", "B0", "2026-03-02T09:00:00Z", "customer") | {"body": HAPPY},
        msg("e2", "B0", "2026-03-02T10:00:00Z", "agent") | {"body": "Terrible news, sorry"},
        msg("e3", "B0", "2026-03-02T11:00:00Z", "customer") | {"body": UNHAPPY},
        msg("e4", "L0", "2026-03-02T09:30:00Z", "customer") | {"body": ""},
    ]
    surveys = [answer("a1", "B0", "5"), answer("a2", "B1", "2"), answer("a3", "L0", "4")]
    ws = build_workspace({"tickets": tickets, "events": events, "surveys": surveys})
    after_import(ws)
    return ws


def _import(ws: Workspace, tables: dict[str, list[dict[str, Any]]]) -> None:
    frames = [
        validate(SourceFrame(TABLES[n], f"{n}.test", pd.DataFrame(rows)), limits=ws.settings.limits)
        for n, rows in tables.items()
    ]
    assert not load(ws.backend.con, frames, source="test").rejects
    after_import(ws)


@pytest.fixture
def ws() -> Workspace:
    ws = _workspace()
    fit_topics(ws, seed=0, min_size=3)
    return ws


def _topic_of(ws: Workspace) -> dict[str, str]:
    df = facts_frame(ws)
    return dict(zip(df.ticket_id, df.topic, strict=True))


def test_fit_gives_each_hand_labelled_group_its_topic(ws: Workspace) -> None:
    topic = _topic_of(ws)
    assert {topic[f"B{i}"] for i in range(6)} == {"t1"}
    assert len({topic[f"L{i}"] for i in range(6)} | {topic[f"C{i}"] for i in range(6)}) == 2
    assert "t1" not in {topic["L0"], topic["C0"]}


def test_new_tickets_join_existing_topics_without_a_refit(ws: Workspace) -> None:
    before = _topic_of(ws)
    _import(
        ws,
        {
            "tickets": [
                ticket("N1", "2026-03-04T09:00:00Z", subject="Refund the second charge please"),
                ticket("N2", "2026-03-04T09:00:00Z", subject="The app crashes at start"),
            ]
        },
    )
    after = _topic_of(ws)
    assert after["N1"] == before["B0"] and after["N2"] == before["C0"]
    assert {k: after[k] for k in before} == before  # nobody else moved
    # running the job again changes nothing
    rows = ws.backend.con.execute("SELECT count(*) FROM ticket_topics").fetchone()[0]
    assert after_import(ws) == []
    assert ws.backend.con.execute("SELECT count(*) FROM ticket_topics").fetchone()[0] == rows


def test_a_refit_keeps_the_ids_of_persisting_topics(ws: Workspace) -> None:
    before = _topic_of(ws)
    again = fit_topics(ws, seed=5, min_size=3)
    assert again.new_ids == () and sorted(again.kept_ids) == ["t1", "t2", "t3"]
    assert _topic_of(ws) == before


def test_rename_and_merge_survive_a_refit(ws: Workspace) -> None:
    crash, login = _topic_of(ws)["C0"], _topic_of(ws)["L0"]
    rename_topic(ws, "t1", "Billing")
    merge_topics(ws, crash, login)
    fit_topics(ws, seed=0, min_size=3)
    df = facts_frame(ws).set_index("ticket_id")
    assert df.loc["B0", "topic_label"] == "Billing"
    assert df.loc["C0", "topic"] == login and df.loc["L0", "topic"] == login
    names = topic_names(ws)
    assert set(names.topic) == {"t1", login, "other"}


def test_csat_by_topic_by_hand(ws: Workspace) -> None:
    # billing: B0 answered 5 (satisfied), B1 answered 2 → 1 of 2 = 50%; L0's topic: 4 → 100%
    df = compute(ws, "csat", by=["topic"]).set_index("topic")
    assert df.loc["t1", "value"] == pytest.approx(50.0)
    assert df.loc["t1", "n"] == 2
    login = _topic_of(ws)["L0"]
    assert df.loc[login, "value"] == pytest.approx(100.0) and df.loc[login, "n"] == 1


def test_volume_by_topic_and_filter_by_topic(ws: Workspace) -> None:
    df = compute(ws, "volume", by=["topic"]).set_index("topic")
    assert df["value"].sum() == 18 and df.loc["t1", "value"] == 6
    one = compute(ws, "volume", filters={"topic": "t1"})
    assert one.iloc[0]["value"] == 6


def test_sentiment_per_ticket_from_the_customer_messages(ws: Workspace) -> None:
    first, last = score(HAPPY), score(UNHAPPY)
    assert first is not None and last is not None
    row = facts_frame(ws).set_index("ticket_id").loc["B0"]
    # the agent's message is not the customer's: only e1 and e3 count
    assert row.sentiment_first == pytest.approx(first)
    assert row.sentiment_last == pytest.approx(last)
    assert row.sentiment_mean == pytest.approx((first + last) / 2)
    assert row.sentiment_shift == pytest.approx(last - first)
    # an empty message says nothing: L0 has no sentiment
    assert pd.isna(facts_frame(ws).set_index("ticket_id").loc["L0", "sentiment_mean"])
    s = compute(ws, ["sentiment", "sentiment_shift"]).set_index("metric")
    assert s.loc["sentiment", "n"] == 1 and s.loc["sentiment", "value"] == pytest.approx(
        (first + last) / 2
    )
    assert s.loc["sentiment_shift", "value"] == pytest.approx(last - first)
    assert score_new_messages(ws) == 0  # each message is scored once


def test_before_any_fit_every_ticket_reads_as_other() -> None:
    ws = _workspace()
    df = facts_frame(ws)
    assert set(df.topic) == {"other"} and set(df.topic_label) == {"other"}
    assert compute(ws, "volume", by=["topic"]).iloc[0]["value"] == 18


def test_sentiment_as_of_a_moment_knows_only_the_messages_written_by_then(ws: Workspace) -> None:
    from datetime import datetime

    first = score(HAPPY)
    then = ws.at(datetime(2026, 3, 2, 10, 30))  # after e1, before e3
    row = facts_frame(then).set_index("ticket_id").loc["B0"]
    assert row.sentiment_first == pytest.approx(first) and row.sentiment_last == pytest.approx(
        first
    )
    assert pd.isna(row.sentiment_shift)  # one message: no shift yet
