"""The Topics page: topics found from the tickets' texts beside their numbers, a topic drilling
into its tickets — through the service and in real headless Chromium. The workspace is the
hand-labelled one of tests/test_ticket_topics.py (billing, login and crash subjects)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serving import serving, signed_in, signed_in_client

from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.query import compute, facts_frame
from deskmetrics.ticket_text import fit_topics
from test_ticket_topics import _workspace

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
RANGE = "from=2026-03-02&to=2026-03-08"


@pytest.fixture(scope="module")
def workspace() -> Any:
    ws = _workspace()
    fit_topics(ws, seed=0)
    accounts.set_user(ws, "lead", PASSWORD, "viewer")
    return ws


@pytest.fixture(scope="module")
def app(workspace: Any) -> Any:
    return create_app(workspace, secret="topics-test-secret")


@pytest.fixture
def client(app: Any) -> TestClient:
    return signed_in_client(app, "lead", PASSWORD)  # type: ignore[no-any-return]


def test_topics_page_lists_each_topic_with_the_engines_numbers(
    client: TestClient, workspace: Any
) -> None:
    page = client.get(f"/dashboard/topics?{RANGE}")
    assert page.status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/dashboard/topics?{RANGE}&csv=topics").text))
    )
    volume = compute(workspace, "volume", by=["topic", "topic_label"], start="2026-03-02",
                     end="2026-03-08")  # fmt: skip
    expected = {str(r.topic_label): int(r.value) for r in volume.itertuples() if r.value}
    assert {
        r["topic_label"].removesuffix(" (emerging)"): int(float(r["tickets"])) for r in rows
    } == expected
    assert sum(int(float(r["tickets"])) for r in rows) == 18  # every ticket in one topic
    assert len(rows) >= 2  # billing, login and crash texts do not read as one topic
    assert "No topics yet" not in page.text


def test_a_topic_drills_into_exactly_its_tickets(client: TestClient, workspace: Any) -> None:
    """The Topic filter narrows the explanation like any other filter: the tickets it counts
    are exactly the topic's (here B0's topic), each with its topic and its customer's sentiment
    at the start and at the end (B0: a happy first message, an unhappy last one)."""
    facts = facts_frame(workspace)
    topic = str(facts.loc[facts.ticket_id == "B0", "topic"].item())
    members = set(facts.loc[facts["topic"] == topic, "ticket_id"])
    base = f"/dashboard/explain?{RANGE}&metric=volume&topic={topic}"
    page = client.get(base)
    assert page.status_code == 200
    assert "Sentiment first" in page.text and "Sentiment last" in page.text
    ids = {
        r["ticket_id"] for r in csv.DictReader(io.StringIO(client.get(base + "&csv=counted").text))
    }
    assert ids == members
    rows = {
        r["ticket_id"]: r
        for r in csv.DictReader(io.StringIO(client.get(base + "&csv=tickets").text))
    }
    assert float(rows["B0"]["sentiment_first"]) > 0 > float(rows["B0"]["sentiment_last"])


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_topics_page_in_chromium(server: str) -> None:
    pytest.importorskip("playwright.sync_api")
    with signed_in(server, f"/dashboard/topics?{RANGE}", "lead", PASSWORD) as (pg, errors):
        pg.wait_for_selector("#table-topics tbody tr")
        assert pg.title() == "deskmetrics · Topics"
        pg.wait_for_selector("#chart-topics .main-svg")
        rows = pg.locator("#table-topics tbody tr")
        assert rows.count() >= 2
        first = rows.nth(0).locator("td").first
        label = first.inner_text().strip()
        assert label and not label.startswith("topic ")
        # a topic drills into its tickets
        first.locator("a").click()
        pg.wait_for_url("**/dashboard/explain**")
        assert "topic=" in pg.url
        assert errors == []


def test_the_ai_agent_page_shows_what_it_resolves_and_hands_over_by_topic() -> None:
    """Billing tickets: the AI agent answers and solves alone → resolved alone 100 %, handed
    over 0 %; login tickets: the AI answers, then a person → 0 % and 100 %; crash tickets: only
    people (not AI-engaged: no row)."""
    from conftest import build_workspace, msg, status, ticket
    from deskmetrics.ticket_text import after_import
    from test_ticket_topics import SUBJECTS

    tickets, events = [], []
    for i, (tid, subject) in enumerate(SUBJECTS.items()):
        tickets.append(ticket(tid, "2026-03-02T09:00:00Z", f"r{i}", subject=subject))
        events.append(msg(f"{tid}-c", tid, "2026-03-02T09:00:00Z", "customer"))
        if tid[0] in "BL":
            events.append(msg(f"{tid}-ai", tid, "2026-03-02T09:01:00Z", "ai_agent", "fin"))
        if tid[0] in "LC":
            events.append(msg(f"{tid}-p", tid, "2026-03-02T09:30:00Z", "agent", "a1"))
        events.append(status(f"{tid}-s", tid, "2026-03-02T10:00:00Z", "solved"))
    ws = build_workspace({"tickets": tickets, "events": events})
    after_import(ws)
    fit_topics(ws, seed=0)
    accounts.set_user(ws, "lead", PASSWORD, "viewer")
    c = TestClient(create_app(ws, secret="ai-topics"))
    c.post("/login", data={"name": "lead", "password": PASSWORD})
    rows = list(csv.DictReader(io.StringIO(c.get(f"/dashboard/ai?{RANGE}&csv=by_topic").text)))
    facts = facts_frame(ws)
    by_topic = facts[facts.ai_engaged].groupby("topic_label")
    expected = {
        label: (round(100 * g.automated_resolution.mean(), 6), round(100 * g.handed_off.mean(), 6))
        for label, g in by_topic
    }
    got = {
        r["topic_label"]: (
            round(float(r["automated_resolution_rate"]), 6),
            round(float(r["ai_handoff_rate"]), 6),
        )
        for r in rows
    }
    assert got == expected
    # billing: every ticket resolved alone; login: every ticket handed over
    billing = facts.loc[facts.ticket_id == "B0", "topic_label"].item()
    login = facts.loc[facts.ticket_id == "L0", "topic_label"].item()
    assert billing != login  # the hand-labelled texts separate (test_text_topics pins it)
    assert got[billing] == (100.0, 0.0)
    assert got[login] == (0.0, 100.0)
