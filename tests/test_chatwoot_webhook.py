"""The Chatwoot webhook adapter: the shared secret in the webhook's URL (`?token=`), and
deliveries (the JSON bodies Chatwoot's account webhooks send) mapped to canonical rows
visible in the facts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.chatwoot_events import check_secret, map_delivery
from deskmetrics.query import facts_frame

SECRET = "a-long-random-chatwoot-secret"
URL = "/api/webhooks/chatwoot"
T0 = 1772442000  # 2026-03-02T09:00:00Z

CREATED = {
    "event": "conversation_created",
    "id": 4711,
    "inbox_id": 1,
    "status": "open",
    "created_at": T0,
    "timestamp": T0,
    "priority": "medium",
    "labels": ["billing"],
    "meta": {
        "sender": {"id": 101, "name": "Contact 101", "type": "contact"},
        "assignee": None,
        "team": {"id": 7, "name": "Billing"},
        "channel": "Channel::Email",
    },
    "messages": [
        {"id": 9000, "content": "The invoice is wrong", "message_type": 0, "private": False,
         "created_at": T0, "sender_type": "Contact", "sender_id": 101, "conversation_id": 4711}
    ],
    "account": {"id": 1, "name": "Acme"},
}  # fmt: skip


def message(mid: int, minutes: int, mtype: str, sender: dict[str, Any] | None,
            private: bool = False, content_type: str = "text") -> dict[str, Any]:  # fmt: skip
    """A message_created body as Chatwoot's webhook sends it (names, ISO time)."""
    return {
        "event": "message_created", "id": mid, "content": "…", "message_type": mtype,
        "content_type": content_type, "private": private,
        "created_at": f"2026-03-02T09:{minutes:02d}:00.000Z", "sender": sender,
        "conversation": {"id": 4711, "inbox_id": 1, "status": "open"},
        "account": {"id": 1, "name": "Acme"},
    }  # fmt: skip


ANA = {"id": 1, "name": "Ana", "type": "user"}


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"chatwoot": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, doc: Any, token: str | None = SECRET) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", "Authorization": ""}
    params = {} if token is None else {"token": token}
    return c.post(URL, content=body, headers=headers, params=params)


def rejects(c: TestClient) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute('SELECT file, "column" FROM _rejects').fetchall()


def test_deliveries_with_the_token_are_stored_and_visible_in_facts(client: TestClient) -> None:
    r = send(client, CREATED)
    assert r.status_code == 200, r.text
    assert {s["table"] for s in r.json()["stored"]} == {"tickets", "events"}
    assert send(client, message(9001, 20, "outgoing", ANA, private=True)).status_code == 200
    r = send(client, message(9002, 45, "outgoing", ANA))
    assert r.status_code == 200, r.text
    activity = message(9003, 59, "activity", None)
    assert "status changes" in send(client, activity).json()["ignored"]
    resolved = {**CREATED, "event": "conversation_status_changed", "status": "resolved",
                "updated_at": T0 + 3600.5}  # fmt: skip
    assert send(client, resolved).status_code == 200
    survey = message(9004, 59, "template", None, content_type="input_csat")
    r = send(client, survey)
    assert [s["table"] for s in r.json()["stored"]] == ["survey_requests"]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
        t = ws.backend.con.execute('SELECT channel, priority, "group" FROM tickets').fetchall()
    assert t == [("email", "normal", "Billing")]
    # the note at 09:20 is no reply: first reply 09:45 → 45 minutes; resolved 10:00:00.5
    assert f.loc["4711", "first_reply_minutes"] == 45.0
    assert f.loc["4711", "full_resolution_minutes"] == pytest.approx(60.0, abs=0.01)
    assert f.loc["4711", "status"] == "solved"


def test_a_redelivered_body_changes_nothing(client: TestClient) -> None:
    send(client, CREATED)
    doc = message(9005, 10, "incoming", {"id": 101, "type": "contact"})
    assert send(client, doc).json()["stored"][0]["inserted"] == 1
    assert send(client, doc).json()["stored"][0]["unchanged"] == 1


def test_a_wrong_or_missing_token_is_401_and_stores_nothing(client: TestClient) -> None:
    assert send(client, CREATED, token="guess").status_code == 401
    r = send(client, CREATED, token=None)
    assert r.status_code == 401 and "?token=" in r.json()["detail"]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_a_malformed_delivery_is_422_and_kept_in_the_rejects(client: TestClient) -> None:
    no_contact = {**CREATED, "meta": {"sender": None}}
    r = send(client, no_contact)
    assert r.status_code == 422 and "meta.sender.id" in r.json()["detail"]
    r = send(client, {**CREATED, "event": "conversation_status_changed", "status": "archived"})
    assert r.status_code == 422 and r.json()["detail"].startswith("status:")
    r = send(client, message(9006, 30, "incoming", {"id": 101, "type": "contact"}))
    assert r.status_code == 422  # conversation 4711 is not stored
    assert send(client, b"[1, 2]").status_code == 422
    assert rejects(client) == [
        ("webhook:chatwoot", "meta.sender.id"),
        ("webhook:chatwoot", "status"),
        ("webhook:chatwoot", "conversation.id"),
        ("webhook:chatwoot", "body"),
    ]


def test_other_events_are_acknowledged_and_ignored(client: TestClient) -> None:
    r = send(client, {"event": "contact_updated", "id": 5})
    assert r.status_code == 200 and "does not change any metric" in r.json()["ignored"]


def test_the_secret_check_and_the_mapping_alone() -> None:
    assert check_secret("s", "s") is None
    assert check_secret("s", "t") is not None and check_secret("s", None) is not None
    bot = message(1, 1, "outgoing", {"id": 9, "type": "agent_bot"})
    m = map_delivery(bot, "2026-03-02T10:00:00+00:00")
    assert [(e["author_role"], e["author_id"], e["at"]) for e in m.events] == [
        ("ai_agent", "9", "2026-03-02T09:01:00.000Z")  # an agent bot converses: the AI agent
    ]
    started = {**CREATED, "messages": [
        {"id": 1, "message_type": 1, "sender_type": "User", "sender_id": 2, "created_at": T0}
    ]}  # fmt: skip
    out = map_delivery(started, "x")
    assert out.ticket is not None and out.ticket["created_by"] == "agent"
    assert out.events[0]["event_id"] == "cw-1"  # the export's id for the same message


def test_an_ai_agent_and_an_automatic_greeting_in_one_conversation() -> None:
    """Captain (`captain_assistant`) and an agent bot are the AI agent; an outgoing message
    sent by no one (an automation) and a template (the greeting) are bots'."""
    captain = {"id": 3, "name": "Captain", "avatar_url": "", "description": None,
               "created_at": "2026-01-05T10:00:00.000Z", "type": "captain_assistant"}  # fmt: skip
    deliveries = [
        message(1, 0, "template", None),  # the inbox's greeting
        message(2, 0, "outgoing", None),  # an automation rule's message
        message(3, 1, "outgoing", captain),
        message(4, 2, "outgoing", {"id": 9, "name": "Rasa", "type": "agent_bot"}),
        message(5, 9, "outgoing", ANA),
    ]
    roles = [e["author_role"] for d in deliveries for e in map_delivery(d, "x").events]
    assert roles == ["bot", "bot", "ai_agent", "ai_agent", "agent"]
