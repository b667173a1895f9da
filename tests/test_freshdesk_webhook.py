"""The Freshdesk webhook adapter: the shared secret an automation rule sends in a custom
header, and deliveries (the JSON bodies the rules are configured with, placeholders already
filled in as Freshdesk sends them) mapped to canonical rows visible in the facts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.freshdesk_events import SECRET_HEADER, check_secret, map_delivery
from deskmetrics.query import facts_frame

SECRET = "a-long-random-freshdesk-secret"
URL = "/api/webhooks/freshdesk"

CREATED = {
    "freshdesk_webhook": {
        "event": "ticket_created",
        "ticket_id": "4711",
        "ticket": {
            "created_at": "2026-03-02T09:00:00Z",
            "requester_id": "101",
            "source": "Email",
            "priority": "Medium",
            "status": "Open",
            "group": "Billing",
            "responder_id": None,
            "subject": "Invoice is wrong",
            "description_text": "The amount is twice what we agreed",
        },
    }
}


def reply(event: str, at: str, user: str, cid: str) -> dict[str, Any]:
    return {
        "event": event,
        "ticket_id": "4711",
        "conversation": {"id": cid, "user_id": user, "created_at": at, "body_text": "…"},
    }


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"freshdesk": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, doc: Any, secret: str | None = SECRET) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", "Authorization": ""}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return c.post(URL, content=body, headers=headers)


def rejects(c: TestClient) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute('SELECT file, "column" FROM _rejects').fetchall()


def test_signed_deliveries_are_stored_and_visible_in_facts(client: TestClient) -> None:
    assert send(client, CREATED).status_code == 200
    send(client, reply("note_added", "2026-03-02T09:20:00Z", "501", "9001"))
    r = send(client, reply("agent_replied", "2026-03-02T09:45:00Z", "501", "9002"))
    assert r.status_code == 200, r.text
    assert {s["table"] for s in r.json()["stored"]} == {"events"}
    doc = {"event": "status_changed", "ticket_id": "4711", "at": "2026-03-02T10:00:00Z",
           "status": 4}  # fmt: skip
    assert send(client, doc).status_code == 200
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
        t = ws.backend.con.execute('SELECT channel, priority, "group" FROM tickets').fetchall()
    assert t == [("email", "normal", "Billing")]
    # the note at 09:20 is no reply: first reply 09:45 → 45 minutes; solved 10:00 → 60
    assert f.loc["4711", "first_reply_minutes"] == 45.0
    assert f.loc["4711", "full_resolution_minutes"] == 60.0
    assert f.loc["4711", "status"] == "solved"


def test_a_redelivered_body_changes_nothing(client: TestClient) -> None:
    send(client, CREATED)
    doc = reply("customer_replied", "2026-03-02T09:10:00Z", "101", "9003")
    assert send(client, doc).json()["stored"][0]["inserted"] == 1
    assert send(client, doc).json()["stored"][0]["unchanged"] == 1


def test_a_wrong_or_missing_secret_is_401_and_stores_nothing(client: TestClient) -> None:
    assert send(client, CREATED, secret="guess").status_code == 401
    r = send(client, CREATED, secret=None)
    assert r.status_code == 401 and SECRET_HEADER in r.json()["detail"]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_a_malformed_delivery_is_422_and_kept_in_the_rejects(client: TestClient) -> None:
    r = send(client, {"event": "ticket_created", "ticket_id": "9", "ticket": {"source": 1}})
    assert r.status_code == 422 and "ticket.created_at" in r.json()["detail"]
    r = send(client, {"event": "status_changed", "ticket_id": "9", "status": "Sleeping"})
    # a name that is not one of Freshdesk's four is a custom status (hold), not an error;
    # an unknown code is refused
    assert r.status_code == 422  # ticket 9 is not stored
    r = send(client, {"event": "status_changed", "ticket_id": "9", "status": 1})
    assert r.status_code == 422 and r.json()["detail"].startswith("status:")
    assert send(client, b"[1, 2]").status_code == 422
    assert rejects(client) == [
        ("webhook:freshdesk", "ticket.created_at"),
        ("webhook:freshdesk", "ticket_id"),
        ("webhook:freshdesk", "status"),
        ("webhook:freshdesk", "body"),
    ]


def test_other_events_are_acknowledged_and_ignored(client: TestClient) -> None:
    r = send(client, {"event": "tags_changed", "ticket_id": "4711"})
    assert r.status_code == 200 and "does not change any metric" in r.json()["ignored"]


def test_the_secret_check_and_the_mapping_alone() -> None:
    assert check_secret("s", "s") is None
    assert check_secret("s", "t") is not None and check_secret("s", None) is not None
    m = map_delivery({"event": "bot_replied", "ticket_id": "1"}, b"x", "2026-03-02T10:00:00+00:00")
    assert [(e["author_role"], e["public"], e["at"]) for e in m.events] == [
        ("bot", "true", "2026-03-02T10:00:00+00:00")
    ]
    out = map_delivery(
        {"event": "ticket_created", "ticket_id": "2",
         "ticket": {"created_at": "2026-03-02T09:00:00Z", "requester_id": "7", "source": 10,
                    "responder_id": "501"}},
        b"y", "2026-03-02T10:00:00Z",
    )  # fmt: skip
    assert out.ticket is not None and out.ticket["created_by"] == "agent"
    assert out.events[0]["author_role"] == "agent" and out.events[0]["author_id"] == "501"


def test_the_same_status_body_twice_is_two_changes_unless_it_gives_its_instant() -> None:
    body = {"event": "status_changed", "ticket_id": "1", "status": "Resolved"}
    raw = json.dumps(body).encode()
    first = map_delivery(body, raw, "2026-03-02T10:00:00+00:00").events[0]
    second = map_delivery(body, raw, "2026-03-03T10:00:00+00:00").events[0]
    assert first["event_id"] != second["event_id"]
    timed = {**body, "at": "2026-03-02T10:00:00Z"}
    raw = json.dumps(timed).encode()
    again = [map_delivery(timed, raw, r).events[0]["event_id"] for r in ("x", "y")]
    assert again[0] == again[1]


def test_an_ai_agent_answer_and_an_automatic_reply_on_one_ticket() -> None:
    """The rule's event says who wrote the reply: `ai_agent_replied` is Freddy AI Agent's
    answer, `bot_replied` an automatic reply; both public, neither an agent's."""
    at = "2026-03-02T10:00:00+00:00"
    bot = map_delivery({"event": "bot_replied", "ticket_id": "1"}, b"a", at)
    ai = map_delivery({"event": "ai_agent_replied", "ticket_id": "1",
                       "conversation": {"id": "70", "user_id": "9000"}}, b"b", at)  # fmt: skip
    assert [(e["author_role"], e["public"]) for e in bot.events + ai.events] == [
        ("bot", "true"), ("ai_agent", "true"),
    ]  # fmt: skip
    assert ai.events[0]["author_id"] == "9000"
