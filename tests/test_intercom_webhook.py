"""The Intercom webhook adapter: signature ("sha1=" + hex HMAC-SHA1 of the raw body with the
app's client secret, header X-Hub-Signature) and conversation notifications mapped to
canonical rows. Deliveries are written by hand after Intercom's webhook reference (the
`notification_event` wrapper with the conversation as `data.item`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.intercom_events import intercom_signature, map_delivery
from deskmetrics.query import facts_frame

SECRET = "b1c9e1d0c0ffee-client-secret"
T9 = 1772442000  # Monday 2026-03-02 09:00 UTC
USER = {"type": "user", "id": "c-7", "name": "Ida", "email": "ida@example.org"}
ADMIN = {"type": "admin", "id": "5001", "name": "Ana", "email": "ana@example.com"}


def part(pid: str, kind: str, minutes: int, author: dict[str, Any]) -> dict[str, Any]:
    return {"type": "conversation_part", "id": pid, "part_type": kind, "body": "<p>…</p>",
            "created_at": T9 + 60 * minutes, "updated_at": T9 + 60 * minutes,
            "notified_at": T9 + 60 * minutes, "assigned_to": None, "author": author,
            "attachments": [], "external_id": None, "redacted": False}  # fmt: skip


def notification(topic: str, state: str, *parts: dict[str, Any], nid: str = "1") -> Any:
    item = {
        "type": "conversation", "id": "2001", "created_at": T9, "updated_at": T9 + 3600,
        "state": state, "open": state == "open", "priority": "not_priority",
        "admin_assignee_id": 5001, "team_assignee_id": None, "conversation_rating": None,
        "source": {"type": "conversation", "id": "88", "delivered_as": "customer_initiated",
                   "subject": "", "body": "<p>My export is empty</p>", "author": USER},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-7"}]},
        "conversation_parts": {"type": "conversation_part.list",
                               "conversation_parts": list(parts), "total_count": len(parts)},
    }  # fmt: skip
    return {"type": "notification_event", "app_id": "abc123", "id": f"notif_{nid}",
            "topic": topic, "delivery_status": "pending", "delivery_attempts": 1,
            "first_sent_at": T9, "created_at": T9, "links": {}, "self": None,
            "data": {"type": "notification_event_data", "item": item}}  # fmt: skip


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"intercom": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, doc: Any, secret: str = SECRET, signature: str | None = None) -> Any:
    body = json.dumps(doc).encode()
    sig = intercom_signature(secret, body) if signature is None else signature
    headers = {"Content-Type": "application/json", "X-Hub-Signature": sig, "Authorization": ""}
    return c.post("/api/webhooks/intercom", content=body, headers=headers)


def rows(c: TestClient, sql: str) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute(sql).fetchall()


def test_signature_is_sha1_hex_hmac_of_the_body() -> None:
    want = "sha1=" + hmac.new(b"k", b'{"a":1}', hashlib.sha1).hexdigest()
    assert intercom_signature("k", b'{"a":1}') == want
    # computed independently: printf '{"a":1}' | openssl dgst -sha1 -hmac k
    assert want == "sha1=7b4ab6898ab862077e9caf504b39982f2bc41453"


def test_signed_deliveries_are_stored_and_visible_in_facts(client: TestClient) -> None:
    """Created 09:00 by the customer, Ana replies 09:20, closes 09:30; the customer writes
    again at 10:00, which reopens the conversation (Intercom does so without a part)."""
    created = notification("conversation.user.created", "open")
    assert send(client, created).status_code == 200
    r = send(client, notification("conversation.admin.replied", "open",
                                  part("301", "comment", 20, ADMIN)))  # fmt: skip
    assert r.status_code == 200, r.text
    r = send(client, notification("conversation.admin.closed", "closed",
                                  part("302", "close", 30, ADMIN)))  # fmt: skip
    assert r.status_code == 200, r.text
    reply = notification("conversation.user.replied", "open", part("303", "comment", 60, USER))
    r = send(client, reply)
    assert r.status_code == 200, r.text
    assert r.json()["event_type"] == "conversation.user.replied"
    assert rows(client, "SELECT event_id FROM events ORDER BY \"at\", event_id") == [
        ("ic-2001-source",), ("ic-part-301",), ("ic-part-302-status",),
        ("ic-part-303",), ("ic-part-303-reopen",),
    ]  # fmt: skip
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["2001", "first_reply_minutes"] == 20.0
    assert f.loc["2001", "reopens"] == 1
    assert f.loc["2001", "status"] == "open"

    # a redelivery changes nothing
    again = send(client, reply).json()["stored"]
    assert all(s["inserted"] == 0 and s["updated"] == 0 for s in again)


def test_a_wrong_or_missing_signature_is_refused(client: TestClient) -> None:
    doc = notification("conversation.user.created", "open")
    assert send(client, doc, secret="not-the-secret").status_code == 401
    assert send(client, doc, signature="").status_code == 401
    assert rows(client, "SELECT count(*) FROM tickets") == [(0,)]


def test_a_malformed_delivery_is_refused_and_kept_in_the_rejects(client: TestClient) -> None:
    broken = notification("conversation.admin.replied", "open")
    del broken["data"]["item"]
    r = send(client, broken)
    assert r.status_code == 422 and "data.item" in r.text
    odd = notification("conversation.user.replied", "open",
                       part("309", "comment", 5, {"type": "visitor", "id": "x"}))  # fmt: skip
    r = send(client, odd)
    assert r.status_code == 422
    assert "data.item.conversation_parts[0].author.type" in r.text
    got = rows(client, 'SELECT file, "column" FROM _rejects ORDER BY "column"')
    assert got == [
        ("webhook:intercom", "data.item"),
        ("webhook:intercom", "data.item.conversation_parts[0].author.type"),
    ]
    assert rows(client, "SELECT count(*) FROM tickets") == [(0,)]


def test_other_topics_are_acknowledged_and_ignored(client: TestClient) -> None:
    ping = {"type": "notification_event", "topic": "ping", "data": {"item": {"type": "ping"}}}
    r = send(client, ping)
    assert r.status_code == 200 and r.json()["ignored"] == "ping is not a conversation topic"


def test_a_notification_without_a_topic_is_malformed() -> None:
    assert map_delivery({"type": "notification_event"}).malformed == (
        "topic",
        "the notification names no topic",
    )


def test_fin_and_an_automatic_greeting_in_one_delivery() -> None:
    """A delivery (a newer API version) with a workflow's greeting (bot, from_ai_agent false)
    and Fin's answer (from_ai_agent true): `bot` and `ai_agent`, the export's mapping."""
    greeting = {"type": "bot", "id": "9001", "name": "Operator", "email": None,
                "from_ai_agent": False, "is_ai_answer": False}  # fmt: skip
    fin = {"type": "bot", "id": "9002", "name": "Fin", "email": None,
           "from_ai_agent": True, "is_ai_answer": True}  # fmt: skip
    parts = (part("301", "comment", 0, greeting), part("302", "comment", 1, fin))
    doc = notification("conversation.user.created", "open", *parts)
    m = map_delivery(doc)
    assert m.malformed is None
    events = dict(m.frames)["events"]
    assert [(e["event_id"], e["author_role"]) for e in events] == [
        ("ic-2001-source", "customer"), ("ic-part-301", "bot"), ("ic-part-302", "ai_agent"),
    ]  # fmt: skip
