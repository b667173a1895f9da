"""The synthetic data set with an AI agent in front of chat and web (`generate(ai_agent=True)`,
what `deskmetrics sample` writes): its messages only on chat and web, conversations it solves
alone, hand-overs to people, wrong answers that come back as repeat contacts; deterministic,
valid, and leaving every other draw as it is without the AI agent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.sample import AI_AGENT_ID, REPEAT_WINDOW, generate

N = 2000
SEED = 7


@pytest.fixture(scope="module")
def with_ai(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ai")
    generate(out, N, seed=SEED, ai_agent=True)
    return out


@pytest.fixture(scope="module")
def without_ai(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain")
    generate(out, N, seed=SEED)
    return out


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def ticket_kinds(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tickets with, per ticket: AI-engaged, any public agent message, the first AI and
    first public agent message times, whether solved."""
    tickets = read(folder, "tickets").set_index("ticket_id")
    events = read(folder, "events")
    msg = events[events["type"] == "message"]
    ai = msg[msg["author_role"] == "ai_agent"].groupby("ticket_id")["at"].min()
    human = msg[(msg["author_role"] == "agent") & msg["public"]].groupby("ticket_id")["at"].min()
    solved = events[events["status"] == "solved"].groupby("ticket_id")["at"].min()
    tickets["ai_at"] = ai
    tickets["human_at"] = human
    tickets["solved_at"] = solved
    return tickets, events


def test_ai_agent_messages_only_on_chat_and_web_by_the_ai_agent(with_ai: Path) -> None:
    tickets, events = ticket_kinds(with_ai)
    ai = events[events["author_role"] == "ai_agent"]
    assert len(ai) > 0
    assert set(ai["author_id"]) == {AI_AGENT_ID}
    assert set(ai["type"]) == {"message"} and ai["public"].all()
    assert set(tickets.loc[ai["ticket_id"].unique(), "channel"]) == {"chat", "web"}
    # never on a ticket an agent opened; the bot's acknowledgements are still there
    assert (tickets.loc[ai["ticket_id"].unique(), "created_by"] == "customer").all()
    assert (events["author_role"] == "bot").any()


def test_some_tickets_are_solved_by_the_ai_agent_alone(with_ai: Path) -> None:
    tickets, events = ticket_kinds(with_ai)
    engaged = tickets[tickets["ai_at"].notna()]
    alone = engaged[engaged["human_at"].isna() & engaged["solved_at"].notna()]
    # about 40% of the AI-engaged tickets (a little more among those that come back)
    assert 0.3 < len(alone) / len(engaged) < 0.5
    # nobody's, answered within seconds of the customer's message, solved minutes later
    assert alone["assignee_id"].isna().all()
    assert ((alone["ai_at"] - alone["created_at"]).dt.total_seconds().between(1, 12)).all()
    assert (alone["solved_at"] > alone["ai_at"]).all()
    people = events[events["ticket_id"].isin(alone.index) & (events["author_role"] == "agent")]
    assert people.empty  # not even a private note


def test_the_others_are_handed_over_to_a_person(with_ai: Path) -> None:
    tickets, _ = ticket_kinds(with_ai)
    engaged = tickets[tickets["ai_at"].notna()]
    handed = engaged[engaged["human_at"].notna()]
    assert len(handed) > 0.4 * len(engaged)
    assert (handed["human_at"] > handed["ai_at"]).all()  # the AI agent always answers first
    # a chat is taken over within minutes, a web form waits for the agents' clock
    wait = (handed["human_at"] - handed["ai_at"]).dt.total_seconds()
    assert wait[handed["channel"] == "chat"].median() < wait[handed["channel"] == "web"].median()


def test_some_ai_solved_tickets_come_back_within_a_week(with_ai: Path) -> None:
    tickets, _ = ticket_kinds(with_ai)
    alone = tickets[tickets["ai_at"].notna() & tickets["human_at"].isna()]
    alone = alone[alone["solved_at"].notna()]
    by_requester = tickets.reset_index().sort_values("created_at").groupby("requester_id")
    came_back = 0
    for _, row in alone.iterrows():
        theirs = by_requester.get_group(row["requester_id"])
        later = theirs[(theirs["created_at"] > row["created_at"])]
        gap = (later["created_at"] - row["created_at"]).dt.total_seconds()
        came_back += bool((gap <= REPEAT_WINDOW).any())
    assert came_back >= 1
    assert came_back < 0.25 * len(alone)  # a few wrong answers, not most


def test_same_seed_same_data(with_ai: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, N, seed=SEED, ai_agent=True)
    for name in ("tickets", "events", "surveys", "survey_requests"):
        pd.testing.assert_frame_equal(read(with_ai, name), read(again, name), obj=name)


def test_everything_else_is_drawn_as_without_the_ai_agent(with_ai: Path, without_ai: Path) -> None:
    """The AI agent's draws have a stream of their own: tickets it never touched keep every
    event, the tickets keep their columns but the AI-solved ones' assignee, and the other
    tables are the same."""
    a, b = ticket_kinds(with_ai)[0], ticket_kinds(without_ai)[0]
    untouched = a.index[a["ai_at"].isna()]
    ea, eb = read(with_ai, "events"), read(without_ai, "events")
    cols = ["ticket_id", "at", "type", "author_role", "author_id", "public", "body", "status"]
    pd.testing.assert_frame_equal(
        ea[ea["ticket_id"].isin(untouched)][cols].reset_index(drop=True),
        eb[eb["ticket_id"].isin(untouched)][cols].reset_index(drop=True),
    )
    same = [c for c in b.columns if c not in ("assignee_id", "ai_at", "human_at", "solved_at")]
    pd.testing.assert_frame_equal(a[same], b[same])
    for name in ("agents", "customers", "subscriptions", "costs", "social_posts", "mentions"):
        pd.testing.assert_frame_equal(read(with_ai, name), read(without_ai, name), obj=name)


def test_the_data_set_is_valid(with_ai: Path) -> None:
    for name in ("tickets", "events", "surveys"):
        frame = read(with_ai, name).astype(object)
        frame = frame.where(frame.notna(), None)
        result = validate(SourceFrame(TABLES[name], f"{name}.parquet", frame))
        assert result.rejects == [], [str(r) for r in result.rejects[:3]]
